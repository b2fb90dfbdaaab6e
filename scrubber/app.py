"""The always-on service: ``ScrubberApp(config, route).run()`` consumes a route's input, scrubs it
in micro-batches with the runner-agnostic ``RoutePipeline`` and produces outputs and quarantine
envelopes, exactly once.

One batch is one transaction::

    consume batch -> pipeline.process -> begin -> produce outputs + quarantine envelopes
                  -> send_offsets_to_transaction(next offsets, group metadata) -> commit

Failure handling (policies in scrubber.error_callbacks):

* the pipeline raises -> the whole batch is quarantined with reason ``processing_error``
  (encrypted payloads), so a bug never crash-loops the service and nothing leaks raw;
* producing or committing fails -> abort, seek back to the batch start, back off, re-read: the
  output never holds a partial batch and the input is never skipped; a fatal producer error (e.g.
  fenced) -> a new producer and a rewind to the broker's committed offsets;
* a batch that fails again and again for a non-transient reason (not a broker outage) is diverted
  to quarantine with reason ``produce_error`` so one bad record cannot stall a partition forever;
* a record too large for the producer is replaced, in the same transaction, by a quarantine
  envelope whose payload is withheld.

A rebalance can only happen inside ``consume`` (never while a transaction is open), and buffered
messages of revoked partitions are dropped unprocessed; ``on_revoke`` still aborts defensively.
SIGTERM/SIGINT finish the current batch, commit it, close the consumer (leaving the group cleanly)
and return exit code 0.
"""
from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import os
import signal
import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, KafkaError, KafkaException, Message, TopicPartition

from detectors.registry import pack_version
from scrubber.config import ResolvedRoute, TopicsFile
from scrubber.engine import Engine
from scrubber.error_callbacks import (PROCESSING_ERROR, Action, Backoff, ErrorCallbacks, is_transient,
                                      kafka_error_of)
from scrubber.health import HealthServer, HealthState
from scrubber.kafka.consumer import BatchConsumer
from scrubber.kafka.producer import MessageTooLarge, OutputProducer, ProducerWedged
from scrubber.keys import Key, KeyRing
from scrubber.metrics import Metrics
from scrubber.pipeline import H_REASON, BatchStats, InMessage, OutMessage, RoutePipeline
from scrubber.quarantine import envelope

log = logging.getLogger("scrubber.app")

PRODUCE_ERROR = "produce_error"
OUTPUT_TOO_LARGE = "output_too_large"
MAX_NON_TRANSIENT_FAILURES = 5
LAG_INTERVAL_S = 2.0
PROGRESS_INTERVAL_S = 30.0


class BatchProcessor(Protocol):
    """What the app needs from a pipeline (RoutePipeline, or a pass-through in the benchmark)."""

    static_headers: list[tuple[str, bytes]]

    def process(self, batch: list[InMessage]) -> tuple[list[OutMessage], BatchStats]: ...


@dataclass
class RunOptions:
    """Knobs of one worker. ``max_messages`` / ``idle_exit_seconds`` make a bounded run (tests,
    demos, backfills); the service leaves them unset."""

    max_messages: int | None = None
    idle_exit_seconds: float | None = None
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"
    instance_id: str | None = None
    worker_index: int = 0
    install_signal_handlers: bool = True


class InstanceSlot:
    """Claims ``<host>-<n>`` for this worker, the lowest ``n >= start`` not held by another live
    process on this host (an flock, released by the kernel even on ``kill -9``).

    The transactional.id must be stable across restarts (so a restarted worker fences its dead
    predecessor at once) and unique among live workers (two live producers with one id fence each
    other forever). A restart after a crash re-claims the same slot; a second ``scrubber run`` on the
    same host gets the next one."""

    def __init__(self, prefix: str, route: str, start: int = 0, host: str | None = None) -> None:
        host = host or socket.gethostname()
        self._fd: int | None = None
        for n in range(start, start + 1024):
            ident = f"{host}-{n}"
            digest = hashlib.sha256(f"{prefix}\x00{route}\x00{ident}".encode()).hexdigest()[:20]
            path = os.path.join(tempfile.gettempdir(), f"scrubber-slot-{digest}.lock")
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self._fd = fd
            self.instance_id = ident
            return
        raise RuntimeError("no free instance slot")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def resolve_route(config: TopicsFile, name: str | None) -> ResolvedRoute:
    routes = config.resolved_routes()
    if name is None:
        if len(routes) != 1:
            raise ValueError(f"the config has {len(routes)} routes: name one ({', '.join(r.name for r in routes)})")
        return routes[0]
    for r in routes:
        if r.name == name:
            return r
    raise ValueError(f"unknown route {name!r} (known: {', '.join(r.name for r in routes)})")


