"""The audit accumulator: per-record detections in, counts and shares out.

It is pure (no I/O, no detectors), so every rule of the audit can be tested with hand-made
detections, and it is the single place where detected text is touched: each value is masked the
moment it is seen and only the masked form is kept. A record whose detection failed contributes
nothing but its line number and the failure reason, so its content cannot leak into a report.

Definitions (what the report's numbers mean):

* *analyzed* records were read and scanned successfully; shares are fractions of them, because a
  record we could not scan says nothing about how much PII the file holds.
* an entity's ``records`` is the number of analyzed records with at least one finding of it at or
  above ``min_score``; ``count`` is the number of such findings.
* a field is the leaf's path with array indices collapsed (``messages[].text``), so a chat with
  forty messages is one field, not forty.
* entities of kind CONTEXT (plain dates and times) are counted, but they do not make a record or a
  field "contain PII": the report lists them apart.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from detectors.entities import Kind, kind_of
from scrubber.engine import FieldDetection
from scrubber.fields import Path
from scrubber.mask import masked_example

DEFAULT_MIN_SCORE = 0.5
MAX_EXAMPLES = 3
MAX_ERRORS = 1000

#: Detector name recorded for fields that are PII by their name (``FieldSpec.pii``).
FIELD_NAME_DETECTOR = "field_name"
#: Reason code of records whose detection did not finish (time budget, detector exception).
DETECTOR_FAILURE = "detector_failure"

ErrorKind = Literal["unreadable", "failed"]


def field_key(path: Path) -> str:
    """``('messages', 3, 'text')`` -> ``messages[].text``; ``()`` (a plain text line) -> ``$``.

    Same spelling as ``scrubber.fields.path_str`` except that indices are collapsed, so
    per-field statistics aggregate over array elements."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += "[]"
        else:
            out += f".{step}" if out else str(step)
    return out or "$"


@dataclass
class EntityStats:
    entity: str
    records: int = 0
    count: int = 0
    score_sum: float = 0.0
    detectors: Counter = field(default_factory=Counter)
    fields: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        return kind_of(self.entity)

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.count if self.count else 0.0


@dataclass
class FieldStats:
    field: str
    present: int = 0      # analyzed records in which this field was scanned
    records: int = 0      # ... and held PII (CONTEXT entities excluded)
    count: int = 0        # PII findings in it
    entities: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class ErrorEntry:
    """A record the audit could not count: where it is and why. Never its content."""

    line: int
    kind: ErrorKind
    reason: str
    detail: str = ""


class AuditStats:
    """Accumulates one file's audit. Feed records in input order (examples are the first
    distinct masked values seen, which keeps them deterministic without holding any raw text)."""

    def __init__(self, min_score: float = DEFAULT_MIN_SCORE, max_examples: int = MAX_EXAMPLES,
                 max_errors: int = MAX_ERRORS) -> None:
        self.min_score = min_score
        self.max_examples = max_examples
        self.max_errors = max_errors
        self.records_read = 0
        self.analyzed = 0
        self.with_pii = 0
        self.failed = 0
        self.unreadable = 0
        self.entities: dict[str, EntityStats] = {}
        self.fields: dict[str, FieldStats] = {}
        self.below_threshold: Counter = Counter()
        self.errors: list[ErrorEntry] = []
        self.errors_by_reason: Counter = Counter()

    # --- feeding ---------------------------------------------------------------------------

    def add_unreadable(self, line: int, reason: str, detail: str = "") -> ErrorEntry:
        """A record that could not be decoded or lacks a required field."""
        self.records_read += 1
        self.unreadable += 1
        return self._error(ErrorEntry(line, "unreadable", reason, detail))

    def add_failed(self, line: int, detail: str) -> ErrorEntry:
        """A record whose detection failed: counted, never looked into (fail closed)."""
        self.records_read += 1
        self.failed += 1
        return self._error(ErrorEntry(line, "failed", DETECTOR_FAILURE, detail))

    def add_record(self, line: int, detections: Sequence[FieldDetection]) -> ErrorEntry | None:
        """One record's scanned leaves. Returns the error entry if its detection failed."""
        failure = next((fd.detection.failure for fd in detections if fd.detection.failed), None)
        if failure is not None:
            return self.add_failed(line, failure)
        self.records_read += 1
        self.analyzed += 1
        record_entities: set[str] = set()
        record_pii_fields: set[str] = set()
        present: set[str] = set()
        for fd in detections:
            key = field_key(fd.path)
            present.add(key)
            for entity, score, detector, value in self._findings(fd):
                stats = self.entities.get(entity)
                if stats is None:
                    stats = self.entities[entity] = EntityStats(entity)
                stats.count += 1
                stats.score_sum += score
                stats.detectors[detector] += 1
                stats.fields[key] += 1
                self._example(stats, value)
                record_entities.add(entity)
                if stats.kind is not Kind.CONTEXT:
                    fstats = self._field(key)
                    fstats.count += 1
                    fstats.entities[entity] += 1
                    record_pii_fields.add(key)
        for key in present:
            self._field(key).present += 1
        for key in record_pii_fields:
            self.fields[key].records += 1
        for entity in record_entities:
            self.entities[entity].records += 1
        if record_pii_fields:
            self.with_pii += 1
        return None

    def _findings(self, fd: FieldDetection) -> Iterable[tuple[str, float, str, str]]:
        if fd.entity is not None:  # PII by the field's name: the whole value is the entity
            yield fd.entity, 1.0, FIELD_NAME_DETECTOR, fd.text
            return
        for f in fd.detection.findings:
            if f.score < self.min_score:
                self.below_threshold[f.entity] += 1
                continue
            yield f.entity, f.score, f.detector, fd.text[f.start:f.end]

    def _field(self, key: str) -> FieldStats:
        stats = self.fields.get(key)
        if stats is None:
            stats = self.fields[key] = FieldStats(key)
        return stats

    def _example(self, stats: EntityStats, value: str) -> None:
        if len(stats.examples) >= self.max_examples:
            return
        masked = masked_example(value, stats.entity)
        if masked not in stats.examples:
            stats.examples.append(masked)

    def _error(self, entry: ErrorEntry) -> ErrorEntry:
        self.errors_by_reason[entry.reason] += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(entry)
        return entry

    # --- reading ---------------------------------------------------------------------------

    @property
    def errors_total(self) -> int:
        return self.unreadable + self.failed

    def share(self, n: int) -> float:
        """``n`` as a fraction of analyzed records (0 when nothing could be analyzed)."""
        return n / self.analyzed if self.analyzed else 0.0

    def pii_entities(self) -> list[EntityStats]:
        """PII entities, most widespread first (ties by name, so the order is stable)."""
        return self._sorted(e for e in self.entities.values() if e.kind is not Kind.CONTEXT)

    def context_entities(self) -> list[EntityStats]:
        return self._sorted(e for e in self.entities.values() if e.kind is Kind.CONTEXT)

    def pii_fields(self) -> list[FieldStats]:
        """Every scanned field, those with PII in most records first."""
        return sorted(self.fields.values(), key=lambda f: (-f.records, -f.count, f.field))

    @staticmethod
    def _sorted(items: Iterable[EntityStats]) -> list[EntityStats]:
        return sorted(items, key=lambda e: (-e.records, -e.count, e.entity))
