"""Applying a decoded batch with the adapter: retries with backoff, record-by-record isolation, and the
circuit breaker that opens when the target does not answer.

`Applier.apply` says how many leading records are done; the loop commits only up to the first that is not.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence

from confluent_kafka import Message

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
from sinks.runtime.counting import Tally
from sinks.runtime.dead_letters import Attempts, DeadLetters
from sinks.runtime.decoding import ConsumedBatch
from sinks.runtime.deferrals import Deferrals, RecordKey, key_of
from sinks.runtime.errors import Position
from supplystream.backoff import Backoff
from supplystream.dead_letters import DeadLetter
from supplystream.settings import SinkSettings

log = logging.getLogger("supplystream.sinks")

#: How many leading records of a batch are done, their dead letters, and the offset of the first
#: waiting (deferred) record of each partition that has one.
Applied = tuple[int, list[DeadLetter], dict[Position, int]]


class _Unavailable(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """The target stopped answering while records of the batch were still unapplied."""


class _Stopped(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """Stop was requested while the batch waited for a retry."""


class _Waiting(Exception):  # noqa: N818 - control flow inside the runtime, never escapes
    """The record is deferred: it waits for a record the target has not applied yet."""


class CircuitBreaker:
    """Opens when the target is unavailable; then probes it with a growing backoff until it answers."""

    def __init__(self, adapter: SinkAdapter, probe: Backoff, jitter: random.Random, tally: Tally) -> None:
        self.state = Circuit()
        self._adapter = adapter
        self._probe = probe
        self._random = jitter
        self._tally = tally
        tally.circuit(False)

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    def trip(self, error: BaseException, record: SinkRecord) -> None:
        self.state = trip(self.state, time.monotonic(), self._probe, self._random.random())
        self._tally.circuit(True)
        log.warning(
            "%s: target unavailable (%s); circuit open, partitions paused, probing (event_id=%s "
            "correlation_id=%s)",
            self._adapter.name, error, record.event_id, record.correlation_id,
        )  # fmt: skip

    def probe_if_due(self) -> bool:
        """Probe the target if it is time; True when it answered (the circuit is closed then)."""
        now = time.monotonic()
        if probe_due(self.state, now):
            if self._probe_target():
                self.state = close_circuit(self.state)
                self._tally.circuit(False)
                return True
            self.state = probe_failed(self.state, now, self._probe, self._random.random())
        return False

    def seconds_to_probe(self, now: float) -> float:
        return seconds_to_probe(self.state, now)

    def _probe_target(self) -> bool:
        try:
            return bool(self._adapter.probe())
        except Exception as exc:  # noqa: BLE001 - a probe that fails for any reason means "not yet"
            log.info("%s: probe failed: %s", self._adapter.name, exc)
            return False


class Applier:
    """Writes batches with the adapter; see the module docstring."""

    def __init__(
        self,
        adapter: SinkAdapter,
        config: SinkSettings,
        retry: Backoff,
        jitter: random.Random,
        *,
        tally: Tally,
        circuit: CircuitBreaker,
        deferrals: Deferrals,
        letters: DeadLetters,
    ) -> None:
        self._adapter = adapter
        self._config = config
        self._retry = retry
        self._random = jitter
        self._tally = tally
        self._circuit = circuit
        self._deferrals = deferrals
        self._letters = letters

    def apply(self, consumed: ConsumedBatch, stop: threading.Event) -> Applied:
        """Apply the batch: how many leading records are done, the dead letters for them, and the
        offset of the first waiting (deferred) record of each partition that has one."""
        records = consumed.records
        if not records:
            return 0, [], {}
        batch = Attempts()
        try:
            while True:
                try:
                    rejected = self._write(records)
                except TargetUnavailableError as exc:
                    self._circuit.trip(exc, records[0])
                    return 0, [], {}
                except PermanentSinkError as exc:
                    batch.failed(exc)
                    log.warning("%s: batch refused (%s); applying record by record", self._adapter.name, exc)
                    break
                except Exception as exc:  # noqa: BLE001 - transient or unexpected: retried, then isolated
                    batch.failed(exc)
                    self._tally.retried(records)
                    if batch.count >= self._config.max_attempts:
                        log.warning(
                            "%s: batch of %d failed %d times (%s: %s); applying record by record",
                            self._adapter.name, len(records), batch.count, type(exc).__name__, exc,
                        )  # fmt: skip
                        break
                    self._wait(batch.count, stop, exc)
                    continue
                return self._settle(consumed, batch, rejected)
            return self._apply_one_by_one(consumed, batch, stop)
        except _Stopped:
            return 0, [], {}

    def _settle(self, consumed: ConsumedBatch, batch: Attempts, rejected: Sequence[Rejected]) -> Applied:
        """After a batch write: defer what waits, dead-letter what was refused, count what applied.

        On a partition with a waiting record, the records after it are read again later, so they
        are neither dead-lettered nor counted now.
        """
        rejected_at = {key_of(r.record): r for r in rejected}
        waiting: dict[Position, int] = {}
        expired: dict[RecordKey, DeadLetter] = {}
        for pos, rejection in sorted(rejected_at.items()):
            if isinstance(rejection.error, NotYetApplicableError) and pos[:2] not in waiting:
                letter = self._deferrals.defer(rejection.record, consumed.raw[pos], rejection.error)
                if letter is None:
                    waiting[pos[:2]] = pos[2]
                else:
                    expired[pos] = letter

        def now(pos: RecordKey) -> bool:
            return pos[2] < waiting.get(pos[:2], pos[2] + 1)

        letters = [
            expired.get(pos) or self._letter(rejection.record, consumed.raw[pos], batch, rejection.error)
            for pos, rejection in rejected_at.items()
            if now(pos)
        ]
        self._applied([r for r in consumed.records if key_of(r) not in rejected_at and now(key_of(r))])
        return len(consumed.records), letters, waiting

    def _apply_one_by_one(self, consumed: ConsumedBatch, batch: Attempts, stop: threading.Event) -> Applied:
        letters: list[DeadLetter] = []
        waiting: dict[Position, int] = {}
        for done, record in enumerate(consumed.records):
            if (record.topic, record.partition) in waiting:
                continue  # read again once the waiting record before it applies
            attempts = Attempts(batch.count, batch.first, batch.last, batch.error)
            try:
                letter = self._apply_record(record, consumed.raw[key_of(record)], attempts, stop)
            except (_Unavailable, _Stopped):
                return done, letters, waiting
            except _Waiting:
                waiting[(record.topic, record.partition)] = record.offset
                continue
            if letter is not None:
                letters.append(letter)
        return len(consumed.records), letters, waiting

    def _apply_record(
        self, record: SinkRecord, message: Message, attempts: Attempts, stop: threading.Event
    ) -> DeadLetter | None:
        """Apply one record; its dead letter when it cannot be applied (`_Waiting` when it is deferred)."""
        tries = 0
        while True:
            tries += 1
            try:
                rejected = self._write([record])
            except TargetUnavailableError as exc:
                self._circuit.trip(exc, record)
                raise _Unavailable from exc
            except NotYetApplicableError as exc:
                return self._defer_or_raise(record, message, exc)
            except PermanentSinkError as exc:
                attempts.failed(exc)
                return self._letter(record, message, attempts, exc)
            except Exception as exc:  # noqa: BLE001 - transient or unexpected: retried, then dead-lettered
                attempts.failed(exc)
                if tries >= self._config.record_attempts:
                    return self._letter(record, message, attempts, exc)
                self._tally.retried([record])
                self._wait(tries, stop, exc)
                continue
            if rejected and isinstance(rejected[0].error, NotYetApplicableError):
                return self._defer_or_raise(record, message, rejected[0].error)
            if rejected:
                attempts.failed(rejected[0].error)
                return self._letter(record, message, attempts, rejected[0].error)
            self._applied([record])
            return None

    def _defer_or_raise(
        self, record: SinkRecord, message: Message, error: NotYetApplicableError
    ) -> DeadLetter:
        letter = self._deferrals.defer(record, message, error)
        if letter is None:
            raise _Waiting
        return letter

    def _letter(
        self, record: SinkRecord, message: Message, attempts: Attempts, error: BaseException
    ) -> DeadLetter:
        self._deferrals.settled(key_of(record))
        return self._letters.letter(message, record.headers, attempts, error, "apply")

    def _applied(self, records: Sequence[SinkRecord]) -> None:
        for record in records:
            self._deferrals.settled(key_of(record))
        self._tally.applied(records)

    def _write(self, records: Sequence[SinkRecord]) -> Sequence[Rejected]:
        started = time.perf_counter()
        rejected = self._adapter.write(records)
        self._tally.write_took(time.perf_counter() - started)
        return rejected

    def _wait(self, attempt: int, stop: threading.Event, error: BaseException) -> None:
        delay = self._retry.delay(attempt, self._random.random())
        log.info(
            "%s: transient error (%s: %s), attempt %d, retrying in %.2fs",
            self._adapter.name, type(error).__name__, error, attempt, delay,
        )  # fmt: skip
        if stop.wait(delay):
            raise _Stopped
