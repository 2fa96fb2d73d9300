"""The one sink runtime: every sink is an adapter (sinks.base) run by `SinkRuntime`.

Per batch: consume, decode, ``adapter.write``, dead-letter what cannot be applied, and only then
commit the offsets. So a crash repeats a batch (the adapters' writes are idempotent) but never skips
one. How each error class is handled (retry, dead letter, circuit, deferral): "Sinks" in the README.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from sinks.base import (
    NotYetApplicableError,
    PermanentSinkError,
    Rejected,
    SinkAdapter,
    SinkRecord,
    TargetUnavailableError,
)
from sinks.circuit import Circuit, probe_due, probe_failed, seconds_to_probe, trip
from sinks.circuit import close as close_circuit
from sinks.metrics import SinkMetrics, process_metrics
from sinks.routes import SinkRoutes, routes_for
from supplystream.backoff import Backoff
from supplystream.clients import make_consumer, make_producer
from supplystream.consumer_lag import committed_lag
from supplystream.contracts.registration import load_contracts
from supplystream.dead_letters import DeadLetter, Failure, Stage, dead_letter_headers, failure_of
from supplystream.errors import DeserializationError, RegistryError, SupplyStreamError
from supplystream.kafka_io import header_map
from supplystream.registry import SchemaRegistry, is_unknown_schema
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings, SinkSettings

log = logging.getLogger("supplystream.sinks")

Position = tuple[str, int]


class SinkRuntimeError(SupplyStreamError):
    """The runtime cannot go on safely (dead letters not acknowledged, Kafka fatal error)."""


@dataclass
class RunSummary:
    """What a run did (printed by `supplystream sinks run`, asserted by tests)."""

    consumed: int = 0
    applied: int = 0
    dead_lettered: int = 0
    retried: int = 0
    skipped_tombstones: int = 0
    batches: int = 0
    circuit_opened: int = 0
    #: Times a record was deferred (it waited for a record not applied yet; see the module docstring).
    deferred: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)


@dataclass
class _Attempts:
    """Failures of one record or batch so far."""

    count: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    error: BaseException | None = None

    def failed(self, error: BaseException) -> None:
        now = dt.datetime.now(dt.UTC)
        self.count += 1
        self.first = self.first or now
        self.last = now
        self.error = error

    def failure(self, error: BaseException, stage: Stage = "apply") -> Failure:
        now = dt.datetime.now(dt.UTC)
        return failure_of(error, max(self.count, 1), self.first or now, self.last or now, stage)


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


@dataclass
class _Deferral:
    """A record waiting for one the target has not applied yet."""

    #: When it was first deferred (``time.monotonic()``).
    since: float
    attempts: _Attempts = field(default_factory=_Attempts)


class _Unavailable(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """The target stopped answering while records of the batch were still unapplied."""


class _Stopped(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """Stop was requested while the batch waited for a retry."""


class _Waiting(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """The record is deferred: it waits for a record the target has not applied yet."""


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the loop then finishes the current write and commits)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current write", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class SinkRuntime:
    """Runs one sink adapter; see the module docstring."""

    def __init__(
        self,
        adapter: SinkAdapter,
        settings: Settings,
        *,
        routes: SinkRoutes | None = None,
        config: SinkSettings | None = None,
        metrics: SinkMetrics | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.adapter = adapter
        if routes is None:
            catalog, _schemas = load_contracts(settings)
            routes = routes_for(catalog, adapter.name)
        self.routes = routes
        self.config = config or settings.sinks
        self.summary = RunSummary()
        self._metrics = metrics or process_metrics()
        self._retry = Backoff(self.config.backoff_base_s, 2.0, self.config.backoff_max_s, 0.5)
        self._probe = Backoff(self.config.probe_base_s, 2.0, self.config.probe_max_s, 0.5)
        self._random = random.Random()  # noqa: S311 - jitter, not secrets
        self._circuit = Circuit()
        self._consumer: Consumer = make_consumer(
            settings,
            routes.group_id,
            **{"enable.partition.eof": False, **(consumer_overrides or {})},
        )
        self._producer: Producer = make_producer(settings, **{"linger.ms": 0})
        self._registry = SchemaRegistry.from_settings(settings)
        self._decode = AvroDeserializer(self._registry)
        self._assigned: set[Position] = set()
        #: Offsets applied but not yet committed (a commit that failed is retried later).
        self._uncommitted: dict[Position, int] = {}
        #: Records deferred (NotYetApplicableError) by (topic, partition, offset), until applied or given up.
        self._deferred: dict[tuple[str, int, int], _Deferral] = {}
        #: Partitions paused because a record of theirs waits, and when to resume them (monotonic).
        self._paused_until: dict[Position, float] = {}
        self._subscribed = False
        self._closed = False
        #: For health checks: the group assigned partitions at least once; the loop's last round.
        self.joined = False
        self.last_step: float | None = None
        self._circuit_gauge = self._metrics.circuit_state.labels(adapter.name)
        self._circuit_gauge.set(0)

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> SinkRuntime:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def run(self, stop: threading.Event, on_batch: Callable[[RunSummary], None] | None = None) -> RunSummary:
        """Consume and apply until ``stop`` is set; commits what was applied before returning."""
        self._subscribe()
        while not stop.is_set():
            if self.step(stop) and on_batch is not None:
                on_batch(self.summary)
        self._commit_uncommitted()
        return self.summary

    def drain(self, until_idle_s: float = 2.0, timeout_s: float = 120.0) -> RunSummary:
        """Run until the group's committed offsets reach the end of every input topic and nothing
        arrived for ``until_idle_s``; raises `SinkRuntimeError` after ``timeout_s``."""
        self._subscribe()
        stop = threading.Event()
        deadline = time.monotonic() + timeout_s
        idle_since = time.monotonic()
        while True:
            if self.step(stop):
                idle_since = time.monotonic()
            elif (
                not self._circuit.is_open
                and self._assigned
                and time.monotonic() - idle_since >= until_idle_s
                and self.lag() == 0
            ):
                return self.summary
            if time.monotonic() > deadline:
                raise SinkRuntimeError(
                    f"{self.adapter.name} did not catch up within {timeout_s:.0f}s (lag {self.lag()})"
                )

    def close(self) -> None:
        """Commit what was applied, leave the group, release the clients and the adapter."""
        if self._closed:
            return
        self._closed = True
        try:
            self._commit_uncommitted()
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
        return self._circuit

    # -- the loop ------------------------------------------------------------------------------

    def _subscribe(self) -> None:
        if not self._subscribed:
            self._consumer.subscribe(
                list(self.routes.topics),
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
            self._subscribed = True

    def step(self, stop: threading.Event) -> int:
        """One consume-apply-commit round (or one probe while the circuit is open); records handled."""
        self.last_step = time.monotonic()
        if self._circuit.is_open:
            self._while_open()
            return 0
        self._resume_waiting()
        messages = self._consumer.consume(self.config.batch_size, self.config.poll_timeout_s)
        messages = [m for m in messages if self._usable(m)]
        if not messages:
            return 0
        self._handle(messages, stop)
        return len(messages)

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.fatal():
            raise SinkRuntimeError(f"{self.adapter.name}: fatal Kafka consumer error: {error.str()}")
        self._metrics.client_errors.labels(self.adapter.name, error.name()).inc()
        log.warning("%s: consumer error (librdkafka retries it): %s", self.adapter.name, error.str())
        return False

    def _handle(self, messages: list[Message], stop: threading.Event) -> None:
        self.summary.batches += 1
        self.summary.consumed += len(messages)
        self._metrics.batch_size.labels(self.adapter.name).observe(len(messages))
        per_topic: dict[str, int] = {}
        for message in messages:
            per_topic[message.topic() or ""] = per_topic.get(message.topic() or "", 0) + 1
        for topic, count in per_topic.items():
            self._metrics.consumed.labels(self.adapter.name, topic).inc(count)
        try:
            consumed = self._decode_batch(messages)
        except _Unavailable:
            # The registry does not answer: nothing of this batch is done; read it again later.
            self._rewind({_position(m): m.offset() or 0 for m in reversed(messages)})
            stop.wait(self._retry.delay(1, self._random.random()))
            return
        done, letters, waiting = self._apply(consumed, stop)
        # Records from the first unapplied one of each partition stay unapplied (circuit, stop, waiting).
        unapplied: dict[Position, int] = dict(waiting)
        for record in consumed.records[done:]:
            position = (record.topic, record.partition)
            unapplied[position] = min(unapplied.get(position, record.offset), record.offset)
        for message, letter in consumed.undecodable:
            first_unapplied = unapplied.get(_position(message))
            if first_unapplied is None or (message.offset() or 0) < first_unapplied:
                letters.append(letter)
        self._send_dead_letters(letters)
        for position, end in consumed.end_offsets.items():
            target = unapplied.get(position, end)
            if target > consumed.first_offsets[position]:
                self._uncommitted[position] = target
        self._commit_uncommitted()
        if unapplied and not stop.is_set():
            self._rewind(unapplied)
            self._pause_waiting(waiting)
        if self._circuit.is_open:
            self._pause_all()

    # -- decoding ------------------------------------------------------------------------------

    def _decode_batch(self, messages: list[Message]) -> ConsumedBatch:
        consumed = ConsumedBatch()
        for message in messages:
            topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
            position = (topic, partition)
            consumed.first_offsets.setdefault(position, offset)
            consumed.end_offsets[position] = offset + 1
            value = message.value()
            if value is None:
                self.summary.skipped_tombstones += 1  # a compacted topic's deletion marker
                continue
            headers = header_map(message)
            try:
                event = self._decode(value)
            except (DeserializationError, RegistryError) as exc:
                if isinstance(exc, RegistryError) and not is_unknown_schema(exc):
                    log.warning("%s: the schema registry does not answer: %s", self.adapter.name, exc)
                    self._metrics.client_errors.labels(self.adapter.name, "registry_unavailable").inc()
                    raise _Unavailable from exc
                letter = self._letter(message, headers, _Attempts(), exc, "decode")
                consumed.undecodable.append((message, letter))
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

    # -- applying ------------------------------------------------------------------------------

    def _apply(
        self, consumed: ConsumedBatch, stop: threading.Event
    ) -> tuple[int, list[DeadLetter], dict[Position, int]]:
        """Apply the batch: how many leading records are done, the dead letters for them, and the
        offset of the first waiting (deferred) record of each partition that has one."""
        records = consumed.records
        if not records:
            return 0, [], {}
        batch = _Attempts()
        try:
            while True:
                try:
                    rejected = self._write(records)
                except TargetUnavailableError as exc:
                    self._open_circuit(exc, records[0])
                    return 0, [], {}
                except PermanentSinkError as exc:
                    batch.failed(exc)
                    log.warning("%s: batch refused (%s); applying record by record", self.adapter.name, exc)
                    break
                except Exception as exc:  # noqa: BLE001 - transient or unexpected: retried, then isolated
                    batch.failed(exc)
                    self._count_retry(records)
                    if batch.count >= self.config.max_attempts:
                        log.warning(
                            "%s: batch of %d failed %d times (%s: %s); applying record by record",
                            self.adapter.name, len(records), batch.count, type(exc).__name__, exc,
                        )  # fmt: skip
                        break
                    self._wait(batch.count, stop, exc)
                    continue
                return self._settle(consumed, batch, rejected)
            return self._apply_one_by_one(consumed, batch, stop)
        except _Stopped:
            return 0, [], {}

    def _settle(
        self, consumed: ConsumedBatch, batch: _Attempts, rejected: Sequence[Rejected]
    ) -> tuple[int, list[DeadLetter], dict[Position, int]]:
        """After a batch write: defer what waits, dead-letter what was refused, count what applied.

        On a partition with a waiting record, the records after it are read again later, so they
        are neither dead-lettered nor counted now.
        """
        rejected_at = {_pos(r.record): r for r in rejected}
        waiting: dict[Position, int] = {}
        expired: dict[tuple[str, int, int], DeadLetter] = {}
        for pos, rejection in sorted(rejected_at.items()):
            if isinstance(rejection.error, NotYetApplicableError) and pos[:2] not in waiting:
                letter = self._defer(rejection.record, consumed.raw[pos], rejection.error)
                if letter is None:
                    waiting[pos[:2]] = pos[2]
                else:
                    expired[pos] = letter

        def now(pos: tuple[str, int, int]) -> bool:
            return pos[2] < waiting.get(pos[:2], pos[2] + 1)

        letters = [
            expired.get(pos)
            or self._letter(consumed.raw[pos], rejection.record.headers, batch, rejection.error, "apply")
            for pos, rejection in rejected_at.items()
            if now(pos)
        ]
        self._count_applied([r for r in consumed.records if _pos(r) not in rejected_at and now(_pos(r))])
        return len(consumed.records), letters, waiting

    def _apply_one_by_one(
        self, consumed: ConsumedBatch, batch: _Attempts, stop: threading.Event
    ) -> tuple[int, list[DeadLetter], dict[Position, int]]:
        letters: list[DeadLetter] = []
        waiting: dict[Position, int] = {}
        for done, record in enumerate(consumed.records):
            if (record.topic, record.partition) in waiting:
                continue  # read again once the waiting record before it applies
            attempts = _Attempts(batch.count, batch.first, batch.last, batch.error)
            try:
                letter = self._apply_record(record, consumed.raw[_pos(record)], attempts, stop)
            except (_Unavailable, _Stopped):
                return done, letters, waiting
            except _Waiting:
                waiting[(record.topic, record.partition)] = record.offset
                continue
            if letter is not None:
                letters.append(letter)
        return len(consumed.records), letters, waiting

    def _apply_record(
        self, record: SinkRecord, message: Message, attempts: _Attempts, stop: threading.Event
    ) -> DeadLetter | None:
        """Apply one record; its dead letter when it cannot be applied (`_Waiting` when it is deferred)."""
        tries = 0
        while True:
            tries += 1
            try:
                rejected = self._write([record])
            except TargetUnavailableError as exc:
                self._open_circuit(exc, record)
                raise _Unavailable from exc
            except NotYetApplicableError as exc:
                return self._defer_or_raise(record, message, exc)
            except PermanentSinkError as exc:
                attempts.failed(exc)
                return self._letter(message, record.headers, attempts, exc, "apply")
            except Exception as exc:  # noqa: BLE001 - transient or unexpected: retried, then dead-lettered
                attempts.failed(exc)
                if tries >= self.config.record_attempts:
                    return self._letter(message, record.headers, attempts, exc, "apply")
                self._count_retry([record])
                self._wait(tries, stop, exc)
                continue
            if rejected and isinstance(rejected[0].error, NotYetApplicableError):
                return self._defer_or_raise(record, message, rejected[0].error)
            if rejected:
                attempts.failed(rejected[0].error)
                return self._letter(message, record.headers, attempts, rejected[0].error, "apply")
            self._count_applied([record])
            return None

    # -- records waiting for others (NotYetApplicableError) -------------------------------------

    def _defer(self, record: SinkRecord, message: Message, error: NotYetApplicableError) -> DeadLetter | None:
        """Note that ``record`` waits; its dead letter once it waited ``defer_timeout_s``, else None."""
        key = _pos(record)
        deferral = self._deferred.setdefault(key, _Deferral(time.monotonic()))
        deferral.attempts.failed(error)
        waited = time.monotonic() - deferral.since
        if waited >= self.config.defer_timeout_s:
            del self._deferred[key]
            expired = NotYetApplicableError(
                f"{error} -- still not applicable after waiting {waited:.0f}s (defer_timeout_s "
                f"{self.config.defer_timeout_s:g}): apply what it waits for, then re-drive it"
            )
            return self._letter(message, record.headers, deferral.attempts, expired, "apply")
        self._metrics.deferred.labels(self.adapter.name, record.topic).inc()
        self.summary.deferred += 1
        log.info(
            "%s: %s[%d]@%d deferred (%s), waiting %.0fs so far (event_id=%s correlation_id=%s)",
            self.adapter.name, record.topic, record.partition, record.offset, error, waited,
            record.event_id, record.correlation_id,
        )  # fmt: skip
        return None

    def _defer_or_raise(
        self, record: SinkRecord, message: Message, error: NotYetApplicableError
    ) -> DeadLetter:
        letter = self._defer(record, message, error)
        if letter is None:
            raise _Waiting
        return letter

    def _pause_waiting(self, waiting: Mapping[Position, int]) -> None:
        """Pause the partitions whose record ``waiting`` holds for a backoff growing with its deferrals."""
        paused = []
        for (topic, partition), offset in waiting.items():
            if (topic, partition) not in self._assigned:
                continue
            deferral = self._deferred.get((topic, partition, offset))
            delay = self._retry.delay(deferral.attempts.count if deferral else 1, self._random.random())
            self._paused_until[(topic, partition)] = time.monotonic() + delay
            paused.append(TopicPartition(topic, partition))
        if paused:
            self._consumer.pause(paused)

    def _resume_waiting(self) -> None:
        """Resume the partitions whose waiting record is due for another try."""
        if not self._paused_until:
            return
        now = time.monotonic()
        due = sorted(position for position, until in self._paused_until.items() if until <= now)
        for position in due:
            del self._paused_until[position]
        resumed = [TopicPartition(t, p) for t, p in due if (t, p) in self._assigned]
        if resumed:
            self._consumer.resume(resumed)

    def _write(self, records: Sequence[SinkRecord]) -> Sequence[Any]:
        started = time.perf_counter()
        rejected = self.adapter.write(records)
        self._metrics.apply_latency.labels(self.adapter.name).observe(time.perf_counter() - started)
        return rejected

    def _wait(self, attempt: int, stop: threading.Event, error: BaseException) -> None:
        delay = self._retry.delay(attempt, self._random.random())
        log.info(
            "%s: transient error (%s: %s), attempt %d, retrying in %.2fs",
            self.adapter.name, type(error).__name__, error, attempt, delay,
        )  # fmt: skip
        if stop.wait(delay):
            raise _Stopped

    # -- the circuit ---------------------------------------------------------------------------

    def _open_circuit(self, error: BaseException, record: SinkRecord) -> None:
        self._circuit = trip(self._circuit, time.monotonic(), self._probe, self._random.random())
        self.summary.circuit_opened += 1
        self._circuit_gauge.set(1)
        log.warning(
            "%s: target unavailable (%s); circuit open, partitions paused, probing (event_id=%s "
            "correlation_id=%s)",
            self.adapter.name, error, record.event_id, record.correlation_id,
        )  # fmt: skip

    def _while_open(self) -> None:
        now = time.monotonic()
        if probe_due(self._circuit, now):
            if self._probe_target():
                self._circuit = close_circuit(self._circuit)
                self._circuit_gauge.set(0)
                self._consumer.resume([TopicPartition(t, p) for t, p in sorted(self._assigned)])
                log.warning("%s: target answers again; circuit closed, partitions resumed", self.adapter.name)
                return
            self._circuit = probe_failed(self._circuit, now, self._probe, self._random.random())
        # Paused partitions return nothing; consuming keeps the group membership and serves rebalances.
        wait = min(self.config.poll_timeout_s, seconds_to_probe(self._circuit, time.monotonic())) or 0.01
        held = [m for m in self._consumer.consume(self.config.batch_size, wait) if self._usable(m)]
        if held:  # from partitions assigned while open: put them back, pause them too
            self._rewind({_position(m): m.offset() or 0 for m in reversed(held)})
            self._pause_all()

    def _probe_target(self) -> bool:
        try:
            return bool(self.adapter.probe())
        except Exception as exc:  # noqa: BLE001 - a probe that fails for any reason means "not yet"
            log.info("%s: probe failed: %s", self.adapter.name, exc)
            return False

    def _pause_all(self) -> None:
        if self._assigned:
            self._consumer.pause([TopicPartition(t, p) for t, p in sorted(self._assigned)])

    def _rewind(self, first_unapplied: Mapping[Position, int]) -> None:
        for (topic, partition), offset in first_unapplied.items():
            if (topic, partition) in self._assigned:
                self._consumer.seek(TopicPartition(topic, partition, offset))

    # -- dead letters and commits --------------------------------------------------------------

    def _letter(
        self,
        message: Message,
        headers: Mapping[str, bytes],
        attempts: _Attempts,
        error: BaseException,
        stage: Stage,
    ) -> DeadLetter:
        topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        event_id = headers.get("event_id", b"").decode("utf-8", "replace")
        correlation_id = headers.get("correlation_id", b"").decode("utf-8", "replace")
        failure = attempts.failure(error, stage)
        self._deferred.pop((topic, partition, offset), None)
        return DeadLetter(
            key=message.key(),
            value=message.value(),
            headers=dead_letter_headers(
                topic=topic,
                partition=partition,
                offset=offset,
                sink=self.adapter.name,
                failure=failure,
                original=headers,
            ),
            topic=topic,
            event_id=event_id,
            correlation_id=correlation_id,
            error_class=failure.error_class,
        )

    def _send_dead_letters(self, letters: list[DeadLetter]) -> None:
        if not letters:
            return
        errors: list[str] = []

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err.str())

        for letter in letters:
            self._producer.produce(
                self.routes.dead_letter_topic,
                key=letter.key,
                value=letter.value,
                headers=list[tuple[str, str | bytes | None]](letter.headers),
                on_delivery=delivered,
            )
            self._metrics.dead_lettered.labels(self.adapter.name, letter.topic, letter.error_class).inc()
            log.error(
                "%s: dead-lettered to %s: %s (event_id=%s correlation_id=%s)",
                self.adapter.name, self.routes.dead_letter_topic, letter.error_class,
                letter.event_id, letter.correlation_id,
            )  # fmt: skip
        remaining = self._producer.flush(30)
        if remaining or errors:
            raise SinkRuntimeError(
                f"{self.adapter.name}: Kafka did not store {remaining + len(errors)} dead letters on "
                f"{self.routes.dead_letter_topic} ({'; '.join(errors[:3]) or 'timed out'}); offsets were not "
                "committed, the records will be read again. Does the topic exist "
                "(`supplystream topics apply`)?"
            )
        self.summary.dead_lettered += len(letters)

    def _commit_uncommitted(self) -> None:
        if not self._uncommitted:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in sorted(self._uncommitted.items())]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # A rebalance in progress: the records will be read again (idempotent writes) or committed later.
            log.warning("%s: commit failed (%s); kept for the next commit", self.adapter.name, exc)
            return
        self._uncommitted.clear()

    # -- rebalances ----------------------------------------------------------------------------

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}
        self.joined = True
        log.info("%s: assigned %s", self.adapter.name, _describe(partitions))

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        self._commit_uncommitted()
        for position in revoked:
            self._uncommitted.pop(position, None)
        self._forget_waiting(revoked)
        self._assigned -= revoked
        log.info("%s: revoked %s", self.adapter.name, _describe(partitions))

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        lost = {(tp.topic, tp.partition) for tp in partitions}
        for position in lost:
            self._uncommitted.pop(position, None)
        self._forget_waiting(lost)
        self._assigned -= lost
        log.warning("%s: lost %s (another member owns them now)", self.adapter.name, _describe(partitions))

    def _forget_waiting(self, positions: set[Position]) -> None:
        """The new owner of these partitions times their waiting records itself."""
        for position in positions:
            self._paused_until.pop(position, None)
        for key in [k for k in self._deferred if k[:2] in positions]:
            del self._deferred[key]

    # -- metrics -------------------------------------------------------------------------------

    def _count_applied(self, records: Sequence[SinkRecord]) -> None:
        now_ms = time.time() * 1000
        applied = self._metrics.applied
        latency = self._metrics.end_to_end_latency
        name = self.adapter.name
        for record in records:
            self._deferred.pop(_pos(record), None)
        for topic, group in _by_topic(records):
            applied.labels(name, topic).inc(len(group))
            self.summary.per_topic[topic] = self.summary.per_topic.get(topic, 0) + len(group)
            child = latency.labels(name, topic)
            for record in group:
                occurred = record.event.get("occurred_at")
                if isinstance(occurred, dt.datetime):
                    child.observe(max(0.0, (now_ms - occurred.timestamp() * 1000) / 1000))
        self.summary.applied += len(records)

    def _count_retry(self, records: Sequence[SinkRecord]) -> None:
        for topic, group in _by_topic(records):
            self._metrics.retried.labels(self.adapter.name, topic).inc(len(group))
        self.summary.retried += len(records)


def _by_topic(records: Sequence[SinkRecord]) -> Iterator[tuple[str, list[SinkRecord]]]:
    groups: dict[str, list[SinkRecord]] = {}
    for record in records:
        groups.setdefault(record.topic, []).append(record)
    return iter(groups.items())


def _position(message: Message) -> Position:
    return (message.topic() or "", message.partition() or 0)


def _pos(record: SinkRecord) -> tuple[str, int, int]:
    return (record.topic, record.partition, record.offset)


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
