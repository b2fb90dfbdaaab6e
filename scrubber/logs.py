"""JSON logs for the service: one object per line, so log pipelines can index fields without
parsing prose.

Privacy rule: a log record carries counts, topics, partitions, offsets, reasons and exception
*types*; never payloads, keys or values. Exception messages and tracebacks' local values can hold
user data (a ``KeyError`` repr, a ``UnicodeDecodeError`` slice), so the formatter only writes the
exception type and the stack frames' file/line/function, never ``str(exc)``.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from typing import Any

# Attributes every LogRecord has; anything else was passed via ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime", "taskName"}
_SCALARS = (str, int, float, bool, type(None))


def _safe(value: Any) -> Any:
    """Fields are meant to be scalars or small lists/dicts of scalars (counts by reason...)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_safe(v) for v in value]
    return type(value).__name__


class JsonFormatter(logging.Formatter):
    """``{"ts": ..., "level": ..., "logger": ..., "msg": ..., <extra fields>}`` per line."""

    def __init__(self, static: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.static = dict(static or {})

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **self.static,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                body[key] = _safe(value)
        if record.exc_info and record.exc_info[0] is not None:
            etype, _, tb = record.exc_info
            body["exc_type"] = f"{etype.__module__}.{etype.__qualname__}"
            body["stack"] = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
                             for f in traceback.extract_tb(tb)][-8:]
        return json.dumps(body, separators=(",", ":"), default=lambda o: type(o).__name__)


def setup_logging(level: str | int | None = None, static: dict[str, Any] | None = None) -> None:
    """Root logger to stderr in JSON. Level from the argument, else ``SCRUBBER_LOG_LEVEL``, else INFO.
    Idempotent: a second call replaces the handler (worker processes call it after spawn)."""
    level = level or os.environ.get("SCRUBBER_LOG_LEVEL", "INFO")
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_scrubber_json", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(static))
    handler._scrubber_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())
