"""The Faust runner against the real local broker (deploy/local/kafka.sh start).

Each test has its own topics, app id (consumer group), temp config and Faust data dir, and runs
``faust -A scrubber.faust_app worker`` as a subprocess. An unreachable broker fails the tests
(it does not skip them): a green run always means the runner was exercised.
"""
from __future__ import annotations

import collections
import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

from detectors.registry import build_stack  # noqa: E402
from detectors.settings import DetectorSettings  # noqa: E402
from scrubber.config import load_topics  # noqa: E402
from scrubber.engine import Engine  # noqa: E402
from scrubber.keys import KeyRing  # noqa: E402
from scrubber.operators import tag  # noqa: E402
from scrubber.pipeline import InMessage, RoutePipeline  # noqa: E402
from detectors.registry import pack_version  # noqa: E402

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

LEAK_ENTITIES = {"EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IP_ADDRESS"}
METRIC_NAMES = ["scrubber_messages_in_total", "scrubber_messages_out_total", "scrubber_messages_quarantined_total",
                "scrubber_messages_dropped_total", "scrubber_findings_total", "scrubber_batch_seconds",
                "scrubber_consumer_lag", "scrubber_transactions_aborted_total"]


@pytest.fixture(scope="module", autouse=True)
def broker():
    try:
        h.check_broker()
    except h.BrokerUnreachable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def workers():
    started: list[h.Worker] = []
    yield started
    for w in started:
        w.stop()


_CARDS = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009"]
_SSNS = ["536-22-8741", "412-67-9023", "219-09-9999"]


def records(n: int) -> list[dict]:
    """Synthetic queries and chats, three in five holding leak-check entities; the test must not
    depend on files outside the repository."""
    rows = []
    for i in range(n):
        if i % 5 < 3:
            text = (f"hi, I'm user{i}: mail jane.doe{i}@example.com, card {_CARDS[i % 3]}, "
                    f"ssn {_SSNS[i % 3]}, from ip 10.{i % 250}.{i % 7}.{i % 200 + 1}")
        else:
            text = f"restaurants open Monday {i % 12 + 1}:30 pm near order {i}"
        rows.append({"id": f"r{i:05d}", "kind": "chat" if i % 2 else "query", "text": text})
    return rows


def ids_of(msgs) -> collections.Counter:
    return collections.Counter(m.key().decode() for m in msgs)


