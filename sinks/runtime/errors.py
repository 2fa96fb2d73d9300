"""The sink runtime's one error, and how it names a partition."""

from __future__ import annotations

from supplystream.errors import SupplyStreamError

#: A partition: (topic, partition).
Position = tuple[str, int]


class SinkRuntimeError(SupplyStreamError):
    """The runtime cannot go on safely (dead letters not acknowledged, Kafka fatal error)."""
