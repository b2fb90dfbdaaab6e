"""Fakes for unit tests: detectors whose behaviour is fixed, so engine and policy tests do not
depend on the real packs or on spaCy."""
from __future__ import annotations

import time

import regex

from detectors.base import BudgetExceeded, Detector
from detectors.finding import TIER_PATTERN, Finding


class WordDetector(Detector):
    """Finds fixed words as fixed entities: {'alice@example.org': 'EMAIL_ADDRESS', ...}."""

    id = "fake.words"
    cost = 1

    def __init__(self, words: dict[str, str], score: float = 0.9) -> None:
        self.words = words
        self.score = score

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(self.words.values())

    def detect(self, text: str, deadline: float) -> list[Finding]:
        out = []
        for word, entity in self.words.items():
            for m in regex.finditer(regex.escape(word), text):
                out.append(Finding(m.start(), m.end(), entity, self.score, self.id, TIER_PATTERN))
        return out


class SlowDetector(Detector):
    """Overruns its budget on texts containing 'slow', raises on texts containing 'boom'."""

    id = "fake.slow"
    cost = 2

    def detect(self, text: str, deadline: float) -> list[Finding]:
        if "boom" in text:
            raise RuntimeError("secret text must not appear in reasons: " + text)
        if "slow" in text:
            while time.monotonic() <= deadline:
                time.sleep(0.001)
            raise BudgetExceeded
        return []
