"""Command-line interface: ``scrubber <command>``. Every module of this package registers its
commands on the shared app (scrubber/cli/app.py), so adding a command is adding a module."""
from __future__ import annotations

import importlib
import pkgutil

from scrubber.cli.app import app

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in ("app", "__main__")):
    importlib.import_module(f"{__name__}.{_mod}")


def main() -> None:
    app()
