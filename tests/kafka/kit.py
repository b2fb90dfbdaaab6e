"""Helpers of the Kafka integration tests: scenario configs with uuid topic names, a plain producer,
a read_committed reader, worker subprocesses, HTTP probes, synthetic PII and the leak check."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from detectors.registry import build_stack
from detectors.settings import DetectorSettings

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:19092")
QUARANTINE_KEY = "7f" * 32


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SCRUBBER_QUARANTINE_KEY"] = QUARANTINE_KEY
    env.pop("SCRUBBER_PSEUDONYM_KEY_FILE", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("SCRUBBER_LOG_LEVEL", "INFO")
    return env


@dataclass
class Scenario:
    """One test's topics and config file; ``routes`` are topics.yaml route dicts."""

    tmp: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    routes: list[dict] = field(default_factory=list)
    defaults: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    bootstrap: str = BOOTSTRAP

    def topic(self, name: str) -> str:
        return f"t.{self.tag}.{name}"

    @property
    def quarantine(self) -> str:
        return self.topic("quarantine")

    def write(self) -> Path:
        doc = {
            "version": 1,
            "kafka": {"bootstrap_servers": self.bootstrap, "transactional_id_prefix": f"test-{self.tag}",
                      "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}},
            "defaults": {"quarantine": self.quarantine, "batch": {"max_messages": 500, "max_ms": 100},
                         **self.defaults},
            # A generous per-text budget: several workers share 2 cores during the tests.
            "detectors": {"ner": {"mode": "off"}, "names": False, "budget_ms": 5000},
            "policies": self.policies,
            "routes": [{"group": f"g.{self.tag}.{r['name']}", **r} for r in self.routes],
        }
        path = self.tmp / f"topics-{self.tag}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path


def create_topics(names: list[str], partitions: int, bootstrap: str = BOOTSTRAP) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names],
                                  operation_timeout=30)
    for f in futures.values():
        f.result(30)


def produce(topic: str, records: list[tuple[bytes | None, bytes | None]], headers: list | None = None,
            max_bytes: int | None = None, bootstrap: str = BOOTSTRAP) -> None:
    conf: dict = {"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True}
    if max_bytes:
        conf["message.max.bytes"] = max_bytes
    p = Producer(conf)
    for k, v in records:
        while True:
            try:
                p.produce(topic, key=k, value=v, headers=headers)
                break
            except BufferError:
                p.poll(0.1)
    assert p.flush(60) == 0


def consume_all(topic: str, expect: int | None = None, idle_s: float = 3.0, timeout_s: float = 60.0,
                bootstrap: str = BOOTSTRAP) -> list:
    """Every committed record of ``topic`` (read_committed), until ``expect`` are read or nothing
    new arrives for ``idle_s``."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": False})
    c.subscribe([topic])
    out: list = []
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            msgs = c.consume(1000, timeout=0.5)
            for m in msgs:
                if m.error() is None:
                    out.append(m)
            if msgs:
                last = time.monotonic()
            if expect is not None and len(out) >= expect:
                # Linger a little to catch duplicates beyond the expected count.
                if time.monotonic() - last >= 1.0:
                    break
            elif time.monotonic() - last >= idle_s and (expect is None or out):
                break
    finally:
        c.close()
    return out


def committed_total(group: str, topic: str, partitions: int, bootstrap: str = BOOTSTRAP,
                    attempts: int = 6) -> int:
    """Sum of the group's committed offsets (completed transactions only). Read uncommitted: with
    librdkafka's default read_committed the offset fetch requires stable offsets and waits until the
    killed worker's open transaction aborts (transaction.timeout.ms, 60 s), longer than the retries
    below. Retried: right after a kill -9 the coordinator can be busy with the dead member."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "isolation.level": "read_uncommitted"})
    try:
        for attempt in range(attempts):
            try:
                offs = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
                return sum(max(tp.offset, 0) for tp in offs)
            except KafkaException:
                if attempt == attempts - 1:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")
    finally:
        c.close()


def start_worker(config: Path, *args: str, log_path: Path | None = None) -> subprocess.Popen:
    """``python -m scrubber.cli run`` as a subprocess (so it can be SIGKILLed), logs to a file."""
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "scrubber.cli", "run", "--config", str(config), *args],
                            cwd=REPO, env=base_env(), stdout=out, stderr=out)


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(port: int, proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early with {proc.returncode}")
        try:
            if http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("worker never became ready")


KAFKA_SH = REPO / "deploy" / "local" / "kafka.sh"


class PrivateBroker:
    """A second, throw-away broker (own ports and data dir, same kafka.sh) for tests that stop and
    start a broker: stopping the shared one would break whoever else is using it."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(free_port()),
                    "KAFKA_DATA": str(data_dir / "kafka")}
        self.bootstrap = f"127.0.0.1:{self.port}"

    def run(self, cmd: str) -> None:
        subprocess.run([str(KAFKA_SH), cmd], check=True, env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=180)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LEAK_ENTITIES = ("EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "PHONE_NUMBER")

_CARDS = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009", "6011 0000 0000 0004"]
_IBANS = ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"]
_SSNS = ["536-22-8741", "412-67-9023", "219-09-9999"]
_PHONES = ["(415) 555-2671", "+1 212 555 0187", "+44 20 7946 0958"]


def pii_text(i: int, rng: random.Random) -> str:
    """A sentence holding one of each leak-check entity (varied per message)."""
    return (f"user{i}: mail jane.doe{i}@example.com, card {rng.choice(_CARDS)}, ssn {rng.choice(_SSNS)}, "
            f"iban {rng.choice(_IBANS)}, ip 10.{i % 250}.{rng.randrange(250)}.{rng.randrange(1, 250)}, "
            f"call {rng.choice(_PHONES)} re order {i}")


def leak_stack():
    return build_stack(DetectorSettings(ner={"mode": "off"}, names=False))


def leaks(texts: list[str]) -> Counter:
    """Findings of the leak-check entities in ``texts`` (should be zero in scrubbed output)."""
    found: Counter = Counter()
    for det in leak_stack().detect_batch(texts):
        for f in det.findings:
            if f.entity in LEAK_ENTITIES:
                found[f.entity] += 1
    return found
