"""Throughput of the two Kafka runners on the same workload, in one run.

    python -m scrubber.bench.runner_compare [--messages 200000] [--partitions 3]
        [--guarantee exactly_once|at_least_once] [--runners confluent,faust] [--ner gated|all|off]

Replays the ``text`` records of the shared workload (queries-chats-7k.jsonl) as JSON events
``{"id", "kind", "text"}`` into one fresh input topic (real broker of deploy/local/kafka.sh), then
for each runner, one process each (``scrubber run`` and ``scrubber run --runner faust``), with the
default detectors unless ``--ner`` says otherwise:

- own output/quarantine topics and consumer group, same input, same route and policy (``stream``);
- the clock runs from the process start; "startup" ends when the group's first offset commit is
  seen, "done" when the committed offsets reach the end of the input;
- throughput = messages processed after the first commit / (done - first commit): steady state,
  without model loading and group join; the wall time including startup is printed too;
- then the outputs are counted with a read_committed consumer (must equal the input).

The NER sentence cache is on, as in production: the workload repeats 7,000 texts, so cached
sentences flatter both runners equally. A benchmark, not a test: figures depend on the machine
(and on whatever else runs on it).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ROOT.parent / "shared" / "data" / "bench" / "queries-chats-7k.jsonl"


def produce_workload(bootstrap: str, topic: str, n: int) -> None:
    with WORKLOAD.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 500000})
    for i in range(n):
        r = rows[i % len(rows)]
        p.produce(topic, json.dumps({"id": f"{r['id']}-{i}", "kind": r["kind"], "text": r["text"]}).encode(),
                  key=str(i).encode())
        if i % 20000 == 0:
            p.poll(0)
    assert p.flush(120) == 0, "workload not fully produced"


def write_config(path: Path, bootstrap: str, name: str, tin: str, tout: str, tq: str, group: str,
                 guarantee: str, ner: str | None) -> None:
    detectors = f'detectors: {{ner: {{mode: "{ner}"}}}}\n' if ner else ""
    path.write_text(
        "version: 1\n"
        f"kafka: {{bootstrap_servers: '{bootstrap}'}}\n"
        f"defaults: {{quarantine: {tq}, guarantee: {guarantee}, batch: {{max_messages: 500, max_ms: 100}}}}\n"
        + detectors +
        "routes:\n"
        f"  - {{name: {name}, input: {tin}, output: {tout}, group: {group}, policy: stream,"
        " fields: {scan: [text], skip: [$.id, $.kind]}}\n")


def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in names]).values():
        f.result(30)


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """Sum of the group's committed offsets on ``topic`` (-1 when the broker does not answer)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return sum(max(tp.offset, 0) for tp in c.committed([TopicPartition(topic, p) for p in range(partitions)],
                                                           timeout=10))
    except KafkaException:
        return -1
    finally:
        c.close()


def count_committed_records(bootstrap: str, topics: list[str], expect: int, timeout: float = 180) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-count-{uuid.uuid4().hex[:6]}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False, "isolation.level": "read_committed",
                  "session.timeout.ms": 6000})
    c.subscribe(topics)
    n, deadline, last = 0, time.monotonic() + timeout, time.monotonic()
    try:
        while time.monotonic() < deadline:
            got = [m for m in c.consume(5000, 0.5) if m.error() is None]
            n += len(got)
            last = time.monotonic() if got else last
            if n >= expect and time.monotonic() - last > 2:
                break
    finally:
        c.close()
    return n


def run_one(runner: str, args: argparse.Namespace, tin: str, work: Path) -> dict:
    tag = f"{runner}-{uuid.uuid4().hex[:6]}"
    tout, tq, group = f"bench.{tag}.out", f"bench.{tag}.q", f"bench-{tag}"
    create_topics(args.bootstrap, [tout, tq], args.partitions)
    cfg = work / f"{tag}.yaml"
    write_config(cfg, args.bootstrap, "bench", tin, tout, tq, group, args.guarantee, args.ner)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "SCRUBBER_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "scrubber.cli", "run", "-c", str(cfg), "--log-level", "WARNING"]
    if runner == "faust":
        cmd += ["--runner", "faust"]
        env.update(SCRUBBER_FAUST_APP_ID=group, SCRUBBER_FAUST_DATADIR=str(work / f"{tag}-data"),
                   SCRUBBER_FAUST_WEB_PORT=str(args.faust_web_port), SCRUBBER_FAUST_WEB_HOST="127.0.0.1",
                   # the Faust runner refuses exactly_once (see scrubber.faust.app); measured as experimental
                   SCRUBBER_FAUST_EXPERIMENTAL_EXACTLY_ONCE="1")
    log = open(work / f"{tag}.log", "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    first_t = first_n = None
    done_t = None
    try:
        while time.monotonic() - t0 < args.timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"{runner} exited with {proc.returncode}; see {work / (tag + '.log')}")
            n = committed(args.bootstrap, group, tin, args.partitions)
            now = time.monotonic()
            if n > 0 and first_t is None:
                first_t, first_n = now, n
            if n >= args.messages:
                done_t = now
                break
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    if done_t is None:
        raise RuntimeError(f"{runner}: not done after {args.timeout}s (committed {n}/{args.messages})")
    out = count_committed_records(args.bootstrap, [tout, tq], args.messages)
    steady = (args.messages - first_n) / (done_t - first_t) if done_t > first_t else float("nan")
    return {"runner": runner, "messages": args.messages, "startup_s": round(first_t - t0, 1),
            "wall_s": round(done_t - t0, 1), "steady_msgs_per_s": round(steady, 1),
            "overall_msgs_per_s": round(args.messages / (done_t - t0), 1), "records_out": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--guarantee", default="at_least_once", choices=["exactly_once", "at_least_once"],
                    help="exactly_once runs the Faust side in its refused-by-default experimental mode")
    ap.add_argument("--runners", default="confluent,faust")
    ap.add_argument("--ner", default=None, choices=["all", "gated", "off"], help="default: the detectors' default")
    ap.add_argument("--bootstrap", default="127.0.0.1:19092")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--faust-web-port", type=int, default=16099)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="runner-compare-"))
    tin = f"bench.in.{uuid.uuid4().hex[:6]}"
    create_topics(args.bootstrap, [tin], args.partitions)
    t = time.monotonic()
    produce_workload(args.bootstrap, tin, args.messages)
    print(f"workload: {args.messages} messages -> {tin} ({args.partitions} partitions) in "
          f"{time.monotonic() - t:.1f}s; guarantee={args.guarantee}, ner={args.ner or 'default'}; logs in {work}",
          flush=True)
    results = []
    for runner in [r.strip() for r in args.runners.split(",") if r.strip()]:
        res = run_one(runner, args, tin, work)
        print(json.dumps(res), flush=True)
        results.append(res)
    by = {r["runner"]: r for r in results}
    print(f"\n{'runner':<10} {'startup s':>10} {'wall s':>8} {'steady msg/s':>13} {'overall msg/s':>14} {'out':>8}")
    for r in results:
        print(f"{r['runner']:<10} {r['startup_s']:>10} {r['wall_s']:>8} {r['steady_msgs_per_s']:>13} "
              f"{r['overall_msgs_per_s']:>14} {r['records_out']:>8}")
    if "confluent" in by and "faust" in by:
        ratio = by["faust"]["steady_msgs_per_s"] / by["confluent"]["steady_msgs_per_s"]
        print(f"\nfaust / confluent steady-state throughput: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
