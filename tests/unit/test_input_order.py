"""The records in flight in a worker's agents, and out-of-order deliveries judged per partition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from processors.input_order import InputOrder, PartitionOrder, Verdict


class _TP(NamedTuple):
    topic: str
    partition: int


TP = _TP("stock.moved", 3)


def test_a_partitions_first_record_is_placed_by_the_committed_offset() -> None:
    assert PartitionOrder().judge(TP, 40, committed=40) is Verdict.APPLY
    assert PartitionOrder().judge(TP, 39, committed=40) is Verdict.SEEN
    assert PartitionOrder().judge(TP, 44, committed=40) is Verdict.AHEAD


def test_without_a_committed_offset_the_first_record_starts_the_partition() -> None:
    order = PartitionOrder()
    assert order.judge(TP, 7, committed=None) is Verdict.APPLY
    assert order.next_offset[TP] == 8


def test_out_of_order_deliveries_are_told_apart_and_the_next_offset_never_goes_back() -> None:
    order = PartitionOrder()
    verdicts = [order.judge(TP, offset, committed=10) for offset in (10, 11, 14, 12, 15)]
    assert verdicts == [Verdict.APPLY, Verdict.APPLY, Verdict.AHEAD, Verdict.SEEN, Verdict.APPLY]
    assert order.next_offset[TP] == 16


def test_partitions_are_independent() -> None:
    order = PartitionOrder()
    assert order.judge(_TP("a", 0), 5, committed=5) is Verdict.APPLY
    assert order.judge(_TP("a", 1), 9, committed=2) is Verdict.AHEAD
    assert order.judge(_TP("a", 0), 6, committed=None) is Verdict.APPLY


# The faust adapter, over faust's own objects' shapes (no broker needed: faust is not under test here).


@dataclass(eq=False)
class _Message:
    tp: _TP
    offset: int
    acked: bool = False

    @property
    def topic(self) -> str:
        return self.tp.topic

    @property
    def partition(self) -> int:
        return self.tp.partition


@dataclass
class _Event:
    message: _Message


@dataclass
class _Consumer:
    _committed_offset: dict[Any, int | None]
    _unacked_messages: set[Any] = field(default_factory=set)


@dataclass
class _App:
    consumer: _Consumer


@dataclass
class _Stream:
    messages: list[_Message]

    async def events(self) -> AsyncIterator[_Event]:
        for message in self.messages:
            yield _Event(message)


def test_every_record_is_handed_over_and_out_of_order_ones_are_counted() -> None:
    guard = InputOrder(_App(_Consumer({TP: 20})))
    messages = [_Message(TP, offset) for offset in (20, 23, 21, 24)]

    async def consume() -> list[int]:
        return [event.message.offset async for event in guard.events(_Stream(messages))]

    assert asyncio.run(consume()) == [20, 23, 21, 24]
    assert guard.out_of_order == 2  # 23 ahead, 21 seen after it
    assert not any(m.acked for m in messages)  # faust acknowledges them as usual


def test_a_record_in_flight_when_the_worker_stops_on_an_error_is_not_acknowledged() -> None:
    consumer = _Consumer({TP: 20})
    guard = InputOrder(_App(consumer))
    messages = [_Message(TP, 20), _Message(TP, 21), _Message(TP, 22)]
    consumer._unacked_messages.update(messages)

    async def consume() -> None:
        async for event in guard.events(_Stream(messages)):
            if event.message.offset == 21:
                guard.abandon()  # what `stop_worker_on_error` does before the worker stops
                return

    asyncio.run(consume())
    assert [m.acked for m in messages] == [False, True, False]  # 20 was finished: faust acknowledges it
    assert messages[1] not in consumer._unacked_messages
    assert guard.order.next_offset[TP] == 21
