"""Transform: apply a policy to the findings of one text (the ``transform`` step of the flow
source -> decode -> detect -> resolve -> transform -> encode -> sink)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from detectors.entities import Kind, kind_of
from detectors.finding import Finding
from scrubber import operators
from scrubber.keys import KeyRing
from scrubber.policy import KEY_PURPOSE, EntityAction, Policy


@dataclass
class TextResult:
    """A rewritten text. ``drop_field``/``drop_event`` tell the caller to remove more than text.
    ``counts`` are rewritten findings per entity; ``kept`` are findings the policy let stand."""

    text: str
    counts: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    drop_field: bool = False
    drop_event: bool = False


class Transformer:
    """A policy bound to its keys. Construction fails if the policy needs a key that is absent,
    so a misconfigured service stops at start-up instead of at the first PII value."""

    def __init__(self, policy: Policy, keys: KeyRing | None = None) -> None:
        self.policy = policy
        self.keys = keys or KeyRing()
        for purpose in policy.key_purposes():
            self.keys.require(purpose)

    def rewrite(self, value: str, entity: str, act: EntityAction) -> str:
        kind = act.action
        if kind == "tag":
            return operators.tag(entity, act.template)
        if kind in ("redact", "drop_field", "drop_event"):
            return operators.REDACTED
        if kind == "mask":
            return operators.mask(value, act.keep_last)
        key = self.keys.require(KEY_PURPOSE[kind])
        if kind == "pseudonym":
            return operators.pseudonym(value, entity, key)
        if kind == "surrogate":
            return operators.surrogate(value, entity, key)
        return operators.encrypt(value, entity, key)

    def apply(self, text: str, findings: Sequence[Finding]) -> TextResult:
        """Rewrite ``text`` from resolved findings. A finding nested in one already rewritten
        (a city inside an address) is covered by the outer rewrite and skipped."""
        result = TextResult(text)
        pieces: list[str] = []
        cursor = 0
        direct = self.policy.with_direct and any(self._rewrites_direct(f) for f in findings)
        for f in sorted(findings, key=lambda f: (f.start, -f.end)):
            if f.start < cursor:
                continue
            act = self.policy.action_for(f.entity, direct)
            if act.action == "keep" or f.score < self._threshold(act):
                result.kept[f.entity] += 1
                continue
            result.counts[f.entity] += 1
            result.drop_field |= act.action == "drop_field"
            result.drop_event |= act.action == "drop_event"
            pieces.append(text[cursor:f.start])
            pieces.append(self.rewrite(text[f.start:f.end], f.entity, act))
            cursor = f.end
        pieces.append(text[cursor:])
        result.text = "".join(pieces)
        return result

    def _threshold(self, act: EntityAction) -> float:
        return self.policy.min_score if act.min_score is None else act.min_score

    def _rewrites_direct(self, f: Finding) -> bool:
        act = self.policy.action_for(f.entity)
        return kind_of(f.entity) is Kind.DIRECT and act.action != "keep" and f.score >= self._threshold(act)

    def apply_whole(self, value: str, entity: str) -> TextResult:
        """A value that is PII by its field name (``email``, ``user.phone``), whatever it holds."""
        return self.apply(value, [Finding(0, len(value), entity, 1.0, "field_name")]) if value else TextResult(value)