def test_end_to_end_scrub_headers_metrics_and_no_leaks(tmp_path, workers):
    """Text and JSON routes, tag policy: every record comes out once, with the pipeline's headers and
    bytes, and the pattern detectors find none of the leak-checked entities in the outputs."""
    t_text_in, t_text_out = h.unique("e2e.text.in"), h.unique("e2e.text.out")
    t_json_in, t_json_out, t_q = h.unique("e2e.json.in"), h.unique("e2e.json.out"), h.unique("e2e.q")
    ev_prefix = h.unique("e2e.ev")
    t_ev_a, t_ev_b, t_ev_out = f"{ev_prefix}.a", f"{ev_prefix}.b", h.unique("e2e.ev.out")
    h.create_topics([t_text_in, t_text_out, t_json_in, t_json_out, t_q, t_ev_a, t_ev_out])   # t_ev_b: later
    cfg = h.write_config(tmp_path / "topics.yaml", [
        {"name": "texts", "input": t_text_in, "output": t_text_out, "format": "text", "policy": "tag-all"},
        {"name": "docs", "input": t_json_in, "output": t_json_out, "policy": "tag-all",
         "fields": {"scan": ["text"], "skip": ["$.id"], "required": ["$.id"]}},
        {"name": "events", "input_pattern": "^" + ev_prefix.replace(".", "\\.") + "\\..*", "output": t_ev_out,
         "fields": {"skip": ["$.event_id"], "pii": {"user.email": "EMAIL_ADDRESS", "user.ip": "IP_ADDRESS"}}},
    ], quarantine=t_q)

    def produce_events(t: str) -> None:
        h.produce(t, [json.dumps({"event_id": i, "user": {"email": f"u{i}@corp.example", "ip": f"10.1.2.{i}"},
                                  "action": "login"}).encode() for i in range(50)],
                  keys=[f"{t}-{i}".encode() for i in range(50)])
    produce_events(t_ev_a)
    rows = records(1000)
    texts = [r["text"].encode() for r in rows]
    docs = [json.dumps({"id": r["id"], "kind": r["kind"], "text": r["text"]}).encode() for r in rows]
    keys = [r["id"].encode() for r in rows]
    h.produce(t_text_in, texts, keys=keys, headers=[("trace-id", b"t-123"), ("x-secret", b"dropped")])
    h.produce(t_json_in, docs, keys=keys)

    w = h.Worker(cfg, tmp_path, app_id=h.unique("e2e").replace(".", "-"),
                 extra_env={"SCRUBBER_FAUST_PATTERN_REFRESH_S": "2"})
    workers.append(w)
    w.start().wait_ready()
    h.create_topics([t_ev_b])   # a pattern route picks up topics created after the start
    produce_events(t_ev_b)
    out_text = h.consume_all([t_text_out], expect=len(rows), timeout=90)
    out_json = h.consume_all([t_json_out], expect=len(rows), timeout=60)
    out_ev = h.consume_all([t_ev_out], expect=100, timeout=60, idle=1)
    assert len(out_ev) == 100 and all(b"corp.example" not in m.value() and b"10.1.2." not in m.value()
                                      for m in out_ev)
    assert {json.loads(m.value())["user"]["email"] for m in out_ev} == {tag("EMAIL_ADDRESS")}
    quarantined = h.consume_all([t_q], expect=None, timeout=3)
    assert quarantined == []
    assert ids_of(out_text) == collections.Counter(r["id"] for r in rows)
    assert ids_of(out_json) == collections.Counter(r["id"] for r in rows)

    # Same bytes and headers as RoutePipeline in process (what `scrubber run` sends).
    topics = load_topics(cfg)
    routes = {r.name: r for r in topics.resolved_routes()}
    engine = Engine.build(topics.detectors, keys=KeyRing())
    pack = pack_version(topics.detectors)
    expected = {}
    for name, values in (("texts", texts), ("docs", docs)):
        pipe = RoutePipeline(routes[name], engine, pack, None)
        hdrs = [("trace-id", b"t-123"), ("x-secret", b"dropped")] if name == "texts" else []
        outs, _ = pipe.process([InMessage("t", 0, i, k, v, hdrs, 0) for i, (k, v) in enumerate(zip(keys, values))])
        expected[name] = {o.key: (o.value, o.headers) for o in outs}
    for name, msgs in (("texts", out_text), ("docs", out_json)):
        for m in msgs:
            value, headers = expected[name][m.key()]
            assert m.value() == value
            assert [(k, v) for k, v in m.headers()] == headers
    hdr = dict(out_text[0].headers())
    assert hdr["trace-id"] == b"t-123" and "x-secret" not in hdr
    assert hdr["scrubber.route"] == b"texts" and hdr["scrubber.pack"] == pack.encode()

    # Leak check: re-run the pattern detectors over every output text.
    stack = build_stack(DetectorSettings.model_validate({"ner": {"mode": "off"}, "names": False, "budget_ms": 10000}))
    out_texts = [m.value().decode() for m in out_text] + [json.loads(m.value())["text"] for m in out_json]
    leaks = [(t, f.entity) for t, d in zip(out_texts, stack.detect_batch(out_texts)) for f in d.findings
             if f.entity in LEAK_ENTITIES]
    assert leaks == []
    in_texts = [r["text"] for r in rows]
    found_in = sum(1 for d in stack.detect_batch(in_texts) for f in d.findings if f.entity in LEAK_ENTITIES)
    assert found_in > 500   # the check had something to find

    # Metrics: the main runner's names, and counts matching what was produced.
    body = w.get("/metrics")[1].decode()
    for name in METRIC_NAMES:   # families are declared even before their first sample
        assert f"# TYPE {name} " in body, name
    assert 'scrubber_consumer_lag{partition="0",route="texts"' in body
    m = w.metrics()
    assert m['scrubber_messages_in_total{route="texts"}'] == len(rows)
    assert m['scrubber_messages_out_total{route="docs"}'] == len(rows)
    assert m['scrubber_findings_total{entity="EMAIL_ADDRESS",route="texts"}'] > 0
    assert w.get("/healthz")[0] == 200


def test_poison_messages_are_quarantined_while_good_ones_flow(tmp_path, workers):
    t_in, t_out, t_q = h.unique("poison.in"), h.unique("poison.out"), h.unique("poison.q")
    h.create_topics([t_in, t_out, t_q], partitions=1)
    cfg = h.write_config(tmp_path / "topics.yaml", [
        {"name": "chats", "input": t_in, "output": t_out, "policy": "stream",
         "fields": {"scan": ["text"], "required": ["$.id"]}}], quarantine=t_q)
    poison = {b"bad-json": b'{"id": 1, "text": "unterminated',
              b"bad-utf8": b'{"id": 2, "text": "caf\xc3\x28 bob@example.com"}',
              b"no-id": b'{"text": "mail alice@example.com"}'}
    values, keys = [], []
    for i in range(300):
        values.append(json.dumps({"id": i, "text": f"reach me at user{i}@example.com"}).encode())
        keys.append(f"good-{i}".encode())
        if i in (10, 150, 290):
            for k, v in poison.items():
                values.append(v)
                keys.append(k)
    h.produce(t_in, values, keys=keys)
    w = h.Worker(cfg, tmp_path, app_id=h.unique("poison").replace(".", "-"))
    workers.append(w)
    w.start().wait_ready()
    out = h.consume_all([t_out], expect=300, timeout=60)
    q = h.consume_all([t_q], expect=9, timeout=30, idle=1)
    assert len(out) == 300 and all(b"@example.com" not in m.value() for m in out)
    assert [m.key() for m in out] == [f"good-{i}".encode() for i in range(300)]   # order kept, nothing skipped
    reasons = collections.Counter((m.key(), dict(m.headers())["scrubber.reason"]) for m in q)
    assert reasons == {(b"bad-json", b"invalid_json"): 3, (b"bad-utf8", b"invalid_utf8"): 3,
                       (b"no-id", b"missing_field"): 3}
    for m in q:
        env = json.loads(m.value())
        assert env["reason"] == dict(m.headers())["scrubber.reason"].decode()
        assert env["source"]["topic"] == t_in and env["source"]["route"] == "chats"
        assert env["payload"] == "withheld: no quarantine key configured"   # no key: raw bytes never copied
        assert b"example.com" not in m.value()
    m = w.metrics()
    assert m['scrubber_messages_quarantined_total{reason="invalid_utf8",route="chats"}'] == 3
    assert m['scrubber_messages_out_total{route="chats"}'] == 300


