"""topics.yaml: the service's routes, policies and detector settings, validated at start-up.

``scrubber topics check`` runs the same validation; every problem is reported with the file, the
line and the key, e.g. ``topics.yaml:31: routes[1].policy: unknown policy 'strcit' (known: ...)``.
Secrets never live here: keys come from the environment or mounted files (see scrubber.keys).

One file serves every environment, so what differs per deployment comes from the environment,
applied after the file is validated (``load_topics``/``parse_topics``; ``load_settings`` is for
the offline tools, which never talk to Kafka, and ignores it):

* ``SCRUBBER_KAFKA_BOOTSTRAP_SERVERS`` replaces ``kafka.bootstrap_servers`` (empty is an error,
  not "use the file's value": an unset variable means that);
* ``SCRUBBER_KAFKA_CONSUMER_<PROPERTY>`` / ``SCRUBBER_KAFKA_PRODUCER_<PROPERTY>`` set one
  librdkafka property of ``kafka.consumer`` / ``kafka.producer`` (``SASL_PASSWORD`` is
  ``sasl.password``: upper case, dots as underscores), and ``..._<PROPERTY>_FILE`` reads it from a
  file (a mounted Secret), so SASL/TLS credentials need not be in the file.

``KafkaSettings.origin`` tells where each effective Kafka setting came from, never its value.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from detectors.settings import DetectorSettings
from detectors.yamlconf import ConfigError, load_model, parse_model
from scrubber.decode import DecodeLimits, Format
from scrubber.fields import FieldSpec
from scrubber.policy import Policy, resolve_policies

Guarantee = Literal["exactly_once", "at_least_once"]

BOOTSTRAP_ENV = "SCRUBBER_KAFKA_BOOTSTRAP_SERVERS"
CLIENT_ENV_PREFIXES = {"consumer": "SCRUBBER_KAFKA_CONSUMER_", "producer": "SCRUBBER_KAFKA_PRODUCER_"}
FILE_SUFFIX = "_FILE"


class BatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_messages: int = Field(500, ge=1, description="a micro-batch closes at this many messages...")
    max_ms: int = Field(100, ge=1, description="...or this long after its first message")


def _bootstrap_problem(value: str) -> str | None:
    """Why a bootstrap list is unusable, or None. librdkafka accepts an empty list and then waits
    for a broker forever; a start-up error is easier to act on."""
    return None if value.strip() else "empty: give host:port[,host:port...]"


def is_connection_property(name: str) -> bool:
    """Whether a librdkafka property says how to reach and authenticate to the cluster
    (``security.protocol``, ``sasl.*``, ``ssl.*``, ``enable.ssl.certificate.verification``, the
    OIDC token endpoint's ``https.*``) rather than how one client behaves. Every client of the
    cluster needs these, including the ones topics.yaml has no section for (the admin client of
    ``topics create``, the Faust runner's), so they are taken from the consumer/producer sections."""
    return name.startswith(("security.", "https.")) or "ssl" in name or "sasl" in name


def _as_text(value: str | int | bool) -> str:
    """A property value as librdkafka reads it, so ``true`` in the file equals "true" from the
    environment."""
    return str(value).lower() if isinstance(value, bool) else str(value)


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_servers: str = Field("127.0.0.1:19092", description=f"overridden by {BOOTSTRAP_ENV}")
    consumer: dict[str, str | int | bool] = Field(default_factory=dict, description="extra librdkafka consumer settings")
    producer: dict[str, str | int | bool] = Field(default_factory=dict, description="extra librdkafka producer settings")
    transactional_id_prefix: str = "scrubber"
    # setting ("bootstrap_servers", "consumer.sasl.password") -> the file or variable it came from
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("bootstrap_servers")
    @classmethod
    def _usable_bootstrap(cls, value: str) -> str:
        problem = _bootstrap_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def origin(self, setting: str) -> str:
        """Where the effective value of ``setting`` (``bootstrap_servers``, ``consumer.<property>``,
        ``producer.<property>``) came from: an environment variable, the config file, or
        ``default``. With overrides in play, operators need this to know which broker a service
        really uses; it names sources only, so it is safe to print for credentials."""
        return self._origins.get(setting, "default")

    def sources(self, prop: str) -> str:
        """Where each client section's value of ``prop`` came from ("A and B" when both set it),
        for messages about a merged connection property (see ``connection``)."""
        return " and ".join(self.origin(f"{c}.{prop}") for c in CLIENT_ENV_PREFIXES if prop in getattr(self, c))

    def connection(self) -> dict[str, str | int | bool]:
        """The connection properties (:func:`is_connection_property`) of ``consumer`` and
        ``producer`` merged: what a client that is neither needs to reach the same cluster as the
        service. Raises ValueError naming the property and both sources, never the values, when
        the two sections disagree: which identity to use is then the operator's call."""
        merged: dict[str, str | int | bool] = {}
        first: dict[str, str] = {}
        for client in CLIENT_ENV_PREFIXES:
            for prop, value in getattr(self, client).items():
                if not is_connection_property(prop):
                    continue
                if prop in merged and _as_text(merged[prop]) != _as_text(value):
                    raise ValueError(
                        f"kafka.{first[prop]}.{prop} (from {self.origin(f'{first[prop]}.{prop}')}) and "
                        f"kafka.{client}.{prop} (from {self.origin(f'{client}.{prop}')}) differ: this client "
                        "needs one value; set both to the same")
                merged.setdefault(prop, value)
                first.setdefault(prop, client)
        return merged


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


def _env_value(var: str, raw: str, from_file: bool) -> str:
    """The value of ``var``, read from the file it names for ``..._FILE``. Trailing line breaks
    go (``echo pw > file`` and Secrets made from such files end in one); an empty value is an
    error, since a credential that is silently blank fails much later and less clearly."""
    if from_file and raw:
        try:
            raw = Path(raw).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{var}: cannot read {raw}: {type(exc).__name__}") from None
    value = raw.rstrip("\r\n")
    if not value:
        raise ValueError(f"{var}: empty" + (" file" if from_file and raw else ""))
    return value


def _client_env(prefix: str, env: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """(variable, librdkafka property, value) for every ``<prefix><PROPERTY>[_FILE]`` in ``env``.
    Raises ValueError (naming the variable, never the value) for an unusable one."""
    seen: dict[str, str] = {}
    for var in sorted(v for v in env if v.startswith(prefix)):
        from_file = var.endswith(FILE_SUFFIX)
        stem = var[len(prefix):len(var) - len(FILE_SUFFIX) if from_file else None]
        if not stem:
            raise ValueError(f"{var}: no librdkafka property after {prefix}")
        prop = stem.lower().replace("_", ".")
        if prop in seen:
            raise ValueError(f"{var} and {seen[prop]} both set {prop}: keep one")
        seen[prop] = var
        yield var, prop, _env_value(var, env[var], from_file)


def _overrides(kafka: KafkaSettings, env: Mapping[str, str]) -> tuple[dict[str, object], dict[str, str], list[str]]:
    """The field updates for ``kafka`` from ``env``, the origins they imply, and the problems."""
    update: dict[str, object] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []
    servers = env.get(BOOTSTRAP_ENV)
    if servers is not None:
        problem = _bootstrap_problem(servers)
        if problem:
            problems.append(f"{BOOTSTRAP_ENV}: {problem}, or unset it to use kafka.bootstrap_servers")
        else:
            update["bootstrap_servers"] = servers.strip()
            origins["bootstrap_servers"] = BOOTSTRAP_ENV
    for client, prefix in CLIENT_ENV_PREFIXES.items():
        settings = dict(getattr(kafka, client))
        try:
            for var, prop, value in _client_env(prefix, env):
                settings[prop] = value
                origins[f"{client}.{prop}"] = var
        except ValueError as exc:
            problems.append(str(exc))
        update[client] = settings
    return update, origins, problems


def apply_env(cfg: TopicsFile, name: str, env: Mapping[str, str] | None = None) -> TopicsFile:
    """``cfg`` (validated, loaded from ``name``) with the Kafka environment overrides applied (see
    the module docstring) and every Kafka setting's origin recorded. Raises ConfigError naming
    the variable for an unusable override: a half-applied environment must not start."""
    env = os.environ if env is None else env
    kafka = cfg.kafka
    update, env_origins, problems = _overrides(kafka, env)
    if problems:
        raise ConfigError(name, [f"{name}: {p}" for p in problems])
    origins = {"bootstrap_servers": name if "bootstrap_servers" in kafka.model_fields_set else "default"}
    origins.update({f"{client}.{prop}": name for client in CLIENT_ENV_PREFIXES for prop in getattr(kafka, client)})
    effective = kafka.model_copy(update=update)
    effective._origins = {**origins, **env_origins}
    return cfg.model_copy(update={"kafka": effective})


def load_topics(path: str | Path, env: Mapping[str, str] | None = None) -> TopicsFile:
    """The service's config: ``path`` validated, then the environment (``os.environ`` unless
    ``env`` is given) applied. Every runner and ``scrubber topics`` load through here, so worker
    processes and the Faust app see the same overrides as the CLI."""
    return apply_env(load_model(Path(path), TopicsFile, _cross_checks), str(path), env)


def parse_topics(text: str, name: str = "topics.yaml", env: Mapping[str, str] | None = None) -> TopicsFile:
    """``load_topics`` for a config held in memory."""
    return apply_env(parse_model(text, TopicsFile, name, _cross_checks), name, env)


def load_settings(path: str | Path) -> TopicsFile:
    """The same file format for the CLI tools, which use its detectors and policies sections
    and need no routes. They never connect to Kafka, so the Kafka environment is not applied:
    a broker override meant for the service must not break an offline audit."""
    return load_model(Path(path), TopicsFile, lambda cfg: _cross_checks(cfg, require_routes=False))
