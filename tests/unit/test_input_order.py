"""Records applied in offset order per partition, whatever order faust hands them over in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from processors.input_order import RESEEK_AFTER_S, InputOrder, PartitionOrder, Verdict


class _TP(NamedTuple):
    topic: str
    partition: int


TP = _TP("stock.moved", 3)


def test_a_partitions_first_record_is_placed_by_the_committed_offset() -> None:
    order = PartitionOrder()
    assert order.judge(TP, 40, committed=40) is Verdict.APPLY
    assert PartitionOrder().judge(TP, 39, committed=40) is Verdict.SEEN
    assert PartitionOrder().judge(TP, 44, committed=40) is Verdict.HOLE


def test_without_a_committed_offset_the_first_record_starts_the_partition() -> None:
    order = PartitionOrder()
    assert order.judge(TP, 7, committed=None) is Verdict.APPLY
    assert order.next_offset[TP] == 8


def test_records_beyond_a_hole_wait_for_it_and_seen_ones_are_not_applied_again() -> None:
    order = PartitionOrder()
    verdicts = [order.judge(TP, offset, committed=10) for offset in (10, 11, 14, 15, 12, 13, 14, 11, 15)]
    assert verdicts == [
        Verdict.APPLY,
        Verdict.APPLY,
        Verdict.HOLE,
        Verdict.HOLE,
        Verdict.APPLY,
        Verdict.APPLY,
        Verdict.APPLY,
        Verdict.SEEN,
        Verdict.APPLY,
    ]


def test_partitions_are_independent() -> None:
    order = PartitionOrder()
    assert order.judge(_TP("a", 0), 5, committed=5) is Verdict.APPLY
    assert order.judge(_TP("a", 1), 9, committed=2) is Verdict.HOLE
    assert order.judge(_TP("a", 0), 6, committed=None) is Verdict.APPLY


def test_a_hole_is_sought_at_once_then_again_only_while_it_stays_open() -> None:
    order = PartitionOrder()
    order.judge(TP, 0, committed=0)
    assert order.judge(TP, 5, committed=0) is Verdict.HOLE
    assert order.seek_due(TP, now=100.0)
    assert not order.seek_due(TP, now=100.0 + RESEEK_AFTER_S / 2)
    assert order.overdue(now=100.0 + RESEEK_AFTER_S / 2) == {}
    assert order.overdue(now=100.0 + RESEEK_AFTER_S) == {TP: 1}
    assert order.judge(TP, 1, committed=0) is Verdict.APPLY
    assert order.overdue(now=200.0) == {}


# The faust adapter, over faust's own objects' shapes (no broker needed: faust is not under test here).


@dataclass(eq=False)
class _Message:
    tp: _TP
    offset: int
    acked: bool = False


@dataclass
class _Event:
    message: _Message


@dataclass
class _Consumer:
    _committed_offset: dict[Any, int | None]
    _unacked_messages: set[Any] = field(default_factory=set)
    seeks: list[dict[Any, int]] = field(default_factory=list)

    async def seek_wait(self, partitions: dict[Any, int]) -> None:
        self.seeks.append(dict(partitions))

    def assignment(self) -> set[Any]:
        return set(self._committed_offset)


@dataclass
class _App:
    consumer: _Consumer
    timers: list[Callable[[], Any]] = field(default_factory=list)

    def timer(self, _interval: float) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        def register(function: Callable[[], Any]) -> Callable[[], Any]:
            self.timers.append(function)
            return function

        return register


@dataclass
class _Stream:
    messages: list[_Message]

    async def events(self) -> AsyncIterator[_Event]:
        for message in self.messages:
            yield _Event(message)


def _run(offsets: list[int], committed: int, now: list[float]) -> tuple[list[int], _App, list[_Message]]:
    consumer = _Consumer({TP: committed})
    app = _App(consumer)
    guard = InputOrder(app, clock=lambda: now[0])
    messages = [_Message(TP, offset) for offset in offsets]
    consumer._unacked_messages.update(messages)

    async def consume() -> list[int]:
        return [event.message.offset async for event in guard.events(_Stream(messages))]

    return asyncio.run(consume()), app, messages


def test_the_adapter_applies_in_order_withholds_the_rest_and_seeks_back_to_the_hole() -> None:
    applied, app, messages = _run([20, 23, 24, 21, 22, 23, 20, 24], committed=20, now=[50.0])
    assert applied == [20, 21, 22, 23, 24]
    assert app.consumer.seeks == [{TP: 21}]  # once: the second record beyond the hole came too soon after
    withheld = [m.offset for m in messages if m.acked]
    assert withheld == [23, 24, 20]  # faust does not acknowledge them: no commit passes the hole
    assert not ({m for m in messages if m.acked} & app.consumer._unacked_messages)


def test_a_hole_still_open_is_sought_again_by_the_timer() -> None:
    now = [50.0]
    applied, app, _ = _run([20, 25], committed=20, now=now)
    assert applied == [20]
    now[0] += RESEEK_AFTER_S
    asyncio.run(app.timers[0]())
    assert app.consumer.seeks == [{TP: 21}, {TP: 21}]


def test_a_record_in_flight_when_the_worker_stops_on_an_error_is_not_acknowledged() -> None:
    consumer = _Consumer({TP: 20})
    guard = InputOrder(_App(consumer), clock=lambda: 0.0)
    messages = [_Message(TP, 20), _Message(TP, 21), _Message(TP, 22)]

    async def consume() -> None:
        async for event in guard.events(_Stream(messages)):
            if event.message.offset == 21:
                guard.abandon()  # what `stop_worker_on_error` does before the worker stops
                return

    asyncio.run(consume())
    assert [m.acked for m in messages] == [False, True, False]  # 20 was finished; faust acknowledges it
    assert guard.order.next_offset[TP] == 21


def test_a_hole_in_a_partition_revoked_meanwhile_is_forgotten_not_sought() -> None:
    now = [50.0]
    _, app, _ = _run([20, 25], committed=20, now=now)
    app.consumer._committed_offset.clear()  # the partition was revoked
    now[0] += RESEEK_AFTER_S
    asyncio.run(app.timers[0]())
    assert app.consumer.seeks == [{TP: 21}]  # only the first seek, when it was still assigned
    now[0] += RESEEK_AFTER_S
    asyncio.run(app.timers[0]())
    assert app.consumer.seeks == [{TP: 21}]
