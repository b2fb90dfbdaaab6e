"""Every input format is read, scanned and located (file + line or row)."""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
import zstandard

from scrubber.check.inputs import discover, iter_batches

from check_helpers import run_check, write_jsonl

EMAIL = "thelma.arnold@example.com"
ROWS = [{"id": "a", "text": "nothing to see"}, {"id": "b", "text": f"mail me at {EMAIL}"},
        {"id": "c", "text": "weather tomorrow"}]


def _report(tmp_path: Path, config: Path, target: Path, *extra: str) -> dict:
    out = tmp_path / "report.json"
    code, output = run_check(config, target, "--json", out, *extra)
    assert code in (0, 1), output
    report = json.loads(out.read_text())
    assert EMAIL not in out.read_text()
    return report


def _email_line(report: dict) -> int:
    return report["locations"]["EMAIL_ADDRESS"][0]["line"]


def test_jsonl(tmp_path: Path, config: Path) -> None:
    report = _report(tmp_path, config, write_jsonl(tmp_path / "d.jsonl", ROWS))
    assert report["verdict"] == "fail" and report["entities"]["EMAIL_ADDRESS"]["count"] == 1
    assert _email_line(report) == 2
    assert report["entities"]["EMAIL_ADDRESS"]["examples"] == ["t***@e******.com"]


def test_json_array_lines_are_located(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(ROWS, indent=2))
    report = _report(tmp_path, config, path)
    assert report["summary"]["records"] == 3
    assert _email_line(report) == path.read_text().splitlines().index("  {") + 1 + 4


@pytest.mark.parametrize("delim,ext", [(",", "csv"), ("\t", "tsv")])
def test_csv_tsv(tmp_path: Path, config: Path, delim: str, ext: str) -> None:
    path = tmp_path / f"d.{ext}"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, delimiter=delim)
        w.writerow(["id", "text"])
        for r in ROWS:
            w.writerow([r["id"], r["text"]])
    report = _report(tmp_path, config, path)
    assert _email_line(report) == 3  # header is line 1
    assert report["fields"] == {"text": {"EMAIL_ADDRESS": 1}}


def test_plain_text_and_compression(tmp_path: Path, config: Path) -> None:
    lines = "".join(r["text"] + "\n" for r in ROWS).encode()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(lines)
    (tmp_path / "in" / "b.txt.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "in" / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(
        "".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    report = _report(tmp_path, config, tmp_path / "in")
    assert report["summary"]["files"] == 3 and report["summary"]["records"] == 9
    assert {(loc["file"].rsplit("/", 1)[-1], loc["line"]) for loc in report["locations"]["EMAIL_ADDRESS"]} == {
        ("a.txt", 2), ("b.txt.gz", 2), ("c.jsonl.zst", 2)}


def test_parquet_rows(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    report = _report(tmp_path, config, path, "--fields", "text")
    assert _email_line(report) == 2 and report["inputs"]["files"][0]["format"] == "parquet"


def make_hf_folder(root: Path, rows: list[dict]) -> Path:
    """What datasets' save_to_disk writes: Arrow IPC *stream* shards plus JSON metadata."""
    root.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    with ipc.new_stream(str(root / "data-00000-of-00001.arrow"), table.schema) as w:
        w.write_table(table)
    (root / "dataset_info.json").write_text(json.dumps({"features": {}}))
    (root / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    return root


def test_hugging_face_save_to_disk_folder(tmp_path: Path, config: Path) -> None:
    folder = make_hf_folder(tmp_path / "hf", ROWS)
    sources, skipped = discover([folder])
    assert [s.format for s in sources] == ["arrow", "metadata", "metadata"] and not skipped
    report = _report(tmp_path, config, folder)
    assert report["summary"]["records"] == 3 and _email_line(report) == 2


def test_parquet_shard_folder(tmp_path: Path, config: Path) -> None:
    (tmp_path / "ds" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(ROWS[:2]), tmp_path / "ds" / "data" / "train-00000-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist(ROWS[2:]), tmp_path / "ds" / "data" / "train-00001-of-00002.parquet")
    (tmp_path / "ds" / "README.md").write_text("# card")
    report = _report(tmp_path, config, tmp_path / "ds")
    assert report["summary"]["files"] == 2 and report["summary"]["records"] == 3
    assert report["inputs"]["skipped"][0].endswith("README.md")


def test_records_stream_in_order(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", ROWS)
    (src,), _ = discover([path])
    assert [line for b in iter_batches(src, size=2) for line in b.lines] == [1, 2, 3]
