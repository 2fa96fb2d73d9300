"""The records a worker's agents are applying, and records faust hands over out of offset order.

`InputOrder.events` wraps an agent's stream: it knows which records are in flight, so a worker stopping on an
error (`processors.streams.stop_worker_on_error`) leaves them unacknowledged and its restart applies them. It
also judges each record against the partition's next offset (`PartitionOrder`, pure) and logs the ones faust
delivers out of order (records prefetched before a rebalance's or a recovery's seek; faust-streaming #216,
#221). Holding those back and seeking back was tried and dropped: under a steady stream the seek lost the
same race every time and stalled partitions (processors/ATP.md). Records are applied as delivered; the
ledger's marks keep re-deliveries harmless.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    APPLY = "apply"  # the next record of its partition
    SEEN = "seen"  # before the partition's next offset: delivered again
    AHEAD = "ahead"  # beyond the next offset: records between were not delivered (yet)


@dataclass
class PartitionOrder:
    """The next offset expected per partition (pure)."""

    next_offset: dict[Any, int] = field(default_factory=dict)

    def judge(self, tp: Any, offset: int, committed: int | None) -> Verdict:
        """Where ``offset`` stands in ``tp`` (``committed``, the committed offset as the consumer knows
        it, places a partition's first record); the partition then expects the record after it."""
        expected = self.next_offset.get(tp, committed)
        self.next_offset[tp] = max(offset + 1, expected or 0)
        if expected is None or offset == expected:
            return Verdict.APPLY
        return Verdict.SEEN if offset < expected else Verdict.AHEAD

    def unapply(self, tp: Any, offset: int) -> None:
        """``offset`` was handed over but not applied (its agent stopped on it): it is next again."""
        if self.next_offset.get(tp, offset) > offset:
            self.next_offset[tp] = offset


class InputOrder:
    """The faust adapter: the in-flight records of a worker's agents, and out-of-order deliveries logged."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.order = PartitionOrder()
        self.out_of_order = 0
        self._in_flight: set[Any] = set()  # messages handed to an agent and not finished

    async def events(self, stream: Any) -> AsyncIterator[Any]:
        """The stream's events, each tracked while its agent applies it."""
        consumer = self.app.consumer
        async for event in stream.events():
            message = event.message
            committed: Mapping[Any, int | None] = consumer._committed_offset
            expected = self.order.next_offset.get(message.tp, committed.get(message.tp))
            verdict = self.order.judge(message.tp, message.offset, committed.get(message.tp))
            if verdict is not Verdict.APPLY:
                self.out_of_order += 1
                log.info(
                    "%s[%d]: record %d delivered when %s was next (%s)",
                    message.topic,
                    message.partition,
                    message.offset,
                    expected,
                    verdict.value,
                    extra={"topic": message.topic, "partition": message.partition, "offset": message.offset},
                )
            self._in_flight.add(message)
            yield event
            self._in_flight.discard(message)

    def abandon(self) -> None:
        """The worker stops on an error: the records its agents were applying are not acknowledged
        (faust would acknowledge them when it closes the streams), so the next start applies them."""
        consumer = self.app.consumer
        for message in list(self._in_flight):
            self.order.unapply(message.tp, message.offset)
            message.acked = True  # faust's Message.ack is a no-op from here on
            consumer._unacked_messages.discard(message)  # else a rebalance would wait for it
        self._in_flight.clear()
