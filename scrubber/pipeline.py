"""The runner-agnostic heart of the service: a batch of raw messages in, exactly one decision per
message out (scrubbed output, quarantine envelope, or dropped by policy).

source -> decode -> detect -> resolve -> transform -> encode -> sink: the runners (confluent-kafka,
Faust) own source and sink; everything between happens here, so both runners share the same
headers, quarantine semantics and metrics.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scrubber.config import ResolvedRoute
from scrubber.decode import DecodeError, decode, encode
from scrubber.engine import Engine
from scrubber.keys import Key
from scrubber.quarantine import envelope

Headers = list[tuple[str, bytes]]

H_PACK = "scrubber.pack"
H_POLICY = "scrubber.policy"
H_KEY = "scrubber.key_id"
H_ENTITIES = "scrubber.entities"
H_REASON = "scrubber.reason"
H_ROUTE = "scrubber.route"


@dataclass
class InMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    timestamp: int | None = None


@dataclass
class OutMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    timestamp: int | None
    source: InMessage
    kind: str  # "output" | "quarantine"
    reason: str | None = None


@dataclass
class BatchStats:
    received: int = 0
    produced: int = 0
    quarantined: Counter = field(default_factory=Counter)   # by reason
    dropped: int = 0
    findings: Counter = field(default_factory=Counter)      # by entity (rewritten)


class RoutePipeline:
    def __init__(self, route: ResolvedRoute, engine: Engine, pack_version: str,
                 quarantine_key: Key | None) -> None:
        self.route = route
        self.engine = engine.with_fields(route.fields).with_policy(route.policy)
        self.quarantine_key = quarantine_key
        keys = self.engine.transformer.keys
        key_ids = [k.id for k in (keys.pseudonym, keys.encryption) if k is not None]
        self.static_headers: Headers = [(H_PACK, pack_version.encode()),
                                        (H_POLICY, route.policy.fingerprint().encode()),
                                        (H_KEY, ",".join(key_ids).encode()),
                                        (H_ROUTE, route.name.encode())]
        self.allowed_headers = {h.lower() for h in route.headers_allow}

    def process(self, batch: list[InMessage]) -> tuple[list[OutMessage], BatchStats]:
        stats = BatchStats(received=len(batch))
        decoded: list[tuple[InMessage, Any]] = []
        outputs: list[OutMessage | None] = []
        slots: list[int] = []
        for msg in batch:
            try:
                value = decode(msg.value, self.route.format, self.route.limits)
            except DecodeError as exc:
                outputs.append(self._quarantine(msg, exc.reason, exc.detail, stats))
                continue
            slots.append(len(outputs))
            outputs.append(None)
            decoded.append((msg, value))
        outcomes = self.engine.scrub_values([v for _, v in decoded])
        for slot, (msg, _), outcome in zip(slots, decoded, outcomes):
            if outcome.failure:
                outputs[slot] = self._quarantine(msg, outcome.failure, outcome.detail, stats)
            elif outcome.dropped:
                stats.dropped += 1
            else:
                stats.produced += 1
                stats.findings.update(outcome.counts)
                outputs[slot] = OutMessage(self.route.output, msg.key, encode(outcome.value, self.route.format),
                                           self._headers(msg, outcome.counts), msg.timestamp, msg, "output")
        return [o for o in outputs if o is not None], stats

    def _headers(self, msg: InMessage, counts: Counter) -> Headers:
        kept = [(k, v) for k, v in msg.headers if k.lower() in self.allowed_headers]
        return kept + self.static_headers + [(H_ENTITIES, json.dumps(dict(sorted(counts.items())),
                                                                      separators=(",", ":")).encode())]

    def _quarantine(self, msg: InMessage, reason: str, detail: str, stats: BatchStats) -> OutMessage:
        stats.quarantined[reason] += 1
        source = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset, "timestamp": msg.timestamp,
                  "route": self.route.name}
        body = envelope(reason, detail, source, msg.value, self.quarantine_key)
        headers = self.static_headers + [(H_REASON, reason.encode())]
        return OutMessage(self.route.quarantine, msg.key, body, headers, msg.timestamp, msg, "quarantine", reason)
