"""``scrubber topics check``: validate topics.yaml without touching Kafka."""
from __future__ import annotations

from pathlib import Path

import typer

from detectors.yamlconf import ConfigError
from scrubber.cli.app import fail, topics_app
from scrubber.config import CLIENT_ENV_PREFIXES, KafkaSettings, load_topics


def bootstrap_line(kafka: KafkaSettings) -> str:
    """The effective bootstrap servers and where they came from: with an environment override,
    the file alone no longer tells which cluster a command talks to."""
    return f"kafka.bootstrap_servers: {kafka.bootstrap_servers} (from {kafka.origin('bootstrap_servers')})"


def client_lines(kafka: KafkaSettings) -> list[str]:
    """Each librdkafka client's extra property names with their origin, never their values
    (they may be credentials)."""
    lines: list[str] = []
    for client in CLIENT_ENV_PREFIXES:
        props = sorted(getattr(kafka, client))
        if props:
            lines.append(f"kafka.{client}: " + ", ".join(f"{p} (from {kafka.origin(f'{client}.{p}')})" for p in props))
    return lines


def connection_line(kafka: KafkaSettings, props: list[str]) -> str | None:
    """The connection properties a client other than the consumer and producer gets (see
    ``KafkaSettings.connection``), each with where it came from, never a value."""
    if not props:
        return None
    return "kafka connection: " + ", ".join(f"{prop} (from {kafka.sources(prop)})" for prop in sorted(props))


@topics_app.command("check")
def check(config: Path = typer.Argument(Path("topics.yaml"), help="the routes file")) -> None:
    """Validate routes, policies and detector settings; errors name the file, line and key.
    Shows the effective Kafka settings after the SCRUBBER_KAFKA_* environment overrides."""
    try:
        cfg = load_topics(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    for line in [bootstrap_line(cfg.kafka), *client_lines(cfg.kafka)]:
        typer.echo(line)
    for route in cfg.resolved_routes():
        typer.echo(f"route {route.name}: {route.subscription} -> {route.output} "
                   f"(quarantine {route.quarantine}, {route.format}, policy {route.policy.name} "
                   f"{route.policy.fingerprint()}, {route.guarantee})")
    typer.echo(f"{config}: OK")
