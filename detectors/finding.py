"""The one value every detector produces: a scored, labelled span of text.

Offsets are Python string indices (code points), the same convention as the dev corpora and
Presidio, so spans can be compared and converted without re-encoding.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """A span ``text[start:end]`` that detector ``detector`` believes is ``entity``.

    ``tier`` orders how much evidence stands behind the finding (see ``detectors.resolve``):
    a checksum or a fixed token prefix is stronger evidence than a statistical model, whatever
    the scores say, because scores from different detectors are not calibrated against each other.
    """

    start: int
    end: int
    entity: str
    score: float
    detector: str
    tier: int = 1

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: "Finding") -> bool:
        return self.start < other.end and other.start < self.end

    def shifted(self, offset: int) -> "Finding":
        """The same finding in the coordinates of an enclosing text."""
        return Finding(self.start + offset, self.end + offset, self.entity, self.score,
                       self.detector, self.tier)

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.entity,
                "score": round(self.score, 4), "detector": self.detector}


# Evidence tiers, strongest last. Kept as plain ints so rules in YAML packs can name them.
TIER_MODEL = 0        # statistical NER, gazetteers: plausible, not proven
TIER_PATTERN = 1      # a pattern plus context words
TIER_VALIDATED = 2    # checksum, registry rule or unambiguous token prefix
