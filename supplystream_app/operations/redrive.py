"""What a dead-letter re-drive selects and what the re-driven record carries (pure).

A re-drive sends a dead letter back (to its original topic, or straight into the sink) with
``supplystream.redriven*`` and ``supplystream.origin.*`` headers instead of the error ones. The
``origin`` headers survive a second dead-lettering, so a record that fails again can still be
re-driven to where it came from. The headers: "Replay and dead-letter re-drive" in the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from supplystream.dead_letters import HEADER_PREFIX
from supplystream.errors import ConfigurationError

REDRIVEN = "supplystream.redriven"
REDRIVEN_FROM = "supplystream.redriven.from"
ORIGIN_PREFIX = "supplystream.origin."

HeaderList = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a dead-lettered event was first consumed."""

    topic: str
    partition: int
    offset: int


class NotADeadLetterError(ConfigurationError):
    """A record in a dead-letter topic lacks the headers that say where it came from."""


def _text(headers: Mapping[str, bytes], name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("utf-8", "replace")


def origin_of(headers: Mapping[str, bytes]) -> Origin:
    """The original position: the ``origin`` headers of an earlier re-drive, else the error headers."""
    for prefix in (ORIGIN_PREFIX, HEADER_PREFIX):
        topic = _text(headers, prefix + "topic")
        partition = _text(headers, prefix + "partition")
        offset = _text(headers, prefix + "offset")
        if topic and partition and offset and partition.isdigit() and offset.isdigit():
            return Origin(topic, int(partition), int(offset))
    raise NotADeadLetterError(
        "the record has no supplystream.error.topic/partition/offset headers: it was not written by "
        "the sink runtime, so where to re-drive it is unknown"
    )


def error_class_of(headers: Mapping[str, bytes]) -> str:
    """The error class that dead-lettered the record (empty when unknown)."""
    return _text(headers, HEADER_PREFIX + "class") or ""


@dataclass(frozen=True, slots=True)
class RedriveFilter:
    """Which dead letters to re-drive: an error class (full name or its last part), or all."""

    error_class: str | None = None

    def matches(self, headers: Mapping[str, bytes]) -> bool:
        if self.error_class is None:
            return True
        found = error_class_of(headers)
        return found == self.error_class or found.rsplit(".", 1)[-1] == self.error_class


def with_origin(headers: Mapping[str, bytes]) -> dict[str, bytes]:
    """``headers`` plus the ``origin`` headers (so a second dead-lettering keeps the original position)."""
    origin = origin_of(headers)
    return {
        **headers,
        ORIGIN_PREFIX + "topic": origin.topic.encode(),
        ORIGIN_PREFIX + "partition": str(origin.partition).encode(),
        ORIGIN_PREFIX + "offset": str(origin.offset).encode(),
    }


def redriven_headers(
    headers: Mapping[str, bytes], dead_letter_topic: str, partition: int, offset: int
) -> HeaderList:
    """The headers of the re-driven record: the original ones, origin and re-drive marks, no error ones."""
    kept = {
        name: value
        for name, value in with_origin(headers).items()
        if not name.startswith(HEADER_PREFIX) and not name.startswith(REDRIVEN)
    }
    kept[REDRIVEN] = b"true"
    kept[REDRIVEN_FROM] = f"{dead_letter_topic}@{partition}:{offset}".encode()
    return list(kept.items())


def redrive_group(dead_letter_topic: str, selection: RedriveFilter, explicit_start: bool) -> str:
    """The consumer group that remembers how far re-drives of this selection got.

    Unfiltered re-drives share ``<dlq>.redrive``; a filtered one has a group per error class (so it never
    moves past records it did not select); one from an explicit ``--from-offset`` does not move either
    (``.range``: its commits are its own).
    """
    group = f"{dead_letter_topic}.redrive"
    if selection.error_class is not None:
        group += f".class.{selection.error_class}"
    if explicit_start:
        group += ".range"
    return group
