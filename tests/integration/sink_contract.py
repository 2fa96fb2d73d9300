"""The contract every sink passes, run through the real sink runtime, broker and registry.

A sink's test module subclasses `SinkContract` (named ``Test...``), provides the fixtures ``target``
(the sink's target, ready and empty) and ``outage_target`` (one the test may stop and start; it can be
the same object), and implements the abstract methods. The suite then checks the issue's acceptance:

- ``test_stream_with_duplicates_and_out_of_order_versions``: ``stream_size`` events (10,000 by
  default) including duplicates and older versions after newer ones → the target's state equals
  `expected_state`, nothing applied twice (`duplicate_effects`), nothing dead-lettered;
- ``test_poison_event_is_dead_lettered_and_the_partition_moves_on``: the poison event lands in the
  dead-letter topic with every ``supplystream.error.*`` header and its original bytes; the later
  events with the same key (so on the same partition) are applied;
- ``test_target_outage_mid_stream``: the target stops for ``outage_s`` (5 s) mid-stream → the circuit
  opens, nothing is lost or applied twice, the sink resumes by itself and its lag drains.

Every test gets private topics, group and dead-letter topic (see ``sink_kafka``).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from prometheus_client import CollectorRegistry

from sinks.base import SinkAdapter
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.contracts.registration import load_contracts
from supplystream.events import Event
from supplystream.settings import Settings, SinkSettings
from tests.integration.sink_kafka import (
    EventWriter,
    RunningSink,
    create_topics,
    lag_of,
    private_routes,
    read_all,
    wait_until,
)

#: The headers every dead letter carries (supplystream/dead_letters.py).
ERROR_HEADERS = (
    "topic", "partition", "offset", "sink", "stage", "class", "message", "stacktrace", "attempts",
    "first.failure", "last.failure",
)  # fmt: skip


class SinkContract(ABC):
    """Subclass per sink; see the module docstring."""

    #: The sink's consumer name in topics.yaml.
    sink_name: ClassVar[str]
    #: Catalog topics the test streams feed (private copies are created per test).
    catalog_topics: ClassVar[Sequence[str]]
    stream_size: ClassVar[int] = 10_000
    #: Several failed probes long (`runtime_settings` probes every 0.5-2 s), not longer.
    outage_s: ClassVar[float] = 5.0
    partitions: ClassVar[int] = 3
    #: Runtime settings for the tests: quick retries and probes.
    runtime_settings: ClassVar[SinkSettings] = SinkSettings(
        batch_size=1000,
        poll_timeout_s=0.2,
        backoff_base_s=0.05,
        backoff_max_s=0.5,
        probe_base_s=0.5,
        probe_max_s=2.0,
    )

    # -- what a sink's test module provides ------------------------------------------------------

    @abstractmethod
    def make_adapter(self, target: Any) -> SinkAdapter:
        """A fresh adapter writing to ``target``."""

    @abstractmethod
    def stream(self, size: int) -> list[Event]:
        """``size`` events in publishing order, including duplicates and out-of-order versions."""

    @abstractmethod
    def expected_state(self, events: Sequence[Event]) -> Any:
        """The target state after ``events`` were applied in this order (a pure model)."""

    @abstractmethod
    def actual_state(self, target: Any) -> Any:
        """The target's state, comparable with `expected_state`."""

    @abstractmethod
    def poison(self) -> tuple[Event, list[Event]]:
        """An event the target refuses, and later events with the same key that it accepts."""

    @abstractmethod
    def stop_target(self, target: Any) -> None:
        """Make the target unreachable (connections refused or failing)."""

    @abstractmethod
    def start_target(self, target: Any) -> None:
        """Bring the target back."""

    def duplicate_effects(self, target: Any) -> list[str]:  # noqa: ARG002 - sinks override it
        """Effects applied more than once (e.g. the same request sent twice); none by default."""
        return []

    # -- the suite -------------------------------------------------------------------------------

    @pytest.fixture
    def routes(self, contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
        routes = private_routes(topic_prefix, self.sink_name, self.catalog_topics)
        create_topics(contracts_ready, routes, self.partitions)
        return routes

    @pytest.fixture
    def writer(self, contracts_ready: Settings, topic_prefix: str) -> Iterator[EventWriter]:
        writer = EventWriter(contracts_ready, topic_prefix)
        yield writer
        writer.close()

    def runtime(self, settings: Settings, target: Any, routes: SinkRoutes) -> SinkRuntime:
        return SinkRuntime(
            self.make_adapter(target),
            settings,
            routes=routes,
            config=self.runtime_settings,
            metrics=SinkMetrics.create(CollectorRegistry()),
        )

    def test_stream_with_duplicates_and_out_of_order_versions(
        self, contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter, target: Any
    ) -> None:
        events = self.stream(self.stream_size)
        assert len(events) == self.stream_size
        ids = [str(e.event_id) for e in events]
        assert len(set(ids)) < len(ids), "the stream must contain duplicates"
        writer.send(events)
        with self.runtime(contracts_ready, target, routes) as sink:
            summary = sink.drain(until_idle_s=1.0, timeout_s=300)
        assert summary.consumed == len(events)
        assert summary.dead_lettered == 0
        assert self.actual_state(target) == self.expected_state(events)
        assert self.duplicate_effects(target) == []
        assert lag_of(contracts_ready, routes) == 0

    def test_poison_event_is_dead_lettered_and_the_partition_moves_on(
        self, contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter, target: Any
    ) -> None:
        poison, later = self.poison()
        catalog, _ = load_contracts(contracts_ready)
        topic = next(t for t in catalog.topics if poison.EVENT_TYPE in t.value_schemas)

        def key(event: Event) -> str:
            record = event.to_record()
            return "|".join(str(record[name]) for name in topic.key_fields)

        assert later, "events after the poison show that the partition moves on"
        assert all(key(event) == key(poison) for event in later), "later events share the poison's key"
        writer.send([poison, *later])
        with self.runtime(contracts_ready, target, routes) as sink:
            summary = sink.drain(until_idle_s=1.0)
        assert summary.dead_lettered == 1
        assert self.actual_state(target) == self.expected_state(later)
        [letter] = read_all(contracts_ready, routes.dead_letter_topic, expected=1)
        for name in ERROR_HEADERS:
            assert letter.headers.get(f"supplystream.error.{name}"), f"header supplystream.error.{name}"
        assert letter.headers["event_id"] == str(poison.event_id)
        assert letter.headers["supplystream.error.sink"] == self.sink_name
        assert letter.headers["supplystream.error.topic"] == f"{writer.prefix}.{topic.name}"
        assert letter.headers["supplystream.error.stage"] == "apply"
        assert letter.key == key(poison).encode()
        assert letter.value, "the original value bytes are kept"
        assert lag_of(contracts_ready, routes) == 0

    def test_target_outage_mid_stream(
        self, contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter, outage_target: Any
    ) -> None:
        events = self.stream(self.stream_size)
        half = len(events) // 2
        sink = self.runtime(contracts_ready, outage_target, routes)
        running = RunningSink(sink.run)
        try:
            writer.send(events[:half])
            wait_until(lambda: lag_of(contracts_ready, routes) == 0, 120, "the first half to be applied")
            self.stop_target(outage_target)
            stopped_at = time.monotonic()
            writer.send(events[half:])
            wait_until(lambda: sink.circuit.is_open, 30, "the circuit to open")
            time.sleep(max(0.0, self.outage_s - (time.monotonic() - stopped_at)))
            assert running.alive()
            assert sink.circuit.is_open
            assert lag_of(contracts_ready, routes) > 0, "nothing can be applied while the target is down"
            self.start_target(outage_target)
            wait_until(lambda: lag_of(contracts_ready, routes) == 0, 180, "the lag to drain after the outage")
            assert not sink.circuit.is_open
        finally:
            running.stop()
            sink.close()
        assert sink.summary.circuit_opened >= 1
        assert sink.summary.dead_lettered == 0
        assert self.actual_state(outage_target) == self.expected_state(events)
        assert self.duplicate_effects(outage_target) == []
