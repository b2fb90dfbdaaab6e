"""The detector stack: runs detectors cheapest first over a batch, applies per-entity lists and
thresholds, resolves overlaps, and fails a text closed when anything goes wrong with it.

Failing closed is the contract the whole product rests on: a text whose detection did not finish
(exception, time budget) is returned with ``failure`` set, and callers must withhold or redact it
wholesale. ``failure`` names the detector and the exception type only, never the text.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from detectors.base import BudgetExceeded, Detector
from detectors.finding import Finding
from detectors.lists import EntityLists
from detectors.resolve import resolve


MAX_SLICE = 256  # texts per detector pass: big enough for batched NER, small enough for budgets


@dataclass(slots=True)
class Detection:
    """The outcome for one text: resolved findings, or why detection failed."""

    findings: list[Finding] = field(default_factory=list)
    failure: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None


class DetectorStack:
    """Detectors in cost order plus the per-entity settings that apply across all of them."""

    def __init__(self, detectors: Sequence[Detector], lists: EntityLists | None = None,
                 thresholds: dict[str, float] | None = None, default_threshold: float = 0.0,
                 budget_ms: float = 200.0) -> None:
        self.detectors = sorted(detectors, key=lambda d: (d.cost, d.id))
        self.lists = lists or EntityLists()
        self.thresholds = dict(thresholds or {})
        self.default_threshold = default_threshold
        self.budget_ms = budget_ms

    @property
    def entities(self) -> frozenset[str]:
        out: set[str] = set(self.lists.deny)
        for d in self.detectors:
            out |= d.entities
        return frozenset(out)

    def warm_up(self) -> None:
        """Load every detector's resources, then run one fixed text through the stack with no
        time pressure, so that loads and first-call costs are not charged to the budget of the
        first real texts, which would otherwise fail closed for no reason."""
        for det in self.detectors:
            det.prepare()
        budget, self.budget_ms = self.budget_ms, 600_000.0
        try:
            self.detect_batch(["Warm-up: Alice Smith, 42 Main Street, Springfield; alice@example.org, 555-0100."])
        finally:
            self.budget_ms = budget

    def detect(self, text: str) -> Detection:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str], *, resolve_overlaps: bool = True) -> list[Detection]:
        """Detections for ``texts``, in order. Large batches run in slices of ``MAX_SLICE``
        texts, so that the per-text deadlines of a pass stay close to the work they bound."""
        out: list[Detection] = []
        for i in range(0, len(texts), MAX_SLICE):
            out.extend(self._detect_slice(texts[i:i + MAX_SLICE], resolve_overlaps))
        return out

    def _detect_slice(self, texts: Sequence[str], resolve_overlaps: bool) -> list[Detection]:
        budget = self.budget_ms / 1000.0
        raw: list[list[Finding]] = [self.lists.deny_findings(t) for t in texts] if self.lists.deny \
            else [[] for _ in texts]
        failures: list[str | None] = [None] * len(texts)
        for det in self.detectors:
            live = range(len(texts)) if failures.count(None) == len(texts) \
                else [i for i, f in enumerate(failures) if f is None]
            if not live:
                break
            # The budget is per text and per detector. Within a pass, the k-th live text must be
            # done k+1 budgets after the pass starts: a batch of n texts may take n budgets, so
            # one slow text cannot starve the others, batched NER gets the time its batch is
            # worth, and earlier detectors' work is never charged to a later one.
            start = time.monotonic()
            deadlines = [start + budget * (k + 1) for k in range(len(live))]
            batch = texts if isinstance(live, range) else [texts[i] for i in live]
            if det.sees_prior:
                results = det.detect_batch(batch, deadlines, prior=[raw[i] for i in live])
            else:
                results = det.detect_batch(batch, deadlines)
            for i, res in zip(live, results):
                if isinstance(res, BaseException):
                    failures[i] = _failure_reason(det.id, res)
                elif res:
                    raw[i].extend(res)
        return [Detection(failure=failure) if failure is not None
                else Detection(self._final(text, found, resolve_overlaps))
                for text, found, failure in zip(texts, raw, failures)]

    def _final(self, text: str, found: list[Finding], resolve_overlaps: bool) -> list[Finding]:
        """The findings of a text that pass thresholds and allow-lists, overlaps resolved. Most
        texts have none or one, and most stacks no per-entity settings: those skip the work."""
        if not found:
            return found
        if self.thresholds or self.lists.allow:
            found = [f for f in found if self._passes(text, f)]
        else:
            default = self.default_threshold
            found = [f for f in found if not f.score < default]
        if len(found) < 2:  # what ``resolve`` and ``sorted`` would return
            return found
        if not resolve_overlaps:
            return sorted(found, key=lambda f: (f.start, f.end))
        ordered = sorted(found, key=_text_order)
        if all(a.end <= b.start and _text_order(a) != _text_order(b) for a, b in zip(ordered, ordered[1:])):
            return ordered  # no overlaps (nor twin empty spans): ``resolve`` keeps all, in this order
        return resolve(found)

    def _passes(self, text: str, f: Finding) -> bool:
        if f.score < self.thresholds.get(f.entity, self.default_threshold):
            return False
        return not self.lists.allowed(f.entity, text[f.start:f.end])


def _text_order(f: Finding) -> tuple[int, int]:
    """The order ``resolve`` returns findings in: by start, the outer one first."""
    return (f.start, -f.end)


def _failure_reason(detector_id: str, exc: BaseException) -> str:
    if isinstance(exc, (BudgetExceeded, TimeoutError)):
        return f"time budget exceeded in detector {detector_id}"
    return f"detector {detector_id} failed: {type(exc).__name__}"
