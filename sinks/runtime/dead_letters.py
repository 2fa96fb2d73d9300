"""Dead letters: a record that cannot be applied goes to the sink's dead-letter topic with its failure.

`DeadLetters.send` returns only once Kafka acknowledged every letter; the batch's offsets are committed
after that, so a letter Kafka did not store leaves its record to be read again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from confluent_kafka import KafkaError, Message, Producer

from sinks.runtime.counting import Tally
from sinks.runtime.errors import SinkRuntimeError
from supplystream.dead_letters import DeadLetter, Failure, Stage, dead_letter_headers, failure_of

log = logging.getLogger("supplystream.sinks")


@dataclass
class Attempts:
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


class DeadLetters:
    """Builds one sink's dead letters and produces them to its dead-letter topic."""

    def __init__(self, producer: Producer, topic: str, sink: str, tally: Tally) -> None:
        self.topic = topic
        self._producer = producer
        self._sink = sink
        self._tally = tally

    def letter(
        self,
        message: Message,
        headers: Mapping[str, bytes],
        attempts: Attempts,
        error: BaseException,
        stage: Stage,
    ) -> DeadLetter:
        """The dead letter of ``message``: its key and value, and headers saying where and why."""
        topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        event_id = headers.get("event_id", b"").decode("utf-8", "replace")
        correlation_id = headers.get("correlation_id", b"").decode("utf-8", "replace")
        failure = attempts.failure(error, stage)
        return DeadLetter(
            key=message.key(),
            value=message.value(),
            headers=dead_letter_headers(
                topic=topic,
                partition=partition,
                offset=offset,
                sink=self._sink,
                failure=failure,
                original=headers,
            ),
            topic=topic,
            event_id=event_id,
            correlation_id=correlation_id,
            error_class=failure.error_class,
        )

    def send(self, letters: list[DeadLetter]) -> None:
        """Produce ``letters`` and wait for Kafka; `SinkRuntimeError` when it did not store them all."""
        if not letters:
            return
        errors: list[str] = []

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err.str())

        for letter in letters:
            self._producer.produce(
                self.topic,
                key=letter.key,
                value=letter.value,
                headers=list[tuple[str, str | bytes | None]](letter.headers),
                on_delivery=delivered,
            )
            self._tally.metrics.dead_lettered.labels(self._sink, letter.topic, letter.error_class).inc()
            log.error(
                "%s: dead-lettered to %s: %s (event_id=%s correlation_id=%s)",
                self._sink, self.topic, letter.error_class, letter.event_id, letter.correlation_id,
            )  # fmt: skip
        remaining = self._producer.flush(30)
        if remaining or errors:
            raise SinkRuntimeError(
                f"{self._sink}: Kafka did not store {remaining + len(errors)} dead letters on "
                f"{self.topic} ({'; '.join(errors[:3]) or 'timed out'}); offsets were not "
                "committed, the records will be read again. Does the topic exist "
                "(`supplystream topics apply`)?"
            )
        self._tally.summary.dead_lettered += len(letters)
