"""The one sink runtime, run over fixed windows instead of a live subscription.

`BoundedSinkRuntime` is `SinkRuntime` (same decoding, batching, retries, circuit breaker, dead letters,
commit after apply) with two differences: it *assigns* the windows' partitions in its own consumer
group (no rebalance touches the live group), and it stops at each window's end. Progress is what
the runtime commits: a partition is finished when its committed offset reaches the window's end (or
its end of log, when the last offsets are transaction markers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from confluent_kafka import KafkaError, Message, TopicPartition

from sinks.base import Rejected, SinkAdapter, SinkRecord
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import ConsumedBatch, SinkRuntime
from supplystream.settings import Settings, SinkSettings
from supplystream_app.operations.redrive import origin_of, with_origin
from supplystream_app.operations.window import Pace, PartitionWindow, total

Position = tuple[str, int]


class BoundedSinkRuntime(SinkRuntime):
    """`SinkRuntime` over ``windows``; see the module docstring."""

    def __init__(
        self,
        adapter: SinkAdapter,
        settings: Settings,
        *,
        routes: SinkRoutes,
        windows: Sequence[PartitionWindow],
        config: SinkSettings | None = None,
        metrics: SinkMetrics | None = None,
        rate: float | None = None,
    ) -> None:
        super().__init__(
            adapter,
            settings,
            routes=routes,
            config=config,
            metrics=metrics,
            consumer_overrides={"enable.partition.eof": True},
        )
        self.windows = {(w.topic, w.partition): w for w in windows if w.size > 0}
        self._progress: dict[Position, int] = {pos: w.start for pos, w in self.windows.items()}
        self._finished: set[Position] = set()
        self._pace = Pace(rate, time.monotonic()) if rate else None

    # -- what the caller reads -----------------------------------------------------------------

    @property
    def total(self) -> int:
        """Offsets in all windows."""
        return total(self.windows.values())

    @property
    def done(self) -> int:
        """Offsets applied or dead-lettered so far."""
        return sum(min(self._progress[pos], w.end) - w.start for pos, w in self.windows.items())

    @property
    def finished(self) -> bool:
        return len(self._finished) == len(self.windows)

    def run_to_end(
        self, stop: threading.Event, on_step: Callable[[BoundedSinkRuntime], None] | None = None
    ) -> None:
        """Step until every window is finished or ``stop`` is set; ``on_step(runtime)`` after each step."""
        self._subscribe()
        while not self.finished and not stop.is_set():
            self.step(stop)
            if on_step is not None:
                on_step(self)
        self._commit_uncommitted()

    # -- SinkRuntime hooks ---------------------------------------------------------------------

    def _subscribe(self) -> None:
        if self._subscribed:
            return
        self._consumer.assign([TopicPartition(t, p, w.start) for (t, p), w in sorted(self.windows.items())])
        self._assigned = set(self.windows)
        self._subscribed = True

    def step(self, stop: threading.Event) -> int:
        if self.finished:
            return 0
        if self._circuit.is_open:
            self._while_open()
            return 0
        wanted = self.config.batch_size
        if self._pace is not None:
            wanted = self._pace.batch(wanted)
            if stop.wait(self._pace.wait_before(time.monotonic())):
                return 0
        inside: list[Message] = []
        end_of_log: dict[Position, int] = {}
        for message in self._consumer.consume(wanted, self.config.poll_timeout_s):
            position = (message.topic() or "", message.partition() or 0)
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                end_of_log[position] = message.offset() or 0
                continue
            if not self._usable(message):
                continue
            window = self.windows.get(position)
            if window is not None and (message.offset() or 0) < window.end:
                inside.append(message)
        if inside:
            if self._pace is not None:
                self._pace.release(len(inside))
            self._handle(inside, stop)
        self._finish(inside, end_of_log)
        return len(inside)

    def _commit_uncommitted(self) -> None:
        for position, offset in self._uncommitted.items():
            if position in self._progress:
                self._progress[position] = max(self._progress[position], offset)
        super()._commit_uncommitted()

    def _while_open(self) -> None:
        super()._while_open()
        if not self._circuit.is_open and self._finished:  # resumed everything: keep finished ones paused
            self._consumer.pause([TopicPartition(t, p) for t, p in sorted(self._finished)])

    # -- finishing -----------------------------------------------------------------------------

    def _finish(self, handled: Sequence[Message], end_of_log: Mapping[Position, int]) -> None:
        handled_end: dict[Position, int] = {}
        for message in handled:
            position = (message.topic() or "", message.partition() or 0)
            handled_end[position] = (message.offset() or 0) + 1
        for position, eof in end_of_log.items():
            # The end of the log was reached and all handled records of it are applied: nothing more
            # can come from before the window's end (the rest are transaction markers).
            if position in self._progress and self._progress[position] >= handled_end.get(position, 0):
                self._progress[position] = max(self._progress[position], min(eof, self.windows[position].end))
        newly = [
            pos
            for pos, window in self.windows.items()
            if pos not in self._finished and self._progress[pos] >= window.end
        ]
        if newly:
            self._finished.update(newly)
            self._consumer.pause([TopicPartition(t, p) for t, p in sorted(newly)])


class OriginalTopicAdapter:
    """Hands dead letters to a sink as the events they were: original topic, partition and offset.

    Used to re-drive a dead-letter topic straight into its sink through `BoundedSinkRuntime`; records
    ``select`` refuses are skipped (counted in ``skipped``).
    """

    def __init__(self, inner: SinkAdapter, select: Callable[[Mapping[str, bytes]], bool]) -> None:
        self.inner = inner
        self.name = inner.name
        self._select = select
        self.skipped = 0

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        chosen = [record for record in batch if self._select(record.headers)]
        self.skipped += len(batch) - len(chosen)
        originals: dict[int, SinkRecord] = {}
        as_original: list[SinkRecord] = []
        for record in chosen:
            origin = origin_of(record.headers)
            mapped = replace(record, topic=origin.topic, partition=origin.partition, offset=origin.offset)
            originals[id(mapped)] = record
            as_original.append(mapped)
        rejected = self.inner.write(as_original) if as_original else []
        return [Rejected(originals.get(id(r.record), r.record), r.error) for r in rejected]

    def probe(self) -> bool:
        return self.inner.probe()

    def close(self) -> None:
        self.inner.close()


class RedriveSinkRuntime(BoundedSinkRuntime):
    """`BoundedSinkRuntime` reading a dead-letter topic: records get ``supplystream.origin.*`` headers
    before the write, so if they fail again their new dead letter still says where they came from."""

    def _decode_batch(self, messages: list[Message]) -> ConsumedBatch:
        consumed = super()._decode_batch(messages)
        consumed.records = [replace(r, headers=with_origin(r.headers)) for r in consumed.records]
        return consumed
