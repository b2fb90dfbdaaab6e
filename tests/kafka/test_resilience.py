"""The guarantees under failure, with ``scrubber run`` as a real subprocess: exactly-once through
repeated ``kill -9``, a broker stop/start mid-stream, two workers sharing a group, and a graceful
SIGTERM (plus the metrics/health endpoints while it runs)."""
from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from kit import (PrivateBroker, Scenario, committed_total, consume_all, create_topics, free_port, http_get,
                 produce, start_worker, wait_ready)

pytestmark = pytest.mark.kafka

def _text_scenario(s: Scenario, partitions: int, n: int, batch: int = 200) -> tuple[Path, list[bytes]]:
    s.routes = [{"name": "q", "input": s.topic("raw"), "output": s.topic("clean"), "format": "text",
                 "batch": {"max_messages": batch, "max_ms": 50}}]
    cfg = s.write()
    create_topics([s.topic("raw"), s.topic("clean"), s.quarantine], partitions, bootstrap=s.bootstrap)
    keys = [f"id-{i:06d}".encode() for i in range(n)]
    rng = random.Random(1)
    produce(s.topic("raw"), [(k, f"order {i} for mail user{rng.randrange(10**6)}@example.com from 10.0.0.{i % 250}"
                                  .encode()) for i, k in enumerate(keys)], bootstrap=s.bootstrap)
    return cfg, keys


def _assert_exactly(outs: list, keys: list[bytes]) -> None:
    got = Counter(m.key() for m in outs)
    dupes = {k: c for k, c in got.items() if c > 1}
    missing = set(keys) - set(got)
    assert not dupes, f"{len(dupes)} duplicated keys"
    assert not missing, f"{len(missing)} lost keys"
    assert len(outs) == len(keys)


def test_exactly_once_through_kill_minus_9(scenario: Scenario, tmp_path: Path, procs: list) -> None:
    n, parts = 20_000, 4
    cfg, keys = _text_scenario(scenario, parts, n)
    group = f"g.{scenario.tag}.q"
    rng = random.Random(42)
    kills = 0
    log = tmp_path / "worker.log"
    progress: list[int] = []
    while kills < 3:
        port = free_port()
        p = start_worker(cfg, "--metrics-port", str(port), log_path=log)
        procs.append(p)
        wait_ready(port, p)
        time.sleep(rng.uniform(0.3, 1.2))
        assert p.poll() is None, "worker finished before it could be killed: make the stream longer"
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        kills += 1
        progress.append(committed_total(group, scenario.topic("raw"), parts))
    assert progress[-1] < n, "the input was drained before the last kill"
    p = start_worker(cfg, "--idle-exit-seconds", "4", log_path=log)
    procs.append(p)
    assert p.wait(180) == 0
    assert committed_total(group, scenario.topic("raw"), parts) == n
    _assert_exactly(consume_all(scenario.topic("clean"), expect=n, timeout_s=120), keys)
    assert progress == sorted(progress)


