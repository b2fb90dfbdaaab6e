"""The shared Typer application and the options every command uses to build an engine.

Commands live in one module each (scrubber/cli/<command>.py) and register on ``app``; this
module holds only what they share."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from detectors.settings import DetectorSettings
from detectors.yamlconf import ConfigError
from scrubber.config import TopicsFile, load_settings
from scrubber.keys import KeyConfigError, KeyRing

# Locals in tracebacks could hold raw values: never show them.
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                  help="PII scrubbing: detect, scrub, audit and check text, files and Kafka streams.")
topics_app = typer.Typer(no_args_is_help=True, help="Validate and prepare topics.yaml routes.")
app.add_typer(topics_app, name="topics")

ConfigOption = typer.Option(None, "--config", "-c", help="topics.yaml-style file: detectors and policies sections")
NerOption = typer.Option(None, "--ner", help="NER mode: all | gated | off (default: from config, else gated)")

EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a user error (no traceback) and return the exit to raise."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def load_config(path: Optional[Path]) -> TopicsFile:
    if path is None:
        return TopicsFile()
    try:
        return load_settings(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def detector_settings(cfg: TopicsFile, ner: Optional[str]) -> DetectorSettings:
    settings = cfg.detectors
    if ner is not None:
        if ner not in ("all", "gated", "off"):
            raise fail(f"--ner must be all, gated or off, not {ner!r}")
        settings = settings.model_copy(update={"ner": settings.ner.model_copy(update={"mode": ner})})
    return settings


def key_ring() -> KeyRing:
    try:
        return KeyRing.from_env()
    except KeyConfigError as exc:
        raise fail(str(exc)) from None


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
