"""The release-check policy: what makes a dataset unsafe to publish.

Strict by default, because a published dataset cannot be recalled (the AOL release was mirrored
within days). Out of the box:

* any direct identifier (e-mail, phone, card, SSN, name, address, ...) fails the check;
* any secret or credential fails the check, and no policy can relax that (only a baseline entry
  accepts one specific, reviewed value);
* quasi-identifiers found in text (places, organizations, URLs) are reported, not fatal: alone
  they rarely identify; in combination they are what the two risk checks look for;
* plain dates and times are counted only;
* a query or value issued by fewer than ``k`` = 5 distinct users fails (the AOL lesson);
* a user whose own records combine a person name with a place or another quasi-identifier fails;
* a table whose quasi-identifier columns (zip, birth date, gender, ...) put any record in a class
  smaller than ``k`` fails.

A policy file overrides any of this (YAML, validated with file:line errors); see
``deploy/ci/README.md`` for an example.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detectors.entities import Kind, kind_of
from detectors.yamlconf import load_model


class EntityRule(BaseModel):
    """Limits for one entity (or one kind of entity). A limit is exceeded when the number of
    findings not accepted by the baseline is above ``max_count`` or the share of scanned records
    holding the entity is above ``max_rate``; ``None`` means no limit of that sort."""

    model_config = ConfigDict(extra="forbid")
    max_count: int | None = Field(0, ge=0, description="findings allowed (not baselined)")
    max_rate: float | None = Field(None, ge=0.0, le=1.0, description="share of records allowed to hold it")
    fatal: bool = Field(True, description="exceeding a limit fails the check (else: a warning)")


def _direct() -> EntityRule:
    return EntityRule(max_count=0, fatal=True)


def _report_only() -> EntityRule:
    return EntityRule(max_count=None, fatal=False)


class KindRules(BaseModel):
    """Defaults per kind of entity (see ``detectors.entities.Kind``). Secrets have no entry: they
    are always fatal."""

    model_config = ConfigDict(extra="forbid")
    direct: EntityRule = Field(default_factory=_direct)
    quasi: EntityRule = Field(default_factory=_report_only)
    context: EntityRule = Field(default_factory=_report_only)


DEFAULT_RARE_FIELDS = ["query", "q", "query_text", "search", "search_query", "search_term", "keywords"]
DEFAULT_QUASI_ENTITIES = ["LOCATION", "STREET_ADDRESS", "POSTAL_CODE", "DATE_OF_BIRTH", "ORGANIZATION", "NRP",
                          "PHONE_NUMBER", "EMAIL_ADDRESS"]
DEFAULT_QUASI_COLUMNS = ["zip", "zipcode", "zip_code", "postcode", "postal_code", "birth_date",
                         "birthdate", "date_of_birth", "dob", "birth_year", "gender", "sex", "age"]


class RareValues(BaseModel):
    """Values of the query fields issued by fewer than ``k`` distinct users (needs --user-field)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    k: int | None = Field(None, ge=2, description="default: the policy's k")
    fields: list[str] = Field(default_factory=lambda: list(DEFAULT_RARE_FIELDS),
                              description="field path patterns holding queries (--query-field adds)")
    max_count: int = Field(0, ge=0, description="rare values allowed (not baselined)")
    fatal: bool = True
    action: Literal["drop_record", "replace"] = Field(
        "drop_record", description="--write-release: drop the record, or replace the value with [SUPPRESSED]")


class UserCombos(BaseModel):
    """Users whose own records, taken together, name a person and a place or other quasi-identifier."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    name_entities: list[str] = Field(default_factory=lambda: ["PERSON"])
    quasi_entities: list[str] = Field(default_factory=lambda: list(DEFAULT_QUASI_ENTITIES))
    min_quasi: int = Field(1, ge=1, description="distinct quasi-identifier entities needed with a name")
    max_count: int = Field(0, ge=0, description="flagged users allowed (not baselined)")
    fatal: bool = True
    action: Literal["drop_user", "keep"] = Field(
        "drop_user", description="--write-release: drop every record of a flagged user, or keep them (scrubbed)")


class KAnonymity(BaseModel):
    """k-anonymity over the quasi-identifier columns of tabular data."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    k: int | None = Field(None, ge=2, description="default: the policy's k")
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_QUASI_COLUMNS),
                               description="top-level column names (case-insensitive) that are quasi-identifiers")
    max_records_below_k: int = Field(0, ge=0)
    fatal: bool = True
    action: Literal["suppress_values", "drop_records"] = Field(
        "suppress_values", description="--write-release: replace the quasi-identifiers of records in small classes with '*', or drop them")


class CheckPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "strict"
    description: str = "Built-in strict defaults for dataset publication."
    k: int = Field(5, ge=2, description="k for both the rare-value and the k-anonymity checks")
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="findings scoring lower are ignored")
    kinds: KindRules = Field(default_factory=KindRules)
    entities: dict[str, EntityRule] = Field(default_factory=dict, description="per-entity overrides")
    rare_values: RareValues = Field(default_factory=RareValues)
    user_combos: UserCombos = Field(default_factory=UserCombos)
    kanon: KAnonymity = Field(default_factory=KAnonymity)

    @model_validator(mode="after")
    def _secrets_stay_fatal(self) -> "CheckPolicy":
        bad = [e for e, r in self.entities.items()
               if kind_of(e) is Kind.SECRET and (not r.fatal or r.max_count != 0 or r.max_rate is not None)]
        if bad:
            raise ValueError(f"secrets are always fatal with max_count 0 (accept reviewed values with a "
                             f"baseline instead): {', '.join(sorted(bad))}")
        return self

    def rule_for(self, entity: str) -> EntityRule | None:
        """The limits for ``entity``; secrets always get the fatal zero rule."""
        kind = kind_of(entity)
        if kind is Kind.SECRET:
            return EntityRule(max_count=0, fatal=True)
        if entity in self.entities:
            return self.entities[entity]
        return getattr(self.kinds, kind.value)

    @property
    def rare_k(self) -> int:
        return self.rare_values.k or self.k

    @property
    def kanon_k(self) -> int:
        return self.kanon.k or self.k


def _check(policy: CheckPolicy) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    for name in policy.entities:
        if not name.replace("_", "").isalnum() or not name.isupper():
            problems.append((("entities", name), "entity names are UPPER_SNAKE_CASE"))
    return problems


def load_check_policy(path: Path) -> CheckPolicy:
    """Read a policy file; raises ``detectors.yamlconf.ConfigError`` with file:line messages."""
    return load_model(path, CheckPolicy, _check)
