"""``scrubber eval GOLD.jsonl`` on a tiny gold file, with fixed fake detectors (the real packs
are written concurrently; NER is slow) and once with the real stack, NER off."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "audit"))
from audit_fakes import Slow, Words  # noqa: E402

import scrubber.cli.eval as eval_cmd  # noqa: E402
from detectors.stack import DetectorStack  # noqa: E402
from scrubber.cli import app  # noqa: E402

TEXT1 = "Mail ann@example.com or call Ann Lee."
TEXT2 = "Card 4111 1111 1111 1111, no name here."
GOLD = [
    {"id": "a", "text": TEXT1, "spans": [
        {"start": 5, "end": 20, "label": "EMAIL"},
        {"start": 29, "end": 36, "label": "PERSON"}]},
    {"id": "b", "text": TEXT2, "spans": [{"start": 5, "end": 24, "label": "CREDIT_CARD"}]},
]


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOLD))
    return path


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    words = {"ann@example.com": ("EMAIL_ADDRESS", 0.9), "Ann": ("PERSON", 0.8),     # partial name
             "4111 1111 1111 1111": ("CREDIT_CARD", 1.0), "no name": ("PERSON", 0.5)}  # a false positive
    monkeypatch.setattr(eval_cmd, "build_eval_stack",
                        lambda settings: DetectorStack([Words(words), Slow()], budget_ms=50))


def run(*args: str):
    result = CliRunner().invoke(app, ["eval", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_overlap_scores_and_json(gold: Path, tmp_path: Path, fake_stack: None) -> None:
    out = tmp_path / "r.json"
    result = run(str(gold), "--json", str(out))
    assert result.exit_code == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["matching"] == "overlap" and report["records"] == 2
    assert report["labels"] == ["CREDIT_CARD", "EMAIL", "PERSON"]
    assert report["per_label"]["EMAIL"]["tp"] == 1
    person = report["per_label"]["PERSON"]
    assert (person["tp"], person["fp"], person["fn"]) == (1, 1, 0)   # "Ann" overlaps "Ann Lee"
    assert report["micro"]["tp"] == 3 and report["micro"]["fp"] == 1
    assert report["ner"] in ("all", "gated", "off")
    assert "micro" in result.stdout and "PERSON" in result.stdout


def test_exact_matching_and_labels(gold: Path, tmp_path: Path, fake_stack: None) -> None:
    out = tmp_path / "r.json"
    assert run(str(gold), "--matching", "exact", "--labels", "PERSON,EMAIL_ADDRESS", "--json", str(out)).exit_code == 0
    report = json.loads(out.read_text())
    assert report["labels"] == ["EMAIL", "PERSON"]
    assert report["per_label"]["PERSON"]["tp"] == 0       # "Ann" is not exactly "Ann Lee"
    assert report["per_label"]["PERSON"]["fn"] == 1
    assert report["ignored_predictions"] == {"CREDIT_CARD": 1}


def test_text_field_and_failed_records(tmp_path: Path, fake_stack: None) -> None:
    path = tmp_path / "g.jsonl"
    rows = [{"id": "a", "body": TEXT1, "spans": GOLD[0]["spans"]},
            {"id": "s", "body": "SLOWDOWN ann@example.com", "spans": [{"start": 9, "end": 24, "label": "EMAIL"}]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "r.json"
    result = run(str(path), "--text-field", "body", "--json", str(out))
    assert result.exit_code == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["failed_records"] == 1
    assert report["per_label"]["EMAIL"]["fn"] == 1          # the failed record is scored as a miss
    assert "1 record(s) failed detection" in result.stderr


def test_bad_gold_lines_are_listed_and_stop(tmp_path: Path, fake_stack: None) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOLD[0]) + "\nnot json\n"
                    + json.dumps({"id": "x", "text": "short", "spans": [{"start": 0, "end": 99, "label": "PERSON"}]}) + "\n"
                    + json.dumps({"id": "y", "spans": []}) + "\n")
    result = run(str(path))
    assert result.exit_code == 2
    assert "bad.jsonl:2: invalid_json" in result.stderr
    assert "bad.jsonl:3: spans[0]" in result.stderr
    assert "bad.jsonl:4: missing_field: text" in result.stderr


def test_usage_errors(gold: Path, fake_stack: None) -> None:
    assert run(str(gold), "--matching", "fuzzy").exit_code == 2
    result = run(str(gold), "--labels", "PERSON,NOPE")
    assert result.exit_code == 2 and "NOPE" in result.stderr
    assert run(str(gold), "--ner", "sometimes").exit_code == 2


def test_target_labels(gold: Path, tmp_path: Path, fake_stack: None) -> None:
    out = tmp_path / "r.json"
    assert run(str(gold), "--labels", "target", "--json", str(out)).exit_code == 0
    assert "URL" in json.loads(out.read_text())["labels"]


def test_real_stack_ner_off(gold: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("detectors:\n  names: false\n")
    out = tmp_path / "r.json"
    result = run(str(gold), "--ner", "off", "--config", str(config), "--json", str(out))
    assert result.exit_code == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["ner"] == "off" and report["records"] == 2
