"""Throughput and latency of ``scrubber run`` (confluent runner, exactly-once) through the real
broker of deploy/local/kafka.sh. A benchmark, not a test: figures depend on the machine.

    python -m scrubber.bench.kafka_throughput [--count 1000000] [--chat-count N] [--workers 2]
        [--partitions 4] [--ner off|gated|all] [--latency-seconds 20] [--skip-chat] [--skip-latency]

Steps, each with its own uuid-named topics and consumer groups:

1. replay the workload (queries-chats-7k.jsonl) with a plain, fast producer: ``--count`` query
   texts (format text) and ``--chat-count`` chat events ``{"id", "text"}`` (format json);
2. for each route (query log, chat, and the query log again with a *pass-through* processor that
   skips detection: the Kafka ceiling of this loop), start ``--workers`` worker processes (each its
   own consumer and transactional producer) and follow the group's committed offsets: throughput
   = messages committed after the first commit / time from the first commit to the last, i.e.
   steady state without start-up and group join;
3. latency: with the query workers still running (input drained), a paced producer writes at half
   the measured rate for ``--latency-seconds``; a read_committed consumer of the output computes
   consume time - input timestamp (outputs keep the input's timestamp) -> p50 / p99.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ROOT.parent / "shared" / "data" / "bench" / "queries-chats-7k.jsonl"


class PassThrough:
    """A processor with the pipeline's shape and none of its work: every input becomes an output
    unchanged (same key, timestamp, partition rules, one static header). For the Kafka ceiling only."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.static_headers = [("scrubber.route", b"passthrough")]

    def process(self, batch):  # type: ignore[no-untyped-def]
        from scrubber.pipeline import BatchStats, OutMessage
        outs = [OutMessage(self.output, m.key, m.value or b"", self.static_headers, m.timestamp, m, "output")
                for m in batch]
        return outs, BatchStats(received=len(batch), produced=len(batch))


def _worker(config_path: str, route: str, index: int, passthrough: bool) -> None:
    from scrubber.app import RunOptions, ScrubberApp
    from scrubber.config import load_topics
    from scrubber.logs import setup_logging

    setup_logging("WARNING", static={"worker": index})
    cfg = load_topics(config_path)
    processor = None
    if passthrough:
        processor = PassThrough(next(r.output for r in cfg.resolved_routes() if r.name == route))
    code = ScrubberApp(cfg, route, RunOptions(worker_index=index), processor=processor).run()
    sys.exit(code)


def _create(bootstrap: str, topics: list[str], partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1)
                                  for t in topics], operation_timeout=30).values():
        f.result(30)


def _replay(bootstrap: str, topic: str, payloads: list[bytes], count: int, prefix: str) -> float:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000,
                  "compression.type": "lz4", "queue.buffering.max.messages": 500_000})
    started = time.monotonic()
    n = len(payloads)
    for i in range(count):
        while True:
            try:
                p.produce(topic, payloads[i % n], f"{prefix}{i}".encode())
                break
            except BufferError:
                p.poll(0.05)
        if i % 10_000 == 0:
            p.poll(0)
    p.flush(120)
    return count / (time.monotonic() - started)


def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return sum(max(tp.offset, 0) for tp in c.committed([TopicPartition(topic, p) for p in range(partitions)],
                                                             timeout=10))
    finally:
        c.close()


def _start_workers(config: str, route: str, workers: int, passthrough: bool = False) -> list:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(config, route, i, passthrough), daemon=False) for i in range(workers)]
    for p in procs:
        p.start()
    return procs


def _stop(procs: list) -> None:
    for p in procs:
        if p.is_alive() and p.pid:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        p.join(60)


