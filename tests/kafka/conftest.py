"""Fixtures for the integration tests of ``scrubber run`` against the real local broker.

The broker is a precondition, not an option: CI starts it (deploy/local/test.sh), so an
unreachable broker FAILS the session instead of silently skipping the tests that matter most.
Each test uses its own uuid-named topics and consumer groups (see kit.Scenario), so tests never
see each other's data.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kit import BOOTSTRAP, Scenario


@pytest.fixture(scope="session", autouse=True)
def kafka_broker() -> str:
    """Fails (not skips) when the broker is not reachable."""
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 5000})
    try:
        admin.list_topics(timeout=10)
    except KafkaException as exc:
        pytest.fail(f"Kafka broker not reachable at {BOOTSTRAP} ({exc}); start it: deploy/local/kafka.sh start",
                    pytrace=False)
    return BOOTSTRAP


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen]]:
    """Worker subprocesses a test started; killed at teardown if still alive."""
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)
