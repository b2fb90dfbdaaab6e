"""Per-entity allow-lists and deny-lists.

An allow-list entry suppresses a finding whose surface text matches it (a company's own support
address, a public hotline). A deny-list entry is a term that is always reported as its entity
(an internal project codename, a known customer name), case-insensitively on word boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import regex

from detectors.finding import TIER_VALIDATED, Finding


@dataclass
class EntityLists:
    allow: dict[str, list[str]] = field(default_factory=dict)
    deny: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._allow = {e: {v.casefold() for v in vs} for e, vs in self.allow.items()}
        self._deny = [
            (entity, regex.compile(r"(?<!\w)(?:" + "|".join(regex.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")(?!\w)",
                                   regex.IGNORECASE))
            for entity, terms in self.deny.items() if terms
        ]

    def allowed(self, entity: str, surface: str) -> bool:
        values = self._allow.get(entity) or self._allow.get("*")
        return bool(values) and surface.casefold() in values

    def deny_findings(self, text: str) -> list[Finding]:
        return [Finding(m.start(), m.end(), entity, 1.0, "deny_list", TIER_VALIDATED)
                for entity, rx in self._deny for m in rx.finditer(text)]
