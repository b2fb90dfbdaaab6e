"""topics.yaml: the service's routes, policies and detector settings, validated at start-up.

``scrubber topics check`` runs the same validation; every problem is reported with the file, the
line and the key, e.g. ``topics.yaml:31: routes[1].policy: unknown policy 'strcit' (known: ...)``.
Secrets never live here: keys come from the environment or mounted files (see scrubber.keys).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detectors.settings import DetectorSettings
from detectors.yamlconf import load_model, parse_model
from scrubber.decode import DecodeLimits, Format
from scrubber.fields import FieldSpec
from scrubber.policy import Policy, resolve_policies

Guarantee = Literal["exactly_once", "at_least_once"]


class BatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_messages: int = Field(500, ge=1, description="a micro-batch closes at this many messages...")
    max_ms: int = Field(100, ge=1, description="...or this long after its first message")


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_servers: str = "127.0.0.1:19092"
    consumer: dict[str, str | int | bool] = Field(default_factory=dict, description="extra librdkafka consumer settings")
    producer: dict[str, str | int | bool] = Field(default_factory=dict, description="extra librdkafka producer settings")
    transactional_id_prefix: str = "scrubber"


class RouteDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Format = "json"
    policy: str = "stream"
    quarantine: str = "scrubber.quarantine"
    guarantee: Guarantee = "exactly_once"
    batch: BatchSettings = Field(default_factory=BatchSettings)
    limits: DecodeLimits = Field(default_factory=DecodeLimits)
    headers_allow: list[str] = Field(default_factory=list, description="input headers copied to the output")


class Route(BaseModel):
    """One input (topic or regex pattern) scrubbed into one output topic."""

    model_config = ConfigDict(extra="forbid")
    name: str
    input: str | None = Field(None, description="input topic")
    input_pattern: str | None = Field(None, description="regex of input topics, e.g. '^raw\\\\..*'")
    output: str
    quarantine: str | None = None
    group: str | None = Field(None, description="consumer group (default: scrubber-<name>)")
    format: Format | None = None
    policy: str | None = None
    fields: FieldSpec = Field(default_factory=FieldSpec)
    guarantee: Guarantee | None = None
    batch: BatchSettings | None = None
    limits: DecodeLimits | None = None
    headers_allow: list[str] | None = None

    @model_validator(mode="after")
    def _one_input(self) -> "Route":
        if (self.input is None) == (self.input_pattern is None):
            raise ValueError("give exactly one of 'input' or 'input_pattern'")
        return self


class ResolvedRoute(BaseModel):
    """A route with every default filled in: what the runners actually use."""

    name: str
    input: str | None
    input_pattern: str | None
    output: str
    quarantine: str
    group: str
    format: Format
    policy: Policy
    fields: FieldSpec
    guarantee: Guarantee
    batch: BatchSettings
    limits: DecodeLimits
    headers_allow: list[str]

    @property
    def subscription(self) -> str:
        return f"^{self.input_pattern.lstrip('^')}" if self.input_pattern else str(self.input)


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    defaults: RouteDefaults = Field(default_factory=RouteDefaults)
    detectors: DetectorSettings = Field(default_factory=DetectorSettings)
    policies: dict[str, Policy] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)

    def all_policies(self) -> dict[str, Policy]:
        return resolve_policies(self.policies)

    def resolved_routes(self) -> list[ResolvedRoute]:
        policies = self.all_policies()
        d = self.defaults
        return [ResolvedRoute(
            name=r.name, input=r.input, input_pattern=r.input_pattern, output=r.output,
            quarantine=r.quarantine or d.quarantine, group=r.group or f"scrubber-{r.name}",
            format=r.format or d.format, policy=policies[r.policy or d.policy], fields=r.fields,
            guarantee=r.guarantee or d.guarantee, batch=r.batch or d.batch, limits=r.limits or d.limits,
            headers_allow=d.headers_allow if r.headers_allow is None else r.headers_allow,
        ) for r in self.routes]


def _cross_checks(cfg: TopicsFile, require_routes: bool = True) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    try:
        known = cfg.all_policies()
    except ValueError as exc:
        return [(("policies",), str(exc))]
    if cfg.defaults.policy not in known:
        problems.append((("defaults", "policy"), f"unknown policy {cfg.defaults.policy!r} (known: {', '.join(sorted(known))})"))
    seen: dict[str, int] = {}
    inputs = {r.input for r in cfg.routes if r.input}
    for i, r in enumerate(cfg.routes):
        if r.name in seen:
            problems.append((("routes", i, "name"), f"duplicate route name {r.name!r} (also routes[{seen[r.name]}])"))
        seen.setdefault(r.name, i)
        if r.policy is not None and r.policy not in known:
            problems.append((("routes", i, "policy"), f"unknown policy {r.policy!r} (known: {', '.join(sorted(known))})"))
        if r.output in inputs:
            problems.append((("routes", i, "output"), f"output topic {r.output!r} is also an input: scrubbed data would be re-read"))
        quarantine = r.quarantine or cfg.defaults.quarantine
        if quarantine == r.output or quarantine in inputs:
            problems.append((("routes", i, "quarantine"), f"quarantine topic {quarantine!r} must differ from inputs and outputs"))
    if require_routes and not cfg.routes:
        problems.append((("routes",), "at least one route is needed"))
    return problems


def load_topics(path: str | Path) -> TopicsFile:
    return load_model(Path(path), TopicsFile, _cross_checks)


def parse_topics(text: str, name: str = "topics.yaml") -> TopicsFile:
    return parse_model(text, TopicsFile, name, _cross_checks)


def load_settings(path: str | Path) -> TopicsFile:
    """The same file format for the CLI tools, which use its detectors and policies sections
    and need no routes."""
    return load_model(Path(path), TopicsFile, lambda cfg: _cross_checks(cfg, require_routes=False))
