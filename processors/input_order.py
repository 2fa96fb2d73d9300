"""Every input partition applied in offset order, each record once per worker, whatever faust delivers.

faust's consumer can hand a stream a record beyond one it never delivered: records prefetched before a
rebalance's (or a recovery's) seek reach the stream after it, and the consumer then drops the re-fetched
records below them (faust-streaming issues #216, #221). The ledger's marks would then take the records
left behind for duplicates, and the hole either skips or stalls the committed offset (the lag stuck at 5
in CI). `PartitionOrder` decides per record; `in_order` is the thin faust adapter: it applies records in
order, holds back a record beyond a hole unacknowledged (so no commit passes the hole), and seeks the
partition back to the hole until faust delivers it.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: A hole not filled this long after its seek is sought again (faust may drop the re-fetched records).
RESEEK_AFTER_S = 1.0


class Verdict(enum.Enum):
    APPLY = "apply"  # the next record of its partition
    SEEN = "seen"  # before the partition's next offset: applied already (by this worker or before the commit)
    HOLE = "hole"  # beyond the next offset: records between were not delivered


@dataclass
class PartitionOrder:
    """The next offset to apply per partition (pure: no faust, no clock but the one given)."""

    next_offset: dict[Any, int] = field(default_factory=dict)
    holes: dict[Any, float] = field(default_factory=dict)  # partition -> when it was last sought back

    def judge(self, tp: Any, offset: int, committed: int | None) -> Verdict:
        """Where ``offset`` stands in ``tp``. ``committed`` (the group's committed offset as the consumer
        knows it) places a partition's first record: before it, applied already; beyond it, a hole."""
        expected = self.next_offset.get(tp, committed)
        if expected is None or offset == expected:
            self.next_offset[tp] = offset + 1
            self.holes.pop(tp, None)
            return Verdict.APPLY
        return Verdict.SEEN if offset < expected else Verdict.HOLE

    def unapply(self, tp: Any, offset: int) -> None:
        """``offset`` was handed over but not applied (its agent stopped on it): it is next again."""
        if self.next_offset.get(tp, offset) > offset:
            self.next_offset[tp] = offset

    def seek_due(self, tp: Any, now: float) -> bool:
        """Whether to seek ``tp`` back to its hole now (at once, then every `RESEEK_AFTER_S`)."""
        last = self.holes.get(tp)
        if last is not None and now - last < RESEEK_AFTER_S:
            return False
        self.holes[tp] = now
        return True

    def forget(self, tp: Any) -> None:
        """``tp`` is not this worker's any more: if it comes back, its committed offset places it again."""
        self.next_offset.pop(tp, None)
        self.holes.pop(tp, None)

    def overdue(self, now: float) -> dict[Any, int]:
        """Partitions whose hole is still open a while after its seek, with the offset to seek to."""
        return {
            tp: self.next_offset[tp]
            for tp, last in self.holes.items()
            if now - last >= RESEEK_AFTER_S and tp in self.next_offset
        }


class InputOrder:
    """One `PartitionOrder` for a faust app's agents, with the seeks that fill holes (the adapter)."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.order = PartitionOrder()
        self.clock = clock
        self.holes_seen = 0
        self._in_flight: set[Any] = set()  # messages handed to an agent and not finished
        app.timer(RESEEK_AFTER_S)(self._reseek_overdue)

    async def events(self, stream: Any) -> AsyncIterator[Any]:
        """The stream's events to apply, in offset order per partition."""
        consumer = self.app.consumer
        async for event in stream.events():
            message = event.message
            committed: Mapping[Any, int | None] = consumer._committed_offset
            verdict = self.order.judge(message.tp, message.offset, committed.get(message.tp))
            if verdict is Verdict.APPLY:
                self._in_flight.add(message)
                yield event
                self._in_flight.discard(message)
                continue
            _withhold(consumer, message)
            if verdict is Verdict.HOLE:
                self.holes_seen += 1
                if self.order.seek_due(message.tp, self.clock()):
                    await self._seek(message.tp, self.order.next_offset[message.tp], message.offset)

    def abandon(self) -> None:
        """The worker stops on an error: the records its agents were applying are not acknowledged
        (faust would acknowledge them when it closes the streams), so the next start applies them."""
        consumer = self.app.consumer
        for message in list(self._in_flight):
            self.order.unapply(message.tp, message.offset)
            _withhold(consumer, message)
        self._in_flight.clear()

    async def _reseek_overdue(self) -> None:
        now = self.clock()
        overdue = self.order.overdue(now)
        assigned = self.app.consumer.assignment() if overdue else set()
        for tp, offset in overdue.items():
            if tp not in assigned:  # revoked meanwhile: its new owner resumes it from the committed offset
                self.order.forget(tp)
                continue
            self.order.holes[tp] = now
            await self._seek(tp, offset, None)

    async def _seek(self, tp: Any, offset: int, delivered: int | None) -> None:
        log.warning(
            "%s[%d]: record %s delivered before %d; seeking back to %d (records are applied in order)",
            tp.topic,
            tp.partition,
            "?" if delivered is None else delivered,
            offset,
            offset,
            extra={"topic": tp.topic, "partition": tp.partition, "offset": offset},
        )
        try:
            await self.app.consumer.seek_wait({tp: offset})
        except Exception as exc:  # noqa: BLE001 - a partition revoked meanwhile: its new owner resumes it
            log.info("seek of %s[%d] to %d not done: %r", tp.topic, tp.partition, offset, exc)


def _withhold(consumer: Any, message: Any) -> None:
    """Keep faust from acknowledging a record not applied now (held back beyond a hole, or seen again):
    an acknowledged offset beyond a hole would let the next commit pass the hole."""
    message.acked = True
    consumer._unacked_messages.discard(message)
