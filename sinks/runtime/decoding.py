"""Decoding consumed messages into `SinkRecord`s (Avro through the schema registry).

A message that cannot be decoded becomes a dead letter; a registry that does not answer raises
`RegistryUnavailable`, and the loop reads the whole batch again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import Message

from sinks.base import SinkRecord
from sinks.runtime.counting import Tally
from sinks.runtime.errors import Position
from supplystream.dead_letters import DeadLetter
from supplystream.errors import DeserializationError, RegistryError
from supplystream.kafka_io import header_map
from supplystream.registry import is_unknown_schema
from supplystream.serde import AvroDeserializer

log = logging.getLogger("supplystream.sinks")


class RegistryUnavailable(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """The schema registry does not answer: nothing of the batch is done."""


@dataclass
class ConsumedBatch:
    """One consumed batch: decoded records, and what is done without a write."""

    records: list[SinkRecord] = field(default_factory=list)
    raw: dict[tuple[str, int, int], Message] = field(default_factory=dict)
    undecodable: list[tuple[Message, DeadLetter]] = field(default_factory=list)
    #: First offset of each partition in this batch.
    first_offsets: dict[Position, int] = field(default_factory=dict)
    #: Offset after the last record of each partition in this batch.
    end_offsets: dict[Position, int] = field(default_factory=dict)


class Decoder:
    """Decodes one batch; ``undecodable(message, headers, error)`` builds the dead letter of a message."""

    def __init__(
        self,
        decode: AvroDeserializer,
        tally: Tally,
        undecodable: Callable[[Message, Mapping[str, bytes], BaseException], DeadLetter],
    ) -> None:
        self._decode = decode
        self._tally = tally
        self._undecodable = undecodable

    def decode(self, messages: list[Message]) -> ConsumedBatch:
        consumed = ConsumedBatch()
        for message in messages:
            topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
            position = (topic, partition)
            consumed.first_offsets.setdefault(position, offset)
            consumed.end_offsets[position] = offset + 1
            value = message.value()
            if value is None:
                self._tally.summary.skipped_tombstones += 1  # a compacted topic's deletion marker
                continue
            headers = header_map(message)
            try:
                event = self._decode(value)
            except (DeserializationError, RegistryError) as exc:
                if isinstance(exc, RegistryError) and not is_unknown_schema(exc):
                    log.warning("%s: the schema registry does not answer: %s", self._tally.name, exc)
                    self._tally.client_error("registry_unavailable")
                    raise RegistryUnavailable from exc
                consumed.undecodable.append((message, self._undecodable(message, headers, exc)))
                continue
            key = message.key()
            record = SinkRecord(
                topic=topic,
                partition=partition,
                offset=offset,
                key=key.decode("utf-8", "replace") if key is not None else None,
                event=event,
                timestamp_ms=message.timestamp()[1],
                headers=headers,
            )
            consumed.records.append(record)
            consumed.raw[(topic, partition, offset)] = message
        return consumed
