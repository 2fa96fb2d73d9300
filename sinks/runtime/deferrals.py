"""Records that wait for one the target has not applied yet (`NotYetApplicableError`).

A waiting record is not committed: its partition is rewound to it and paused for a backoff growing
with its deferrals, then read again; after ``defer_timeout_s`` of waiting it is dead-lettered.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from confluent_kafka import Consumer, Message, TopicPartition

from sinks.base import NotYetApplicableError, SinkRecord
from sinks.runtime.counting import Tally
from sinks.runtime.dead_letters import Attempts, DeadLetters
from sinks.runtime.errors import Position
from supplystream.backoff import Backoff
from supplystream.dead_letters import DeadLetter
from supplystream.settings import SinkSettings

log = logging.getLogger("supplystream.sinks")

#: A record: (topic, partition, offset).
RecordKey = tuple[str, int, int]


def key_of(record: SinkRecord) -> RecordKey:
    return (record.topic, record.partition, record.offset)


@dataclass
class _Deferral:
    """A record waiting for one the target has not applied yet."""

    #: When it was first deferred (``time.monotonic()``).
    since: float
    attempts: Attempts = field(default_factory=Attempts)


class Deferrals:
    """The records of one runtime that wait, and the partitions paused for them."""

    def __init__(
        self,
        consumer: Consumer,
        config: SinkSettings,
        retry: Backoff,
        jitter: random.Random,
        *,
        tally: Tally,
        letters: DeadLetters,
    ) -> None:
        self._consumer = consumer
        self._config = config
        self._retry = retry
        self._random = jitter
        self._tally = tally
        self._letters = letters
        #: Records deferred by (topic, partition, offset), until applied or given up.
        self._deferred: dict[RecordKey, _Deferral] = {}
        #: Partitions paused because a record of theirs waits, and when to resume them (monotonic).
        self._paused_until: dict[Position, float] = {}

    def defer(self, record: SinkRecord, message: Message, error: NotYetApplicableError) -> DeadLetter | None:
        """Note that ``record`` waits; its dead letter once it waited ``defer_timeout_s``, else None."""
        key = key_of(record)
        deferral = self._deferred.setdefault(key, _Deferral(time.monotonic()))
        deferral.attempts.failed(error)
        waited = time.monotonic() - deferral.since
        if waited >= self._config.defer_timeout_s:
            del self._deferred[key]
            expired = NotYetApplicableError(
                f"{error} -- still not applicable after waiting {waited:.0f}s (defer_timeout_s "
                f"{self._config.defer_timeout_s:g}): apply what it waits for, then re-drive it"
            )
            return self._letters.letter(message, record.headers, deferral.attempts, expired, "apply")
        self._tally.deferred(record.topic)
        log.info(
            "%s: %s[%d]@%d deferred (%s), waiting %.0fs so far (event_id=%s correlation_id=%s)",
            self._tally.name, record.topic, record.partition, record.offset, error, waited,
            record.event_id, record.correlation_id,
        )  # fmt: skip
        return None

    def settled(self, key: RecordKey) -> None:
        """The record was applied or dead-lettered: it waits no more."""
        self._deferred.pop(key, None)

    def pause(self, waiting: Mapping[Position, int], assigned: set[Position]) -> None:
        """Pause the (``assigned``) partitions whose record ``waiting`` holds for a backoff growing with
        its deferrals."""
        paused = []
        for (topic, partition), offset in waiting.items():
            if (topic, partition) not in assigned:
                continue
            deferral = self._deferred.get((topic, partition, offset))
            delay = self._retry.delay(deferral.attempts.count if deferral else 1, self._random.random())
            self._paused_until[(topic, partition)] = time.monotonic() + delay
            paused.append(TopicPartition(topic, partition))
        if paused:
            self._consumer.pause(paused)

    def resume_due(self, assigned: set[Position]) -> None:
        """Resume the partitions whose waiting record is due for another try."""
        if not self._paused_until:
            return
        now = time.monotonic()
        due = sorted(position for position, until in self._paused_until.items() if until <= now)
        for position in due:
            del self._paused_until[position]
        resumed = [TopicPartition(t, p) for t, p in due if (t, p) in assigned]
        if resumed:
            self._consumer.resume(resumed)

    def forget(self, positions: set[Position]) -> None:
        """The new owner of these partitions times their waiting records itself."""
        for position in positions:
            self._paused_until.pop(position, None)
        for key in [k for k in self._deferred if k[:2] in positions]:
            del self._deferred[key]
