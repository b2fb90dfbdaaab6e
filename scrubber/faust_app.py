"""Entry point of the Faust runner.

    faust -A scrubber.faust_app worker -l info       # app from $SCRUBBER_CONFIG (default ./topics.yaml)
    scrubber run --runner faust --config topics.yaml

``app`` is built lazily on first access (PEP 562 module ``__getattr__``), so importing this module
for :func:`run_worker` does not load a second config. See :mod:`scrubber.faust` for the design and
:mod:`scrubber.faust.settings` for the environment variables.
"""
from __future__ import annotations

from typing import Any

from scrubber.faust.app import build_app
from scrubber.faust.settings import FaustConfigError, FaustSettings

__all__ = ["app", "build_app", "run_worker", "FaustConfigError"]

_app = None


def __getattr__(name: str) -> Any:
    global _app
    if name == "app":
        if _app is None:
            _app = build_app(FaustSettings.from_env())
        return _app
    raise AttributeError(name)


def run_worker(config_path: str, *, web_port: int | None = None, loglevel: str = "info",
               app_id: str | None = None, datadir: str | None = None) -> None:
    """Run a Faust worker for the routes of ``config_path`` until stopped (SIGINT/SIGTERM).
    Raises FaustConfigError (before connecting) when the config asks for something this runner
    cannot do, e.g. mixed guarantees."""
    global _app
    settings = FaustSettings.from_env(config_path=str(config_path), web_port=web_port, app_id=app_id,
                                      datadir=datadir)
    _app = build_app(settings)
    from faust.worker import Worker
    Worker(_app, loglevel=loglevel).execute_from_commandline()


if __name__ == "__main__":   # python -m scrubber.faust_app [config]
    import sys
    run_worker(sys.argv[1] if len(sys.argv) > 1 else FaustSettings.from_env().config_path)
