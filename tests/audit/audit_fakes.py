"""Detectors with fixed behaviour for the audit tests, so they depend neither on the real packs
(written concurrently) nor on spaCy."""
from __future__ import annotations

import time

import regex

from detectors.base import BudgetExceeded, Detector
from detectors.finding import TIER_PATTERN, Finding


class Words(Detector):
    """Finds fixed words as fixed entities with fixed scores: {'word': ('ENTITY', score)}."""

    id = "fake.words"
    cost = 1

    def __init__(self, words: dict[str, tuple[str, float]]) -> None:
        self.words = words

    def detect(self, text: str, deadline: float) -> list[Finding]:
        return [Finding(m.start(), m.end(), entity, score, self.id, TIER_PATTERN)
                for word, (entity, score) in self.words.items()
                for m in regex.finditer(regex.escape(word), text)]


class Slow(Detector):
    """Runs past its budget on any text containing 'SLOWDOWN'."""

    id = "fake.slow"
    cost = 2

    def detect(self, text: str, deadline: float) -> list[Finding]:
        if "SLOWDOWN" in text:
            while time.monotonic() <= deadline:
                time.sleep(0.001)
            raise BudgetExceeded
        return []
