"""Unit tests of the Kafka runner's small parts, with fakes instead of a broker: JSON logs, error
policies, backoff, instance slots, offsets of a batch, the batch handler's fail-closed paths, the
transactional-call watchdog, metrics and the health endpoints."""
from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from scrubber.app import InstanceSlot, RunOptions, ScrubberApp, quarantine_message
from scrubber.config import parse_topics
from scrubber.error_callbacks import Action, Backoff, on_consumer_error, on_produce_error
from scrubber.health import HealthServer, HealthState
from scrubber.kafka.consumer import BatchConsumer
from scrubber.kafka.producer import MessageTooLarge, ProducerWedged, call_with_deadline
from scrubber.keys import KeyRing, parse_key
from scrubber.logs import JsonFormatter
from scrubber.metrics import Metrics
from scrubber.pipeline import H_REASON, BatchStats, InMessage, OutMessage
from scrubber.quarantine import unseal

KEY = parse_key("ab" * 32, "test")
CONFIG = """
version: 1
detectors: {ner: {mode: "off"}, names: false}
routes:
  - {name: r, input: raw, output: clean, format: text, quarantine: q}
"""


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int, value: bytes | None = b"v",
                 key: bytes | None = b"k") -> None:
        self._t, self._p, self._o, self._v, self._k = topic, partition, offset, value, key

    def topic(self) -> str: return self._t
    def partition(self) -> int: return self._p
    def offset(self) -> int: return self._o
    def key(self) -> bytes | None: return self._k
    def value(self) -> bytes | None: return self._v
    def headers(self) -> list: return [("trace-id", b"1")]
    def timestamp(self) -> tuple[int, int]: return (1, 1_700_000_000_000)
    def error(self) -> None: return None


# --- logs ------------------------------------------------------------------------------------

def test_json_log_has_fields_but_never_exception_text() -> None:
    fmt = JsonFormatter({"worker": 1})
    try:
        raise ValueError("jane.doe@example.com leaked into an exception")
    except ValueError:
        import sys
        record = logging.LogRecord("scrubber.app", logging.ERROR, __file__, 1, "batch failed", (), sys.exc_info())
    record.route = "r"
    record.offsets = {"raw/0": 5}
    line = fmt.format(record)
    body = json.loads(line)
    assert body["msg"] == "batch failed" and body["route"] == "r" and body["worker"] == 1
    assert body["offsets"] == {"raw/0": 5} and body["exc_type"] == "builtins.ValueError"
    assert "example.com" not in line and "\n" not in line


# --- error policies and backoff ------------------------------------------------------------------

def test_produce_error_policy() -> None:
    fatal = KafkaException(KafkaError(KafkaError._FENCED, "fenced", fatal=True))
    abortable = KafkaException(KafkaError(KafkaError._TIMED_OUT, "t", txn_requires_abort=True))
    assert on_produce_error(fatal) is Action.RECREATE
    assert on_produce_error(ProducerWedged("send_offsets_to_transaction")) is Action.RECREATE
    assert on_produce_error(abortable) is Action.ABORT
    assert on_produce_error(RuntimeError("bug")) is Action.ABORT


def test_consumer_error_policy() -> None:
    assert on_consumer_error(KafkaError(KafkaError._PARTITION_EOF)) is Action.IGNORE
    assert on_consumer_error(KafkaError(KafkaError._TRANSPORT)) is Action.CONTINUE
    assert on_consumer_error(KafkaError(KafkaError._FATAL, fatal=True)) is Action.RAISE


