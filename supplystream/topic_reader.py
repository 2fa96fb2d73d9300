"""Read a whole topic as it is now: every partition from its low watermark to its end offset.

For tools that need a topic's full contents once (a rebuild, a reconciliation), not a subscription:
the consumer is assigned, never joins a group, commits nothing. Records written after the call
started are not returned.
"""

from __future__ import annotations

from collections.abc import Iterator

from confluent_kafka import Message, TopicPartition

from supplystream.clients import make_consumer
from supplystream.errors import ClusterError
from supplystream.settings import Settings


def read_to_end(
    settings: Settings, topic: str, reader: str, ends: dict[str, int] | None = None
) -> Iterator[Message]:
    """Every record of ``topic`` up to its end offsets at the start, partition by partition in offset order
    (partitions interleaved). ``ends``, when given, receives ``"<topic>:<partition>" -> end offset``.
    ``reader`` names the client (its group id, never joined)."""
    consumer = make_consumer(settings, reader, **{"enable.partition.eof": False, "enable.auto.commit": False})
    try:
        described = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if described is None or described.error is not None:
            raise ClusterError(f"topic {topic!r} does not exist: run `supplystream topics apply`")
        partitions = sorted(described.partitions)
        bounds = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions}
        if ends is not None:
            for p, (_, high) in bounds.items():
                ends[f"{topic}:{p}"] = high
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in bounds.items()])
        remaining = {p for p, (low, high) in bounds.items() if high > low}
        while remaining:
            for message in consumer.consume(5000, timeout=1.0):
                if message.error() is not None:
                    continue
                partition, offset = message.partition() or 0, message.offset() or 0
                if offset < bounds[partition][1]:
                    yield message
                if offset + 1 >= bounds[partition][1]:
                    remaining.discard(partition)
            for p in list(remaining):  # the end may be a transaction marker or a compacted gap
                if consumer.position([TopicPartition(topic, p)])[0].offset >= bounds[p][1]:
                    remaining.discard(p)
    finally:
        consumer.close()
