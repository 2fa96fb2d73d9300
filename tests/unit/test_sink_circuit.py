"""The circuit breaker's state machine."""

from __future__ import annotations

from sinks.circuit import Circuit, CircuitState, close, probe_due, probe_failed, seconds_to_probe, trip
from supplystream.backoff import Backoff

SCHEDULE = Backoff(base_s=1.0, factor=2.0, max_s=8.0, jitter=0.0)


def test_a_closed_circuit_never_probes() -> None:
    circuit = Circuit()
    assert not circuit.is_open
    assert not probe_due(circuit, 1e9)
    assert seconds_to_probe(circuit, 0.0) == 0.0


def test_tripping_opens_and_schedules_the_first_probe() -> None:
    circuit = trip(Circuit(), 100.0, SCHEDULE, 0.0)
    assert circuit.state is CircuitState.OPEN
    assert circuit.opened_at == 100.0
    assert not probe_due(circuit, 100.5)
    assert probe_due(circuit, 101.0)
    assert seconds_to_probe(circuit, 100.25) == 0.75


def test_failed_probes_back_off_to_the_cap() -> None:
    circuit = trip(Circuit(), 0.0, SCHEDULE, 0.0)
    gaps = []
    now = 1.0
    for _ in range(5):
        circuit = probe_failed(circuit, now, SCHEDULE, 0.0)
        assert circuit.next_probe_at is not None
        gaps.append(circuit.next_probe_at - now)
        now = circuit.next_probe_at
    assert gaps == [2.0, 4.0, 8.0, 8.0, 8.0]
    assert circuit.failed_probes == 5


def test_tripping_an_open_circuit_keeps_its_schedule() -> None:
    circuit = probe_failed(trip(Circuit(), 0.0, SCHEDULE, 0.0), 1.0, SCHEDULE, 0.0)
    assert trip(circuit, 2.0, SCHEDULE, 0.0) == circuit


def test_an_answer_closes_the_circuit() -> None:
    circuit = close(trip(Circuit(), 0.0, SCHEDULE, 0.0))
    assert circuit == Circuit()
    assert int(circuit.state) == 0
