"""Error policies of the Kafka runner, kept apart from the loop so they are explicit, testable and
replaceable (the same idea as Quix Streams' ``on_consumer_error`` / ``on_processing_error`` /
``on_producer_error`` callbacks).

Each callback classifies an error into an ``Action``; the loop in ``scrubber.app`` carries it out.
The defaults encode the service's guarantees:

* consumer errors are logged and the loop goes on (librdkafka reconnects by itself) unless the
  error is fatal, in which case the worker exits non-zero and its supervisor restarts it;
* transaction errors follow librdkafka's contract: *fatal* (fenced, ...) -> new producer and rewind
  to the committed offsets; anything else -> abort and rewind to the batch start (retriable commit
  and abort errors are already retried inside scrubber.kafka.producer, where the outcome of the
  call is still known);
* a processing exception never crash-loops the service: the batch goes to quarantine with reason
  ``processing_error`` (fail closed, and the evidence is kept encrypted for a human to look at).
"""
from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException

log = logging.getLogger(__name__)

PROCESSING_ERROR = "processing_error"


class Action(enum.Enum):
    IGNORE = "ignore"            # nothing to do (e.g. partition EOF)
    CONTINUE = "continue"        # logged; the loop goes on, librdkafka retries internally
    RAISE = "raise"              # the worker cannot go on: exit non-zero, supervisor restarts
    ABORT = "abort"              # abort the transaction and rewind to the batch start
    RECREATE = "recreate"        # the producer is unusable (fatal / fenced): new producer, rewind
    QUARANTINE = "quarantine"    # route every message of the batch to quarantine


# Errors that mean "the broker is unreachable or busy", which retrying fixes: while they last a
# batch is retried forever (with backoff), never diverted to quarantine.
TRANSIENT_CODES = frozenset({
    KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._TIMED_OUT, KafkaError._MSG_TIMED_OUT,
    KafkaError._RESOLVE, KafkaError._WAIT_COORD, KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError.NOT_ENOUGH_REPLICAS, KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.NETWORK_EXCEPTION,
    KafkaError.CONCURRENT_TRANSACTIONS, KafkaError._TIMED_OUT_QUEUE, KafkaError._NODE_UPDATE,
    KafkaError.BROKER_NOT_AVAILABLE,
})


def kafka_error_of(exc: BaseException) -> KafkaError | None:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def is_transient(err: KafkaError | None) -> bool:
    return err is not None and (err.code() in TRANSIENT_CODES or err.retriable())


def on_consumer_error(err: KafkaError) -> Action:
    if err.code() == KafkaError._PARTITION_EOF:
        return Action.IGNORE
    if err.fatal():
        return Action.RAISE
    return Action.CONTINUE


def on_produce_error(exc: BaseException) -> Action:
    """For exceptions from begin/produce/send_offsets/commit. Non-Kafka exceptions (a bug in the
    loop, a bad header type) abort the transaction so nothing half-written becomes visible."""
    from scrubber.kafka.producer import ProducerWedged

    if isinstance(exc, ProducerWedged):
        return Action.RECREATE
    err = kafka_error_of(exc)
    if err is None:
        return Action.ABORT
    if err.fatal():
        return Action.RECREATE
    return Action.ABORT


def on_processing_error(exc: BaseException) -> Action:
    return Action.QUARANTINE


@dataclass
class ErrorCallbacks:
    """The three policies the app consults; override any of them in ``ScrubberApp(...)``."""

    consumer: Callable[[KafkaError], Action] = on_consumer_error
    produce: Callable[[BaseException], Action] = on_produce_error
    processing: Callable[[BaseException], Action] = on_processing_error


@dataclass
class Backoff:
    """Exponential backoff with a cap, reset on success: a broker outage costs one attempt per
    ``cap`` seconds, not a hot loop, and recovery is prompt once it is back."""

    initial: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    current: float = field(default=0.0, init=False)
    failures: int = field(default=0, init=False)

    def next_delay(self) -> float:
        self.current = self.initial if self.current == 0 else min(self.cap, self.current * self.factor)
        self.failures += 1
        return self.current

    def sleep(self, should_stop: Callable[[], bool] | None = None) -> None:
        """Sleep the next delay in small steps so a SIGTERM is honoured during a long outage."""
        deadline = time.monotonic() + self.next_delay()
        while time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                return
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def reset(self) -> None:
        self.current = 0.0
        self.failures = 0
