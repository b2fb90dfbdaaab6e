"""DetectorStack's last step (thresholds, allow-lists, overlap resolution) and its shortcuts."""
from __future__ import annotations

import random

from detectors.finding import Finding
from detectors.lists import EntityLists
from detectors.resolve import resolve
from detectors.stack import DetectorStack


def _random_findings(rnd: random.Random) -> list[Finding]:
    out = []
    for _ in range(rnd.randint(0, 5)):
        start = rnd.randint(0, 20)
        out.append(Finding(start, start + rnd.randint(0, 6), rnd.choice(["STREET_ADDRESS", "LOCATION", "PERSON"]),
                           rnd.choice([0.3, 0.5, 0.9]), rnd.choice(["a", "b"]), rnd.randint(0, 2)))
    return out


def test_final_equals_resolve_whatever_the_overlaps():
    """Texts with fewer than two findings, or none overlapping, skip ``resolve``: same result."""
    stack = DetectorStack([])
    rnd = random.Random(11)
    for _ in range(20_000):
        found = _random_findings(rnd)
        assert stack._final("x" * 40, list(found), True) == resolve(found), found


def test_final_applies_thresholds_and_allow_lists_before_resolving():
    stack = DetectorStack([], lists=EntityLists(allow={"PERSON": ["xx"]}), thresholds={"LOCATION": 0.6})
    rnd = random.Random(12)
    text = "xx" * 20
    for _ in range(5_000):
        found = _random_findings(rnd)
        kept = [f for f in found if stack._passes(text, f)]
        assert stack._final(text, list(found), True) == resolve(kept), found