def to_in_message(m: Message) -> InMessage:
    ts_type, ts = m.timestamp()
    return InMessage(topic=m.topic(), partition=m.partition(), offset=m.offset(), key=m.key(), value=m.value(),
                     headers=list(m.headers() or ()), timestamp=None if ts_type == TIMESTAMP_NOT_AVAILABLE else ts)


def quarantine_message(route: ResolvedRoute, static_headers: list[tuple[str, bytes]], msg: InMessage, reason: str,
                       detail: str, key: Key | None, withhold: str | None = None) -> OutMessage:
    """A quarantine envelope built by the runner (the pipeline builds the per-message ones):
    for a batch that failed as a whole, or, with ``withhold``, for a record whose sealed envelope
    would be too large to produce (the payload is then withheld and only its size recorded)."""
    source = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset, "timestamp": msg.timestamp,
              "route": route.name}
    if withhold is None:
        body = envelope(reason, detail, source, msg.value, key)
    else:
        data = json.loads(envelope(reason, detail, source, None, None))
        data["payload"] = f"withheld: {withhold}"
        data["payload_bytes"] = len(msg.value) if msg.value is not None else 0
        body = json.dumps(data, separators=(",", ":")).encode()
    return OutMessage(route.quarantine, msg.key, body, static_headers + [(H_REASON, reason.encode())],
                      msg.timestamp, msg, "quarantine", reason)


