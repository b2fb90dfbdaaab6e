"""Running an audit: records from a file, optionally sampled, detected in batches, fed to the
accumulator in input order.

Kept apart from the CLI so tests (and the release check) can audit with any detector stack,
including deliberately slow or broken ones.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from detectors.settings import DetectorSettings
from detectors.stack import DetectorStack
from scrubber.audit.stats import AuditStats, ErrorEntry
from scrubber.decode import MISSING_FIELD, NOT_AN_OBJECT
from scrubber.engine import Engine
from scrubber.fields import FieldSpec
from scrubber.keys import KeyRing
from scrubber.readers import Record

BATCH = 256

ErrorCallback = Callable[[ErrorEntry], None]
ProgressCallback = Callable[[int, int], None]  # (records done, line reached)


def audit_engine(stack: DetectorStack, fields: FieldSpec | None = None) -> Engine:
    """An engine for detection only. The audit never rewrites anything, so it takes a policy that
    needs no keys: an audit must run on a laptop without the service's secrets."""
    from scrubber.policy import BUILTIN_POLICIES
    return Engine(stack, BUILTIN_POLICIES["tag-all"], KeyRing(), fields)


def build_audit_engine(settings: DetectorSettings | None, fields: FieldSpec | None = None) -> Engine:
    from detectors.registry import build_stack
    return audit_engine(build_stack(settings), fields)  # build_stack warms the detectors up


def field_spec(text_field: str | None = None, fields: Iterable[str] = ()) -> FieldSpec:
    """What to scan. ``text_field`` is one top-level field, as in ``scrubber detect``; ``fields``
    are path patterns (``messages[].text``, CSV column names). Either way the named fields are
    required: a record without them is reported, since silently scanning nothing would make it
    look clean."""
    patterns = [p for item in fields for p in item.split(",") if p.strip()]
    patterns = [p.strip() for p in patterns]
    if text_field:
        patterns.append(text_field if text_field.startswith("$.") else f"$.{text_field}")
    if not patterns:
        return FieldSpec()
    return FieldSpec(scan=patterns, required=patterns)


def select_records(records: Iterator[Record], sample: int | None = None,
                   seed: int | None = None) -> Iterator[Record]:
    """All records; the first ``sample`` ones; or, with a ``seed``, a uniform reservoir sample of
    ``sample`` records (Algorithm R) returned in file order. Both samples are deterministic, so
    two audits of the same file with the same options report the same numbers."""
    if sample is None:
        yield from records
        return
    if sample <= 0:
        return
    if seed is None:
        yield from islice(records, sample)
        return
    rng = random.Random(seed)
    reservoir: list[Record] = []
    for n, rec in enumerate(records):
        if n < sample:
            reservoir.append(rec)
        else:
            j = rng.randrange(n + 1)
            if j < sample:
                reservoir[j] = rec
    yield from sorted(reservoir, key=lambda r: r.line)


def audit_records(records: Iterable[Record], engine: Engine, stats: AuditStats,
                  on_error: ErrorCallback | None = None, on_progress: ProgressCallback | None = None,
                  batch: int = BATCH) -> AuditStats:
    """Detect every record and feed ``stats``; bad records are reported through ``on_error`` and
    never stop the run. ``on_progress`` gets the records done and the line reached after each
    batch."""
    it = iter(records)
    done = 0
    while chunk := list(islice(it, batch)):
        plan: list[tuple[Record, tuple[str, str] | None]] = [(rec, _problem(rec, engine)) for rec in chunk]
        good = [rec.value for rec, problem in plan if problem is None]
        detections = iter(engine.detect_values(good))
        for rec, problem in plan:
            if problem is not None:
                entry: ErrorEntry | None = stats.add_unreadable(rec.line, *problem)
            else:
                entry = stats.add_record(rec.line, next(detections))
            if entry is not None and on_error is not None:
                on_error(entry)
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, chunk[-1].line)
    return stats


def _problem(rec: Record, engine: Engine) -> tuple[str, str] | None:
    """(reason, detail) when the record cannot be scanned as asked. The detail names positions
    and the user's own field names only, never content."""
    if rec.error is not None:
        return rec.error.reason, rec.error.detail
    if engine.fields.required and not isinstance(rec.value, (dict, str)):
        return NOT_AN_OBJECT, type(rec.value).__name__
    missing = engine.missing_fields(rec.value)
    if missing:
        return MISSING_FIELD, ", ".join(missing)
    return None
