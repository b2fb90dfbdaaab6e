"""Build the faust-streaming App of the scrubber from a topics.yaml.

Differences from ``scrubber run`` that follow from Faust's model (documented, not accidental):

- One Faust app is one consumer group: the app id (``SCRUBBER_FAUST_APP_ID``, default
  ``scrubber-faust``) is the group of every route; a route's ``group`` is not used.
- The processing guarantee is per app, so all routes must ask for the same one.
- Faust talks to Kafka through aiokafka: the connection properties (SASL, TLS) of
  ``kafka.consumer`` / ``kafka.producer`` and their ``SCRUBBER_KAFKA_*`` overrides become Faust's
  ``broker_credentials`` (:mod:`scrubber.faust.connection`; what cannot be translated stops the
  start); their librdkafka tuning settings do not apply (a warning names them).
- Guarantee: see :func:`check_guarantee` and "Exactly-once" below.

Exactly-once (``guarantee: exactly_once``) is refused
----------------------------------------------------
aiokafka implements only InitProducerId v0, so this was tested rather than assumed. Against the
project's Kafka 3.9.1 broker, aiokafka 0.14 transactions work, and with the two fixes below the
Faust runner passed kill -9 tests (three to five kills mid-stream, exact counts for read_committed
readers) in most runs, but not all: in one clean CI-style run, one batch of 200 records reached
read_committed readers twice. A guarantee that holds most of the time is not one, so
``check_guarantee`` refuses ``exactly_once`` with a message pointing to the confluent runner.
Setting ``SCRUBBER_FAUST_EXPERIMENTAL_EXACTLY_ONCE=1`` lifts the refusal for evaluation only
(``tests/faust/eos_probe.py`` uses it). Kafka 4.0 drops client protocol versions older than its
2.1 baseline (KIP-896), which may break aiokafka's InitProducerId v0 altogether.

Two things Faust does not do on its own, done here for the experimental mode (scrubber.faust.agents):

1. Faust's ``TransactionManager.send`` picks the transactional producer from the *output*
   topic's partition; our outputs are not co-partitioned with the inputs, so a record would land in
   another input partition's transaction (or fail with "No transaction producer found"). We send
   through the producer of the record's *source* partition (``{app_id}-{group}-{partition}``).
2. Faust commits the transactions on a timer (``broker_commit_interval``, 2.8 s), independently of
   the agents. A commit between "half a batch sent" and "batch acked" would commit outputs without
   their offsets (duplicates after a crash). A gate makes "send batch + ack batch" and the
   transaction commit mutually exclusive.

Limits: one transactional producer per input partition (Faust's design; fine for tens of
partitions, heavy for thousands); ``scrubber_transactions_aborted_total`` stays 0 because Faust
aborts implicitly (a restarted worker fences the dead one's open transaction); output is
committed every ``broker_commit_interval`` rather than per batch, so read_committed consumers see
it up to ~3 s later than with the confluent runner.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import faust

from detectors.registry import pack_version
from scrubber.config import TopicsFile, load_topics
from scrubber.engine import Engine
from scrubber.faust.agents import CommitGate, RouteAgent
from scrubber.faust.connection import broker_credentials, ignored_file_settings
from scrubber.faust.patterns import REFRESH_S, PatternWatcher, WatchedTopic
from scrubber.faust.settings import FaustConfigError, FaustSettings, route_guarantees
from scrubber.faust.web import install_web
from scrubber.health import HealthState
from scrubber.kafka.admin import admin_config
from scrubber.keys import KeyConfigError, KeyRing
from scrubber.metrics import Metrics
from scrubber.pipeline import RoutePipeline

log = logging.getLogger(__name__)

#: Opt-in for evaluating exactly-once with Faust; the runner refuses it otherwise (see module doc).
EXPERIMENTAL_EOS_ENV = "SCRUBBER_FAUST_EXPERIMENTAL_EXACTLY_ONCE"


def check_guarantee(cfg: TopicsFile, env: dict[str, str] | None = None) -> str:
    """The app's processing guarantee, or FaustConfigError with what to change."""
    wanted = route_guarantees(cfg)
    kinds = set(wanted.values())
    if len(kinds) > 1:
        detail = ", ".join(f"{name}={g}" for name, g in sorted(wanted.items()))
        raise FaustConfigError("the Faust runner has one processing guarantee per app, but the routes ask for "
                               f"different ones ({detail}): set the same `guarantee` on every route, or run "
                               "the routes in separate Faust apps / with `scrubber run --runner confluent`")
    guarantee = kinds.pop() if kinds else "at_least_once"
    if guarantee == "exactly_once" and (os.environ if env is None else env).get(EXPERIMENTAL_EOS_ENV) != "1":
        raise FaustConfigError(
            "guarantee exactly_once is refused by the Faust runner: in repeated kill -9 tests against Kafka "
            "3.9.1, aiokafka/Faust transactions let one batch through twice to read_committed consumers, so "
            "exactly-once cannot be promised. Use `scrubber run` (the confluent runner) for exactly-once, or "
            "`guarantee: at_least_once` with Faust.")
    return guarantee


def build_app(settings: FaustSettings | None = None, cfg: TopicsFile | None = None,
              engine: Engine | None = None) -> faust.App:
    settings = settings or FaustSettings.from_env()
    cfg = cfg or load_topics(settings.config_path)
    guarantee = check_guarantee(cfg)
    credentials = broker_credentials(cfg.kafka)
    ignored = ignored_file_settings(cfg.kafka)
    if ignored:
        log.warning("librdkafka tuning settings do not apply to the Faust runner (aiokafka): ignored",
                    extra={"settings": ignored})
    routes = cfg.resolved_routes()
    try:
        keys = KeyRing.from_env()
    except KeyConfigError as exc:   # the message names the variable, never key material
        raise FaustConfigError(str(exc)) from None
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
        broker_credentials=credentials,
    )
    options.update(settings.extra)
    app = faust.App(settings.app_id, **options)
    metrics = Metrics()
    state = HealthState()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrubber-pipeline")
    gate = CommitGate() if guarantee == "exactly_once" else None
    app.scrubber_metrics = metrics   # for tests and embedding
    app.scrubber_routes = routes

    watcher = PatternWatcher(app, admin_config(cfg.kafka),
                             float(os.environ.get("SCRUBBER_FAUST_PATTERN_REFRESH_S", REFRESH_S)))
    exclude = {t for r in routes for t in (r.output, r.quarantine)}
    for route in routes:
        pipeline = RoutePipeline(route, engine, pack, keys.quarantine)
        if route.input_pattern:
            # Faust's aiokafka driver cannot subscribe by regex: see scrubber.faust.patterns.
            names = watcher.initial(route.subscription, exclude)
            topic = WatchedTopic(app, topics=names, key_serializer="raw", value_serializer="raw")
            watcher.watch(route.name, route.subscription, topic, exclude)
            log.info("pattern route resolved", extra={"route": route.name, "topics": names})
        else:
            topic = app.topic(route.input, key_serializer="raw", value_serializer="raw")
        runner = RouteAgent(app, pipeline, metrics, executor, gate, state)

        async def body(stream: faust.StreamT, _runner: RouteAgent = runner) -> None:
            await _runner(stream)

        app.agent(topic, name=f"scrubber.route.{route.name}")(body)

    watcher.install()
    install_web(app, metrics, state, routes)
    log.info("faust app built", extra={"app_id": settings.app_id, "routes": [r.name for r in routes],
                                        "guarantee": guarantee, "pack": pack})
    return app
