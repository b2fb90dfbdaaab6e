"""Baselines (keyed, no raw values), bad input reported with file and line, report formats,
determinism and --jobs."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from check_helpers import run_check, write_jsonl

EMAIL = "thelma.arnold@example.com"


def test_baseline_requires_a_key(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": EMAIL}])
    code, output = run_check(config, path, "--baseline", tmp_path / "b.json", "--update-baseline")
    assert code == 2 and "SCRUBBER_PSEUDONYM_KEY" in output


def test_baseline_accepts_reviewed_findings_only(tmp_path: Path, config: Path, keyed: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"contact {EMAIL}"}, {"text": "AKIAIOSFODNN7EXAMPLE key"}])
    base = tmp_path / "baseline.json"
    assert run_check(config, path)[0] == 1
    code, output = run_check(config, path, "--baseline", base, "--update-baseline")
    assert code == 0, output
    text = base.read_text()
    assert EMAIL not in text and "AKIAIOSFODNN7EXAMPLE" not in text
    rules = {e["rule"] for e in json.loads(text)["accepted"]}
    assert rules == {"EMAIL_ADDRESS", "API_KEY"}
    assert run_check(config, path, "--baseline", base)[0] == 0
    write_jsonl(path, [{"text": f"contact {EMAIL}"}, {"text": "other@example.org"}])
    out = tmp_path / "r.json"
    code, _ = run_check(config, path, "--baseline", base, "--json", out)
    report = json.loads(out.read_text())
    assert code == 1
    assert (report["entities"]["EMAIL_ADDRESS"]["count"], report["entities"]["EMAIL_ADDRESS"]["baselined"]) == (1, 1)


def test_baseline_with_another_key_is_a_usage_error(tmp_path: Path, config: Path, keyed: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": EMAIL}])
    base = tmp_path / "baseline.json"
    assert run_check(config, path, "--baseline", base, "--update-baseline")[0] == 0
    monkeypatch.setenv("SCRUBBER_PSEUDONYM_KEY", "cd" * 32)
    code, output = run_check(config, path, "--baseline", base)
    assert code == 2 and "key id" in output


def test_truncated_gzip_is_reported_with_file_and_line(tmp_path: Path, config: Path) -> None:
    data = gzip.compress("".join(f"line {i} nothing here\n" for i in range(2000)).encode())
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "r.json"
    code, output = run_check(config, path, "--json", out)
    report = json.loads(out.read_text())
    assert code == 2 and report["verdict"] == "error"
    (item,) = report["input_errors"]["items"]
    assert item["file"].endswith("cut.txt.gz") and item["line"] > 1 and "truncated" in item["reason"]
    assert f"cut.txt.gz:{item['line']}" in output


def test_wrong_encoding_and_ragged_csv(tmp_path: Path, config: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "latin.jsonl").write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n{"text": "fine"}\n')
    (tmp_path / "in" / "rag.csv").write_text("id,text\n1,a\n2,b,extra\n3,c\n")
    out = tmp_path / "r.json"
    code, _ = run_check(config, tmp_path / "in", "--json", out)
    report = json.loads(out.read_text())
    got = {(i["file"].rsplit("/", 1)[-1], i["line"], i["reason"].split(":")[0]) for i in report["input_errors"]["items"]}
    assert got == {("latin.jsonl", 2, "invalid_utf8"), ("rag.csv", 3, "ragged_row")}
    assert code == 2 and report["summary"]["records"] == 4


def _all_outputs(tmp_path: Path, config: Path, target: Path, tag: str, *extra: str) -> dict[str, str]:
    outs = {k: tmp_path / f"{tag}.{k}" for k in ("json", "markdown", "html", "sarif")}
    args = [a for k, p in outs.items() for a in (f"--{k}", p)]
    run_check(config, target, *args, *extra)
    return {k: p.read_text() for k, p in outs.items()}


def test_reports_hold_no_raw_values_and_html_is_self_contained(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"user": "u1", "query": f"mail {EMAIL}"},
                                              {"user": "u1", "query": "thelma arnold lilburn"}])
    outs = _all_outputs(tmp_path, config, path, "a", "--user-field", "user")
    for text in outs.values():
        assert EMAIL not in text and "thelma arnold" not in text.lower()
    html = outs["html"]
    assert "<svg" in html and "<script" not in html and "<link" not in html and "src=" not in html
    assert "t***@e******.com" in html
    sarif = json.loads(outs["sarif"])
    assert sarif["version"] == "2.1.0"
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"pii/EMAIL_ADDRESS", "pii/PERSON", "risk/rare-value", "risk/user-combination"} <= rules
    email = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "pii/EMAIL_ADDRESS")
    loc = email["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("d.jsonl") and loc["region"]["startLine"] == 1
    assert "## Violations" in outs["markdown"]


def test_same_input_same_report(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"user": f"u{i % 3}", "query": f"q{i % 4} {EMAIL}"} for i in range(20)])
    first = _all_outputs(tmp_path, config, path, "one", "--user-field", "user")
    second = _all_outputs(tmp_path, config, path, "two", "--user-field", "user")
    assert first == second
    assert "timestamp" not in json.loads(first["json"])


def test_stable_key_gives_stable_fingerprints(tmp_path: Path, config: Path, keyed: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"user": "u1", "query": "rare thing"}])
    first = _all_outputs(tmp_path, config, path, "one", "--user-field", "user")
    second = _all_outputs(tmp_path, config, path, "two", "--user-field", "user", "--timestamp")
    a, b = json.loads(first["json"]), json.loads(second["json"])
    assert a["rare_values"]["suppress"] == b["rare_values"]["suppress"] != []
    assert "timestamp" in b and a["fingerprints"]["stable"]


def test_jobs_give_the_same_report(tmp_path: Path, config: Path) -> None:
    rows = [{"user": f"u{i % 7}", "query": f"query {i % 11}", "note": EMAIL if i % 5 == 0 else "x"} for i in range(600)]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    one = _all_outputs(tmp_path, config, path, "one", "--user-field", "user")
    two = _all_outputs(tmp_path, config, path, "two", "--user-field", "user", "--jobs", "2")
    assert json.loads(one["json"])["summary"]["records"] == 600
    assert one == two


def test_truncated_zstd_and_single_json_document(tmp_path: Path, config: Path) -> None:
    import zstandard
    (tmp_path / "in").mkdir()
    data = zstandard.ZstdCompressor().compress("".join(f'{{"n": {i}}}\n' for i in range(5000)).encode())
    (tmp_path / "in" / "cut.jsonl.zst").write_bytes(data[: len(data) // 2])
    (tmp_path / "in" / "doc.json").write_text(json.dumps({"title": "x", "body": f"mail {EMAIL}"}, indent=2))
    out = tmp_path / "r.json"
    code, _ = run_check(config, tmp_path / "in", "--json", out)
    report = json.loads(out.read_text())
    (item,) = report["input_errors"]["items"]
    assert item["file"].endswith("cut.jsonl.zst") and item["line"] >= 1 and "truncated" in item["reason"]
    assert report["entities"]["EMAIL_ADDRESS"]["count"] == 1 and code == 2
