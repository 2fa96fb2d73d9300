"""The channel sink's view of ATP across ALL partitions of ``atp.changed``.

Why: a SKU's network ATP spans several warehouses, and their ``sku|warehouse`` keys hash to different
partitions. The sink's consumer group may give this process only some of them (several instances, or
after a rebalance), yet every level it sends must sum every warehouse. So, beside the group consumer
the runtime runs, the sink keeps a `SharedAtpView` fed by an `AtpFollower`:

1. **bootstrap** — at start a plain consumer (`supplystream.clients.make_consumer`, partitions
   *assigned*, never subscribed, never committed: not a group member) reads the compacted topic from
   the beginning up to the end offsets it saw when it started. ``start`` returns only then, so the
   first write already knows the latest ATP of every SKU and warehouse;
2. **follow** — the same consumer keeps reading in a thread; every newer version updates the view and
   marks its SKU pending, so the next write re-sends that SKU's level from a complete view (this is
   what makes several instances converge: they compute the same level from the same versions, with
   the same idempotency key, and the channel de-duplicates).

The runtime's records update the view too (whichever arrives first wins; versions decide), and only
they are committed — the follower never commits, so a restart bootstraps again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from sinks.channels.availability import AtpView
from sinks.channels.plan import atp_fields
from supplystream.clients import make_consumer
from supplystream.errors import DeserializationError, RegistryError, SupplyStreamError
from supplystream.settings import Settings

logger = logging.getLogger("supplystream.sinks.channels")

Decode = Callable[[bytes], Mapping[str, Any]]


class ViewBootstrapError(SupplyStreamError):
    """The ATP view could not read atp.changed to its end in time."""


class SharedAtpView:
    """An `AtpView` behind a lock, plus the SKUs that changed since the last write took them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.view = AtpView()
        self._pending: set[str] = set()

    def apply(self, sku: str, warehouse: str, atp: Decimal, version: int) -> None:
        """A value read by the follower."""
        with self.lock:
            before = self.view.get(sku, warehouse)
            if self.view.apply(sku, warehouse, atp, version) and (before is None or version > before.version):
                self._pending.add(sku)

    def take_pending(self) -> set[str]:
        """The SKUs changed by the follower since last asked (call with the lock held)."""
        pending, self._pending = self._pending, set()
        return pending

    def return_pending(self, skus: set[str]) -> None:
        """Put back SKUs a failed write took (call with the lock held)."""
        self._pending |= skus


class AtpFollower:
    """Bootstraps and then follows ``topic`` into a `SharedAtpView` (see the module docstring)."""

    def __init__(self, settings: Settings, topic: str, decode: Decode, shared: SharedAtpView) -> None:
        self.topic = topic
        self._decode = decode
        self._shared = shared
        # A group id is required by librdkafka; partitions are assigned, so the group is never joined.
        self._consumer: Consumer = make_consumer(
            settings, f"channel-sink.view.{uuid.uuid4().hex[:12]}", **{"enable.partition.eof": False}
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.bootstrapped = 0

    def start(self, timeout_s: float = 300.0) -> None:
        """Read the topic to the end offsets seen now, then keep following it in a thread."""
        metadata = self._consumer.list_topics(self.topic, timeout=10)
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None:
            raise ViewBootstrapError(
                f"topic {self.topic} does not exist: run `supplystream topics apply` before the channel sink"
            )
        partitions = sorted(topic.partitions)
        ends = {
            p: self._consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
            for p in partitions
        }
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
        behind = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while behind:
            if time.monotonic() > deadline:
                raise ViewBootstrapError(
                    f"reading {self.topic} to its end took over {timeout_s:.0f} s "
                    f"(partitions {sorted(behind)} still behind); is the broker healthy?"
                )
            for message in self._consumer.consume(1000, 0.5):
                if message.error() is not None:
                    continue
                self._take(message.value())
                self.bootstrapped += 1
                if (message.offset() or 0) + 1 >= ends[message.partition() or 0]:
                    behind.discard(message.partition() or 0)
            for p in list(behind):  # compaction may leave the last offsets empty
                position = self._consumer.position([TopicPartition(self.topic, p)])[0].offset
                if position >= ends[p]:
                    behind.discard(p)
        with self._shared.lock:
            # What the bootstrap read is not news: the group's records drive what is sent.
            self._shared.take_pending()
        logger.info("ATP view bootstrapped", extra={"topic": self.topic, "records": self.bootstrapped})
        self._thread = threading.Thread(target=self._follow, name="channel-sink-atp-view", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(1000, 0.5):
                if message.error() is None:
                    self._take(message.value())

    def _take(self, value: bytes | None) -> None:
        if value is None:
            return  # a tombstone: the ATP processor never deletes, nothing to forget
        try:
            event = self._decode(value)
            sku, warehouse, atp, version = atp_fields(event)
        except (DeserializationError, RegistryError, KeyError, TypeError, ValueError) as exc:
            # The runtime reads the same record through the group and dead-letters it.
            logger.warning("ATP view skipped a record it cannot read: %s", exc)
            return
        self._shared.apply(sku, warehouse, atp, version)

    def close(self) -> None:
        """Stop following and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._consumer.close()
