"""The local end-to-end demo (``deploy/local/demo.sh``): sample raw events in, scrubbed events out.

``produce`` writes the embedded sample events (scrubber/defaults/demo-events.jsonl: PII of every
common kind, hard negatives, and poison messages) to each route's input topic; ``show`` reads the
inputs and, with read_committed, the outputs and the quarantine topic, and prints them side by
side. The samples are synthetic, so printing the raw side is fine here and nowhere else.
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from rich.console import Console
from rich.table import Table

from scrubber.config import load_topics

SAMPLES = Path(__file__).parent / "defaults" / "demo-events.jsonl"


def _payload(sample: dict) -> bytes:
    if "raw_hex" in sample:
        return bytes.fromhex(sample["raw_hex"])
    if "raw" in sample:
        return sample["raw"].encode()
    value = sample["value"]
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def produce(config: Path) -> int:
    cfg = load_topics(config)
    routes = {r.name: r for r in cfg.resolved_routes()}
    producer = Producer({"bootstrap.servers": cfg.kafka.bootstrap_servers})
    count = 0
    for n, line in enumerate(SAMPLES.read_text(encoding="utf-8").splitlines()):
        sample = json.loads(line)
        route = routes[sample["route"]]
        topic = sample.get("topic") or route.input
        producer.produce(topic, _payload(sample), key=f"demo-{n}".encode())
        count += 1
    producer.flush(30)
    return count


def _read_all(bootstrap: str, topics: list[str], committed_only: bool) -> dict[str, list]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"scrubber-demo-{uuid.uuid4()}",
                         "enable.auto.commit": False,
                         "isolation.level": "read_committed" if committed_only else "read_uncommitted"})
    found: dict[str, list] = {}
    try:
        parts = []
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if meta is None or meta.error is not None:
                continue
            for p in meta.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                if high > low:
                    parts.append(TopicPartition(topic, p, low))
        consumer.assign(parts)
        idle = 0
        while parts and idle < 5:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                continue
            idle = 0
            key = (msg.key() or b"").decode(errors="replace")
            found.setdefault(key, []).append((msg.topic(), msg.value(), dict(msg.headers() or [])))
    finally:
        consumer.close()
    return found


def show(config: Path) -> None:
    cfg = load_topics(config)
    routes = cfg.resolved_routes()
    bootstrap = cfg.kafka.bootstrap_servers
    inputs = sorted({r.input for r in routes if r.input} | {"raw.events.web", "raw.events.app"})
    outputs = sorted({r.output for r in routes} | {r.quarantine for r in routes})
    raw = _read_all(bootstrap, inputs, committed_only=False)
    out = _read_all(bootstrap, outputs, committed_only=True)
    table = Table(title="scrubber demo: raw input -> what reached the output topics", show_lines=True)
    for col in ("key", "raw input (synthetic)", "topic", "scrubbed output / quarantine reason"):
        table.add_column(col, overflow="fold")
    for key in sorted(raw, key=lambda k: int(k.split("-")[-1]) if k.split("-")[-1].isdigit() else 0):
        raw_value = raw[key][0][1] or b""
        for topic, value, headers in out.get(key, [("(nothing yet)", b"", {})]):
            shown = value.decode(errors="replace")
            if "scrubber.reason" in headers:
                shown = f"QUARANTINED: {headers['scrubber.reason'].decode()} (payload encrypted)"
            table.add_row(key, raw_value.decode(errors="replace"), topic, shown)
    Console().print(table)


def main() -> None:
    command, config = sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else "topics.yaml")
    if command == "produce":
        print(f"produced {produce(config)} sample raw events")
    elif command == "show":
        show(config)
    else:
        raise SystemExit("usage: python -m scrubber.demo produce|show [topics.yaml]")


if __name__ == "__main__":
    main()
