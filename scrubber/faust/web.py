"""Observability of the Faust runner on Faust's own web server (``web_port``): ``/metrics`` in the
Prometheus text format with the same metric families as ``scrubber run`` (the objects of
:class:`scrubber.metrics.Metrics`, not a copy of their names), ``/healthz`` and ``/readyz`` with
the semantics of :mod:`scrubber.health`, and a timer that keeps ``scrubber_consumer_lag`` and
``scrubber_assigned_partitions`` current.
"""
from __future__ import annotations

import re
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scrubber.config import ResolvedRoute
from scrubber.health import HealthState
from scrubber.metrics import Metrics

LAG_INTERVAL_S = 5.0


def route_for_topic(routes: list[ResolvedRoute]):
    """topic -> route name, for explicit inputs and input patterns."""
    exact = {r.input: r.name for r in routes if r.input}
    patterns = [(re.compile(r.subscription), r.name) for r in routes if r.input_pattern]

    def lookup(topic: str) -> str | None:
        if topic in exact:
            return exact[topic]
        for rx, name in patterns:
            if rx.match(topic):
                return name
        return None
    return lookup


def install_web(app: faust.App, metrics: Metrics, state: HealthState, routes: list[ResolvedRoute]) -> None:
    lookup = route_for_topic(routes)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        ok = state.live
        return web.text("ok\n" if ok else "stale\n", status=200 if ok else 503)

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ok = state.ready
        return web.text("ready\n" if ok else "not ready\n", status=200 if ok else 503)

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
        for r in routes:
            metrics.forget_partitions(r.name)
        for tp in assigned:
            name = lookup(tp.topic)
            if name is not None:
                metrics.assigned.labels(name).inc()
        state.assigned = bool(assigned)
        state.producer_ready = True

    @app.timer(interval=1.0)
    async def heartbeat() -> None:
        state.beat()

    @app.timer(interval=LAG_INTERVAL_S)
    async def update_lag() -> None:
        consumer = app.consumer
        for tp in consumer.assignment():
            name = lookup(tp.topic)
            if name is None:
                continue
            try:
                high = consumer.highwater(tp)
            except Exception:   # not fetched yet
                continue
            if high is None:
                continue
            read = consumer._read_offset.get(tp)   # last offset handed to the stream (Faust internal)
            committed = consumer._committed_offset.get(tp)
            last = max(x for x in (read, committed, -1) if x is not None)
            metrics.set_lag(name, tp.topic, tp.partition, high - (last + 1))