class ScrubberApp:
    """One route, one consumer, one producer: the unit that ``--workers`` replicates."""

    def __init__(self, config: TopicsFile, route: str | None = None, options: RunOptions | None = None, *,
                 engine: Engine | None = None, keys: KeyRing | None = None,
                 processor: BatchProcessor | None = None, callbacks: ErrorCallbacks | None = None,
                 metrics: Metrics | None = None) -> None:
        self.config = config
        self.route = resolve_route(config, route)
        self.options = options or RunOptions()
        self.keys = keys if keys is not None else KeyRing.from_env()
        self.callbacks = callbacks or ErrorCallbacks()
        self.metrics = metrics or Metrics()
        self.health = HealthState()
        self._engine = engine
        self._processor = processor
        self.processor: BatchProcessor | None = None
        self.consumer: BatchConsumer | None = None
        self.producer: OutputProducer | None = None
        self.exactly_once = self.route.guarantee == "exactly_once"
        self._stop = threading.Event()
        self._slot: InstanceSlot | None = None
        self.instance_id = self.options.instance_id or ""
        self._backoff = Backoff()
        self._failures: tuple[tuple, int, bool] = ((), 0, True)   # (batch start, count, all transient)
        self._quarantine_start: tuple | None = None
        self.totals: Counter = Counter()
        self._last_lag = 0.0
        self._last_progress = time.monotonic()
        self._assigned_at = time.monotonic()
        self.metrics_port: int | None = None     # the bound port once the health server runs

    # --- context for logs ------------------------------------------------------------------

    def _ctx(self, **fields: Any) -> dict[str, Any]:
        return {"route": self.route.name, "instance": self.instance_id, **fields}

    # --- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to finish the current batch and exit (signal handlers call this)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _install_signals(self) -> None:
        if not self.options.install_signal_handlers or threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: object) -> None:
            log.info("signal received: finishing the current batch", extra=self._ctx(signal=signum))
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _build_processor(self) -> BatchProcessor:
        if self._processor is not None:
            return self._processor
        for purpose in self.route.policy.key_purposes():
            self.keys.require(purpose)   # fail at start-up, not on the first PII value
        started = time.monotonic()
        # build_stack loads and warms the detectors and freezes them out of the cyclic GC, so the
        # first real batch is not charged for model loading (it would be quarantined otherwise).
        engine = self._engine or Engine.build(self.config.detectors, keys=self.keys)
        pipeline = RoutePipeline(self.route, engine, pack_version(self.config.detectors), self.keys.quarantine)
        log.info("engine ready", extra=self._ctx(startup_seconds=round(time.monotonic() - started, 3),
                                                 frozen_objects=gc.get_freeze_count()))
        return pipeline

    def run(self) -> int:
        """Run until stopped (signal, ``max_messages``, idle timeout). Returns the exit code:
        0 after a clean stop, 1 after a fatal consumer error."""
        self._install_signals()
        if not self.instance_id:
            self._slot = InstanceSlot(self.config.kafka.transactional_id_prefix, self.route.name,
                                      self.options.worker_index)
            self.instance_id = self._slot.instance_id
        server: HealthServer | None = None
        if self.options.metrics_port is not None:
            server = HealthServer(self.metrics.registry, self.health, self.options.metrics_port,
                                  self.options.metrics_host).start()
            self.metrics_port = server.port
        code = 0
        try:
            self.processor = self._build_processor()
            kafka = self.config.kafka
            log.info("starting", extra=self._ctx(subscription=self.route.subscription, output=self.route.output,
                                                 quarantine=self.route.quarantine, guarantee=self.route.guarantee,
                                                 group=self.route.group, bootstrap_servers=kafka.bootstrap_servers,
                                                 bootstrap_servers_from=kafka.origin("bootstrap_servers")))
            self.producer = self._new_producer()
            if self.producer is None:       # stopped while the broker was unreachable
                return 0
            self.consumer = BatchConsumer(
                self.config.kafka.bootstrap_servers, self.route.group, self.route.subscription,
                client_id=f"scrubber-{self.route.name}-{self.instance_id}", overrides=self.config.kafka.consumer,
                on_assign=self._on_assign, on_revoke=self._on_revoke, on_error=self._on_consumer_error)
            self.consumer.subscribe()
            self._loop()
        except _FatalConsumerError:
            code = 1
        finally:
            self._shutdown()
            if server is not None:
                server.stop()
            if self._slot is not None:
                self._slot.release()
        log.info("stopped", extra=self._ctx(exit_code=code, **{k: v for k, v in self.totals.items()}))
        return code

    def _loop(self) -> None:
        assert self.consumer is not None
        batch_cfg = self.route.batch
        processed = 0
        last_message = time.monotonic()
        while not self.stopping:
            self.health.beat()
            if self.producer is None:
                self.producer = self._new_producer()
                if self.producer is None:
                    break
                self.consumer.rewind_to_committed()
            limit = batch_cfg.max_messages
            if self.options.max_messages is not None:
                limit = min(limit, self.options.max_messages - processed)
            msgs = self.consumer.consume_batch(limit, batch_cfg.max_ms, wait_s=0.5,
                                               should_stop=lambda: self.stopping)
            now = time.monotonic()
            if msgs:
                last_message = now
                if self._handle_batch(msgs):
                    processed += len(msgs)
            elif self._idle_expired(now, last_message):
                log.info("idle: exiting", extra=self._ctx(idle_seconds=self.options.idle_exit_seconds))
                break
            self._periodic(now)
            if self.options.max_messages is not None and processed >= self.options.max_messages:
                log.info("max messages reached: exiting", extra=self._ctx(processed=processed))
                break

    def _idle_expired(self, now: float, last_message: float) -> bool:
        """Idle time counts only while partitions are assigned (a restarted worker may wait a whole
        session timeout for the group to rebalance: that is not "the input is drained"). A worker
        that never gets a partition (more workers than partitions, a pattern matching nothing yet)
        gives up 20 s later than an assigned one."""
        idle = self.options.idle_exit_seconds
        if idle is None:
            return False
        if not self.health.assigned:
            return now - max(last_message, self._assigned_at) >= idle + 20.0
        return now - max(last_message, self._assigned_at) >= idle

    def _shutdown(self) -> None:
        if self.producer is not None and self.producer.in_transaction:
            self._abort_quietly()
        if self.consumer is not None:
            self.consumer.close()
        if self.producer is not None:
            self.producer.close()
        self.health.assigned = False
        self.health.producer_ready = False

    # --- producer management ---------------------------------------------------------------

    def _new_producer(self) -> OutputProducer | None:
        """A new producer, initialised (``init_transactions`` fences any predecessor with the same
        transactional.id). Retries with backoff while the broker is unreachable."""
        self.health.producer_ready = False
        txid = (f"{self.config.kafka.transactional_id_prefix}-{self.route.name}-{self.instance_id}"
                if self.exactly_once else None)
        backoff = Backoff()
        while not self.stopping:
            self.health.beat()
            producer = OutputProducer(self.config.kafka.bootstrap_servers,
                                      client_id=f"scrubber-{self.route.name}-{self.instance_id}",
                                      transactional_id=txid, overrides=self.config.kafka.producer,
                                      keepalive=self._keepalive)
            try:
                producer.init(timeout=30.0)
            except (KafkaException, ProducerWedged) as exc:
                err = kafka_error_of(exc)
                self.metrics.errors.labels(self.route.name, "producer_init").inc()
                log.warning("producer init failed, backing off",
                            extra=self._ctx(error=err.name() if err else type(exc).__name__,
                                            attempt=backoff.failures + 1))
                producer.close(0)
                backoff.sleep(lambda: self.stopping)
                continue
            self.health.producer_ready = True
            log.info("producer ready", extra=self._ctx(transactional_id=txid))
            return producer
        return None

    def _keepalive(self) -> bool:
        """For the producer's retry loops: still alive (liveness), and should we give up?"""
        self.health.beat()
        return self.stopping

    def _abort_quietly(self) -> None:
        """Abort, and if even that fails, drop the producer (recreated by the loop; the broker
        aborts the orphan transaction when the new producer fences the id)."""
        assert self.producer is not None
        try:
            self.producer.abort()
        except (KafkaException, ProducerWedged) as exc:
            err = kafka_error_of(exc)
            log.warning("abort failed: recreating the producer", extra=self._ctx(error=err.name() if err else "?"))
            self.producer = None
            self.health.producer_ready = False

    # --- rebalance and consumer errors -----------------------------------------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        self._assigned_at = time.monotonic()
        self._failures = ((), 0, True)
        self._quarantine_start = None
        self.metrics.assigned.labels(self.route.name).set(len(self.consumer.assignment) if self.consumer else 0)
        self.health.assigned = bool(partitions)

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        if self.producer is not None and self.producer.in_transaction:
            log.warning("revoked with a transaction open: aborting", extra=self._ctx())
            self._abort_quietly()
            self.metrics.aborted.labels(self.route.name).inc()
        self.metrics.forget_partitions(self.route.name)
        remaining = len(self.consumer.assignment) if self.consumer else 0
        self.metrics.assigned.labels(self.route.name).set(remaining)
        self.health.assigned = remaining > 0

    def _on_consumer_error(self, err: KafkaError) -> None:
        action = self.callbacks.consumer(err)
        if action is Action.IGNORE:
            return
        self.metrics.errors.labels(self.route.name, "consumer").inc()
        if action is Action.RAISE:
            log.error("fatal consumer error", extra=self._ctx(error=err.name(), code=err.code()))
            raise _FatalConsumerError(err.name())
        log.warning("consumer error", extra=self._ctx(error=err.name(), code=err.code()))

    # --- one batch -------------------------------------------------------------------------

    def _handle_batch(self, msgs: list[Message]) -> bool:
        """Process and commit one batch; False if it was aborted and rewound (it will be re-read)."""
        assert self.consumer is not None and self.producer is not None and self.processor is not None
        started = time.monotonic()
        in_msgs = [to_in_message(m) for m in msgs]
        start = tuple((tp.topic, tp.partition, tp.offset) for tp in BatchConsumer.start_offsets(msgs))
        if self._quarantine_start is not None and self._quarantine_start == start:
            outs, stats = self._quarantine_all(in_msgs, PRODUCE_ERROR, "batch failed to produce repeatedly")
        else:
            try:
                outs, stats = self.processor.process(in_msgs)
            except Exception as exc:  # noqa: BLE001 - any bug must fail closed, not crash-loop
                if self.callbacks.processing(exc) is not Action.QUARANTINE:
                    raise
                self.metrics.errors.labels(self.route.name, "processing").inc()
                log.error("batch processing failed: quarantining the batch", exc_info=True,
                          extra=self._ctx(messages=len(in_msgs), exc=type(exc).__name__))
                outs, stats = self._quarantine_all(in_msgs, PROCESSING_ERROR, type(exc).__name__)
        offsets = BatchConsumer.next_offsets(msgs)
        try:
            self.producer.begin()
            for out in outs:
                self._produce(out, stats)
            self.producer.commit(offsets, self.consumer.group_metadata() if self.exactly_once else None)
            if not self.exactly_once:
                self._commit_consumer(offsets)
        except Exception as exc:  # noqa: BLE001 - classified by the produce error policy
            self._batch_failed(exc, msgs, start)
            return False
        elapsed = time.monotonic() - started
        self._backoff.reset()
        self._failures = ((), 0, True)
        self._quarantine_start = None
        self.metrics.committed(self.route.name, stats)
        self.metrics.batch_seconds.labels(self.route.name).observe(elapsed)
        self.totals.update({"in": stats.received, "out": stats.produced, "dropped": stats.dropped,
                            "quarantined": sum(stats.quarantined.values()), "batches": 1})
        log.debug("batch committed", extra=self._ctx(messages=stats.received, produced=stats.produced,
                                                     quarantined=dict(stats.quarantined), dropped=stats.dropped,
                                                     seconds=round(elapsed, 4)))
        return True

    def _commit_consumer(self, offsets: list[TopicPartition]) -> None:
        """At-least-once: outputs are confirmed, now the offsets. If this fails (rebalance), the
        batch is re-delivered to whoever owns the partition: a duplicate, which the mode allows."""
        assert self.consumer is not None
        try:
            self.consumer.commit_sync(offsets)
        except KafkaException as exc:
            err = kafka_error_of(exc)
            self.metrics.errors.labels(self.route.name, "offset_commit").inc()
            log.warning("offset commit failed (batch may be re-delivered)",
                        extra=self._ctx(error=err.name() if err else "?"))

    def _produce(self, out: OutMessage, stats: BatchStats) -> None:
        assert self.producer is not None
        try:
            self.producer.produce(out, self._partition_for(out))
            return
        except MessageTooLarge:
            pass
        static = self.processor.static_headers if self.processor is not None else []
        if out.kind == "output":
            stats.produced -= 1
            reason, detail = OUTPUT_TOO_LARGE, "scrubbed record exceeds the producer's message.max.bytes"
        else:
            stats.quarantined[out.reason or "unknown"] -= 1
            reason = out.reason or "unknown"
            try:
                detail = str(json.loads(out.value).get("detail", ""))
            except ValueError:
                detail = ""
        stats.quarantined[reason] += 1
        small = quarantine_message(self.route, list(static), out.source, reason, detail, None,
                                   withhold="sealed envelope exceeds the producer's message.max.bytes")
        self.producer.produce(small, self._partition_for(small))

    def _partition_for(self, out: OutMessage) -> int | None:
        """Same partition number as the input when the destination has at least as many
        partitions (keeps per-partition order and co-partitioning), else by key."""
        assert self.producer is not None
        n_out = self.producer.partitions_of(out.topic)
        n_in = self.producer.partitions_of(out.source.topic)
        if n_out is not None and n_in is not None and n_out >= n_in:
            return out.source.partition
        return None

    def _quarantine_all(self, in_msgs: list[InMessage], reason: str, detail: str) -> tuple[list[OutMessage], BatchStats]:
        assert self.processor is not None
        stats = BatchStats(received=len(in_msgs))
        stats.quarantined[reason] = len(in_msgs)
        outs = [quarantine_message(self.route, list(self.processor.static_headers), m, reason, detail,
                                   self.keys.quarantine) for m in in_msgs]
        return outs, stats

    def _batch_failed(self, exc: BaseException, msgs: list[Message], start: tuple) -> None:
        """Abort, rewind, back off. Nothing of the batch is visible to read_committed readers."""
        assert self.consumer is not None
        err = kafka_error_of(exc)
        action = self.callbacks.produce(exc)
        self.metrics.aborted.labels(self.route.name).inc()
        self.metrics.errors.labels(self.route.name, "produce").inc()
        same, count, transient = self._failures
        count = count + 1 if same == start else 1
        transient = (transient if same == start else True) and is_transient(err)
        self._failures = (start, count, transient)
        log.warning("batch failed: aborting and rewinding",
                    extra=self._ctx(error=err.name() if err else type(exc).__name__, action=action.value,
                                    messages=len(msgs), attempt=count,
                                    start=[f"{t}/{p}@{o}" for t, p, o in start]))
        if action is Action.RECREATE or self.producer is None:
            self.producer = None    # the loop recreates it and rewinds to the committed offsets
            self.health.producer_ready = False
        else:
            if self.producer.in_transaction or self.exactly_once:
                self._abort_quietly()
            if self.producer is not None:
                self.consumer.rewind(BatchConsumer.start_offsets(msgs))
        if count >= MAX_NON_TRANSIENT_FAILURES and not transient:
            log.error("batch keeps failing for a non-transient reason: diverting it to quarantine",
                      extra=self._ctx(attempts=count))
            self._quarantine_start = start
        if not self.stopping:
            self._backoff.sleep(lambda: self.stopping)

    # --- housekeeping ----------------------------------------------------------------------

    def _periodic(self, now: float) -> None:
        assert self.consumer is not None
        if now - self._last_lag >= LAG_INTERVAL_S:
            self._last_lag = now
            for topic, partition, lag in self.consumer.lags():
                self.metrics.set_lag(self.route.name, topic, partition, lag)
        if now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            log.info("progress", extra=self._ctx(**{k: v for k, v in self.totals.items()},
                                                 partitions=len(self.consumer.assignment)))


class _FatalConsumerError(Exception):
    """Raised out of a consumer callback to end the worker (non-zero exit, supervisor restarts)."""
