"""End to end through the real broker: every route kind (text, JSON with field paths, pattern),
exactly-once and at-least-once, poison messages, and the leak check on what reached the outputs.

All routes run at once (one ScrubberApp per route, each in a thread, as bounded runs that exit
when idle), once per module; the tests then inspect the topics."""
from __future__ import annotations

import json
import random
import threading

import pytest

from kit import (QUARANTINE_KEY, Scenario, consume_all, create_topics, leaks, pii_text, produce, LEAK_ENTITIES)
from scrubber.app import RunOptions, ScrubberApp
from scrubber.config import load_topics
from scrubber.keys import KeyRing, parse_key
from scrubber.quarantine import unseal

pytestmark = pytest.mark.kafka

N_TEXT = 400
N_JSON = 300
N_PATTERN = 100  # per input topic
N_ALO = 200
BIG = 5 * 1024 * 1024


def _chat(i: int, rng: random.Random) -> dict:
    return {"id": f"c{i}", "ts": 1700000000 + i, "text": pii_text(i, rng),
            "messages": [{"text": pii_text(i + 1, rng)}, {"text": "no pii here"}],
            "email": f"someone{i}@example.org", "user": {"phone": "+1 212 555 0187", "tier": "gold"}}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    s = Scenario(tmp_path_factory.mktemp("routes"))
    s.policies = {"tags": {"extends": "stream", "default": "tag",
                           "entities": {"CREDIT_CARD": "tag", "PHONE_NUMBER": "tag"}}}
    s.defaults = {"policy": "tags", "headers_allow": ["trace-id"]}
    chat_fields = {"scan": ["text", "messages[].text"], "skip": ["$.id", "$.ts"],
                   "pii": {"email": "EMAIL_ADDRESS", "user.phone": "PHONE_NUMBER"}, "required": ["$.id"]}
    s.routes = [
        {"name": "text", "input": s.topic("raw.text"), "output": s.topic("clean.text"), "format": "text"},
        {"name": "chats", "input": s.topic("raw.chats"), "output": s.topic("clean.chats"), "fields": chat_fields},
        {"name": "events", "input_pattern": f"^t\\.{s.tag}\\.ev\\..*", "output": s.topic("clean.events"),
         "fields": {"pii": {"user.email": "EMAIL_ADDRESS"}}},
        {"name": "alo", "input": s.topic("raw.alo"), "output": s.topic("clean.alo"), "format": "text",
         "guarantee": "at_least_once"},
        {"name": "poison", "input": s.topic("raw.poison"), "output": s.topic("clean.poison"),
         "fields": {"scan": ["text"], "required": ["$.id"]}},
    ]
    cfg_path = s.write()
    create_topics([s.topic("raw.text"), s.topic("clean.text")], 3)                 # same count: affinity
    create_topics([s.topic("raw.chats"), s.topic("ev.a"), s.topic("ev.b"), s.topic("raw.alo")], 3)
    create_topics([s.topic("clean.chats"), s.topic("clean.events"), s.topic("clean.alo")], 1)  # fewer: by key
    create_topics([s.topic("raw.poison"), s.topic("clean.poison"), s.quarantine], 2)

    rng = random.Random(7)
    texts = [pii_text(i, rng) for i in range(N_TEXT)]
    produce(s.topic("raw.text"), [(f"k{i}".encode(), t.encode()) for i, t in enumerate(texts)],
            headers=[("trace-id", b"t-1"), ("x-private", b"secret")])
    produce(s.topic("raw.chats"), [(f"c{i}".encode(), json.dumps(_chat(i, rng)).encode()) for i in range(N_JSON)])
    for name in ("ev.a", "ev.b"):
        produce(s.topic(name), [(f"{name}-{i}".encode(),
                                 json.dumps({"event_id": i, "note": pii_text(i, rng),
                                             "user": {"email": f"e{i}@example.net"}}).encode())
                                for i in range(N_PATTERN)])
    produce(s.topic("raw.alo"), [(f"a{i}".encode(), pii_text(i, rng).encode()) for i in range(N_ALO)])
    poison = [(b"good-1", json.dumps({"id": 1, "text": "mail bob@example.com"}).encode()),
              (b"bad-json", b'{"id": 2, "text": '),
              (b"bad-utf8", b'{"id": 3, "text": "\xff\xfe"}'),
              (b"missing", json.dumps({"text": "no id, mail carol@example.com"}).encode()),
              (b"big", json.dumps({"id": 5, "text": "x" * BIG}).encode()),
              (b"good-2", json.dumps({"id": 6, "text": "call (415) 555-2671"}).encode())]
    produce(s.topic("raw.poison"), poison, max_bytes=8 * 1024 * 1024)

    cfg = load_topics(cfg_path)
    keys = KeyRing(quarantine=parse_key(QUARANTINE_KEY, "test"))
    apps = {r.name: ScrubberApp(cfg, r.name, RunOptions(idle_exit_seconds=4, install_signal_handlers=False), keys=keys)
            for r in cfg.resolved_routes()}
    codes: dict[str, int] = {}
    threads = [threading.Thread(target=lambda n=n, a=a: codes.__setitem__(n, a.run())) for n, a in apps.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return {"s": s, "apps": apps, "codes": codes, "texts": texts}


def _headers(m) -> dict[str, bytes]:
    return dict(m.headers() or [])


def test_all_routes_exit_cleanly(run: dict) -> None:
    assert run["codes"] == {"text": 0, "chats": 0, "events": 0, "alo": 0, "poison": 0}


def test_text_route_keys_timestamps_partitions_headers(run: dict) -> None:
    s: Scenario = run["s"]
    inputs = {m.key(): m for m in consume_all(s.topic("raw.text"), expect=N_TEXT)}
    outs = consume_all(s.topic("clean.text"), expect=N_TEXT)
    assert sorted(m.key() for m in outs) == sorted(inputs)          # exactly once: no loss, no duplicate
    for m in outs:
        src = inputs[m.key()]
        assert m.partition() == src.partition()                       # same partition count -> same partition
        assert m.timestamp()[1] == src.timestamp()[1]
        h = _headers(m)
        assert h["trace-id"] == b"t-1" and "x-private" not in h       # allow-listed header only
        assert {"scrubber.pack", "scrubber.policy", "scrubber.route", "scrubber.entities"} <= set(h)
        assert h["scrubber.route"] == b"text"
    assert leaks(run["texts"]).keys() == set(LEAK_ENTITIES)            # the input really holds them all
    assert leaks([m.value().decode() for m in outs]) == {}             # ...and the output none of them
    app = run["apps"]["text"]
    assert app.totals["in"] == N_TEXT and app.totals["out"] == N_TEXT


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_json_route_field_paths(run: dict) -> None:
    s: Scenario = run["s"]
    outs = consume_all(s.topic("clean.chats"), expect=N_JSON)
    assert sorted(m.key() for m in outs) == sorted(f"c{i}".encode() for i in range(N_JSON))
    docs = [json.loads(m.value()) for m in outs]
    for m, d in zip(outs, docs):
        assert d["id"] == m.key().decode() and isinstance(d["ts"], int)   # skipped fields untouched
        assert d["user"]["tier"] == "gold"
        assert d["email"] != "" and "@" not in d["email"]                  # PII-by-name field rewritten
        assert d["messages"][1]["text"] == "no pii here"
    assert leaks([t for d in docs for t in _strings(d)]) == {}


def test_pattern_route_reads_every_matching_topic(run: dict) -> None:
    s: Scenario = run["s"]
    outs = consume_all(s.topic("clean.events"), expect=2 * N_PATTERN)
    keys = sorted(m.key().decode() for m in outs)
    assert keys == sorted(f"{n}-{i}" for n in ("ev.a", "ev.b") for i in range(N_PATTERN))
    docs = [json.loads(m.value()) for m in outs]
    assert leaks([t for d in docs for t in _strings(d)]) == {}


def test_at_least_once_route(run: dict) -> None:
    s: Scenario = run["s"]
    outs = consume_all(s.topic("clean.alo"), expect=N_ALO)
    assert sorted(m.key() for m in outs) == sorted(f"a{i}".encode() for i in range(N_ALO))
    assert leaks([m.value().decode() for m in outs]) == {}


def test_poison_messages_quarantined_with_reason(run: dict) -> None:
    s: Scenario = run["s"]
    good = consume_all(s.topic("clean.poison"), expect=2)
    assert sorted(m.key() for m in good) == [b"good-1", b"good-2"]
    assert leaks([m.value().decode() for m in good]) == {}
    quarantined = consume_all(s.quarantine, expect=4)
    reasons = {m.key(): _headers(m)["scrubber.reason"].decode() for m in quarantined}
    assert reasons == {b"bad-json": "invalid_json", b"bad-utf8": "invalid_utf8", b"missing": "missing_field",
                       b"big": "too_large"}
    key = parse_key(QUARANTINE_KEY, "test")
    raw_in = {m.key(): m for m in consume_all(s.topic("raw.poison"), expect=6)}
    for m in quarantined:
        env = json.loads(m.value())
        src = raw_in[m.key()]
        assert env["source"] == {"topic": s.topic("raw.poison"), "partition": src.partition(),
                                 "offset": src.offset(), "timestamp": src.timestamp()[1], "route": "poison"}
        if m.key() == b"big":
            # Sealed, the 5 MB payload would exceed the producer's limit: withheld, size recorded.
            assert env["payload"].startswith("withheld") and env["payload_bytes"] == len(src.value())
        else:
            assert unseal(env["payload"], key) == src.value()          # encrypted, recoverable by key holders
            assert src.value() not in m.value()
    app = run["apps"]["poison"]
    assert app.totals["quarantined"] == 4 and app.totals["out"] == 2
    text = app.metrics.registry.get_sample_value("scrubber_messages_quarantined_total",
                                                 {"route": "poison", "reason": "too_large"})
    assert text == 1.0
