"""What every sink is made of: the records it receives, the errors it may raise, the one method it writes.

The sink runtime (`sinks.runtime`) owns everything else — consuming in batches, decoding, retries with
backoff, the circuit breaker, dead letters, commits. A sink adapter only says how a batch of decoded
events becomes state in its target, idempotently:

- applying the same event twice, or an older per-key version after a newer one, changes nothing;
- the applied version is stored in the target in the same write wherever the target allows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from supplystream.errors import SupplyStreamError


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """One consumed, decoded event, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    #: The decoded Avro record (logical types applied: Decimal, datetime, ...).
    event: Mapping[str, Any]
    timestamp_ms: int
    headers: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return str(self.event.get("event_id", ""))

    @property
    def correlation_id(self) -> str:
        return str(self.event.get("correlation_id", ""))

    @property
    def event_type(self) -> str:
        return str(self.event.get("event_type", self.topic))


class SinkError(SupplyStreamError):
    """A sink could not apply an event. Subclasses say whether trying again can help."""


class TransientSinkError(SinkError):
    """Trying again later may succeed (a lock, a concurrent update, a 429): retried with backoff."""


class TargetUnavailableError(TransientSinkError):
    """The target does not answer (refused, 5xx, timeout): the circuit opens, partitions pause."""


class PermanentSinkError(SinkError):
    """This event can never be applied as it is (conflicting data, a missing record): dead-lettered."""


class NotYetApplicableError(PermanentSinkError):
    """This event depends on one the target has not applied yet (an order not created yet, a delivery
    not there before its order is confirmed): most likely that one is still on its way on another
    topic or partition, since Kafka orders records only within a partition.

    Returned in a `Rejected` (or raised for a single record). The runtime does not dead-letter it at
    once: it rewinds the record's partition to it, pauses that partition for a backoff (the others go
    on; the records before it are committed) and tries again, until ``defer_timeout_s`` has passed
    since it was first deferred; only then is it dead-lettered, with a message saying what it waited
    for. A runtime that does not know this class treats it as the `PermanentSinkError` it is.
    """


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record of the batch that cannot be applied, and why; the rest of the batch was applied."""

    record: SinkRecord
    error: PermanentSinkError


class SinkAdapter(Protocol):
    """The one thing a sink implements."""

    #: The consuming application's name in topics.yaml (``planning-sink``); the dead-letter topic and the
    #: consumer group follow from it.
    name: str

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        """Apply ``batch`` (in offset order per partition) idempotently; return the records rejected.

        Raise `TransientSinkError` / `TargetUnavailableError` when the whole batch should be retried
        (it will be re-sent as is, so the write must be idempotent). Per-record permanent problems are
        returned, not raised, so the other records still apply; a record that must wait for another
        one is returned with a `NotYetApplicableError` (the records after it on its partition may
        have been applied: they are written again when the partition is retried).
        """
        ...

    def probe(self) -> bool:
        """Whether the target answers again (the runtime calls it while the circuit is open)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
