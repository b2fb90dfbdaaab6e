"""Helpers shared by the release-check tests (fixtures are in conftest.py)."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scrubber.cli import app

TEST_KEY = "ab" * 32


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_check(config: Path, *args: str) -> tuple[int, str]:
    """The CLI in-process: (exit code, combined output)."""
    result = CliRunner().invoke(app, ["check", "--config", str(config), "--no-progress", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output
