"""Files that cannot be opened or read to the end: one clear input error per file (its name, what
is wrong, no values), exit 2, no traceback; in the check and in ``--write-release``."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from check_helpers import run_check

EMAIL = "thelma.arnold@example.com"
TABLE = pa.table({"id": ["a", "b"], "text": ["nothing to see", f"mail me at {EMAIL}"]})


def _arrow_bytes(batches: int = 1) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, TABLE.schema) as writer:
        for _ in range(batches):
            writer.write_table(TABLE)
    return sink.getvalue().to_pybytes()


def _parquet_bytes(tmp_path: Path) -> bytes:
    pq.write_table(TABLE, tmp_path / "whole.parquet")
    return (tmp_path / "whole.parquet").read_bytes()


BROKEN = {
    "garbage.arrow": (lambda tmp: f"not arrow {EMAIL} ".encode() * 20,
                      "not a readable Arrow IPC file: corrupt, truncated or another format (ArrowInvalid)"),
    "cut.arrow": (lambda tmp: _arrow_bytes()[:-60], "not a readable Arrow IPC file: corrupt, truncated or another format"),
    "empty.arrow": (lambda tmp: b"", "not a readable Arrow IPC file: empty file"),
    "garbage.parquet": (lambda tmp: b"PAR1" + f"{EMAIL} ".encode() * 20,
                        "not a readable Parquet file: corrupt, truncated or another format (ArrowInvalid)"),
    "cut.parquet": (lambda tmp: _parquet_bytes(tmp)[:-30], "not a readable Parquet file: corrupt, truncated or another format"),
}


def _check(tmp_path: Path, config: Path, target: Path, *extra: str) -> tuple[int, str, dict]:
    out = tmp_path / "report.json"
    code, output = run_check(config, target, "--json", out, *extra)   # raises on a traceback
    return code, output, json.loads(out.read_text())


def _no_values(output: str, report: dict) -> None:
    assert EMAIL not in output and EMAIL not in json.dumps(report)
    assert "Traceback" not in output


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_one_input_error_naming_it(tmp_path: Path, config: Path, name: str) -> None:
    make, reason = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    code, output, report = _check(tmp_path, config, path)
    assert code == 2 and report["verdict"] == "error"
    (item,) = report["input_errors"]["items"]
    assert Path(item["file"]).name == name and item["line"] == 1 and reason in item["reason"]
    assert f"{name}:1: unreadable_file: {reason}" in output
    _no_values(output, report)


def test_a_file_cut_after_some_rows_keeps_them_and_says_where(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "two.arrow"
    path.write_bytes(_arrow_bytes(batches=2)[:-60])
    code, output, report = _check(tmp_path, config, path)
    (item,) = report["input_errors"]["items"]
    assert code == 2 and report["summary"]["records"] == 2 and report["entities"]["EMAIL_ADDRESS"]["count"] == 1
    assert item["line"] == 3 and item["reason"].startswith("unreadable_file: cannot read further: truncated or corrupt")
    _no_values(output, report)


def test_a_missing_file_says_so(tmp_path: Path, config: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "gone.parquet").symlink_to(tmp_path / "nowhere.parquet")
    (tmp_path / "in" / "ok.jsonl").write_text('{"text": "fine"}\n')
    code, _, report = _check(tmp_path, config, tmp_path / "in")
    (item,) = report["input_errors"]["items"]
    assert code == 2 and item["reason"] == "unreadable_file: cannot read: No such file or directory (FileNotFoundError)"


def test_readable_files_beside_a_broken_one_are_checked_without_errors(tmp_path: Path, config: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.parquet").write_bytes(b"garbage")
    pq.write_table(TABLE, tmp_path / "in" / "good.parquet")
    code, _, report = _check(tmp_path, config, tmp_path / "in")
    assert code == 2 and [Path(i["file"]).name for i in report["input_errors"]["items"]] == ["bad.parquet"]
    assert report["entities"]["EMAIL_ADDRESS"]["count"] == 1


# --- --write-release ------------------------------------------------------------------------------

def _dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "ds"
    folder.mkdir()
    pq.write_table(TABLE, folder / "good.parquet")
    (folder / "good.arrow").write_bytes(_arrow_bytes())
    return folder


def test_release_leaves_out_a_broken_file_and_exits_2(tmp_path: Path, config: Path) -> None:
    folder = _dataset(tmp_path)
    (folder / "bad.arrow").write_bytes(f"{EMAIL} ".encode() * 20)
    code, output, report = _check(tmp_path, config, folder, "--write-release", tmp_path / "rel")
    assert code == 2 and report["summary"]["input_errors"] == 1   # reported once, not again by the release
    files = {f["path"]: f for f in report["release"]["files"]}
    assert files["ds/bad.arrow"] == {"path": "ds/bad.arrow", "not_written": "unreadable_file: not a readable Arrow IPC "
                                     "file: corrupt, truncated or another format (ArrowInvalid)"}
    assert sorted(p.name for p in (tmp_path / "rel" / "ds").iterdir()) == ["good.arrow", "good.parquet"]
    _no_values(output, report)


def test_release_of_readable_files_writes_every_one(tmp_path: Path, config: Path) -> None:
    code, _, report = _check(tmp_path, config, _dataset(tmp_path), "--write-release", tmp_path / "rel")
    assert code == 1 and report["summary"]["input_errors"] == 0
    assert not any("not_written" in f for f in report["release"]["files"])


def test_a_file_unreadable_only_when_the_release_is_written_is_an_input_error(
        tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file changes between the scan and the release (a concurrent writer, a flaky mount)."""
    from scrubber.check.release import Suppression
    folder = _dataset(tmp_path)
    original = Suppression.from_report_state.__func__

    def corrupt_then_decide(cls, *args):  # noqa: ANN001, ANN002, ANN202
        (folder / "good.parquet").write_bytes(b"garbage")
        return original(cls, *args)

    monkeypatch.setattr(Suppression, "from_report_state", classmethod(corrupt_then_decide))
    code, output, report = _check(tmp_path, config, folder, "--write-release", tmp_path / "rel")
    assert code == 2 and report["verdict"] == "error"
    (item,) = report["input_errors"]["items"]
    assert Path(item["file"]).name == "good.parquet" and item["reason"].startswith(
        "not in the release: unreadable_file: not a readable Parquet file")
    assert not (tmp_path / "rel" / "ds" / "good.parquet").exists() and (tmp_path / "rel" / "ds" / "good.arrow").exists()
    _no_values(output, report)
