"""Run a follow-on detector (detectors.base.FollowOnDetector) on one text, with the earlier
detectors' findings made up from surface strings, for the unit tests of each follow-on rule."""
from __future__ import annotations

import time

from detectors.base import FollowOnDetector
from detectors.finding import TIER_MODEL, TIER_PATTERN, Finding


def follow_on(detector: FollowOnDetector, text: str, anchors: list[str], entity: str, score: float,
              expected_entity: str) -> list[str]:
    """Surfaces ``detector`` finds in ``text`` given ``entity`` findings on ``anchors``; every
    finding must be ``expected_entity`` at pattern tier (so it beats the model's guesses)."""
    prior = [Finding(text.index(a), text.index(a) + len(a), entity, score, "names", TIER_MODEL) for a in anchors]
    (found,) = detector.detect_batch([text], [time.monotonic() + 5], prior=[prior])
    assert all(f.entity == expected_entity and f.tier == TIER_PATTERN for f in found)
    return [text[f.start:f.end] for f in found]