def test_pipeline_failure_crashes_the_worker_without_skipping_or_logging_payload(tmp_path, workers):
    """Fail-closed: an exception in the pipeline stops the worker (non-zero exit, for the
    orchestrator to restart), commits nothing past the failed batch, and the log names the
    exception type only."""
    t_in, t_out, t_q = h.unique("crash.in"), h.unique("crash.out"), h.unique("crash.q")
    h.create_topics([t_in, t_out, t_q], partitions=1)
    cfg = h.write_config(tmp_path / "topics.yaml", [{"name": "r", "input": t_in, "output": t_out}], quarantine=t_q)
    h.produce(t_in, [json.dumps({"id": i, "text": "hi"}).encode() for i in range(20)])
    app_id = h.unique("crash").replace(".", "-")
    w = h.Worker(cfg, tmp_path, app_id=app_id, command=[str(Path(__file__).with_name("crashing_worker.py"))])
    workers.append(w)
    w.start()
    assert w.proc.wait(60) != 0
    log = (tmp_path / "worker-1.log").read_text(errors="replace")
    assert "BatchFailed('route r: KeyError')" in log
    assert "payload-canary" not in log
    assert h.committed_total(app_id, t_in, 1) == 0
    assert h.consume_all([t_out, t_q], expect=None, timeout=3) == []


def test_restart_resumes_from_committed_offsets_at_least_once(tmp_path, workers):
    """kill -9 mid-stream, restart: nothing lost (duplicates only from the batches in flight);
    then a graceful stop and restart: the new run reads only what was produced while it was down."""
    n1, n2 = 20000, 1000
    t_in, t_out, t_q = h.unique("resume.in"), h.unique("resume.out"), h.unique("resume.q")
    h.create_topics([t_in, t_out, t_q], partitions=3)
    batch = {"max_messages": 200, "max_ms": 100}
    cfg = h.write_config(tmp_path / "topics.yaml", [
        {"name": "r", "input": t_in, "output": t_out, "fields": {"scan": ["text"]}}], quarantine=t_q, batch=batch)
    h.produce(t_in, [json.dumps({"id": i, "text": f"ip 10.0.{i % 250}.{i % 200} user{i}@example.org"}).encode()
                     for i in range(n1)], keys=[str(i).encode() for i in range(n1)])
    w = h.Worker(cfg, tmp_path, app_id=h.unique("resume").replace(".", "-"))
    workers.append(w)
    w.start().wait_ready()
    deadline = time.monotonic() + 30
    while w.metrics().get('scrubber_messages_in_total{route="r"}', 0) < 2000 and time.monotonic() < deadline:
        time.sleep(0.2)
    done_before_kill = w.metrics().get('scrubber_messages_in_total{route="r"}', 0)
    assert 0 < done_before_kill < n1, "kill must land mid-stream"
    w.kill9()
    w.start().wait_ready()
    out = h.consume_all([t_out], expect=n1, timeout=120)
    seen = ids_of(out)
    assert set(seen) == {str(i) for i in range(n1)}, "no loss after kill -9"
    dups = sum(c - 1 for c in seen.values())
    # at-least-once: offsets are committed after every batch, so only the batch in flight replays.
    assert dups <= batch["max_messages"]

    w.stop()   # graceful: commits what it acked
    assert w.proc.returncode is not None
    h.produce(t_in, [json.dumps({"id": n1 + i, "text": f"call 555-{i:04d}"}).encode() for i in range(n2)],
              keys=[str(n1 + i).encode() for i in range(n2)])
    w.start().wait_ready()
    out = h.consume_all([t_out], expect=n1 + n2 + dups, timeout=60)
    assert set(ids_of(out)) == {str(i) for i in range(n1 + n2)}
    assert w.metrics()['scrubber_messages_in_total{route="r"}'] == n2   # resumed at the committed offsets
