"""Helpers for the Faust runner's integration tests: the real broker of deploy/local/kafka.sh,
unique topics, a temp config, and the worker as a subprocess (``faust -A scrubber.faust_app worker``).

Also used by ``eos_probe.py`` (the exactly-once kill -9 experiment)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("SCRUBBER_TEST_BOOTSTRAP", "127.0.0.1:19092")

# Fast group membership: a kill -9'd worker leaves the group after 6 s instead of Faust's 60 s.
FAST_GROUP = {"broker_session_timeout": 6, "broker_heartbeat_interval": 1.5, "broker_rebalance_timeout": 20}


class BrokerUnreachable(RuntimeError):
    pass


def check_broker(timeout: float = 5.0) -> None:
    try:
        AdminClient({"bootstrap.servers": BOOTSTRAP}).list_topics(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnreachable(f"Kafka broker {BOOTSTRAP} unreachable ({exc}); start it with "
                                "`deploy/local/kafka.sh start`") from None


def unique(prefix: str) -> str:
    return f"ft.{prefix}.{uuid.uuid4().hex[:8]}"


def create_topics(names: list[str], partitions: int = 3) -> None:
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names])
    for f in futures.values():
        f.result(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, routes: list[dict], *, guarantee: str | None = None, quarantine: str,
                 batch: dict | None = None, detectors: str = '{ner: {mode: "off"}, names: false, budget_ms: 10000}',
                 policies: str = "") -> Path:
    lines = ["version: 1", f"kafka: {{bootstrap_servers: '{BOOTSTRAP}'}}", "defaults:",
             f"  quarantine: {quarantine}", f"  batch: {json.dumps(batch or {'max_messages': 200, 'max_ms': 100})}",
             "  headers_allow: [trace-id]"]
    if guarantee:
        lines.append(f"  guarantee: {guarantee}")
    lines.append(f"detectors: {detectors}")
    if policies:
        lines.append(policies)
    lines.append("routes:")
    for r in routes:
        lines.append(f"  - {json.dumps(r)}")
    path.write_text("\n".join(lines) + "\n")
    return path


class Worker:
    """``faust -A scrubber.faust_app worker`` in its own process group, with its own data dir."""

    def __init__(self, config: Path, workdir: Path, app_id: str, extra_env: dict | None = None,
                 options: dict | None = None, command: list[str] | None = None) -> None:
        self.command = command or ["-m", "faust", "-A", "scrubber.faust_app", "worker", "-l", "info"]
        self.config = config
        self.workdir = workdir
        self.app_id = app_id
        self.port = free_port()
        self.extra_env = extra_env or {}
        self.options = {**FAST_GROUP, **(options or {})}
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> "Worker":
        self.runs += 1
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "SCRUBBER_CONFIG": str(self.config), "SCRUBBER_FAUST_DATADIR": str(self.workdir / "data"),
               "SCRUBBER_FAUST_WEB_PORT": str(self.port), "SCRUBBER_FAUST_WEB_HOST": "127.0.0.1",
               "SCRUBBER_FAUST_APP_ID": self.app_id, "SCRUBBER_FAUST_OPTIONS": json.dumps(self.options),
               **self.extra_env}
        self.log = open(self.workdir / f"worker-{self.runs}.log", "wb")
        self.proc = subprocess.Popen([sys.executable, *self.command],
                                     cwd=self.workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def get(self, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"worker not ready after {timeout}s:\n{self.tail()}")

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.get("/metrics")[1].decode().splitlines():
            if line.startswith("scrubber_") and " " in line:
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def tail(self, n: int = 40) -> str:
        self.log.flush()
        lines = (self.workdir / f"worker-{self.runs}.log").read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        if getattr(self, "log", None):
            self.log.close()


def produce(topic: str, values: list[bytes], keys: list[bytes | None] | None = None,
            headers: list | None = None) -> None:
    p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5})
    for i, v in enumerate(values):
        p.produce(topic, v, key=keys[i] if keys else None, headers=headers)
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def consume_all(topics: list[str], expect: int | None = None, timeout: float = 60.0, idle: float = 3.0,
                isolation: str = "read_committed") -> list:
    """Every record of ``topics`` from the beginning: until ``expect`` records (then ``idle`` more
    seconds to catch extras) or ``timeout``."""
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"ft-reader-{uuid.uuid4().hex[:8]}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False, "isolation.level": isolation,
                  "session.timeout.ms": 6000})
    c.subscribe(topics)
    out = []
    deadline = time.monotonic() + timeout
    reached = None
    try:
        while time.monotonic() < deadline:
            batch = c.consume(1000, 0.5)
            for m in batch:
                if m.error() is None:
                    out.append(m)
            if expect is not None and len(out) >= expect:
                reached = reached or time.monotonic()
                if time.monotonic() - reached >= idle:
                    break
    finally:
        c.close()
    return out


def committed_total(group: str, topic: str, partitions: int) -> int:
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group, "enable.auto.commit": False})
    try:
        offs = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return sum(max(tp.offset, 0) for tp in offs)
    finally:
        c.close()
