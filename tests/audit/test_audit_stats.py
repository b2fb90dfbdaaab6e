"""The audit accumulator and record selection, on hand-made detections."""
from __future__ import annotations

from detectors.finding import Finding
from detectors.stack import Detection
from scrubber.audit.run import select_records
from scrubber.audit.stats import AuditStats, field_key
from scrubber.engine import FieldDetection
from scrubber.readers import Record


def fd(path: tuple, text: str, *spans: tuple[str, str, float], failure: str | None = None) -> FieldDetection:
    """A leaf with findings given as (surface, entity, score); offsets are computed from text."""
    findings = [Finding(text.index(s), text.index(s) + len(s), e, sc, "fake") for s, e, sc in spans]
    return FieldDetection(path, text, Detection(findings, failure))


def test_field_key_collapses_indices() -> None:
    assert field_key(("messages", 3, "text")) == "messages[].text"
    assert field_key(("user", "email")) == "user.email"
    assert field_key(()) == "$"
    assert field_key((0, "a")) == "[].a"


def test_counts_shares_and_fields() -> None:
    s = AuditStats()
    s.add_record(1, [fd(("user", "email"), "ann@example.com", ("ann@example.com", "EMAIL_ADDRESS", 0.9)),
                     fd(("messages", 0, "text"), "hi Ann Lee", ("Ann Lee", "PERSON", 0.8)),
                     fd(("messages", 1, "text"), "bye Bob Ray", ("Bob Ray", "PERSON", 0.6))])
    s.add_record(2, [fd(("user", "email"), "bo@example.org", ("bo@example.org", "EMAIL_ADDRESS", 0.7))])
    s.add_record(3, [fd(("user", "email"), "none")])
    s.add_record(4, [fd(("messages", 0, "text"), "on 2024-01-02", ("2024-01-02", "DATE_TIME", 0.9))])
    assert (s.records_read, s.analyzed, s.with_pii) == (4, 4, 2)
    email, person = s.pii_entities()
    assert (email.entity, email.records, email.count) == ("EMAIL_ADDRESS", 2, 2)
    assert abs(email.mean_score - 0.8) < 1e-9
    assert s.share(email.records) == 0.5
    assert (person.records, person.count) == (1, 2)
    assert dict(person.fields) == {"messages[].text": 2}
    fields = {f.field: f for f in s.pii_fields()}
    assert (fields["user.email"].present, fields["user.email"].records) == (3, 2)
    # a record with only a date does not make messages[].text "contain PII"
    assert (fields["messages[].text"].present, fields["messages[].text"].records) == (2, 1)
    [date] = s.context_entities()
    assert (date.entity, date.records) == ("DATE_TIME", 1)


def test_min_score_filters_and_counts_what_it_dropped() -> None:
    s = AuditStats(min_score=0.5)
    s.add_record(1, [fd(("t",), "Ann Lee and Bo", ("Ann Lee", "PERSON", 0.4), ("Bo", "PERSON", 0.5))])
    [person] = s.pii_entities()
    assert person.count == 1
    assert s.below_threshold == {"PERSON": 1}


def test_examples_are_masked_distinct_first_three() -> None:
    s = AuditStats()
    emails = ["ann@example.com", "ann@example.com", "bob@test.org", "cy@test.net", "dee@test.io"]
    for i, e in enumerate(emails, 1):
        s.add_record(i, [fd(("email",), e, (e, "EMAIL_ADDRESS", 0.9))])
    [email] = s.pii_entities()
    assert email.examples == ["a***@e******.com", "b***@t***.org", "c***@t***.net"]
    for e in emails:
        assert all(e not in x for x in email.examples)


def test_failed_record_contributes_nothing_but_its_line() -> None:
    s = AuditStats()
    s.add_record(7, [fd(("a",), "ann@example.com", ("ann@example.com", "EMAIL_ADDRESS", 0.9)),
                     fd(("b",), "x", failure="time budget exceeded in detector fake")])
    assert (s.failed, s.analyzed, s.entities, s.fields) == (1, 0, {}, {})
    [err] = s.errors
    assert (err.line, err.kind, err.reason) == (7, "failed", "detector_failure")


def test_pii_by_field_name() -> None:
    s = AuditStats()
    s.add_record(1, [FieldDetection(("phone",), "+1 415 555 0100", Detection(), "PHONE_NUMBER")])
    [phone] = s.pii_entities()
    assert phone.detectors == {"field_name": 1}
    assert "415 555 0100" not in phone.examples[0]


def test_errors_are_capped_but_counted() -> None:
    s = AuditStats(max_errors=2)
    for line in range(1, 6):
        s.add_unreadable(line, "invalid_json")
    assert len(s.errors) == 2 and s.errors_total == 5 and s.errors_by_reason == {"invalid_json": 5}


def _records(n: int) -> list[Record]:
    return [Record(i, str(i), f"text {i}") for i in range(1, n + 1)]


def test_sample_first_n() -> None:
    assert [r.line for r in select_records(iter(_records(10)), 3)] == [1, 2, 3]
    assert len(list(select_records(iter(_records(2)), 5))) == 2


def test_reservoir_sample_is_deterministic_and_in_file_order() -> None:
    a = [r.line for r in select_records(iter(_records(1000)), 10, seed=42)]
    b = [r.line for r in select_records(iter(_records(1000)), 10, seed=42)]
    c = [r.line for r in select_records(iter(_records(1000)), 10, seed=43)]
    assert a == b and a == sorted(a) and len(set(a)) == 10
    assert a != c
    assert a != list(range(1, 11))
