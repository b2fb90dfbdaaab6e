"""``scrubber audit`` end to end on files generated in tmp_path.

Most tests swap in fixed fake detectors (the real packs are being written concurrently and NER is
slow); one smoke test runs the real stack with NER and the names gazetteer off."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from audit_fakes import Slow, Words
from typer.testing import CliRunner

import scrubber.cli.audit as audit_cmd
from detectors.stack import DetectorStack
from scrubber.audit.run import audit_engine
from scrubber.cli import app

RAW = {
    "EMAIL_ADDRESS": ["john.smith@example.com", "kate@example.org"],
    "PERSON": ["Kathy Winslet"],
    "CREDIT_CARD": ["4111 1111 1111 1111"],
    "DATE_TIME": ["2024-03-05"],
}
WORDS = {v: (e, 0.9) for e, vs in RAW.items() for v in vs}
WORDS["maybe-a-name"] = ("PERSON", 0.3)   # below the default --min-score


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    def build(settings, fields):
        return audit_engine(DetectorStack([Words(WORDS), Slow()], budget_ms=50), fields)
    monkeypatch.setattr(audit_cmd, "build_audit_engine", build)


def write_jsonl(path: Path, lines: list[object | bytes]) -> Path:
    with path.open("wb") as fh:
        for line in lines:
            fh.write(line if isinstance(line, bytes) else json.dumps(line).encode())
            fh.write(b"\n")
    return path


def chats(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "chats.jsonl", [
        {"id": 1, "user": {"email": "john.smith@example.com"},
         "messages": [{"text": "card 4111 1111 1111 1111"}, {"text": "I am Kathy Winslet"}]},
        {"id": 2, "user": {"email": "kate@example.org"}, "messages": [{"text": "see you 2024-03-05"}]},
        {"id": 3, "user": {"email": "nobody"}, "messages": [{"text": "maybe-a-name"}]},
        {"id": 4, "user": {"email": "none"}, "messages": []},
    ])


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_no_raw(*texts: str) -> None:
    for text in texts:
        for values in RAW.values():
            for value in values:
                assert value not in text
        for fragment in ("john.smith", "example.com", "Winslet", "4111 1111 1111"):
            assert fragment not in text


class _Checker(HTMLParser):
    """Well-formedness (every non-void tag closed in order) and self-containment."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action") and value and "//" in value:
                self.problems.append(f"external {name}={value}")
        if tag in ("script", "link", "iframe", "img"):
            self.problems.append(f"<{tag}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def check_html(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    assert "http://" not in html and "https://" not in html and "@import" not in html
    return checker


def test_counts_shares_and_reports(tmp_path: Path, fake_stack: None) -> None:
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code, stdout, stderr = run(str(chats(tmp_path)), "--json", str(out_json), "--html", str(out_html))
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["records"] == {"read": 4, "analyzed": 4, "with_pii": 2, "share_with_pii": 0.5,
                                 "failed": 0, "unreadable": 0}
    entities = {e["entity"]: e for e in report["entities"]}
    assert set(entities) == {"EMAIL_ADDRESS", "PERSON", "CREDIT_CARD"}
    assert (entities["EMAIL_ADDRESS"]["records"], entities["EMAIL_ADDRESS"]["share"]) == (2, 0.5)
    assert entities["EMAIL_ADDRESS"]["examples"] == ["j***@e******.com", "k***@e******.org"]
    assert entities["CREDIT_CARD"]["examples"] == ["**** **** **** 1111"]
    assert entities["PERSON"]["examples"] == ["K**** W******"]
    assert entities["PERSON"]["fields"] == {"messages[].text": 1}
    assert entities["PERSON"]["detectors"] == {"fake.words": 1}
    assert report["below_min_score"] == {"PERSON": 1}
    assert [e["entity"] for e in report["context"]["entities"]] == ["DATE_TIME"]
    fields = {f["field"]: f for f in report["fields_stats"]}
    assert (fields["user.email"]["records"], fields["user.email"]["present"]) == (2, 4)
    assert (fields["messages[].text"]["records"], fields["messages[].text"]["count"]) == (1, 2)
    html = out_html.read_text()
    checker = check_html(html)
    assert "svg" in checker.tags and "rect" in checker.tags
    assert "K**** W******" in html and "messages[].text" in html
    assert "EMAIL_ADDRESS" in stdout and "50.0%" in stdout
    assert_no_raw(out_json.read_text(), html, stdout, stderr)


def test_raw_values_never_appear_even_for_custom_entities(tmp_path: Path, fake_stack: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    words = {"ACCT-99887766": ("ACCOUNT_ID", 0.9), "hunter2hunter2": ("PASSWORD", 0.9)}
    monkeypatch.setattr(audit_cmd, "build_audit_engine",
                        lambda s, f: audit_engine(DetectorStack([Words(words)]), f))
    src = write_jsonl(tmp_path / "x.jsonl", [{"note": "acct ACCT-99887766 pw hunter2hunter2"}])
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    _, stdout, stderr = run(str(src), "--json", str(out_json), "--html", str(out_html))
    for text in (out_json.read_text(), out_html.read_text(), stdout, stderr):
        assert "ACCT-99887766" not in text and "99887766" not in text and "hunter2" not in text


def test_bad_lines_are_reported_with_line_numbers_and_do_not_stop(tmp_path: Path, fake_stack: None) -> None:
    deep = "[" * 40 + "]" * 40
    src = write_jsonl(tmp_path / "bad.jsonl", [
        {"text": "kate@example.org"},                       # 1 ok
        b'{"text": "caf\xe9 john.smith@example.com"}',       # 2 invalid UTF-8
        b"not json at all, john.smith@example.com",         # 3 invalid JSON
        b'{"text": "' + b"x" * (10 * 1024 * 1024) + b'"}',  # 4 a 10 MB line
        json.dumps({"text": deep}).encode(),                # 5 ok: deep text is just text
        deep.encode(),                                       # 6 too deep
        {"other": "Kathy Winslet"},                         # 7 missing --text-field
        {"text": "SLOWDOWN john.smith@example.com"},        # 8 detector over budget
        {"text": "Kathy Winslet"},                          # 9 ok
    ])
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code, stdout, stderr = run(str(src), "--text-field", "text", "--json", str(out_json), "--html", str(out_html))
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["records"]["read"] == 9
    assert report["records"]["analyzed"] == 3
    assert report["records"]["failed"] == 1
    assert report["records"]["unreadable"] == 5
    reasons = {e["line"]: e["reason"] for e in report["errors"]["items"]}
    assert reasons == {2: "invalid_utf8", 3: "invalid_json", 4: "too_large", 6: "too_deep",
                       7: "missing_field", 8: "detector_failure"}
    for line, reason in reasons.items():
        assert f"bad.jsonl:{line}: {reason}" in stderr
    entities = {e["entity"]: e for e in report["entities"]}
    assert entities["EMAIL_ADDRESS"]["count"] == 1       # line 8 failed closed: not counted
    assert entities["PERSON"]["count"] == 1              # line 7 not scanned
    html = out_html.read_text()
    check_html(html)
    assert "too_deep" in html and "detector_failure" in html
    assert_no_raw(out_json.read_text(), html, stdout, stderr)
    assert "SLOWDOWN" not in out_json.read_text() + html + stdout + stderr


def test_sample_first_n_and_reservoir(tmp_path: Path, fake_stack: None) -> None:
    src = write_jsonl(tmp_path / "many.jsonl",
                      [{"text": "kate@example.org" if i % 2 else "nothing"} for i in range(1, 201)])
    out = tmp_path / "r.json"
    run(str(src), "--sample", "10", "--json", str(out))
    report = json.loads(out.read_text())
    assert report["records"]["read"] == 10 and report["records"]["with_pii"] == 5
    assert report["sample"] == {"size": 10, "seed": None, "method": "first"}
    run(str(src), "--sample", "20", "--seed", "7", "--json", str(out))
    first = json.loads(out.read_text())
    run(str(src), "--sample", "20", "--seed", "7", "--json", str(out))
    assert json.loads(out.read_text()) == first
    assert first["records"]["read"] == 20 and first["sample"]["method"] == "reservoir"


def test_csv_columns(tmp_path: Path, fake_stack: None) -> None:
    src = tmp_path / "people.csv"
    src.write_text("name,email,notes\nKathy Winslet,kate@example.org,hello\nBob,none,john.smith@example.com\n")
    out = tmp_path / "r.json"
    run(str(src), "--fields", "name,email", "--json", str(out))
    report = json.loads(out.read_text())
    entities = {e["entity"]: e for e in report["entities"]}
    assert entities["EMAIL_ADDRESS"]["count"] == 1       # the notes column is not scanned
    assert {f["field"] for f in report["fields_stats"]} == {"name", "email"}


def test_usage_errors(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    assert run(str(src), "--seed", "1")[0] == 2
    assert run(str(src), "--sample", "0")[0] == 2
    assert run(str(src), "--min-score", "2")[0] == 2


def test_smoke_real_stack(tmp_path: Path) -> None:
    """The real detectors (NER and names off): whatever they find, the outputs hold no raw value."""
    config = tmp_path / "c.yaml"
    config.write_text("detectors:\n  names: false\n  ner:\n    mode: \"off\"\n")
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code, stdout, stderr = run(str(chats(tmp_path)), "--config", str(config),
                               "--json", str(out_json), "--html", str(out_html))
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["records"]["read"] == 4 and report["ner"] == "off"
    check_html(out_html.read_text())
    assert_no_raw(out_json.read_text(), out_html.read_text(), stdout, stderr)
