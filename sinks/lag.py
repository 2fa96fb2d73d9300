"""How far a consumer group is behind: the end of each partition minus the group's committed offset.

One definition of lag for the whole platform: `supplystream.consumer_lag.lag_of` (a committed offset
below the low watermark counts from the low watermark, where the group would start again).
"""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition

from supplystream.consumer_lag import LagReader, lag_of, partitions_of
from supplystream.settings import Settings


def committed_lag(
    consumer: Consumer, topics: Sequence[str], timeout_s: float = 10.0
) -> dict[tuple[str, int], int]:
    """Records after the committed offset of ``consumer``'s group, per partition of ``topics``."""
    partitions = [TopicPartition(t, p) for t, p in partitions_of(consumer, topics, timeout_s)]
    lag: dict[tuple[str, int], int] = {}
    for tp in consumer.committed(partitions, timeout=timeout_s):
        low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s, cached=False)
        lag[(tp.topic, tp.partition)] = lag_of(tp.offset if tp.offset >= 0 else None, low, high)
    return lag


def group_lag(settings: Settings, group_id: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    """`committed_lag` of ``group_id``, read without joining the group."""
    with LagReader(settings) as reader:
        lags = reader.group_lag(group_id, topics, with_time_lag=False)
    return {(x.topic, x.partition): x.lag for x in lags}
