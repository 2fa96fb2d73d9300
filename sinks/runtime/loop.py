"""The sink runtime's loop: every sink is an adapter (sinks.base) run by `SinkRuntime`.

Per batch: consume, decode, ``adapter.write``, dead-letter what cannot be applied, and only then
commit the offsets. So a crash repeats a batch (the adapters' writes are idempotent) but never skips
one. How each error class is handled (retry, dead letter, circuit, deferral): "Sinks" in the README.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, Message, Producer

from sinks.base import SinkAdapter, SinkRecord
from sinks.circuit import Circuit
from sinks.metrics import SinkMetrics, process_metrics
from sinks.routes import SinkRoutes, routes_for
from sinks.runtime.applying import Applier, CircuitBreaker
from sinks.runtime.counting import RunSummary, Tally
from sinks.runtime.dead_letters import Attempts, DeadLetters
from sinks.runtime.decoding import Decoder, RegistryUnavailable
from sinks.runtime.deferrals import Deferrals
from sinks.runtime.errors import Position, SinkRuntimeError
from sinks.runtime.offsets import Offsets
from sinks.runtime.source import PartitionSource, Subscription
from supplystream.backoff import Backoff
from supplystream.clients import make_consumer, make_producer
from supplystream.consumer_lag import committed_lag
from supplystream.contracts.registration import load_contracts
from supplystream.dead_letters import DeadLetter
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings, SinkSettings

log = logging.getLogger("supplystream.sinks")


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the loop then finishes the current write and commits)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current write", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class SinkRuntime:
    """Runs one sink adapter over the partitions of ``source`` (default: subscribe to the routes'
    topics); ``transform`` rewrites each decoded record before the write. See the module docstring."""

    def __init__(
        self,
        adapter: SinkAdapter,
        settings: Settings,
        *,
        routes: SinkRoutes | None = None,
        config: SinkSettings | None = None,
        metrics: SinkMetrics | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
        source: PartitionSource | None = None,
        transform: Callable[[SinkRecord], SinkRecord] | None = None,
    ) -> None:
        self.adapter = adapter
        if routes is None:
            catalog, _schemas = load_contracts(settings)
            routes = routes_for(catalog, adapter.name)
        self.routes = routes
        self.config = config or settings.sinks
        self.summary = RunSummary()
        self._source: PartitionSource = source or Subscription(routes.topics, adapter.name)
        self._transform = transform
        self._tally = Tally(adapter.name, metrics or process_metrics(), self.summary)
        self._retry = Backoff(self.config.backoff_base_s, 2.0, self.config.backoff_max_s, 0.5)
        probe = Backoff(self.config.probe_base_s, 2.0, self.config.probe_max_s, 0.5)
        self._random = random.Random()  # noqa: S311 - jitter, not secrets
        self._consumer: Consumer = make_consumer(
            settings,
            routes.group_id,
            **{"enable.partition.eof": False, **(consumer_overrides or {})},
        )
        self._producer: Producer = make_producer(settings, **{"linger.ms": 0})
        self._registry = SchemaRegistry.from_settings(settings)
        self._letters = DeadLetters(self._producer, routes.dead_letter_topic, adapter.name, self._tally)
        self._deferrals = Deferrals(
            self._consumer, self.config, self._retry, self._random, tally=self._tally, letters=self._letters
        )
        self._offsets = Offsets(
            self._consumer,
            adapter.name,
            committing=self._source.committing,
            forget_waiting=self._deferrals.forget,
        )
        self._decoder = Decoder(AvroDeserializer(self._registry), self._tally, self._undecodable)
        self._circuit = CircuitBreaker(adapter, probe, self._random, self._tally)
        self._applier = Applier(
            adapter,
            self.config,
            self._retry,
            self._random,
            tally=self._tally,
            circuit=self._circuit,
            deferrals=self._deferrals,
            letters=self._letters,
        )
        self._started = False
        self._closed = False
        #: For health checks: the loop's last round.
        self.last_step: float | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> SinkRuntime:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start(self) -> None:
        """Subscribe (or assign, as the partition source says); once."""
        if not self._started:
            self._source.start(self._consumer, self._offsets)
            self._started = True

    def run(self, stop: threading.Event, on_batch: Callable[[RunSummary], None] | None = None) -> RunSummary:
        """Consume and apply until ``stop`` is set; commits what was applied before returning."""
        self.start()
        while not stop.is_set():
            if self.step(stop) and on_batch is not None:
                on_batch(self.summary)
        self.commit()
        return self.summary

    def drain(self, until_idle_s: float = 2.0, timeout_s: float = 120.0) -> RunSummary:
        """Run until the group's committed offsets reach the end of every input topic and nothing
        arrived for ``until_idle_s``; raises `SinkRuntimeError` after ``timeout_s``."""
        self.start()
        stop = threading.Event()
        deadline = time.monotonic() + timeout_s
        idle_since = time.monotonic()
        while True:
            if self.step(stop):
                idle_since = time.monotonic()
            elif (
                not self._circuit.is_open
                and self._offsets.assigned
                and time.monotonic() - idle_since >= until_idle_s
                and self.lag() == 0
            ):
                return self.summary
            if time.monotonic() > deadline:
                raise SinkRuntimeError(
                    f"{self.adapter.name} did not catch up within {timeout_s:.0f}s (lag {self.lag()})"
                )

    def commit(self) -> None:
        """Commit the offsets applied (or dead-lettered) and not committed yet."""
        self._offsets.commit()

    def close(self) -> None:
        """Commit what was applied, leave the group, release the clients and the adapter."""
        if self._closed:
            return
        self._closed = True
        try:
            self._offsets.commit()
            self._consumer.close()
        finally:
            self._producer.flush(10)
            self._registry.close()
            self.adapter.close()

    def lag(self) -> int:
        """Records in the input topics after the group's committed offsets."""
        return sum(committed_lag(self._consumer, self.routes.group_id, self.routes.topics).values())

    @property
    def circuit(self) -> Circuit:
        """The circuit breaker's state."""
        return self._circuit.state

    @property
    def joined(self) -> bool:
        """For health checks: the group assigned partitions at least once."""
        return self._source.joined

    # -- the loop ------------------------------------------------------------------------------

    def step(self, stop: threading.Event) -> int:
        """One consume-apply-commit round (or one probe while the circuit is open); records handled."""
        self.last_step = time.monotonic()
        if self._source.finished:
            return 0
        if self._circuit.is_open:
            self._while_open()
            return 0
        if self._source.resumes_waiting:
            self._deferrals.resume_due(self._offsets.assigned)
        polled = self._source.consume(
            self._consumer, self.config.batch_size, self.config.poll_timeout_s, stop
        )
        if polled is None:
            return 0
        messages = [m for m in polled if self._usable(m)]
        if messages:
            self._handle(messages, stop)
        self._source.handled(self._consumer, messages)
        return len(messages)

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.fatal():
            raise SinkRuntimeError(f"{self.adapter.name}: fatal Kafka consumer error: {error.str()}")
        self._tally.client_error(error.name())
        log.warning("%s: consumer error (librdkafka retries it): %s", self.adapter.name, error.str())
        return False

    def _handle(self, messages: list[Message], stop: threading.Event) -> None:
        self._tally.batch(messages)
        try:
            consumed = self._decoder.decode(messages)
        except RegistryUnavailable:
            # The registry does not answer: nothing of this batch is done; read it again later.
            self._offsets.rewind({_position(m): m.offset() or 0 for m in reversed(messages)})
            stop.wait(self._retry.delay(1, self._random.random()))
            return
        if self._transform is not None:
            consumed.records = [self._transform(record) for record in consumed.records]
        done, letters, waiting = self._applier.apply(consumed, stop)
        # Records from the first unapplied one of each partition stay unapplied (circuit, stop, waiting).
        unapplied: dict[Position, int] = dict(waiting)
        for record in consumed.records[done:]:
            position = (record.topic, record.partition)
            unapplied[position] = min(unapplied.get(position, record.offset), record.offset)
        for message, letter in consumed.undecodable:
            first_unapplied = unapplied.get(_position(message))
            if first_unapplied is None or (message.offset() or 0) < first_unapplied:
                letters.append(letter)
        self._letters.send(letters)
        for position, end in consumed.end_offsets.items():
            target = unapplied.get(position, end)
            if target > consumed.first_offsets[position]:
                self._offsets.mark(position, target)
        self._offsets.commit()
        if unapplied and not stop.is_set():
            self._offsets.rewind(unapplied)
            self._deferrals.pause(waiting, self._offsets.assigned)
        if self._circuit.is_open:
            self._offsets.pause_all()

    def _undecodable(
        self, message: Message, headers: Mapping[str, bytes], error: BaseException
    ) -> DeadLetter:
        self._deferrals.settled((message.topic() or "", message.partition() or 0, message.offset() or 0))
        return self._letters.letter(message, headers, Attempts(), error, "decode")

    # -- while the circuit is open -------------------------------------------------------------

    def _while_open(self) -> None:
        if self._circuit.probe_if_due():
            self._offsets.resume_all()
            log.warning("%s: target answers again; circuit closed, partitions resumed", self.adapter.name)
            self._source.resumed(self._consumer)
            return
        # Paused partitions return nothing; consuming keeps the group membership and serves rebalances.
        wait = min(self.config.poll_timeout_s, self._circuit.seconds_to_probe(time.monotonic())) or 0.01
        held = [m for m in self._consumer.consume(self.config.batch_size, wait) if self._usable(m)]
        if held:  # from partitions assigned while open: put them back, pause them too
            self._offsets.rewind({_position(m): m.offset() or 0 for m in reversed(held)})
            self._offsets.pause_all()


def _position(message: Message) -> Position:
    return (message.topic() or "", message.partition() or 0)
