"""Runner settings that topics.yaml does not carry (Faust app id, data dir, web port) and the
processing guarantee, which Faust sets per app rather than per route.

Environment (all optional):

- ``SCRUBBER_CONFIG``: the topics.yaml path (default ``./topics.yaml``)
- ``SCRUBBER_FAUST_APP_ID``: Faust app id, which is also the consumer group (default ``scrubber-faust``)
- ``SCRUBBER_FAUST_DATADIR``: Faust data directory (default ``./.faust-data``)
- ``SCRUBBER_FAUST_WEB_PORT`` / ``SCRUBBER_FAUST_WEB_HOST``: Faust web server serving ``/metrics``,
  ``/healthz`` and ``/readyz`` (default 6066 on 0.0.0.0)
- ``SCRUBBER_FAUST_PATTERN_REFRESH_S``: how often ``input_pattern`` routes look for new matching
  topics (default 30; see scrubber.faust.patterns)
- ``SCRUBBER_FAUST_OPTIONS``: a JSON object of extra ``faust.App`` settings, e.g.
  ``{"broker_session_timeout": 10, "stream_buffer_maxsize": 8192}``
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from scrubber.config import TopicsFile


class FaustConfigError(ValueError):
    """The config asks for something the Faust runner cannot do; the message says what to change."""


@dataclass
class FaustSettings:
    config_path: str = "topics.yaml"
    app_id: str = "scrubber-faust"
    datadir: str = ".faust-data"
    web_port: int = 6066
    web_host: str = "0.0.0.0"
    extra: dict = field(default_factory=dict)   # passed to faust.App(...) as is (tests, tuning)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "FaustSettings":
        env = os.environ if env is None else env
        values = dict(
            config_path=env.get("SCRUBBER_CONFIG", "topics.yaml"),
            app_id=env.get("SCRUBBER_FAUST_APP_ID", "scrubber-faust"),
            datadir=env.get("SCRUBBER_FAUST_DATADIR", ".faust-data"),
            web_port=int(env.get("SCRUBBER_FAUST_WEB_PORT", "6066")),
            web_host=env.get("SCRUBBER_FAUST_WEB_HOST", "0.0.0.0"),
            extra=json.loads(env.get("SCRUBBER_FAUST_OPTIONS") or "{}"),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def route_guarantees(cfg: TopicsFile) -> dict[str, str]:
    """The guarantee each route asks for *explicitly* (on the route or in ``defaults``); a config
    that never mentions one gets the Faust runner's default, at-least-once."""
    default = cfg.defaults.guarantee if "guarantee" in cfg.defaults.model_fields_set else "at_least_once"
    return {r.name: r.guarantee or default for r in cfg.routes}
