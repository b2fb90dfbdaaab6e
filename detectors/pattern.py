"""The pattern detector: runs the rules of one or more packs with prefilters, validators and
context scoring.

Speed comes from not running most rules at all: a rule whose keywords are absent or that needs
more digits than the text holds is skipped before its regex is touched. Safety comes from the
``regex`` module's per-call timeout, set to what is left of the text's budget: a pathological
input raises ``BudgetExceeded`` and the text fails closed (Presidio skips the recognizer and lets
the text through; we never do).
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from detectors.base import BudgetExceeded, Detector
from detectors.finding import Finding
from detectors.pack import TIERS, Pack, Rule, builtin_pack_paths, load_pack
from detectors.validators import Validator, get_validator

_DIGIT_CHARS = "0123456789"


def lower_same_length(text: str) -> str:
    """``text.lower()`` with offsets preserved: a few characters (e.g. 'İ') lower to two code
    points, which would shift every context window after them; those are left as they are."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(low if len(low) == 1 else ch for ch, low in ((c, c.lower()) for c in text))


def _word_alternation(words: Iterable[str]) -> regex.Pattern | None:
    words = sorted({w.lower() for w in words}, key=len, reverse=True)
    if not words:
        return None
    return regex.compile(r"(?<![a-z0-9])(?:" + "|".join(regex.escape(w) for w in words) + r")(?![a-z0-9])")


@dataclass
class CompiledRule:
    rule: Rule
    pack: str
    rx: regex.Pattern
    keywords: tuple[str, ...]
    validator: Validator | None
    context: regex.Pattern | None
    negative: regex.Pattern | None
    tier: int

    @classmethod
    def build(cls, rule: Rule, pack: str) -> "CompiledRule":
        flags = regex.IGNORECASE if rule.ignore_case else 0
        try:
            rx = regex.compile(rule.pattern, flags)
        except regex.error as exc:
            raise ValueError(f"rule {rule.id}: bad pattern: {exc}") from None
        if rule.group and rule.group not in rx.groupindex:
            raise ValueError(f"rule {rule.id}: pattern has no group named {rule.group!r}")
        return cls(rule=rule, pack=pack, rx=rx,
                   keywords=tuple(k.lower() for k in rule.keywords),
                   validator=get_validator(rule.validator) if rule.validator else None,
                   context=_word_alternation(rule.context),
                   negative=_word_alternation(rule.negative_context),
                   tier=TIERS[rule.tier])

    def applies(self, lower: str, ndigits: int) -> bool:
        if ndigits < self.rule.min_digits:
            return False
        return not self.keywords or any(k in lower for k in self.keywords)

    def findings(self, text: str, lower: str, deadline: float) -> list[Finding]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded
        rule = self.rule
        out = []
        try:
            matches = list(self.rx.finditer(text, timeout=remaining))
        except TimeoutError:
            raise BudgetExceeded from None
        for m in matches:
            start, end = m.span(rule.group) if rule.group else m.span()
            if start < 0 or start == end:
                continue
            if self.validator and not self.validator(text[start:end]):
                continue
            score = self._score(lower, start, end)
            if score > 0:
                out.append(Finding(start, end, rule.entity, score, f"{self.pack}.{rule.id}", self.tier))
        return out

    def _score(self, lower: str, start: int, end: int) -> float:
        rule = self.rule
        lo, hi = max(0, start - rule.context_window), end + rule.context_window
        if self.negative is not None and (self.negative.search(lower, lo, start) or self.negative.search(lower, end, hi)):
            return rule.negative_score
        if self.context is not None and (self.context.search(lower, lo, start) or self.context.search(lower, end, hi)):
            return rule.context_score if rule.context_score is not None else min(1.0, rule.score + 0.3)
        return 0.0 if rule.requires_context else rule.score


class PatternDetector(Detector):
    """All rules of the given packs, as one detector."""

    id = "patterns"
    cost = 1

    def __init__(self, packs: Iterable[Pack]) -> None:
        self.rules = [CompiledRule.build(rule, pack.pack) for pack in packs for rule in pack.rules]

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> "PatternDetector":
        return cls(load_pack(p) for p in paths)

    @classmethod
    def builtin(cls, extra_paths: Iterable[str] = ()) -> "PatternDetector":
        return cls.from_paths([*map(str, builtin_pack_paths()), *extra_paths])

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(r.rule.entity for r in self.rules)

    def detect(self, text: str, deadline: float) -> list[Finding]:
        lower = lower_same_length(text)
        ndigits = sum(map(text.count, _DIGIT_CHARS))
        out: list[Finding] = []
        for rule in self.rules:
            if rule.applies(lower, ndigits):
                out.extend(rule.findings(text, lower, deadline))
        return out