def _measure(bootstrap: str, group: str, topic: str, partitions: int, total: int, timeout_s: float) -> dict:
    """Follow committed offsets until ``total``; steady-state rate from the first commit on."""
    t0 = time.monotonic()
    first: tuple[float, int] | None = None
    last = (t0, 0)
    while time.monotonic() - t0 < timeout_s:
        done = _committed(bootstrap, group, topic, partitions)
        now = time.monotonic()
        if done > 0 and first is None:
            first = (now, done)
        if done != last[1]:
            last = (now, done)
        if done >= total:
            break
        time.sleep(0.25)
    if first is None or last[1] <= first[1]:
        return {"done": last[1], "rate": 0.0, "wall": last[0] - t0}
    return {"done": last[1], "rate": (last[1] - first[1]) / (last[0] - first[0]), "wall": last[0] - t0,
            "startup": first[0] - t0}


def _latency(bootstrap: str, in_topic: str, out_topic: str, partitions: int, rate: float, seconds: float) -> dict:
    """Paced producer at ``rate`` msgs/s; latency = output consume time - input timestamp."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lat-{uuid.uuid4().hex}",
                       "isolation.level": "read_committed", "enable.auto.commit": False,
                       "fetch.wait.max.ms": 10})
    tps = []
    for p in range(partitions):
        _, high = reader.get_watermark_offsets(TopicPartition(out_topic, p), timeout=10)
        tps.append(TopicPartition(out_topic, p, high))
    reader.assign(tps)
    warm_end = time.monotonic() + 3.0     # let the reader connect and start fetching first
    while time.monotonic() < warm_end:
        reader.consume(1000, timeout=0.2)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2})
    payloads = [t.encode() for t in _texts("query")]
    tick = 0.01
    per_tick = rate * tick
    sent = 0
    owed = 0.0
    start = time.monotonic()
    latencies: list[float] = []
    while time.monotonic() - start < seconds:
        owed += per_tick
        while owed >= 1:
            producer.produce(in_topic, payloads[sent % len(payloads)], f"lat-{sent}".encode())
            sent += 1
            owed -= 1
        producer.poll(0)
        for m in reader.consume(10_000, timeout=0):
            if m.error() is None and m.key().startswith(b"lat-"):
                latencies.append(time.time() * 1000 - m.timestamp()[1])
        next_tick = start + tick * (round((time.monotonic() - start) / tick) + 1)
        time.sleep(max(0.0, next_tick - time.monotonic()))
    producer.flush(30)
    drain_end = time.monotonic() + 10
    while len(latencies) < sent and time.monotonic() < drain_end:
        for m in reader.consume(10_000, timeout=0.1):
            if m.error() is None and m.key().startswith(b"lat-"):
                latencies.append(time.time() * 1000 - m.timestamp()[1])
    reader.close()
    latencies.sort()
    if not latencies:
        return {"sent": sent, "received": 0}
    q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))]  # noqa: E731
    return {"sent": sent, "received": len(latencies), "rate": sent / seconds, "p50_ms": q(0.50), "p99_ms": q(0.99),
            "max_ms": latencies[-1]}


def _texts(kind: str) -> list[str]:
    with open(WORKLOAD, encoding="utf-8") as fh:
        return [r["text"] for r in map(json.loads, fh) if r["kind"] == kind]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    ap.add_argument("--count", type=int, default=1_000_000, help="query-log messages (and pass-through)")
    ap.add_argument("--chat-count", type=int, default=None, help="chat messages (default: --count)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes per route")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000, help="route batch.max_messages")
    ap.add_argument("--ner", choices=["off", "gated", "all"], default="off")
    ap.add_argument("--latency-seconds", type=float, default=20.0)
    ap.add_argument("--latency-rate", type=float, default=None, help="paced rate (default: half the measured rate)")
    ap.add_argument("--skip-chat", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args(argv)
    chat_count = args.count if args.chat_count is None else args.chat_count
    tag = uuid.uuid4().hex[:8]
    t = lambda name: f"bench.{tag}.{name}"  # noqa: E731
    cfg = {
        "version": 1,
        "kafka": {"bootstrap_servers": args.bootstrap, "transactional_id_prefix": f"bench-{tag}"},
        "defaults": {"quarantine": t("quarantine"), "guarantee": "exactly_once", "policy": "stream",
                     "batch": {"max_messages": args.batch, "max_ms": 100}},
        "detectors": {"ner": {"mode": args.ner}},
        "routes": [
            {"name": "queries", "input": t("queries"), "output": t("queries.clean"), "format": "text",
             "group": f"bench-{tag}-queries"},
            {"name": "chats", "input": t("chats"), "output": t("chats.clean"), "format": "json",
             "fields": {"scan": ["text"], "skip": ["$.id"]}, "group": f"bench-{tag}-chats"},
            {"name": "passthrough", "input": t("queries"), "output": t("passthrough.out"), "format": "text",
             "group": f"bench-{tag}-passthrough"},
        ],
    }
    cfg_path = Path(tempfile.mkdtemp(prefix="scrubber-bench-")) / "topics.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    _create(args.bootstrap, [t("queries"), t("queries.clean"), t("chats"), t("chats.clean"), t("passthrough.out"),
                             t("quarantine")], args.partitions)
    print(f"# bench {tag}: {args.count:,} queries, {0 if args.skip_chat else chat_count:,} chats, "
          f"{args.workers} workers/route, {args.partitions} partitions, batch {args.batch}, NER {args.ner}, "
          f"{os.cpu_count()} CPUs", flush=True)
    rate = _replay(args.bootstrap, t("queries"), [s.encode() for s in _texts("query")], args.count, "q")
    print(f"replayed queries at {rate:,.0f} msgs/s", flush=True)
    if not args.skip_chat:
        chats = [json.dumps({"id": f"c{i}", "text": s}).encode() for i, s in enumerate(_texts("chat"))]
        rate = _replay(args.bootstrap, t("chats"), chats, chat_count, "c")
        print(f"replayed chats at {rate:,.0f} msgs/s", flush=True)

    results: dict[str, dict] = {}
    plan = [("passthrough", True, args.count), ("queries", False, args.count)]
    if not args.skip_chat:
        plan.append(("chats", False, chat_count))
    latency: dict = {}
    for route, passthrough, total in plan:
        in_topic = t("chats") if route == "chats" else t("queries")
        procs = _start_workers(str(cfg_path), route, args.workers, passthrough)
        try:
            res = _measure(args.bootstrap, f"bench-{tag}-{route}", in_topic, args.partitions, total,
                           timeout_s=3600)
            results[route] = res
            print(f"{route:12s} {res['done']:>10,} msgs  {res['rate']:>10,.0f} msgs/s steady  "
                  f"(wall {res['wall']:.1f}s incl. start-up {res.get('startup', 0):.1f}s)", flush=True)
            if route == "queries" and not args.skip_latency and res["rate"] > 0:
                latency = _latency(args.bootstrap, t("queries"), t("queries.clean"), args.partitions,
                                   args.latency_rate or res["rate"] / 2, args.latency_seconds)
                print(f"latency at half rate ({latency.get('rate', 0):,.0f} msgs/s for {args.latency_seconds:.0f}s): "
                      f"p50 {latency.get('p50_ms', float('nan')):.0f} ms, p99 {latency.get('p99_ms', float('nan')):.0f} ms, "
                      f"max {latency.get('max_ms', float('nan')):.0f} ms ({latency.get('received', 0):,}/"
                      f"{latency.get('sent', 0):,} received)", flush=True)
        finally:
            _stop(procs)
    if results.get("passthrough", {}).get("rate") and results.get("queries", {}).get("rate"):
        ratio = results["queries"]["rate"] / results["passthrough"]["rate"]
        print(f"query route / pass-through (Kafka ceiling): {ratio:.2f} "
              f"({results['queries']['rate']:,.0f} / {results['passthrough']['rate']:,.0f} msgs/s)")
    print(json.dumps({"results": results, "latency": latency}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
