"""Where a sink runtime's records come from: a `PartitionSource` decides which partitions its consumer
reads, how it takes a batch, and when the run is finished.

Live sinks use `Subscription` (the group's rebalances hand out partitions); a bounded run assigns
fixed windows instead (`supplystream_app.operations.bounded`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from confluent_kafka import Consumer, Message, TopicPartition

from sinks.runtime.errors import Position
from sinks.runtime.offsets import Offsets

log = logging.getLogger("supplystream.sinks")


class PartitionSource(Protocol):
    """Which partitions a `SinkRuntime` reads, and when it is done with them."""

    @property
    def finished(self) -> bool:
        """Nothing more to read: the runtime's steps do nothing."""
        ...

    @property
    def joined(self) -> bool:
        """Partitions were handed to the consumer at least once (for health checks)."""
        ...

    @property
    def resumes_waiting(self) -> bool:
        """Whether partitions paused for a deferred record are resumed when it is due for another try."""
        ...

    def start(self, consumer: Consumer, offsets: Offsets) -> None:
        """Subscribe or assign (called once); tell ``offsets`` which partitions are held."""
        ...

    def consume(
        self, consumer: Consumer, batch_size: int, timeout_s: float, stop: threading.Event
    ) -> list[Message] | None:
        """The next messages, errors included (the runtime checks them); None if ``stop`` was set first."""
        ...

    def handled(self, consumer: Consumer, messages: Sequence[Message]) -> None:
        """The runtime handled ``messages`` (the usable ones of the last `consume`) and committed."""
        ...

    def committing(self, offsets: Mapping[Position, int]) -> None:
        """The runtime is about to commit ``offsets`` (applied or dead-lettered up to there)."""
        ...

    def resumed(self, consumer: Consumer) -> None:
        """The circuit closed and the runtime resumed every held partition."""
        ...


class Subscription:
    """Subscribe to the topics in the sink's consumer group; rebalances hand out the partitions."""

    finished = False
    resumes_waiting = True

    def __init__(self, topics: Sequence[str], sink: str) -> None:
        self.topics = tuple(topics)
        self.joined = False
        self._sink = sink

    def start(self, consumer: Consumer, offsets: Offsets) -> None:
        def on_assign(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            offsets.hold(_positions(partitions))
            self.joined = True
            log.info("%s: assigned %s", self._sink, _describe(partitions))

        def on_revoke(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            offsets.hand_back(_positions(partitions))
            log.info("%s: revoked %s", self._sink, _describe(partitions))

        def on_lost(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            offsets.drop(_positions(partitions))
            log.warning("%s: lost %s (another member owns them now)", self._sink, _describe(partitions))

        consumer.subscribe(list(self.topics), on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)

    def consume(
        self,
        consumer: Consumer,
        batch_size: int,
        timeout_s: float,
        stop: threading.Event,  # noqa: ARG002 - no pacing: nothing to wait for
    ) -> list[Message] | None:
        return consumer.consume(batch_size, timeout_s)

    def handled(self, consumer: Consumer, messages: Sequence[Message]) -> None:
        pass

    def committing(self, offsets: Mapping[Position, int]) -> None:
        pass

    def resumed(self, consumer: Consumer) -> None:
        pass


def _positions(partitions: list[TopicPartition]) -> set[Position]:
    return {(tp.topic, tp.partition) for tp in partitions}


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
