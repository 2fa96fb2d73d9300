"""The circuit breaker of a sink, as a pure state machine over explicit times.

Closed: batches flow. When the target does not answer (`TargetUnavailableError`) the circuit *trips*:
it is open, the runtime pauses every partition, and the target is probed at backoff intervals
(`probe_due`). A probe that fails schedules the next one further out; one that answers closes the
circuit and the partitions resume where they stopped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from supplystream.backoff import Backoff


class CircuitState(enum.IntEnum):
    """Exported as the circuit-state gauge: 0 closed, 1 open."""

    CLOSED = 0
    OPEN = 1


@dataclass(frozen=True, slots=True)
class Circuit:
    """Where the breaker stands. Times are monotonic seconds."""

    state: CircuitState = CircuitState.CLOSED
    opened_at: float | None = None
    #: Probes that failed since the circuit opened.
    failed_probes: int = 0
    next_probe_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.state is CircuitState.OPEN


def trip(circuit: Circuit, now: float, schedule: Backoff, random_fraction: float) -> Circuit:
    """The target stopped answering: open (or stay open), first probe after one backoff step."""
    if circuit.is_open:
        return circuit
    return Circuit(CircuitState.OPEN, now, 0, now + schedule.delay(1, random_fraction))


def probe_due(circuit: Circuit, now: float) -> bool:
    """Whether the runtime should probe the target now."""
    return circuit.is_open and circuit.next_probe_at is not None and now >= circuit.next_probe_at


def seconds_to_probe(circuit: Circuit, now: float) -> float:
    """How long until the next probe (0 when due, or when the circuit is closed)."""
    if not circuit.is_open or circuit.next_probe_at is None:
        return 0.0
    return max(0.0, circuit.next_probe_at - now)


def probe_failed(circuit: Circuit, now: float, schedule: Backoff, random_fraction: float) -> Circuit:
    """The target still does not answer: wait longer before the next probe."""
    failed = circuit.failed_probes + 1
    next_probe_at = now + schedule.delay(failed + 1, random_fraction)
    return replace(circuit, failed_probes=failed, next_probe_at=next_probe_at)


def close(_circuit: Circuit) -> Circuit:
    """The target answers again."""
    return Circuit()
