"""Topic creation for ``scrubber topics create``: every route's input, output and quarantine topic
(pattern routes' inputs are left to their producers: the pattern names no single topic).

The admin client connects like the service does: the effective bootstrap servers and the
connection properties (SASL, TLS) of ``kafka.consumer`` / ``kafka.producer``, environment
overrides included (``KafkaSettings.connection``), so a secured cluster needs no second setup."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from scrubber.config import KafkaSettings, ResolvedRoute

log = logging.getLogger(__name__)


@dataclass
class TopicResult:
    topic: str
    status: str          # "created" | "exists" | "error"
    detail: str = ""


def route_topics(routes: list[ResolvedRoute]) -> list[str]:
    """Inputs (named ones), outputs and quarantines, de-duplicated in a stable order."""
    names: list[str] = []
    for r in routes:
        for t in (r.input, r.output, r.quarantine):
            if t and t not in names:
                names.append(t)
    return names


def admin_config(kafka: KafkaSettings) -> dict[str, str | int | bool]:
    """librdkafka settings of an admin client for the service's cluster. Raises ValueError (no
    values in it) when the consumer and producer sections disagree on a connection property."""
    return {**kafka.connection(), "bootstrap.servers": kafka.bootstrap_servers}


def create_route_topics(kafka: KafkaSettings, routes: list[ResolvedRoute], partitions: int = 6,
                        replication_factor: int = 1, timeout: float = 30.0) -> list[TopicResult]:
    """Create the topics; ones that already exist are reported, not changed (their partition count
    stays what it is: changing it would move keys between partitions)."""
    admin = AdminClient(admin_config(kafka))
    names = route_topics(routes)
    futures = admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=replication_factor)
                                   for t in names], operation_timeout=timeout, request_timeout=timeout)
    results: list[TopicResult] = []
    for name in names:
        try:
            futures[name].result(timeout)
            results.append(TopicResult(name, "created"))
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                results.append(TopicResult(name, "exists"))
            else:
                results.append(TopicResult(name, "error", err.str() if isinstance(err, KafkaError) else str(exc)))
    return results
