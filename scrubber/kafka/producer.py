"""The output side: one producer per consumer instance, transactional for exactly-once.

Exactly-once (``guarantee: exactly_once``): each batch is one transaction holding its outputs,
its quarantine envelopes and the input offsets (``send_offsets_to_transaction`` with the
consumer's group metadata, KIP-447, so a zombie of a previous generation is fenced by the group
coordinator). Readers with ``read_committed`` see a batch entirely or not at all.

At-least-once (``guarantee: at_least_once``): an idempotent producer; the batch is flushed and every
delivery confirmed before the consumer commits its offsets, so a crash can duplicate, never lose.

The ``transactional.id`` is stable per (prefix, route, instance): a restarted worker re-using it
fences its dead predecessor and aborts its open transaction at ``init_transactions`` immediately,
instead of leaving the partitions blocked until ``transaction.timeout.ms``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer, TopicPartition

from scrubber.pipeline import OutMessage

log = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, str | int | bool] = {
    "acks": "all",
    "linger.ms": 5,
    "compression.type": "lz4",
    "transaction.timeout.ms": 60_000,
    "message.timeout.ms": 55_000,     # must not exceed transaction.timeout.ms
    "reconnect.backoff.max.ms": 5_000,
    "socket.keepalive.enable": True,
}
FIXED_SETTINGS: dict[str, str | int | bool] = {"enable.idempotence": True}
SIZE_CODES = frozenset({KafkaError.MSG_SIZE_TOO_LARGE})
TOPIC_METADATA_TTL_S = 60.0
TXN_CALL_TIMEOUT_S = 10.0
WEDGE_GRACE_S = 10.0


class ProducerWedged(Exception):
    """A transactional call did not return long after its own timeout. librdkafka has known
    cases where ``send_offsets_to_transaction`` blocks forever after the coordinator's broker
    restarted (confluentinc/librdkafka#5456, #5511); the only way out is a new producer, whose
    ``init_transactions`` fences this one and aborts its transaction."""


class MessageTooLarge(Exception):
    """The client refused a record as larger than ``message.max.bytes``: caught before anything
    reached the broker, so the caller can substitute a smaller record in the same transaction."""


def call_with_deadline(name: str, fn: Callable[..., Any], *args: Any, deadline_s: float) -> Any:
    """Run a blocking librdkafka call (it releases the GIL) in a helper thread and give up on it
    after ``deadline_s``: raises ``ProducerWedged`` then, and the thread is abandoned with the
    producer it is stuck in. Exceptions of the call propagate unchanged."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name=f"txn-{name}", daemon=True)
    t.start()
    t.join(deadline_s)
    if t.is_alive():
        raise ProducerWedged(name)
    if "error" in box:
        raise box["error"]
    return box.get("result")


class DeliveryFailed(Exception):
    """At-least-once: a record was not acknowledged; the batch must be re-read."""

    def __init__(self, error: KafkaError) -> None:
        super().__init__(error.name())
        self.error = error


class OutputProducer:
    def __init__(self, bootstrap_servers: str, *, client_id: str, transactional_id: str | None,
                 overrides: dict[str, str | int | bool] | None = None,
                 keepalive: Callable[[], bool] | None = None) -> None:
        """``keepalive`` is called while a transactional call is being retried: it may beat a
        liveness heartbeat, and returning True (stop requested) ends the retrying."""
        conf: dict[str, Any] = {**DEFAULT_SETTINGS, **(overrides or {}), **FIXED_SETTINGS,
                                "bootstrap.servers": bootstrap_servers, "client.id": client_id,
                                "logger": logging.getLogger("librdkafka.producer")}
        if transactional_id is not None:
            conf["transactional.id"] = transactional_id
        self.conf = conf
        self.transactional = transactional_id is not None
        self.transactional_id = transactional_id
        self.producer = Producer(conf)
        self.keepalive = keepalive or (lambda: False)
        self.in_transaction = False
        self.initialised = False
        self._delivery_errors: list[KafkaError] = []
        self._partitions: dict[str, tuple[float, int | None]] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def _txn(self, name: str, *args: Any, timeout: float) -> Any:
        return call_with_deadline(name, getattr(self.producer, name), *args, timeout,
                                  deadline_s=timeout + WEDGE_GRACE_S)

    def init(self, timeout: float = 30.0) -> None:
        """``init_transactions``: registers the transactional.id, fences older producers with it,
        and aborts whatever transaction they left open. Raises KafkaException on failure."""
        if self.transactional:
            self._txn("init_transactions", timeout=timeout)
        self.initialised = True

    def begin(self) -> None:
        self._delivery_errors = []
        if self.transactional:
            self.producer.begin_transaction()
            self.in_transaction = True

    def produce(self, out: OutMessage, partition: int | None) -> None:
        """Queue one record. A full local queue is waited out (poll serves delivery reports); a
        record over the size limit raises ``MessageTooLarge``."""
        kwargs: dict = {"key": out.key, "value": out.value, "headers": out.headers}
        if out.timestamp:
            kwargs["timestamp"] = out.timestamp
        if partition is not None:
            kwargs["partition"] = partition
        if not self.transactional:
            kwargs["on_delivery"] = self._delivered
        while True:
            try:
                self.producer.produce(out.topic, **kwargs)
                return
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.code() in SIZE_CODES:
                    raise MessageTooLarge(err.name()) from None
                raise

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(err)

    def commit(self, offsets: list[TopicPartition], group_metadata: object | None,
               timeout: float = TXN_CALL_TIMEOUT_S) -> None:
        """Exactly-once: offsets into the transaction, then commit (which flushes). At-least-once:
        flush and check every delivery; the caller then commits the consumer's offsets."""
        if self.transactional:
            if offsets:
                self._txn("send_offsets_to_transaction", offsets, group_metadata, timeout=timeout)
            self.retry_commit(timeout)
            return
        remaining = self.producer.flush(timeout)
        if remaining:
            raise DeliveryFailed(KafkaError(KafkaError._MSG_TIMED_OUT, "flush timed out"))
        if self._delivery_errors:
            raise DeliveryFailed(self._delivery_errors[0])

    def retry_commit(self, timeout: float = TXN_CALL_TIMEOUT_S) -> None:
        """``commit_transaction``, retried while librdkafka says the error is retriable (e.g. a
        timeout during a broker outage: the outcome is unknown until a retry returns)."""
        delay = 0.5
        while True:
            try:
                self._txn("commit_transaction", timeout=timeout)
                self.in_transaction = False
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if not (isinstance(err, KafkaError) and err.retriable()) or err.txn_requires_abort() or err.fatal():
                    raise
                if self.keepalive():
                    raise
                log.warning("transaction commit not confirmed yet, retrying", extra={"error": err.name()})
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def abort(self, timeout: float = TXN_CALL_TIMEOUT_S) -> None:
        """Abort the open transaction (retried while retriable). Raises on fatal errors, which the
        caller answers by recreating the producer."""
        if not self.transactional:
            self.producer.purge(in_queue=True, in_flight=False)
            self.producer.flush(0)
            self.in_transaction = False
            return
        delay = 0.5
        while True:
            try:
                self._txn("abort_transaction", timeout=timeout)
                self.in_transaction = False
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.code() == KafkaError._STATE:
                    self.in_transaction = False  # nothing to abort
                    return
                if not (isinstance(err, KafkaError) and err.retriable()) or err.fatal() or self.keepalive():
                    raise
                log.warning("transaction abort not confirmed yet, retrying", extra={"error": err.name()})
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def close(self, timeout: float = 10.0) -> None:
        """Flush what is left. An open transaction is not committed here: the caller decides."""
        try:
            self.producer.flush(timeout)
        except (KafkaException, RuntimeError) as exc:
            log.warning("producer flush on close failed", extra={"exc": type(exc).__name__})

    # --- partitioning ----------------------------------------------------------------------

    def partitions_of(self, topic: str, timeout: float = 10.0) -> int | None:
        """Partition count of ``topic`` (cached for a minute; partitions can be added live)."""
        now = time.monotonic()
        cached = self._partitions.get(topic)
        if cached is not None and now - cached[0] < TOPIC_METADATA_TTL_S:
            return cached[1]
        count: int | None = None
        try:
            md = self.producer.list_topics(topic, timeout=timeout)
            t = md.topics.get(topic)
            if t is not None and t.error is None and t.partitions:
                count = len(t.partitions)
        except KafkaException:
            count = cached[1] if cached else None
        self._partitions[topic] = (now, count)
        return count
