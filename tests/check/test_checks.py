"""The checks themselves: identifiers and limits, secrets, rare values, user combinations,
k-anonymity; exit codes."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from check_helpers import run_check, write_jsonl

CARD = "4111 1111 1111 1111"
AWS = "AKIAIOSFODNN7EXAMPLE"


def _json(tmp_path: Path, config: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "r.json"
    code, output = run_check(config, *args, "--json", out)
    assert out.exists(), output
    return code, json.loads(out.read_text())


def test_clean_data_passes(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "hello world"}, {"text": "best tacos near me"}])
    code, report = _json(tmp_path, config, path)
    assert code == 0 and report["verdict"] == "pass" and report["violations"] == []


def test_direct_identifier_fails_with_masked_example(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"card {CARD} thanks"}])
    code, report = _json(tmp_path, config, path)
    assert code == 1
    assert report["entities"]["CREDIT_CARD"]["examples"] == ["**** **** **** 1111"]
    assert CARD not in json.dumps(report)


def test_policy_thresholds_and_warnings(tmp_path: Path, config: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("entities:\n  CREDIT_CARD: {max_count: 1}\n  EMAIL_ADDRESS: {max_rate: 0.1, fatal: false}\n")
    rows = [{"text": f"card {CARD}"}, {"text": "a@example.com"}, {"text": "b@example.com"}]
    code, report = _json(tmp_path, config, write_jsonl(tmp_path / "d.jsonl", rows), "--policy", policy)
    assert code == 0, report["violations"]
    assert report["entities"]["CREDIT_CARD"]["status"] == "ok"
    assert report["entities"]["EMAIL_ADDRESS"]["status"] == "warn"


def test_secrets_are_fatal_and_cannot_be_relaxed(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"aws_access_key_id = {AWS}"}])
    code, report = _json(tmp_path, config, path)
    assert code == 1 and report["entities"]["API_KEY"]["status"] == "fail"
    assert AWS not in json.dumps(report)
    policy = tmp_path / "policy.yaml"
    policy.write_text("k: 5\nentities:\n  API_KEY:\n    fatal: false\n")
    code, output = run_check(config, path, "--policy", policy)
    assert code == 2 and "policy.yaml:" in output and "secrets are always fatal" in output


def test_policy_file_errors_name_file_and_line(tmp_path: Path, config: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("k: 5\nrare_values:\n  kk: 3\n")
    code, output = run_check(config, write_jsonl(tmp_path / "d.jsonl", [{"text": "x"}]), "--policy", policy)
    assert code == 2 and "policy.yaml:3: rare_values.kk" in output


def _query_log(tmp_path: Path) -> Path:
    """An AOL-style log: a popular query from 6 users, a rare one from 2, and one user (u9)
    whose queries name a person and, separately, a place."""
    rows = [{"AnonID": f"u{i}", "Query": "weather tomorrow"} for i in range(6)]
    rows += [{"AnonID": "u1", "Query": "zx spectrum repair"}, {"AnonID": "u2", "Query": "zx spectrum repair"}]
    rows += [{"AnonID": "u9", "Query": "landscapers in lilburn"}, {"AnonID": "u9", "Query": "thelma arnold"}]
    rows += [{"AnonID": f"u{i}", "Query": "Weather   TOMORROW"} for i in range(3)]
    return write_jsonl(tmp_path / "log.jsonl", rows)


def test_rare_values_need_a_user_field(tmp_path: Path, config: Path) -> None:
    code, report = _json(tmp_path, config, _query_log(tmp_path))
    assert report["rare_values"]["status"] == "skipped"
    assert report["user_combinations"]["status"] == "skipped"


def test_rare_values_and_user_combinations(tmp_path: Path, config: Path) -> None:
    code, report = _json(tmp_path, config, _query_log(tmp_path), "--user-field", "AnonID")  # "Query" ~ default "query"
    rv = report["rare_values"]
    # 'weather tomorrow' (normalised: case and spaces) has 6 users; the other three values are rare
    assert (rv["distinct_values"], rv["rare_values"], rv["records_affected"]) == (4, 3, 4)
    assert rv["status"] == "fail"
    uc = report["user_combinations"]
    assert (uc["users_flagged"], uc["records_affected"]) == (1, 2)
    assert uc["combinations"] == {"PERSON + LOCATION": 1}
    assert code == 1
    assert {v["rule"] for v in report["violations"] if v["fatal"]} >= {"rare-value", "user-combination", "PERSON"}


def test_rare_value_k_from_policy(tmp_path: Path, config: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("k: 2\nkinds:\n  direct: {max_count: null}\nuser_combos: {enabled: false}\n")
    code, report = _json(tmp_path, config, _query_log(tmp_path), "--user-field", "AnonID",
                         "--query-field", "Query", "--policy", policy)
    assert report["rare_values"]["k"] == 2 and report["rare_values"]["rare_values"] == 2
    assert report["user_combinations"]["status"] == "disabled"


def _census(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "zip", "gender", "birth_date", "diagnosis"])
        for i in range(5):
            w.writerow([i, "30047", "F", "1950-01-01", "flu"])
        w.writerow([9, "02138", "M", "1945-07-31", "flu"])
    return path


def test_k_anonymity(tmp_path: Path, config: Path) -> None:
    code, report = _json(tmp_path, config, _census(tmp_path))
    (group,) = report["k_anonymity"]["groups"]
    assert group["columns"] == ["birth_date", "gender", "zip"]
    assert (group["min_k"], group["classes"], group["records_below_k"]) == (1, 2, 1)
    assert code == 1 and any(v["rule"] == "k-anonymity" for v in report["violations"])


def test_k_anonymity_within_policy(tmp_path: Path, config: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("kanon: {max_records_below_k: 1}\nkinds:\n  context: {max_count: null, fatal: false}\n")
    code, report = _json(tmp_path, config, _census(tmp_path), "--policy", policy, "--skip", "birth_date")
    assert report["k_anonymity"]["status"] == "ok" and code == 0, report["violations"]


def test_usage_errors_exit_2(tmp_path: Path, config: Path) -> None:
    assert run_check(config, tmp_path / "missing.jsonl")[0] == 2
    (tmp_path / "empty").mkdir()
    assert run_check(config, tmp_path / "empty")[0] == 2
    assert run_check(config, write_jsonl(tmp_path / "d.jsonl", [{"a": 1}]), "--ner", "bogus")[0] == 2


def test_rare_values_without_query_field_say_so(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"user": "u1", "body": "hello"}])
    code, report = _json(tmp_path, config, path, "--user-field", "user")
    assert report["rare_values"]["status"] == "not_applicable" and "--query-field" in report["rare_values"]["reason"]
    assert code == 0


def test_many_files_with_the_same_name(tmp_path: Path, config: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = write_jsonl(tmp_path / "a" / "train.jsonl", [{"text": "hello"}])
    two = write_jsonl(tmp_path / "b" / "train.jsonl", [{"text": "world"}])
    code, report = _json(tmp_path, config, one, two)
    assert code == 0 and report["summary"]["files"] == 2


def test_id_field_names_the_record(tmp_path: Path, config: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"rid": "r-1", "text": "x"}, {"rid": "r-2", "text": f"card {CARD}"}])
    code, report = _json(tmp_path, config, path, "--id-field", "rid")
    (loc,) = report["locations"]["CREDIT_CARD"]
    assert (loc["line"], loc["id"]) == (2, "r-2")


def test_repeated_text_cache_gives_the_same_findings() -> None:
    from detectors.settings import DetectorSettings
    from scrubber.check.fingerprint import make_fingerprinter
    from scrubber.check.policy import CheckPolicy
    from scrubber.check.scan import Batch, ScanConfig, Scanner
    from scrubber.fields import FieldSpec
    from scrubber.keys import KeyRing

    texts = [f"card {CARD}", "hello", f"card {CARD}", "a@example.com", "hello"] * 3
    batch = Batch(0, list(range(1, len(texts) + 1)), texts)
    fp = make_fingerprinter(KeyRing())
    results = []
    for cache in (0, 10):
        cfg = ScanConfig(DetectorSettings(ner={"mode": "off"}, names=False), FieldSpec(), CheckPolicy(), fp,
                         detection_cache=cache)
        scanner = Scanner(cfg)
        results.append([(line, entity, vfp) for result in (scanner.scan(batch), scanner.scan(batch))
                        for line, row in zip(result.lines, result.leaves)
                        for _, (hits, _, _) in row for entity, vfp, _ in hits])
    assert results[0] == results[1] and len(results[0]) == 2 * 9
