"""Overlap resolution: one deterministic rule, so the same text always scrubs the same way.

The rule (documented in the README): candidates are ranked by

1. evidence tier (validated > pattern > model), because scores of different detectors are not
   comparable, and a checksum-backed card number must not lose to an NER guess;
2. span length, longer first (a full street address beats the city inside it);
3. score, higher first;
4. start offset, earlier first;
5. entity name, then detector id, alphabetically: the final tie-break, never arrival order.

Then, walking that ranking, a candidate is kept if it overlaps no candidate already kept, with
two exceptions, reported nested: a place inside an address (a LOCATION wholly within a kept
STREET_ADDRESS), because it is a finding in its own right ("which cities appear in this file?");
and an identifier or secret inside a URL ("https://host/unsubscribe?email=jane@example.com",
"http://203.0.113.45/admin"), because a policy that keeps URLs must still rewrite what they
carry. Rewriting uses the outermost rewritten span (see scrubber.transform): a kept URL leaves its
nested findings to be rewritten on their own. Presidio resolves equal-score overlaps arbitrarily;
this never does.
"""
from __future__ import annotations

from collections.abc import Iterable

from detectors.entities import Kind, kind_of
from detectors.finding import Finding


def rank_key(f: Finding) -> tuple:
    return (-f.tier, -f.length, -f.score, f.start, f.entity, f.detector)


#: (outer entity, inner entity) pairs whose inner finding is kept nested inside the outer one.
NESTABLE = frozenset({("STREET_ADDRESS", "LOCATION")})
#: outer entities that carry identifiers: a DIRECT or SECRET finding inside one is kept nested.
CONTAINERS = frozenset({"URL"})


def _nests(inner: Finding, outer: Finding) -> bool:
    if not (outer.start <= inner.start and inner.end <= outer.end):
        return False
    return (outer.entity, inner.entity) in NESTABLE or (
        outer.entity in CONTAINERS and kind_of(inner.entity) in (Kind.DIRECT, Kind.SECRET))


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Findings chosen by ``rank_key``, in text order (outer before nested at the same start)."""
    kept: list[Finding] = []
    for cand in sorted(findings, key=rank_key):
        clashes = [k for k in kept if cand.overlaps(k)]
        if all(_nests(cand, k) or _nests(k, cand) for k in clashes):
            kept.append(cand)
    kept.sort(key=lambda f: (f.start, -f.end))
    return kept
