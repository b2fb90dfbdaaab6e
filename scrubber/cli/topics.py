"""``scrubber topics check``: validate topics.yaml without touching Kafka."""
from __future__ import annotations

from pathlib import Path

import typer

from detectors.yamlconf import ConfigError
from scrubber.cli.app import fail, topics_app
from scrubber.config import load_topics


@topics_app.command("check")
def check(config: Path = typer.Argument(Path("topics.yaml"), help="the routes file")) -> None:
    """Validate routes, policies and detector settings; errors name the file, line and key."""
    try:
        cfg = load_topics(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    for route in cfg.resolved_routes():
        typer.echo(f"route {route.name}: {route.subscription} -> {route.output} "
                   f"(quarantine {route.quarantine}, {route.format}, policy {route.policy.name} "
                   f"{route.policy.fingerprint()}, {route.guarantee})")
    typer.echo(f"{config}: OK")
