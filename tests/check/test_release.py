"""--write-release: scrubbed, k-suppressed copy with the same layout, and a report of what was done."""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from check_helpers import run_check, write_jsonl
from test_formats import make_hf_folder

EMAIL = "thelma.arnold@example.com"


def _release(tmp_path: Path, config: Path, target: Path, *extra: str) -> tuple[int, dict, Path]:
    out, rel = tmp_path / "r.json", tmp_path / "release"
    code, output = run_check(config, target, "--write-release", rel, "--json", out, *extra)
    assert out.exists(), output
    return code, json.loads(out.read_text()), rel


def test_query_log_release_drops_rare_rows_and_identifiable_users(tmp_path: Path, config: Path) -> None:
    rows = [{"AnonID": f"u{i}", "query": "weather tomorrow", "note": f"mail {EMAIL}"} for i in range(6)]
    rows += [{"AnonID": "u1", "query": "zx spectrum repair", "note": ""}]
    rows += [{"AnonID": "u9", "query": "weather tomorrow", "note": "thelma arnold"},
             {"AnonID": "u9", "query": "weather tomorrow", "note": "lilburn"}]
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "log.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    code, report, rel = _release(tmp_path, config, path, "--user-field", "AnonID")
    assert code == 1  # the check of the original still fails
    out = [json.loads(line) for line in gzip.decompress((rel / "log.jsonl.gz").read_bytes()).decode().splitlines()]
    assert len(out) == 6 and all(r["query"] == "weather tomorrow" for r in out)
    assert all(EMAIL not in r["note"] for r in out)
    totals = report["release"]["totals"]
    assert totals == {"dropped_identifiable_user": 2, "dropped_rare_value": 1, "written": 6}
    assert "dropped" in report["release"]["actions"]["rare_values"]
    # the release itself passes the same check
    code, output = run_check(config, rel / "log.jsonl.gz", "--user-field", "AnonID")
    assert code == 0, output


def test_replace_action_keeps_rows(tmp_path: Path, config: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rare_values: {action: replace}\n")
    rows = [{"AnonID": "u1", "query": "rare query"}, {"AnonID": "u2", "query": "other"}]
    code, report, rel = _release(tmp_path, config, write_jsonl(tmp_path / "log.jsonl", rows),
                                 "--user-field", "AnonID", "--policy", policy)
    out = [json.loads(line) for line in (rel / "log.jsonl").read_text().splitlines()]
    assert [r["query"] for r in out] == ["[SUPPRESSED]", "[SUPPRESSED]"]
    assert report["release"]["totals"]["replaced_rare_value"] == 2


def test_csv_release_suppresses_small_classes(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["zip", "gender", "comment"])
        for _ in range(5):
            w.writerow(["30047", "F", "ok"])
        w.writerow(["02138", "M", f"write to {EMAIL}"])
    code, report, rel = _release(tmp_path, config, path)
    with (rel / "people.csv").open(newline="") as fh:
        out = list(csv.reader(fh))
    assert out[0] == ["zip", "gender", "comment"] and len(out) == 7
    assert out[6][:2] == ["*", "*"] and EMAIL not in out[6][2]
    assert report["release"]["totals"]["suppressed_small_class"] == 1


def test_parquet_and_hf_release_keep_layout(tmp_path: Path, config: Path) -> None:
    rows = [{"id": 1, "text": f"mail {EMAIL}", "age": 34}, {"id": 2, "text": "hello", "age": 34}]
    (tmp_path / "ds").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "ds" / "train.parquet")
    make_hf_folder(tmp_path / "ds" / "hf", rows)
    code, report, rel = _release(tmp_path, config, tmp_path / "ds")
    table = pq.read_table(rel / "ds" / "train.parquet")
    assert table.column_names == ["id", "text", "age"]
    assert EMAIL not in str(table.to_pylist())
    assert (rel / "ds" / "hf" / "dataset_info.json").read_text() == (tmp_path / "ds" / "hf" / "dataset_info.json").read_text()
    with pa.memory_map(str(rel / "ds" / "hf" / "data-00000-of-00001.arrow")) as src:
        hf = ipc.open_stream(src).read_all()
    assert hf.num_rows <= 2 and EMAIL not in str(hf.to_pylist())


def test_release_folder_must_be_new(tmp_path: Path, config: Path) -> None:
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "x").write_text("x")
    code, output = run_check(config, write_jsonl(tmp_path / "d.jsonl", [{"a": "b"}]), "--write-release", tmp_path / "release")
    assert code == 2 and "not empty" in output


def test_text_and_json_array_release_with_jobs(tmp_path: Path, config: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text(f"hello\nwrite to {EMAIL}\nbye\n")
    (tmp_path / "in" / "rows.json").write_text(json.dumps([{"text": "a"}, {"text": f"b {EMAIL}"}], indent=1))
    code, report, rel = _release(tmp_path, config, tmp_path / "in", "--jobs", "2", "--progress")
    lines = (rel / "in" / "notes.txt").read_text().splitlines()
    assert len(lines) == 3 and lines[0] == "hello" and EMAIL not in lines[1]
    rows = json.loads((rel / "in" / "rows.json").read_text())
    assert rows[0] == {"text": "a"} and EMAIL not in rows[1]["text"]
    assert report["release"]["totals"]["written"] == 5
