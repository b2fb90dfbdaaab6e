"""Policies: what happens to each kind of finding. Detection reports; a policy decides.

A policy maps entity names to actions. Defaults differ by use: a stream keeps plain dates, times,
cities and companies ("restaurants open Monday 7:30 pm" is not PII and is useful training text);
a release is strict. Users write their own in topics.yaml or a policy file, usually by extending a
built-in one and overriding a few entities.
"""
from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detectors.entities import ENTITIES, Kind

Action = Literal["keep", "tag", "redact", "mask", "pseudonym", "surrogate", "encrypt", "drop_field", "drop_event"]
KEY_PURPOSE = {"pseudonym": "pseudonym", "surrogate": "pseudonym", "encrypt": "encryption"}


class EntityAction(BaseModel):
    """What to do with one entity. A string in YAML (``PERSON: pseudonym``) is shorthand for
    ``{action: pseudonym}``."""

    model_config = ConfigDict(extra="forbid")
    action: Action
    min_score: float | None = Field(None, ge=0.0, le=1.0,
                                    description="findings scoring lower are kept as they are")
    keep_last: int = Field(4, ge=0, description="mask: characters left visible at the end")
    template: str | None = Field(None, description="tag: text with {entity}, default '[{entity}]'")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return {"action": data} if isinstance(data, str) else data


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "custom"
    extends: str | None = Field(None, description="a built-in or earlier-defined policy to start from")
    description: str = ""
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="findings below this are kept (all entities)")
    default: EntityAction = Field(default_factory=lambda: EntityAction(action="tag"),
                                  description="action for entities not listed")
    entities: dict[str, EntityAction] = Field(default_factory=dict)
    with_direct: dict[str, EntityAction] = Field(
        default_factory=dict,
        description="actions that replace an entity's own in a text that also holds a rewritten direct "
                    "identifier: a city is training text, a name next to a city identifies (the AOL lesson)")

    @field_validator("entities", "with_direct")
    @classmethod
    def _names(cls, v: dict[str, EntityAction]) -> dict[str, EntityAction]:
        bad = [k for k in v if not k.replace("_", "").isalnum() or not k.isupper()]
        if bad:
            raise ValueError(f"entity names are UPPER_SNAKE_CASE: {', '.join(bad)}")
        return v

    def action_for(self, entity: str, with_direct: bool = False) -> EntityAction:
        if with_direct and entity in self.with_direct:
            return self.with_direct[entity]
        return self.entities.get(entity, self.default)

    def key_purposes(self) -> set[str]:
        acts = [self.default, *self.entities.values(), *self.with_direct.values()]
        return {KEY_PURPOSE[a.action] for a in acts if a.action in KEY_PURPOSE}

    def fingerprint(self) -> str:
        """Short hash of the effective policy, written to output headers so a consumer can tell
        which rules produced a record."""
        body = self.model_dump(exclude={"name", "description", "extends"}, mode="json")
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]

    def merged_over(self, base: "Policy") -> "Policy":
        """This policy's explicit settings laid over ``base``."""
        data = base.model_dump()
        mine = self.model_dump(exclude_unset=True)
        entities = {**data["entities"], **mine.pop("entities", {})}
        with_direct = {**data["with_direct"], **mine.pop("with_direct", {})}
        data.update(mine)
        data["entities"] = entities
        data["with_direct"] = with_direct
        data["extends"] = None
        return Policy.model_validate(data)


_KEEP = EntityAction(action="keep")
_REDACT = EntityAction(action="redact")
# Every credential in the catalogue is redacted: a tag would still say a secret was there, but a
# surrogate or pseudonym of a key is never useful training text.
_SECRETS = {e.name: _REDACT for e in ENTITIES.values() if e.kind is Kind.SECRET}

BUILTIN_POLICIES: dict[str, Policy] = {
    "stream": Policy(
        name="stream",
        description="Ingestion default: tag direct identifiers, redact secrets, keep plain dates, "
                    "times, cities, companies and plain URLs, except places next to a direct identifier.",
        min_score=0.5,
        entities={**_SECRETS, "DATE_TIME": _KEEP, "LOCATION": _KEEP, "ORGANIZATION": _KEEP,
                  "NRP": _KEEP, "URL": _KEEP, "CREDIT_CARD": EntityAction(action="mask", keep_last=4)},
        with_direct={"LOCATION": EntityAction(action="tag")},
    ),
    "release": Policy(
        name="release",
        description="Dataset publication: strict. Everything but plain dates and times is rewritten, "
                    "lower-confidence findings included.",
        min_score=0.3,
        entities={**_SECRETS, "DATE_TIME": _KEEP},
    ),
    "tag-all": Policy(name="tag-all", description="Tag every finding, whatever its entity.", min_score=0.0),
}


def resolve_policies(defined: dict[str, Policy]) -> dict[str, Policy]:
    """Built-ins plus user policies with ``extends`` chains flattened (cycles are errors)."""
    out = dict(BUILTIN_POLICIES)
    pending = dict(defined)
    while pending:
        progressed = False
        for name, pol in list(pending.items()):
            base_name = pol.extends
            if base_name is None or base_name in out:
                merged = pol.merged_over(out[base_name]) if base_name else pol
                out[name] = merged.model_copy(update={"name": name})
                del pending[name]
                progressed = True
        if not progressed:
            raise ValueError("policies extend unknown or cyclic bases: "
                             + ", ".join(f"{n} -> {p.extends}" for n, p in pending.items()))
    return out
