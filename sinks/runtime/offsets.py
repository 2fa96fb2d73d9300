"""The partitions a sink runtime holds and the offsets it applied but has not committed yet.

An offset is marked only once its records are applied or dead-lettered; a commit that fails (a
rebalance in progress) keeps them for the next commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from confluent_kafka import Consumer, KafkaException, TopicPartition

from sinks.runtime.errors import Position

log = logging.getLogger("supplystream.sinks")


class Offsets:
    """Assigned partitions, uncommitted offsets, commits and rewinds of one consumer."""

    def __init__(
        self,
        consumer: Consumer,
        sink: str,
        *,
        committing: Callable[[Mapping[Position, int]], None],
        forget_waiting: Callable[[set[Position]], None],
    ) -> None:
        self.assigned: set[Position] = set()
        #: Offsets applied but not yet committed (a commit that failed is retried later).
        self.uncommitted: dict[Position, int] = {}
        self._consumer = consumer
        self._sink = sink
        self._committing = committing
        self._forget_waiting = forget_waiting

    def mark(self, position: Position, offset: int) -> None:
        """Everything before ``offset`` in ``position`` is applied (or dead-lettered)."""
        self.uncommitted[position] = offset

    def commit(self) -> None:
        """Commit the uncommitted offsets (synchronously); on failure keep them for the next time."""
        if not self.uncommitted:
            return
        self._committing(self.uncommitted)
        offsets = [TopicPartition(t, p, o) for (t, p), o in sorted(self.uncommitted.items())]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # A rebalance in progress: the records will be read again (idempotent writes) or committed later.
            log.warning("%s: commit failed (%s); kept for the next commit", self._sink, exc)
            return
        self.uncommitted.clear()

    def rewind(self, first_unapplied: Mapping[Position, int]) -> None:
        """Seek the held partitions back to their first unapplied offset."""
        for (topic, partition), offset in first_unapplied.items():
            if (topic, partition) in self.assigned:
                self._consumer.seek(TopicPartition(topic, partition, offset))

    def pause_all(self) -> None:
        if self.assigned:
            self._consumer.pause([TopicPartition(t, p) for t, p in sorted(self.assigned)])

    def resume_all(self) -> None:
        self._consumer.resume([TopicPartition(t, p) for t, p in sorted(self.assigned)])

    # -- what a partition source reports -------------------------------------------------------

    def hold(self, positions: set[Position]) -> None:
        """The consumer reads these partitions now."""
        self.assigned |= positions

    def hand_back(self, positions: set[Position]) -> None:
        """Revoked: commit what was applied first, then let go of them."""
        self.commit()
        self.drop(positions)

    def drop(self, positions: set[Position]) -> None:
        """Lost (or handed back): their uncommitted offsets and waiting records are another member's now."""
        for position in positions:
            self.uncommitted.pop(position, None)
        self._forget_waiting(positions)
        self.assigned -= positions
