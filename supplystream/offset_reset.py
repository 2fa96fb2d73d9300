"""Planning and applying `supplystream offsets reset GROUP --to-datetime T`.

The plan is pure: for each partition, the group's current committed offset and the new one (the first
record at or after T, or the end of the partition when nothing is that recent). Applying it refuses
while the group has members: they would overwrite the new offsets with their own next commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from supplystream.clients import make_consumer
from supplystream.consumer_lag import Position, committed_offsets, partitions_of
from supplystream.errors import ClusterError, ConsumerGroupActiveError
from supplystream.settings import Settings


@dataclass(frozen=True)
class OffsetMove:
    """One partition's reset."""

    topic: str
    partition: int
    current: int | None
    new: int

    @property
    def delta(self) -> int | None:
        """Records the group will read again (positive) or skip (negative); None if never committed."""
        return None if self.current is None else self.current - self.new


def plan_reset(
    current: Mapping[Position, int],
    found: Mapping[Position, int],
    ends: Mapping[Position, int],
) -> list[OffsetMove]:
    """The moves for every partition in ``ends``: to ``found`` (offsets_for_times' answer), or to the end
    when it found nothing (negative offset: no record at or after the time)."""
    moves: list[OffsetMove] = []
    for position in sorted(ends):
        target = found.get(position, -1)
        new = target if target >= 0 else ends[position]
        moves.append(OffsetMove(position[0], position[1], current.get(position), new))
    return moves


def to_epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def active_members(admin: AdminClient, group: str, timeout_s: float = 10.0) -> list[str]:
    """The group's members (``client_id@host``); empty when nobody consumes in it."""
    try:
        description = admin.describe_consumer_groups([group], request_timeout=timeout_s)[group].result()
    except KafkaException as exc:
        raise ClusterError(f"cannot describe group {group!r}: {exc}") from exc
    return [f"{m.client_id}@{m.host}" for m in description.members or []]


def refuse_when_active(group: str, members: Sequence[str]) -> None:
    """`ConsumerGroupActiveError` telling the operator how to proceed when ``members`` is not empty."""
    if members:
        raise ConsumerGroupActiveError(
            f"group {group!r} has {len(members)} active member(s) ({', '.join(members[:5])}): they would "
            "overwrite the reset with their next commit. Stop its consumers (the sink, processor or service "
            "using this group) and run the reset again, or leave them running and use `supplystream replay`, "
            "which re-reads the window in a shadow group and applies it side-effect-safely."
        )


def plan_for(
    settings: Settings, group: str, moment: dt.datetime, topics: Sequence[str] = ()
) -> list[OffsetMove]:
    """The reset plan of ``group`` on ``topics`` (default: the topics it committed on)."""
    current = committed_offsets(settings, group, topics)
    consumer = make_consumer(settings, f"supplystream.offset-planner.{uuid.uuid4().hex[:8]}")
    try:
        if topics:
            positions = partitions_of(consumer, topics)
        else:
            positions = sorted(current)
            if not positions:
                raise ClusterError(f"group {group!r} has no committed offsets: name the topics with --topic")
        stamp = to_epoch_ms(moment)
        asked = [TopicPartition(t, p, stamp) for t, p in positions]
        found = {(tp.topic, tp.partition): tp.offset for tp in consumer.offsets_for_times(asked, timeout=10)}
        ends = {
            (t, p): consumer.get_watermark_offsets(TopicPartition(t, p), timeout=10, cached=False)[1]
            for t, p in positions
        }
    finally:
        consumer.close()
    return plan_reset(current, found, ends)


def apply_reset(admin: AdminClient, group: str, moves: Sequence[OffsetMove]) -> None:
    """Commit the new offsets for ``group`` (refused by the broker too if members joined meanwhile)."""
    partitions = [TopicPartition(m.topic, m.partition, m.new) for m in moves]
    futures = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)])
    try:
        futures[group].result()
    except KafkaException as exc:
        raise ClusterError(
            f"Kafka refused the new offsets of group {group!r}: {exc}. If consumers joined the group "
            "meanwhile, stop them and run the reset again."
        ) from exc
