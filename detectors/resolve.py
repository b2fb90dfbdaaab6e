"""Overlap resolution: one deterministic rule, so the same text always scrubs the same way.

The rule (documented in the README): candidates are ranked by

1. evidence tier (validated > pattern > model), because scores of different detectors are not
   comparable, and a checksum-backed card number must not lose to an NER guess;
2. span length, longer first (a full street address beats the city inside it);
3. score, higher first;
4. start offset, earlier first;
5. entity name, then detector id, alphabetically: the final tie-break, never arrival order.

Then, walking that ranking, a candidate is kept if it overlaps no candidate already kept.
Presidio resolves equal-score overlaps arbitrarily; this never does.
"""
from __future__ import annotations

from collections.abc import Iterable

from detectors.finding import Finding


def rank_key(f: Finding) -> tuple:
    return (-f.tier, -f.length, -f.score, f.start, f.entity, f.detector)


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings chosen by ``rank_key``, returned in text order."""
    kept: list[Finding] = []
    for cand in sorted(findings, key=rank_key):
        if not any(cand.overlaps(k) for k in kept):
            kept.append(cand)
    kept.sort(key=lambda f: (f.start, f.end))
    return kept
