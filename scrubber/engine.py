"""The engine: detection plus policy, for texts and structured events.

Every runner (CLI, Kafka, Faust, release check) goes through this one class, so a value is
scrubbed the same way wherever it arrives. It works in batches because NER is only fast batched:
all scannable leaves of all events of a batch go to the detector stack in one call.

Fail-closed contract: an ``Outcome`` either carries a fully scrubbed value, or ``dropped``
(the policy said drop_event), or a ``failure`` reason, in which case ``value`` is None and the
caller must quarantine or withhold the event. There is no path that returns the input unscrubbed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.registry import build_stack
from detectors.settings import DetectorSettings
from detectors.stack import Detection, DetectorStack
from scrubber.decode import MISSING_FIELD
from scrubber.fields import FieldSpec, Path, delete_path, has_path, leaves, set_path
from scrubber.keys import KeyRing
from scrubber.policy import Policy
from scrubber.transform import TextResult, Transformer

DETECTOR_FAILURE = "detector_failure"


@dataclass
class FieldDetection:
    """One leaf of an event and what was found in it (``entity`` set for PII-by-name fields)."""

    path: Path
    text: str
    detection: Detection
    entity: str | None = None


@dataclass
class Outcome:
    value: Any = None
    dropped: bool = False
    failure: str | None = None
    detail: str = ""
    counts: Counter = field(default_factory=Counter)   # rewritten, per entity
    found: Counter = field(default_factory=Counter)    # detected (rewritten or kept), per entity

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.dropped


class Engine:
    def __init__(self, stack: DetectorStack, policy: Policy, keys: KeyRing | None = None,
                 fields: FieldSpec | None = None) -> None:
        self.stack = stack
        self.policy = policy
        self.transformer = Transformer(policy, keys)
        self.fields = fields or FieldSpec()

    @classmethod
    def build(cls, detectors: DetectorSettings | None = None, policy: Policy | None = None,
              keys: KeyRing | None = None, fields: FieldSpec | None = None) -> "Engine":
        from scrubber.policy import BUILTIN_POLICIES
        return cls(build_stack(detectors), policy or BUILTIN_POLICIES["stream"],
                   keys if keys is not None else KeyRing.from_env(), fields)

    def with_fields(self, fields: FieldSpec) -> "Engine":
        """The same detectors and policy, another field layout (one engine per route)."""
        return Engine(self.stack, self.policy, self.transformer.keys, fields)

    def with_policy(self, policy: Policy) -> "Engine":
        return Engine(self.stack, policy, self.transformer.keys, self.fields)

    # --- detection -------------------------------------------------------------------------

    def detect_texts(self, texts: Sequence[str]) -> list[Detection]:
        return self.stack.detect_batch(list(texts))

    def detect_values(self, values: Sequence[Any]) -> list[list[FieldDetection]]:
        """Per event, its scanned leaves with their detections. A plain string is one leaf at
        path ``()``. Missing required fields are reported as a failed leaf at that path."""
        plans = [self._plan(v) for v in values]
        texts = [text for plan in plans for (_, text, entity) in plan if entity is None]
        detections = iter(self.stack.detect_batch(texts))
        out = []
        for plan in plans:
            row = []
            for path, text, entity in plan:
                det = next(detections) if entity is None else Detection()
                row.append(FieldDetection(path, text, det, entity))
            out.append(row)
        return out

    def _plan(self, value: Any) -> list[tuple[Path, str, str | None]]:
        if isinstance(value, str):
            return [((), value, None)]
        plan: list[tuple[Path, str, str | None]] = []
        for path, leaf in leaves(value):
            if leaf is None or isinstance(leaf, bool) or not isinstance(leaf, (str, int, float)):
                continue
            mode, entity = self.fields.classify(path)
            if mode in ("scan", "pii"):
                plan.append((path, leaf if isinstance(leaf, str) else str(leaf), entity))
        return plan

    def missing_fields(self, value: Any) -> list[str]:
        if isinstance(value, str) or not self.fields.required:
            return []
        return [p for p in self.fields.required if not has_path(value, p)]

    # --- scrubbing -------------------------------------------------------------------------

    def scrub_texts(self, texts: Sequence[str]) -> list[Outcome]:
        return self.scrub_values(list(texts))

    def scrub_values(self, values: Sequence[Any]) -> list[Outcome]:
        return [self.scrub_detected(v, fds) for v, fds in zip(values, self.detect_values(values))]

    def scrub_detected(self, value: Any, fds: list[FieldDetection]) -> Outcome:
        """Scrub one event from detections already made (``detect_values``), so a caller that
        reports on findings and also writes a scrubbed copy (the release check) detects once."""
        missing = self.missing_fields(value)
        if missing:
            return Outcome(failure=MISSING_FIELD, detail=", ".join(missing))
        failed = [fd for fd in fds if fd.detection.failed]
        if failed:
            return Outcome(failure=DETECTOR_FAILURE, detail=failed[0].detection.failure or "")
        out = Outcome()
        results: list[tuple[Path, TextResult]] = []
        for fd in fds:
            res = (self.transformer.apply_whole(fd.text, fd.entity) if fd.entity
                   else self.transformer.apply(fd.text, fd.detection.findings))
            out.counts.update(res.counts)
            out.found.update(res.counts)
            out.found.update(res.kept)
            results.append((fd.path, res))
        if any(res.drop_event for _, res in results):
            out.dropped = True
            return out
        if isinstance(value, str):
            out.value = "" if results[0][1].drop_field else results[0][1].text
            return out
        scrubbed = _deep_copy(value)
        for path, res in results:
            if res.drop_field:
                delete_path(scrubbed, path)
            elif res.counts:
                set_path(scrubbed, path, res.text)
        out.value = scrubbed
        return out


def _deep_copy(value: Any) -> Any:
    """JSON values only: much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
