"""Source positions in a compacted Kafka topic: where each source stopped, per model.

A position is written only after the events up to it were acknowledged, so a crash repeats some
events (same ids, deduplicated downstream) but never skips one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from confluent_kafka import Consumer, Producer

from supplystream.errors import PublishError
from supplystream.kafka_io import read_assigned_to_end, watermarks
from supplystream.odoo.client import Watermark

POSITIONS_TOPIC = "supplystream.source-positions"


@dataclass(frozen=True)
class Position:
    """A source's watermark for one model."""

    source: str
    model: str
    watermark: Watermark

    @property
    def key(self) -> str:
        """The record key (topics.yaml: ``source|model``)."""
        return f"{self.source}|{self.model}"

    def to_json(self) -> bytes:
        """The record value."""
        return json.dumps(
            {
                "source": self.source,
                "model": self.model,
                "write_date": self.watermark.write_date,
                "seen": sorted(self.watermark.seen),
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Position:
        """Parse a record value."""
        body = json.loads(data)
        return cls(body["source"], body["model"], Watermark(body["write_date"], frozenset(body["seen"])))


def load_positions(consumer: Consumer, timeout_s: float = 30.0) -> dict[str, Position]:
    """The latest position per key: read the compacted topic from the beginning to its end."""
    positions: dict[str, Position] = {}
    bounds = watermarks(consumer, POSITIONS_TOPIC, timeout_s)
    for message in read_assigned_to_end(consumer, POSITIONS_TOPIC, bounds):
        if message.value():
            position = Position.from_json(message.value() or b"")
            positions[position.key] = position
    consumer.unassign()
    return positions


def save_position(producer: Producer, position: Position, timeout_s: float = 30.0) -> None:
    """Write ``position`` and wait for Kafka's acknowledgement."""
    errors: list[str] = []
    producer.produce(
        POSITIONS_TOPIC,
        key=position.key.encode(),
        value=position.to_json(),
        on_delivery=lambda err, _msg: errors.append(str(err)) if err else None,
    )
    if producer.flush(timeout_s) or errors:
        raise PublishError(f"the position of {position.key} was not stored: {errors or 'timeout'}")
