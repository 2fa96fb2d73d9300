"""Which offsets a replay reads, how fast, and under which consumer group (pure).

A window is half-open per partition: ``[start, end)``. Its end is fixed when the replay starts
(the end offsets captured then, or the operator's ``--to``), so records produced meanwhile are left
to the live consumer group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from supplystream.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class PartitionWindow:
    """Offsets ``[start, end)`` of one partition."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        """Offsets in the window (records, unless compaction removed some)."""
        return max(0, self.end - self.start)

    @property
    def label(self) -> str:
        return f"{self.topic}[{self.partition}]"


def clamp_window(
    topic: str, partition: int, low: int, high: int, *, start: int | None, end: int | None
) -> PartitionWindow:
    """The window ``[start, end)`` inside the partition's retained offsets ``[low, high)``.

    ``None`` means the low watermark (start) or the high watermark (end).
    """
    first = low if start is None else min(max(start, low), high)
    last = high if end is None else min(max(end, first), high)
    return PartitionWindow(topic, partition, first, max(first, last))


def offset_for_time(found: int, high: int) -> int:
    """An ``offsets_for_times`` answer as an offset: ``-1`` (no record at or after the time) → the end."""
    return found if found >= 0 else high


def total(windows: Iterable[PartitionWindow]) -> int:
    """Offsets in all windows."""
    return sum(window.size for window in windows)


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 date-time; without a zone it is UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"{text!r} is not an ISO 8601 date-time; write e.g. 2026-05-09T07:30:00Z"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def epoch_millis(moment: dt.datetime) -> int:
    """``moment`` in epoch milliseconds (Kafka's record timestamps)."""
    return int(moment.timestamp() * 1000)


def shadow_group(consumer: str, moment: dt.datetime) -> str:
    """The replay's own consumer group: ``planning-sink.replay.20260509T073000Z`` (never the live one)."""
    return f"{consumer}.replay.{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def check_window_options(
    from_time: str | None, to_time: str | None, from_offset: int | None, to_offset: int | None
) -> None:
    """A window is given by date-times or by offsets, not both."""
    if (from_time or to_time) and (from_offset is not None or to_offset is not None):
        raise ConfigurationError(
            "give the window either as --from/--to date-times or as --from-offset/--to-offset, not both"
        )


@dataclass
class Pace:
    """At most ``per_second`` records per second since ``started`` (monotonic seconds)."""

    per_second: float
    started: float
    released: int = 0

    def __post_init__(self) -> None:
        if self.per_second <= 0:
            raise ConfigurationError(f"--rate must be positive, not {self.per_second}")

    def batch(self, wanted: int) -> int:
        """How many records to take at once: about a tenth of a second's worth, at least one."""
        return max(1, min(wanted, int(self.per_second / 10)))

    def wait_before(self, now: float) -> float:
        """Seconds to wait before the next records may be released."""
        due = self.started + self.released / self.per_second
        return max(0.0, due - now)

    def release(self, count: int) -> None:
        self.released += count
