"""One Faust agent per route: a micro-batch of events -> RoutePipeline -> produce -> ack.

Everything between source and sink is :class:`scrubber.pipeline.RoutePipeline`, so outputs,
headers, quarantine envelopes and reason codes are byte-for-byte those of ``scrubber run``.

Delivery (at-least-once): a batch's events are acked (made committable) only after every output
and quarantine record of the batch has been acknowledged by the broker, and its offsets are
committed right after, so a kill -9 can only replay the batch in flight (duplicates), never lose
one. A pipeline or produce error crashes the
worker: the restart resumes from the committed offsets (fail-closed; nothing is skipped). Faust's
``take_events`` would ack a batch whose processing raised or was cancelled (its ``finally``);
:func:`withhold_acks` prevents that.

Exactly-once (see :mod:`scrubber.faust.app`): records are sent with the
transactional producer of their *source* partition (Faust's own ``TransactionManager.send`` picks
the producer from the *output* partition, which with an output topic that is not co-partitioned
with the input puts the record in another partition's transaction), and a batch's sends and acks
happen under a gate that Faust's periodic transaction commit also takes, so a commit never
contains half a batch's outputs without their offsets.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from scrubber.metrics import Metrics
from scrubber.pipeline import InMessage, OutMessage, RoutePipeline

log = logging.getLogger(__name__)


class BatchFailed(RuntimeError):
    """A batch could not be processed or produced; carries the route and exception type only."""


def to_in_message(event: Any) -> InMessage:
    """The pipeline's view of a Faust event: raw key/value bytes (value_serializer='raw'),
    headers as (str, bytes) pairs, timestamp in milliseconds like the confluent runner."""
    m = event.message
    headers = m.headers or []
    if isinstance(headers, Mapping):
        headers = list(headers.items())
    hdrs = [(k if isinstance(k, str) else k.decode("utf-8", "replace"), v if v is not None else b"")
            for k, v in headers]
    ts = int(round(m.timestamp * 1000)) if m.timestamp else None
    return InMessage(topic=m.topic, partition=m.partition, offset=m.offset, key=m.key, value=m.value,
                     headers=hdrs, timestamp=ts)


def withhold_acks(events: list) -> None:
    """Keep a failed batch's offsets out of every future commit.

    Faust's ``Stream.take_events`` acks the batch in a ``finally`` when the agent body raises (the
    generator is closed), which would commit a batch that was never produced: loss, even with
    at-least-once. Marking the *messages* acked without the consumer's bookkeeping makes that
    ``finally`` a no-op (``Message.ack`` returns early), so the offsets never reach the consumer's
    acked set and the restart re-reads the batch. Faust internals, checked by
    tests/faust::test_pipeline_failure_crashes_the_worker_without_skipping_or_logging_payload."""
    for event in events:
        event.message.acked = True


class CommitGate:
    """Exactly-once only: serialises "send a batch + ack it" with Faust's transaction commit."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.installed = False

    def install(self, app: faust.App) -> None:
        if self.installed:
            return
        transactions = app.consumer.transactions
        original = transactions.commit
        gate = self

        async def gated_commit(offsets, start_new_transaction: bool = True):
            async with gate.lock:
                return await original(offsets, start_new_transaction=start_new_transaction)

        transactions.commit = gated_commit
        self.installed = True


class RouteAgent:
    """The body of one route's agent. ``executor`` runs the (CPU-bound, possibly NER) pipeline off
    the event loop so heartbeats and the web server keep turning; it has one thread, shared by all
    routes, because the detector stack is not meant to be used from two threads at once."""

    def __init__(self, app: faust.App, pipeline: RoutePipeline, metrics: Metrics, executor: ThreadPoolExecutor,
                 gate: CommitGate | None, state: Any = None) -> None:
        self.app = app
        self.pipeline = pipeline
        self.route = pipeline.route
        self.metrics = metrics
        self.executor = executor
        self.gate = gate
        self.state = state

    async def __call__(self, stream: faust.StreamT) -> None:
        batch = self.route.batch
        if self.gate is not None:
            self.gate.install(self.app)
        async for events in stream.take_events(batch.max_messages, within=batch.max_ms / 1000.0):
            failure: BatchFailed | None = None
            try:
                await self.handle(stream, events)
            except asyncio.CancelledError:
                withhold_acks(events)   # stopped mid-batch: re-read it after the restart (never skip it)
                raise
            except Exception as exc:
                kind = type(exc).__name__
                log.error("batch failed: crashing the worker so it resumes from committed offsets",
                          extra={"route": self.route.name, "exc_kind": kind})
                self.metrics.errors.labels(self.route.name, kind).inc()
                failure = BatchFailed(f"route {self.route.name}: {kind}")
                withhold_acks(events)
            if failure is not None:
                # Outside the except block: Faust logs the crash with the exception being handled,
                # and the original's message (a KeyError's key, a decode slice) could hold payload.
                await self.app.crash(failure)
                raise failure

    async def handle(self, stream: faust.StreamT, events: list) -> None:
        started = time.perf_counter()
        messages = [to_in_message(e) for e in events]
        loop = asyncio.get_running_loop()
        outputs, stats = await loop.run_in_executor(self.executor, self.pipeline.process, messages)
        if self.gate is None:
            await self._send(outputs)
            for event in events:
                await stream.ack(event)
            await self._commit()
        else:
            async with self.gate.lock:
                await self._send(outputs, transactional=True)
                for event in events:   # ack inside the gate: outputs and their offsets commit together
                    await stream.ack(event)
        self.metrics.committed(self.route.name, stats)
        self.metrics.batch_seconds.labels(self.route.name).observe(time.perf_counter() - started)
        if self.state is not None:
            self.state.beat()

    async def _commit(self) -> None:
        """At-least-once: commit after every batch, so a kill -9 replays at most the batch in
        flight (Faust alone commits every ``broker_commit_interval``, 2.8 s of work). ``commit``
        returns False when it only waited for a commit already running, which may have missed
        this batch's acks: then once more."""
        consumer = self.app.consumer
        if not await consumer.commit():
            await consumer.commit()

    async def _send(self, outputs: list[OutMessage], transactional: bool = False) -> None:
        producer = self.app.producer
        group_for = self.app.assignor.group_for_topic
        futures = []
        for out in outputs:
            tid = None
            if transactional:
                src = out.source
                tid = f"{self.app.conf.id}-{group_for(src.topic)}-{src.partition}"
            ts = out.timestamp / 1000.0 if out.timestamp else None
            futures.append(await producer.send(out.topic, out.key, out.value, None, ts, out.headers,
                                               transactional_id=tid))
        if futures:
            await asyncio.gather(*futures)