def test_backoff_grows_to_cap_and_resets() -> None:
    b = Backoff(initial=0.5, cap=4.0)
    assert [b.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    b.reset()
    assert b.next_delay() == 0.5


def test_watchdog_gives_up_on_a_wedged_call_and_propagates_errors() -> None:
    started = time.monotonic()
    with pytest.raises(ProducerWedged):
        call_with_deadline("send_offsets_to_transaction", time.sleep, 5, deadline_s=0.2)
    assert time.monotonic() - started < 2
    with pytest.raises(KeyError):
        call_with_deadline("x", {}.__getitem__, "missing", deadline_s=1)
    assert call_with_deadline("x", lambda a: a + 1, 1, deadline_s=1) == 2


# --- identity and offsets ---------------------------------------------------------------------------

def test_instance_slots_are_unique_while_held_and_reused_after_release() -> None:
    a = InstanceSlot("unit-prefix", "route", host="h")
    b = InstanceSlot("unit-prefix", "route", host="h")
    assert a.instance_id == "h-0" and b.instance_id == "h-1"
    a.release()
    c = InstanceSlot("unit-prefix", "route", host="h")
    assert c.instance_id == "h-0"   # a restarted worker gets its predecessor's transactional.id back
    b.release()
    c.release()


def test_batch_offsets() -> None:
    batch = [FakeMessage("t", 0, 5), FakeMessage("t", 1, 9), FakeMessage("t", 0, 6), FakeMessage("u", 0, 1)]
    nxt = {(tp.topic, tp.partition): tp.offset for tp in BatchConsumer.next_offsets(batch)}
    start = {(tp.topic, tp.partition): tp.offset for tp in BatchConsumer.start_offsets(batch)}
    assert nxt == {("t", 0): 7, ("t", 1): 10, ("u", 0): 2}
    assert start == {("t", 0): 5, ("t", 1): 9, ("u", 0): 1}


# --- quarantine envelopes built by the runner ------------------------------------------------------------

def test_quarantine_message_sealed_or_withheld() -> None:
    route = parse_topics(CONFIG).resolved_routes()[0]
    msg = InMessage("raw", 2, 40, b"k", b"secret payload", [], 123)
    sealed = quarantine_message(route, [("scrubber.route", b"r")], msg, "processing_error", "KeyError", KEY)
    env = json.loads(sealed.value)
    assert sealed.topic == "q" and (H_REASON, b"processing_error") in sealed.headers
    assert env["source"] == {"topic": "raw", "partition": 2, "offset": 40, "timestamp": 123, "route": "r"}
    assert unseal(env["payload"], KEY) == b"secret payload" and b"secret" not in sealed.value
    small = quarantine_message(route, [], msg, "too_large", "d", KEY, withhold="too big")
    env = json.loads(small.value)
    assert env["payload"] == "withheld: too big" and env["payload_bytes"] == len(b"secret payload")


# --- the batch handler with fake Kafka clients ------------------------------------------------------------

class FakeConsumer:
    def __init__(self) -> None:
        self.rewound: list[TopicPartition] = []
        self.assignment = [TopicPartition("raw", 0)]

    def group_metadata(self) -> object:
        return object()

    def rewind(self, offsets: list[TopicPartition]) -> None:
        self.rewound.extend(offsets)


class FakeProducer:
    def __init__(self, fail_commit: BaseException | None = None, too_large: bool = False) -> None:
        self.fail_commit = fail_commit
        self.too_large = too_large
        self.produced: list[OutMessage] = []
        self.committed: list = []
        self.aborted = 0
        self.in_transaction = False

    def begin(self) -> None:
        self.in_transaction = True

    def produce(self, out: OutMessage, partition: int | None) -> None:
        if self.too_large and len(out.value) > 400:
            raise MessageTooLarge("MSG_SIZE_TOO_LARGE")
        self.produced.append(out)

    def commit(self, offsets, group_metadata) -> None:  # noqa: ANN001
        if self.fail_commit is not None:
            raise self.fail_commit
        self.committed.append(offsets)
        self.in_transaction = False

    def abort(self) -> None:
        self.aborted += 1
        self.in_transaction = False

    def partitions_of(self, topic: str) -> int:
        return 1


class ExplodingProcessor:
    static_headers = [("scrubber.route", b"r")]

    def process(self, batch):  # noqa: ANN001, ANN201
        raise KeyError("a value that must not be logged")


class EchoProcessor:
    static_headers = [("scrubber.route", b"r")]

    def process(self, batch):  # noqa: ANN001, ANN201
        outs = [OutMessage("clean", m.key, m.value, [], m.timestamp, m, "output") for m in batch]
        return outs, BatchStats(received=len(batch), produced=len(batch))


def _app(processor, producer: FakeProducer) -> ScrubberApp:  # noqa: ANN001
    app = ScrubberApp(parse_topics(CONFIG), "r", RunOptions(install_signal_handlers=False),
                      keys=KeyRing(quarantine=KEY), processor=processor)
    app.processor = processor
    app.consumer = FakeConsumer()  # type: ignore[assignment]
    app.producer = producer        # type: ignore[assignment]
    app._backoff = Backoff(initial=0.001, cap=0.001)
    return app


def test_processing_exception_quarantines_the_whole_batch() -> None:
    producer = FakeProducer()
    app = _app(ExplodingProcessor(), producer)
    assert app._handle_batch([FakeMessage("raw", 0, 1, b"one"), FakeMessage("raw", 0, 2, b"two")])
    assert [o.topic for o in producer.produced] == ["q", "q"]
    assert all((H_REASON, b"processing_error") in o.headers for o in producer.produced)
    assert all(b"one" not in o.value and b"two" not in o.value for o in producer.produced)
    assert [(tp.partition, tp.offset) for tp in producer.committed[0]] == [(0, 3)]
    assert app.metrics.registry.get_sample_value("scrubber_messages_quarantined_total",
                                                 {"route": "r", "reason": "processing_error"}) == 2


def test_failed_commit_aborts_and_rewinds_to_batch_start() -> None:
    producer = FakeProducer(fail_commit=KafkaException(KafkaError(KafkaError._TRANSPORT, txn_requires_abort=True)))
    app = _app(EchoProcessor(), producer)
    assert not app._handle_batch([FakeMessage("raw", 0, 10), FakeMessage("raw", 0, 11)])
    assert producer.aborted == 1
    assert [(tp.topic, tp.partition, tp.offset) for tp in app.consumer.rewound] == [("raw", 0, 10)]
    assert app.metrics.registry.get_sample_value("scrubber_transactions_aborted_total", {"route": "r"}) == 1
    assert app.metrics.registry.get_sample_value("scrubber_messages_out_total", {"route": "r"}) in (None, 0)


def test_fatal_commit_error_drops_the_producer_for_recreation() -> None:
    producer = FakeProducer(fail_commit=KafkaException(KafkaError(KafkaError._FENCED, fatal=True)))
    app = _app(EchoProcessor(), producer)
    assert not app._handle_batch([FakeMessage("raw", 0, 10)])
    assert app.producer is None and not app.health.producer_ready


def test_repeated_non_transient_failure_diverts_the_batch_to_quarantine() -> None:
    err = KafkaException(KafkaError(KafkaError.INVALID_RECORD, txn_requires_abort=True))
    producer = FakeProducer(fail_commit=err)
    app = _app(EchoProcessor(), producer)
    batch = [FakeMessage("raw", 0, 10, b"x")]
    for _ in range(5):
        assert not app._handle_batch(batch)
    producer.fail_commit = None
    assert app._handle_batch(batch)
    assert [o.topic for o in producer.produced][-1] == "q"
    assert (H_REASON, b"produce_error") in producer.produced[-1].headers


def test_oversize_record_replaced_by_withheld_envelope_in_the_same_transaction() -> None:
    producer = FakeProducer(too_large=True)
    app = _app(EchoProcessor(), producer)
    assert app._handle_batch([FakeMessage("raw", 0, 1, b"x" * 500), FakeMessage("raw", 0, 2, b"small")])
    topics = sorted(o.topic for o in producer.produced)
    assert topics == ["clean", "q"]
    q = next(o for o in producer.produced if o.topic == "q")
    assert json.loads(q.value)["payload"].startswith("withheld") and b"xxxx" not in q.value
    assert app.totals["out"] == 1 and app.totals["quarantined"] == 1


# --- metrics and health ------------------------------------------------------------------------------------

def test_metrics_count_committed_batches() -> None:
    m = Metrics()
    stats = BatchStats(received=3, produced=1, dropped=1)
    stats.quarantined["invalid_json"] = 1
    stats.findings["EMAIL_ADDRESS"] = 2
    m.committed("r", stats)
    m.set_lag("r", "raw", 0, 42)
    get = m.registry.get_sample_value
    assert get("scrubber_messages_in_total", {"route": "r"}) == 3
    assert get("scrubber_messages_quarantined_total", {"route": "r", "reason": "invalid_json"}) == 1
    assert get("scrubber_findings_total", {"route": "r", "entity": "EMAIL_ADDRESS"}) == 2
    assert get("scrubber_consumer_lag", {"route": "r", "topic": "raw", "partition": "0"}) == 42


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_health_server_endpoints() -> None:
    m = Metrics()
    state = HealthState()
    server = HealthServer(m.registry, state, 0, "127.0.0.1").start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert _status(base + "/healthz") == 200
        assert _status(base + "/readyz") == 503
        state.assigned = state.producer_ready = True
        assert _status(base + "/readyz") == 200
        with urllib.request.urlopen(base + "/metrics", timeout=2) as r:
            assert b"scrubber_batch_seconds" in r.read()
        state.last_beat -= 1000
        assert _status(base + "/healthz") == 503
    finally:
        server.stop()
