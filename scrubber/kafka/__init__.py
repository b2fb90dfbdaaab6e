"""Small wrappers over confluent-kafka: the consumer (micro-batches, rewind), the transactional
producer (exactly-once, or at-least-once), and the admin client (topic creation). They hold the
librdkafka settings the guarantees depend on, so the app facade (scrubber.app) stays readable."""
from __future__ import annotations

from scrubber.kafka.admin import create_route_topics
from scrubber.kafka.consumer import BatchConsumer
from scrubber.kafka.producer import OutputProducer

__all__ = ["BatchConsumer", "OutputProducer", "create_route_topics"]
