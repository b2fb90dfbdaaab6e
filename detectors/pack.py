"""Declarative pattern packs: detector rules as data, like gitleaks' rule file.

A pack is a YAML file with a ``rules`` list. Each rule says what to find (``pattern``), what must
be in the text before the pattern is even tried (``keywords``, a cheap prefilter, ``min_digits``
and ``shape``), how to confirm it (``validator``), which nearby words raise or lower confidence
(``context``, ``negative_context``), and the score. Users add their own ids with a pack of their
own; no code is needed unless a new checksum is. Each rule carries its own true and false
examples (``examples``), which the test-suite runs for every pack, the user's included.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from detectors.finding import TIER_MODEL, TIER_PATTERN, TIER_VALIDATED
from detectors.yamlconf import load_model

BUILTIN_PACK_DIR = Path(__file__).parent / "packs"

TIERS = {"model": TIER_MODEL, "pattern": TIER_PATTERN, "validated": TIER_VALIDATED}


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[str] = Field(default_factory=list, description="texts in which the rule must fire")
    no_match: list[str] = Field(default_factory=list, description="texts in which it must not")


class Rule(BaseModel):
    """One pattern rule. See the README's 'Adding a custom id' for a worked example."""

    model_config = ConfigDict(extra="forbid")

    id: str
    entity: str
    pattern: str
    keywords: list[str] = Field(default_factory=list,
                                description="any one must occur (case-insensitive) or the rule is skipped")
    min_digits: int = Field(0, ge=0, description="the text must hold at least this many digits")
    shape: str | None = Field(None, description=(
        "a Python ``re`` regex that must match the shape of an ASCII text (each ASCII letter written "
        "as 'a', each digit as '0', each whitespace character as a space) or the rule is skipped; "
        "it must match wherever the pattern does"))
    ignore_case: bool = False
    group: str | None = Field(None, description="named group whose span is the finding (default: whole match)")
    validator: str | None = None
    score: float = Field(0.5, ge=0.0, le=1.0)
    context: list[str] = Field(default_factory=list, description="nearby words that raise the score")
    context_score: float | None = Field(None, ge=0.0, le=1.0, description="score when context is present")
    negative_context: list[str] = Field(default_factory=list, description="nearby words that lower the score")
    negative_score: float = Field(0.0, ge=0.0, le=1.0)
    requires_context: bool = Field(False, description="report only when a context word is near")
    context_window: int = Field(48, ge=0, description="characters each side searched for context words")
    tier: Literal["model", "pattern", "validated"] = "pattern"
    examples: Examples = Field(default_factory=Examples)

    @field_validator("entity")
    @classmethod
    def _upper(cls, v: str) -> str:
        if not v.isupper() or not v.replace("_", "").isalnum():
            raise ValueError("entity names are UPPER_SNAKE_CASE, e.g. TRACKING_NUMBER")
        return v


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str
    version: str = "1"
    description: str = ""
    rules: list[Rule]


def load_pack(path: str | Path) -> Pack:
    """Parse and validate a pack file; errors name the file, line and key (see scrubber.config)."""
    return load_model(Path(path), Pack)


def builtin_pack_paths() -> list[Path]:
    return sorted(BUILTIN_PACK_DIR.glob("*.yaml"))
