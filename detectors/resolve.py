"""Overlap resolution: one deterministic rule, so the same text always scrubs the same way.

The rule (documented in the README): candidates are ranked by

1. evidence tier (validated > pattern > model), because scores of different detectors are not
   comparable, and a checksum-backed card number must not lose to an NER guess;
2. span length, longer first (a full street address beats the city inside it);
3. score, higher first;
4. start offset, earlier first;
5. entity name, then detector id, alphabetically: the final tie-break, never arrival order.

Then, walking that ranking, a candidate is kept if it overlaps no candidate already kept, with
one exception: a place inside an address (a LOCATION wholly within a kept STREET_ADDRESS) is kept
too and reported nested, because it is a finding in its own right ("which cities appear in this
file?"). Rewriting uses the outermost span only (see scrubber.transform). Presidio resolves
equal-score overlaps arbitrarily; this never does.
"""
from __future__ import annotations

from collections.abc import Iterable

from detectors.finding import Finding


def rank_key(f: Finding) -> tuple:
    return (-f.tier, -f.length, -f.score, f.start, f.entity, f.detector)


#: (outer entity, inner entity) pairs whose inner finding is kept nested inside the outer one.
NESTABLE = frozenset({("STREET_ADDRESS", "LOCATION")})


def _nests(inner: Finding, outer: Finding) -> bool:
    return (outer.entity, inner.entity) in NESTABLE and outer.start <= inner.start and inner.end <= outer.end


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Findings chosen by ``rank_key``, in text order (outer before nested at the same start)."""
    kept: list[Finding] = []
    for cand in sorted(findings, key=rank_key):
        clashes = [k for k in kept if cand.overlaps(k)]
        if all(_nests(cand, k) for k in clashes):
            kept.append(cand)
    kept.sort(key=lambda f: (f.start, -f.end))
    return kept
