"""Prometheus metrics of the Kafka runner.

Each worker process has its own registry (not the global default one), so several apps can live in
one test process and a worker's ``/metrics`` shows exactly that worker. Names are part of the
operational contract (dashboards, alerts): change them only with a migration note.
"""
from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from scrubber.pipeline import BatchStats

log = logging.getLogger(__name__)

BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The runner's metric families; methods take the route so one registry can serve many."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages_in = Counter("scrubber_messages_in_total", "Messages consumed from input topics",
                                   ["route"], registry=r)
        self.messages_out = Counter("scrubber_messages_out_total", "Scrubbed messages committed to the output topic",
                                    ["route"], registry=r)
        self.quarantined = Counter("scrubber_messages_quarantined_total",
                                   "Messages committed to the quarantine topic", ["route", "reason"], registry=r)
        self.dropped = Counter("scrubber_messages_dropped_total", "Messages dropped by policy (drop_event)",
                               ["route"], registry=r)
        self.findings = Counter("scrubber_findings_total", "Values rewritten, by entity", ["route", "entity"],
                                registry=r)
        self.batch_seconds = Histogram("scrubber_batch_seconds", "Wall time to process and commit one batch",
                                       ["route"], buckets=BATCH_BUCKETS, registry=r)
        self.consumer_lag = Gauge("scrubber_consumer_lag", "Messages behind the partition's end (read_committed)",
                                  ["route", "topic", "partition"], registry=r)
        self.aborted = Counter("scrubber_transactions_aborted_total", "Transactions aborted (batch rewound)",
                               ["route"], registry=r)
        self.errors = Counter("scrubber_errors_total", "Errors handled by the error callbacks, by kind",
                              ["route", "kind"], registry=r)
        self.assigned = Gauge("scrubber_assigned_partitions", "Partitions currently assigned to this worker",
                              ["route"], registry=r)

    def committed(self, route: str, stats: BatchStats) -> None:
        """Count a batch only once its transaction committed: aborted batches are re-read and would
        otherwise be counted twice."""
        self.messages_in.labels(route).inc(stats.received)
        self.messages_out.labels(route).inc(stats.produced)
        self.dropped.labels(route).inc(stats.dropped)
        for reason, n in stats.quarantined.items():
            self.quarantined.labels(route, reason).inc(n)
        for entity, n in stats.findings.items():
            self.findings.labels(route, entity).inc(n)

    def set_lag(self, route: str, topic: str, partition: int, lag: int) -> None:
        self.consumer_lag.labels(route, topic, str(partition)).set(max(lag, 0))

    def forget_partitions(self, route: str) -> None:
        """After a rebalance the old partitions' lag is someone else's: drop the series."""
        self.consumer_lag.clear()
        self.assigned.labels(route).set(0)