@pytest.fixture
def private_broker(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    broker = PrivateBroker(tmp_path_factory.mktemp("broker"))
    broker.run("start")
    try:
        yield broker
    finally:
        broker.run("stop")


def test_survives_broker_stop_and_start(scenario: Scenario, tmp_path: Path, procs: list,
                                        private_broker: PrivateBroker) -> None:
    """kafka.sh stop/start of a broker of its own mid-stream: the worker keeps retrying (no crash,
    no crash loop) and finishes with exact counts once the broker is back."""
    scenario.bootstrap = private_broker.bootstrap
    n, parts = 20_000, 3
    cfg, keys = _text_scenario(scenario, parts, n, batch=20)   # ~1,000 transactions: the outage lands mid-stream
    port = free_port()
    p = start_worker(cfg, "--metrics-port", str(port), "--max-messages", str(n), log_path=tmp_path / "w.log")
    procs.append(p)
    wait_ready(port, p)
    group = f"g.{scenario.tag}.q"
    deadline = time.monotonic() + 60       # a fresh broker's first transactions are slow: wait for flow
    while committed_total(group, scenario.topic("raw"), parts, bootstrap=private_broker.bootstrap) < 1000:
        assert time.monotonic() < deadline, "no progress before the outage"
        time.sleep(0.2)
    try:
        private_broker.run("stop")
        time.sleep(4)
        assert p.poll() is None, "the worker died with the broker"
    finally:
        private_broker.run("start")
    assert p.wait(240) == 0
    assert committed_total(group, scenario.topic("raw"), parts, bootstrap=private_broker.bootstrap) == n
    _assert_exactly(consume_all(scenario.topic("clean"), expect=n, timeout_s=120,
                                bootstrap=private_broker.bootstrap), keys)
    logged = (tmp_path / "w.log").read_text()
    assert "Traceback" not in logged
    assert '"msg":"batch failed: aborting and rewinding"' in logged   # the outage really hit a batch


def test_two_workers_split_partitions(scenario: Scenario, tmp_path: Path, procs: list) -> None:
    n, parts = 10_000, 4
    cfg, keys = _text_scenario(scenario, parts, n)
    log = tmp_path / "w.log"
    p = start_worker(cfg, "--workers", "2", "--idle-exit-seconds", "6", log_path=log)
    procs.append(p)
    assert p.wait(180) == 0
    _assert_exactly(consume_all(scenario.topic("clean"), expect=n, timeout_s=120), keys)
    owners: dict[str, set] = {}
    committed: Counter = Counter()
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        if rec.get("msg") == "partitions assigned":
            for tp in rec["partitions"]:
                owners.setdefault(tp, set()).add(rec["worker"])
        if rec.get("msg") == "stopped":
            committed[rec["worker"]] += rec.get("in", 0)
    assert len(owners) == parts
    # Both workers joined the group and were given partitions. (Whether both also processed
    # messages depends on how fast the first drains the topic before the second joins.)
    assert set().union(*owners.values()) == {0, 1}
    assert set(committed) == {0, 1} and sum(committed.values()) == n


def test_sigterm_commits_and_exits_0_metrics_served(scenario: Scenario, tmp_path: Path, procs: list) -> None:
    n, parts = 30_000, 2
    cfg, keys = _text_scenario(scenario, parts, n, batch=100)
    port = free_port()
    p = start_worker(cfg, "--metrics-port", str(port), log_path=tmp_path / "w.log")
    procs.append(p)
    wait_ready(port, p)
    assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    time.sleep(0.8)
    code, body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert code == 200
    for name in ("scrubber_messages_in_total", "scrubber_messages_out_total", "scrubber_messages_quarantined_total",
                 "scrubber_messages_dropped_total", "scrubber_findings_total", "scrubber_batch_seconds",
                 "scrubber_consumer_lag", "scrubber_transactions_aborted_total"):
        assert name in body, name
    assert 'scrubber_findings_total{entity="EMAIL_ADDRESS",route="q"}' in body
    p.send_signal(signal.SIGTERM)
    assert p.wait(30) == 0
    group = f"g.{scenario.tag}.q"
    done = committed_total(group, scenario.topic("raw"), parts)
    assert 0 < done < n, "SIGTERM should land mid-stream"
    outs = consume_all(scenario.topic("clean"), expect=done, timeout_s=60)
    assert len(outs) == done and len({m.key() for m in outs}) == done   # what was committed is exactly the output
    last = [json.loads(line) for line in (tmp_path / "w.log").read_text().splitlines() if line.startswith("{")][-1]
    assert last["msg"] == "stopped" and last["exit_code"] == 0 and last["in"] == done


def test_worker_joining_mid_stream_rebalances_without_loss_or_duplicates(scenario: Scenario, tmp_path: Path,
                                                                       procs: list) -> None:
    """A second worker joins while the first is busy: the first's partitions are revoked between
    batches (buffered messages of revoked partitions are dropped, the new owner re-reads from the
    committed offset), and the union of outputs is still exactly the input."""
    n, parts = 60_000, 4
    cfg, keys = _text_scenario(scenario, parts, n, batch=100)
    port = free_port()
    first = start_worker(cfg, "--metrics-port", str(port), "--instance-id", "a", "--idle-exit-seconds", "5",
                         log_path=tmp_path / "a.log")
    procs.append(first)
    wait_ready(port, first)
    second = start_worker(cfg, "--instance-id", "b", "--idle-exit-seconds", "5", log_path=tmp_path / "b.log")
    procs.append(second)
    assert first.wait(180) == 0 and second.wait(180) == 0
    _assert_exactly(consume_all(scenario.topic("clean"), expect=n, timeout_s=120), keys)
    a_log = (tmp_path / "a.log").read_text()
    b_log = (tmp_path / "b.log").read_text()
    assert '"msg":"partitions revoked"' in a_log            # the first worker really gave partitions away
    stopped = [json.loads(line) for log in (a_log, b_log) for line in log.splitlines()
               if line.startswith("{") and '"msg":"stopped"' in line]
    assert all(s["in"] > 0 for s in stopped) and sum(s["in"] for s in stopped) == n
