"""The input side: a consumer that hands out micro-batches and can rewind to a batch's start.

Settings the guarantees rest on (not overridable by ``kafka.consumer`` in topics.yaml):

* ``enable.auto.commit=false`` and ``enable.auto.offset.store=false``: offsets are committed only
  inside the output transaction (exactly-once) or after the outputs are flushed (at-least-once);
* ``isolation.level=read_committed``: never scrub records of an aborted upstream transaction.

Everything else (timeouts, fetch sizes) has a default that ``kafka.consumer`` may change.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)

PartitionsCallback = Callable[[list[TopicPartition]], None]
ErrorCallback = Callable[[KafkaError], None]

FIXED_SETTINGS: dict[str, str | int | bool] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "isolation.level": "read_committed",
}
DEFAULT_SETTINGS: dict[str, str | int | bool] = {
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 10_000,
    "heartbeat.interval.ms": 2_000,
    "max.poll.interval.ms": 300_000,
    "enable.partition.eof": False,
    "socket.keepalive.enable": True,
    # Brief outages should not reset the reconnect delay to minutes.
    "reconnect.backoff.max.ms": 5_000,
    # Pattern routes discover new matching topics on a metadata refresh: 30 s, not 5 min.
    "topic.metadata.refresh.interval.ms": 30_000,
}


class BatchConsumer:
    """A subscribed consumer that returns micro-batches (``max_messages`` or ``max_ms`` after the
    first message, whichever comes first), so detection runs batched while latency stays bounded."""

    def __init__(self, bootstrap_servers: str, group_id: str, subscription: str, *, client_id: str,
                 overrides: dict[str, str | int | bool] | None = None,
                 on_assign: PartitionsCallback | None = None, on_revoke: PartitionsCallback | None = None,
                 on_error: ErrorCallback | None = None) -> None:
        conf: dict[str, Any] = {**DEFAULT_SETTINGS, **(overrides or {}), **FIXED_SETTINGS,
                                "bootstrap.servers": bootstrap_servers, "group.id": group_id, "client.id": client_id,
                                # librdkafka's own log lines through Python logging, i.e. as JSON
                                "logger": logging.getLogger("librdkafka.consumer")}
        self.conf = conf
        self.subscription = subscription
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._on_error = on_error
        self._buffer: list[Message] = []
        self.consumer = Consumer(conf)
        self.assignment: list[TopicPartition] = []

    # --- group membership ------------------------------------------------------------------

    def subscribe(self) -> None:
        self.consumer.subscribe([self.subscription], on_assign=self._assigned, on_revoke=self._revoked,
                                on_lost=self._revoked)

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assignment = list(partitions)
        self._buffer.clear()
        log.info("partitions assigned", extra={"partitions": [f"{p.topic}/{p.partition}" for p in partitions]})
        if self._on_assign:
            self._on_assign(partitions)

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Messages already fetched from a revoked partition belong to its next owner, which will
        # re-read them from the committed offset: drop them here, never process them.
        gone = {(p.topic, p.partition) for p in partitions}
        self._buffer = [m for m in self._buffer if (m.topic(), m.partition()) not in gone]
        self.assignment = [p for p in self.assignment if (p.topic, p.partition) not in gone]
        log.info("partitions revoked", extra={"partitions": [f"{p.topic}/{p.partition}" for p in partitions]})
        if self._on_revoke:
            self._on_revoke(partitions)

    # --- batches ---------------------------------------------------------------------------

    def consume_batch(self, max_messages: int, max_ms: int, wait_s: float = 0.5,
                      should_stop: Callable[[], bool] | None = None) -> list[Message]:
        """Up to ``max_messages`` messages: waits up to ``wait_s`` for the first, then at most
        ``max_ms`` more for the rest. Error events go to ``on_error`` and are not returned."""
        self._buffer = []
        # librdkafka's consume(n, timeout) blocks until n messages *or* the timeout: so wait for the
        # first message alone (returns as soon as one arrives), then collect the rest until the
        # max_ms window closes. One call with n=max_messages would hold a trickle for the whole wait.
        first_wait_end = time.monotonic() + wait_s
        while not self._buffer:
            timeout = first_wait_end - time.monotonic()
            if timeout <= 0 or (should_stop is not None and should_stop()):
                return []
            self._take(self.consumer.consume(num_messages=1, timeout=min(timeout, 0.5)))
        deadline = time.monotonic() + max_ms / 1000.0
        while len(self._buffer) < max_messages:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or (should_stop is not None and should_stop()):
                break
            self._take(self.consumer.consume(num_messages=max_messages - len(self._buffer), timeout=timeout))
        batch, self._buffer = self._buffer, []
        return batch

    def _take(self, msgs: list[Message]) -> None:
        for m in msgs:
            err = m.error()
            if err is not None:
                if self._on_error:
                    self._on_error(err)
                continue
            self._buffer.append(m)

    # --- offsets ---------------------------------------------------------------------------

    @staticmethod
    def next_offsets(batch: list[Message]) -> list[TopicPartition]:
        """The offsets to commit after ``batch``: last offset + 1 per partition (what
        ``consumer.position()`` reports for those partitions once the batch is consumed)."""
        last: dict[tuple[str, int], int] = {}
        for m in batch:
            key = (m.topic(), m.partition())
            last[key] = max(last.get(key, -1), m.offset())
        return [TopicPartition(t, p, o + 1) for (t, p), o in sorted(last.items())]

    @staticmethod
    def start_offsets(batch: list[Message]) -> list[TopicPartition]:
        """The first offset per partition: where a failed batch is re-read from. Everything before
        it was committed, so this is the committed offset without a round trip to the broker."""
        first: dict[tuple[str, int], int] = {}
        for m in batch:
            key = (m.topic(), m.partition())
            if key not in first or m.offset() < first[key]:
                first[key] = m.offset()
        return [TopicPartition(t, p, o) for (t, p), o in sorted(first.items())]

    def rewind(self, offsets: list[TopicPartition]) -> None:
        """Seek back so the batch is consumed again; partitions no longer assigned are skipped
        (their new owner starts from the committed offset anyway)."""
        owned = {(p.topic, p.partition) for p in self.assignment}
        for tp in offsets:
            if (tp.topic, tp.partition) not in owned:
                continue
            try:
                self.consumer.seek(tp)
            except KafkaException as exc:
                # Not yet fetching (just assigned): fall back to the committed offset, which the
                # fetcher starts from anyway.
                log.warning("seek failed", extra={"topic": tp.topic, "partition": tp.partition, "offset": tp.offset,
                                                  "error": exc.args[0].name() if exc.args else "?"})

    def rewind_to_committed(self) -> None:
        """Seek every assigned partition to its committed offset (after the producer was recreated,
        when the failed batch's extent is no longer trustworthy)."""
        if not self.assignment:
            return
        try:
            committed = self.consumer.committed(self.assignment, timeout=10)
        except KafkaException:
            log.warning("could not read committed offsets; re-joining instead")
            self.consumer.unsubscribe()
            self.subscribe()
            return
        self.rewind([tp for tp in committed if tp.offset >= 0])

    def group_metadata(self) -> object:
        return self.consumer.consumer_group_metadata()

    def commit_sync(self, offsets: list[TopicPartition]) -> None:
        self.consumer.commit(offsets=offsets, asynchronous=False)

    def lags(self) -> list[tuple[str, int, int]]:
        """(topic, partition, lag) from the cached high watermark of the last fetch (no round trip)."""
        out = []
        if not self.assignment:
            return out
        try:
            positions = self.consumer.position(self.assignment)
        except KafkaException:
            return out
        for tp in positions:
            if tp.offset < 0:
                continue
            try:
                _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            except KafkaException:
                continue
            if high >= 0:
                out.append((tp.topic, tp.partition, high - tp.offset))
        return out

    def close(self) -> None:
        try:
            self.consumer.close()
        except (KafkaException, RuntimeError) as exc:
            log.warning("consumer close failed", extra={"exc": type(exc).__name__})
