"""The detector interface the stack runs.

A detector sees texts, never records: structure (JSON fields, CSV columns) is the engine's job.
Detectors take a batch because the expensive ones (NER) are only fast when batched; cheap ones
inherit the per-text loop.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

from detectors.finding import Finding


class BudgetExceeded(Exception):
    """A detector ran past the time budget of a text. The text must fail closed."""


class Detector(ABC):
    """One concern (e-mail, phones, NER, ...) that turns text into findings.

    ``cost`` orders the stack, cheapest first, so that a budget overrun is more likely to happen
    after the cheap, precise detectors already ran (the text still fails closed either way).
    """

    id: str = "detector"
    cost: int = 10
    #: True: ``detect_batch`` also takes ``prior``, per text what the cheaper detectors before it
    #: found, so that an expensive detector can skip work they already did (NER's gate)
    sees_prior: bool = False

    @property
    def entities(self) -> frozenset[str]:
        """Entity names this detector can emit (for catalogues, policies and the README)."""
        return frozenset()

    def prepare(self) -> None:
        """Load what the detector needs (models, gazetteers) now rather than on first use, so
        the load is never charged to a text's time budget. The stack calls it once."""

    @abstractmethod
    def detect(self, text: str, deadline: float) -> list[Finding]:
        """Findings in ``text``; raise ``BudgetExceeded`` once ``time.monotonic() > deadline``."""

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float]) -> list[list[Finding] | BaseException]:
        """Per text: its findings, or the exception that stopped it (the stack fails it closed)."""
        out: list[list[Finding] | BaseException] = []
        for text, deadline in zip(texts, deadlines):
            try:
                out.append(self.detect(text, deadline))
            except Exception as exc:  # noqa: BLE001 - isolated per text, reported by type only
                out.append(exc)
        return out


def check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BudgetExceeded


class FollowOnDetector(Detector):
    """A detector whose evidence is what other detectors found: 'a number right after a name',
    'a postcode right after a place'. It reads the stack's prior findings (``sees_prior``), so it
    runs after the detectors it reads (``cost`` above NER's), and finds nothing on its own
    (``detect`` without prior findings). Subclasses say which prior findings are anchors and what
    to find after them."""

    cost = 110
    sees_prior = True

    @abstractmethod
    def anchors(self, found: Sequence[Finding]) -> list[Finding]:
        """The prior findings this detector looks after."""

    @abstractmethod
    def find_after(self, text: str, anchors: list[Finding]) -> list[Finding]:
        """Findings in ``text`` next to ``anchors`` (never empty)."""

    def detect(self, text: str, deadline: float) -> list[Finding]:
        return []

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float],
                     prior: Sequence[Sequence[Finding]] | None = None) -> list[list[Finding] | BaseException]:
        if prior is None:
            return [[] for _ in texts]
        out: list[list[Finding] | BaseException] = []
        for text, deadline, found in zip(texts, deadlines, prior):
            anchors = self.anchors(found) if found else []
            if not anchors:
                out.append([])
                continue
            try:
                check_deadline(deadline)
                out.append(self.find_after(text, anchors))
            except Exception as exc:  # noqa: BLE001 - isolated per text, reported by type only
                out.append(exc)
        return out

