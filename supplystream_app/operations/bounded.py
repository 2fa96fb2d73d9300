"""The one sink runtime, run over fixed windows instead of a live subscription.

`BoundedRun` is a plain `SinkRuntime` (same decoding, batching, retries, circuit breaker, dead letters,
commit after apply) fed by `PartitionWindows`: it *assigns* the windows' partitions in its own consumer
group (no rebalance touches the live group), and it stops at each window's end. Progress is what
the runtime commits: a partition is finished when its committed offset reaches the window's end (or
its end of log, when the last offsets are transaction markers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from sinks.base import Rejected, SinkAdapter, SinkRecord
from sinks.circuit import Circuit
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import Offsets, Position, RunSummary, SinkRuntime
from supplystream.settings import Settings, SinkSettings
from supplystream_app.operations.redrive import origin_of, with_origin
from supplystream_app.operations.window import Pace, PartitionWindow, total


class PartitionWindows:
    """A `PartitionSource` over fixed windows: assigned at their start, each paused once finished.

    With ``rate``, batches are paced to at most that many records per second.
    """

    joined = False
    #: Kept from the bounded runtime before the split: a partition paused for a deferred record is
    #: resumed only when the circuit closes, so a waiting record holds its window until ``stop``.
    resumes_waiting = False

    def __init__(self, windows: Sequence[PartitionWindow], rate: float | None = None) -> None:
        self.windows = {(w.topic, w.partition): w for w in windows if w.size > 0}
        self._progress: dict[Position, int] = {pos: w.start for pos, w in self.windows.items()}
        self._finished: set[Position] = set()
        self._pace = Pace(rate, time.monotonic()) if rate else None
        #: End-of-log offsets seen by the last `consume`.
        self._end_of_log: dict[Position, int] = {}

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

    # -- PartitionSource -----------------------------------------------------------------------

    def start(self, consumer: Consumer, offsets: Offsets) -> None:
        consumer.assign([TopicPartition(t, p, w.start) for (t, p), w in sorted(self.windows.items())])
        offsets.hold(set(self.windows))

    def consume(
        self, consumer: Consumer, batch_size: int, timeout_s: float, stop: threading.Event
    ) -> list[Message] | None:
        """The window's messages (and errors other than end of log); None if stopped while pacing."""
        wanted = batch_size
        if self._pace is not None:
            wanted = self._pace.batch(wanted)
            if stop.wait(self._pace.wait_before(time.monotonic())):
                return None
        inside: list[Message] = []
        self._end_of_log = {}
        for message in consumer.consume(wanted, timeout_s):
            position = (message.topic() or "", message.partition() or 0)
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                self._end_of_log[position] = message.offset() or 0
                continue
            if error is not None:
                inside.append(message)  # the runtime checks it
                continue
            window = self.windows.get(position)
            if window is not None and (message.offset() or 0) < window.end:
                inside.append(message)
        return inside

    def handled(self, consumer: Consumer, messages: Sequence[Message]) -> None:
        if messages and self._pace is not None:
            self._pace.release(len(messages))
        handled_end: dict[Position, int] = {}
        for message in messages:
            position = (message.topic() or "", message.partition() or 0)
            handled_end[position] = (message.offset() or 0) + 1
        for position, eof in self._end_of_log.items():
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
            consumer.pause([TopicPartition(t, p) for t, p in sorted(newly)])

    def committing(self, offsets: Mapping[Position, int]) -> None:
        for position, offset in offsets.items():
            if position in self._progress:
                self._progress[position] = max(self._progress[position], offset)

    def resumed(self, consumer: Consumer) -> None:
        if self._finished:  # the runtime resumed everything: keep finished ones paused
            consumer.pause([TopicPartition(t, p) for t, p in sorted(self._finished)])


def keep_origin(record: SinkRecord) -> SinkRecord:
    """A dead letter read for a re-drive, with ``supplystream.origin.*`` headers: if it fails again,
    its new dead letter still says where it came from."""
    return replace(record, headers=with_origin(record.headers))


class BoundedRun:
    """A `SinkRuntime` over ``windows``; see the module docstring. ``transform`` as in `SinkRuntime`
    (`keep_origin` for a re-drive of a dead-letter topic)."""

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
        transform: Callable[[SinkRecord], SinkRecord] | None = None,
    ) -> None:
        self.source = PartitionWindows(windows, rate)
        self.runtime = SinkRuntime(
            adapter,
            settings,
            routes=routes,
            config=config,
            metrics=metrics,
            consumer_overrides={"enable.partition.eof": True},
            source=self.source,
            transform=transform,
        )

    def __enter__(self) -> BoundedRun:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def windows(self) -> Mapping[Position, PartitionWindow]:
        return self.source.windows

    @property
    def total(self) -> int:
        """Offsets in all windows."""
        return self.source.total

    @property
    def done(self) -> int:
        """Offsets applied or dead-lettered so far."""
        return self.source.done

    @property
    def finished(self) -> bool:
        return self.source.finished

    @property
    def summary(self) -> RunSummary:
        return self.runtime.summary

    @property
    def circuit(self) -> Circuit:
        return self.runtime.circuit

    def run_to_end(self, stop: threading.Event, on_step: Callable[[BoundedRun], None] | None = None) -> None:
        """Step until every window is finished or ``stop`` is set; ``on_step(run)`` after each step."""
        self.runtime.start()
        while not self.finished and not stop.is_set():
            self.runtime.step(stop)
            if on_step is not None:
                on_step(self)
        self.runtime.commit()

    def close(self) -> None:
        self.runtime.close()


class OriginalTopicAdapter:
    """Hands dead letters to a sink as the events they were: original topic, partition and offset.

    Used to re-drive a dead-letter topic straight into its sink through `BoundedRun` (with
    `keep_origin`); records ``select`` refuses are skipped (counted in ``skipped``).
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
