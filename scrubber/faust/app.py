"""Build the faust-streaming App of the scrubber from a topics.yaml.

Differences from ``scrubber run`` that follow from Faust's model (documented, not accidental):

- One Faust app is one consumer group: the app id (``SCRUBBER_FAUST_APP_ID``, default
  ``scrubber-faust``) is the group of every route; a route's ``group`` is not used.
- The processing guarantee is per app, so all routes must ask for the same one.
- Faust talks to Kafka through aiokafka: the ``kafka.consumer`` / ``kafka.producer`` librdkafka
  settings of topics.yaml do not apply (a warning says so).
- Guarantee: see :data:`EXACTLY_ONCE_ALLOWED` and :func:`check_guarantee`.
"""
from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor

import faust

from detectors.registry import pack_version
from scrubber.config import TopicsFile, load_topics
from scrubber.engine import Engine
from scrubber.faust.agents import CommitGate, RouteAgent
from scrubber.faust.settings import FaustConfigError, FaustSettings, route_guarantees
from scrubber.faust.web import install_web
from scrubber.health import HealthState
from scrubber.keys import KeyRing
from scrubber.metrics import Metrics
from scrubber.pipeline import RoutePipeline

log = logging.getLogger(__name__)

#: Whether ``guarantee: exactly_once`` is accepted with the Faust runner (see check_guarantee).
EXACTLY_ONCE_ALLOWED = True

EXACTLY_ONCE_REFUSAL = ""


def check_guarantee(cfg: TopicsFile) -> str:
    """The app's processing guarantee, or FaustConfigError with what to change."""
    wanted = route_guarantees(cfg)
    kinds = set(wanted.values())
    if len(kinds) > 1:
        detail = ", ".join(f"{name}={g}" for name, g in sorted(wanted.items()))
        raise FaustConfigError("the Faust runner has one processing guarantee per app, but the routes ask for "
                               f"different ones ({detail}): set the same `guarantee` on every route, or run "
                               "the routes in separate Faust apps / with `scrubber run --runner confluent`")
    guarantee = kinds.pop() if kinds else "at_least_once"
    if guarantee == "exactly_once" and not EXACTLY_ONCE_ALLOWED:
        raise FaustConfigError(EXACTLY_ONCE_REFUSAL)
    return guarantee


def build_app(settings: FaustSettings | None = None, cfg: TopicsFile | None = None,
              engine: Engine | None = None) -> faust.App:
    settings = settings or FaustSettings.from_env()
    cfg = cfg or load_topics(settings.config_path)
    guarantee = check_guarantee(cfg)
    if cfg.kafka.consumer or cfg.kafka.producer:
        log.warning("kafka.consumer / kafka.producer are librdkafka settings: the Faust runner (aiokafka) ignores them")
    routes = cfg.resolved_routes()
    keys = KeyRing.from_env()
    engine = engine or Engine.build(cfg.detectors, keys=keys)
    pack = pack_version(cfg.detectors)

    options = dict(
        broker=[f"kafka://{s.strip()}" for s in cfg.kafka.bootstrap_servers.split(",") if s.strip()],
        key_serializer="raw",
        value_serializer="raw",
        processing_guarantee=guarantee,
        datadir=settings.datadir,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        consumer_auto_offset_reset="earliest",
        topic_replication_factor=1,
    )
    options.update(settings.extra)
    app = faust.App(settings.app_id, **options)
    metrics = Metrics()
    state = HealthState()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrubber-pipeline")
    gate = CommitGate() if guarantee == "exactly_once" else None
    app.scrubber_metrics = metrics   # for tests and embedding
    app.scrubber_routes = routes

    for route in routes:
        pipeline = RoutePipeline(route, engine, pack, keys.quarantine)
        if route.input_pattern:
            topic = app.topic(pattern=re.compile(route.subscription), key_serializer="raw", value_serializer="raw")
        else:
            topic = app.topic(route.input, key_serializer="raw", value_serializer="raw")
        runner = RouteAgent(app, pipeline, metrics, executor, gate, state)

        async def body(stream: faust.StreamT, _runner: RouteAgent = runner) -> None:
            await _runner(stream)

        app.agent(topic, name=f"scrubber.route.{route.name}")(body)

    install_web(app, metrics, state, routes)
    log.info("faust app built", extra={"app_id": settings.app_id, "routes": [r.name for r in routes],
                                        "guarantee": guarantee, "pack": pack})
    return app
