"""How far a consumer group is behind: the end of each partition minus the group's committed offset."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition

from supplystream.errors import ClusterError
from supplystream.settings import Settings


def committed_lag(
    consumer: Consumer, topics: Sequence[str], timeout_s: float = 10.0
) -> dict[tuple[str, int], int]:
    """Records after the committed offset of ``consumer``'s group, per partition of ``topics``.

    A partition without a committed offset counts from its low watermark (where the group would start).
    """
    metadata = consumer.list_topics(timeout=timeout_s)
    partitions: list[TopicPartition] = []
    for topic in topics:
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise ClusterError(f"topic {topic!r} does not exist: run `supplystream topics apply`")
        partitions.extend(TopicPartition(topic, p) for p in sorted(described.partitions))
    lag: dict[tuple[str, int], int] = {}
    for tp in consumer.committed(partitions, timeout=timeout_s):
        low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s, cached=False)
        start = tp.offset if tp.offset >= 0 else low
        lag[(tp.topic, tp.partition)] = max(0, high - start)
    return lag


def group_lag(settings: Settings, group_id: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    """`committed_lag` of ``group_id``, read by a consumer that does not join the group."""
    # Imported here: supplystream.clients is the one factory, and this module is also used by tools.
    from supplystream.clients import make_consumer  # noqa: PLC0415

    consumer = make_consumer(settings, group_id)
    try:
        return committed_lag(consumer, topics)
    finally:
        consumer.close()
