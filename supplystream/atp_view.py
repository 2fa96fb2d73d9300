"""The latest ATP per SKU and warehouse, as every reader of ``atp.changed`` needs it.

`AtpView` keeps the latest value per ``sku|warehouse`` with its version: a value only replaces an older
version, so duplicates and out-of-order versions change nothing. `SharedAtpView` + `AtpFollower` keep
one up to date across ALL partitions of ``atp.changed`` (a SKU's warehouses hash to different
partitions): the follower bootstraps from the beginning to the end offsets it saw at start, then keeps
following in a thread, assigned (never subscribed, never committed), so a restart bootstraps again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from supplystream.clients import make_consumer
from supplystream.errors import DeserializationError, RegistryError, SupplyStreamError
from supplystream.settings import Settings

logger = logging.getLogger("supplystream.sinks.channels")

Decode = Callable[[bytes], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class WarehouseAtp:
    """The latest ATP known for one SKU at one warehouse."""

    atp: Decimal
    version: int


class AtpView:
    """The latest ATP per SKU and warehouse (not thread-safe: the caller serialises access)."""

    def __init__(self) -> None:
        self._latest: dict[str, dict[str, WarehouseAtp]] = {}

    def __len__(self) -> int:
        return sum(len(per_sku) for per_sku in self._latest.values())

    def apply(self, sku: str, warehouse: str, atp: Decimal, version: int) -> bool:
        """Record a value; True when it is the latest known (newer, or the same version again).

        The same version counts as latest so that replaying a topic re-announces the current values
        (a new consumer group must still set every level once); an older version is ignored.
        """
        per_sku = self._latest.setdefault(sku, {})
        known = per_sku.get(warehouse)
        if known is not None and version < known.version:
            return False
        if known is None or version > known.version:
            per_sku[warehouse] = WarehouseAtp(atp, version)
        return True

    def get(self, sku: str, warehouse: str) -> WarehouseAtp | None:
        """The latest value, if any."""
        return self._latest.get(sku, {}).get(warehouse)

    def of_sku(self, sku: str) -> Mapping[str, WarehouseAtp]:
        """The latest value of every warehouse known for ``sku``."""
        return self._latest.get(sku, {})

    def skus(self) -> list[str]:
        """Every SKU with at least one warehouse value."""
        return sorted(self._latest)


def atp_fields(event: Mapping[str, Any]) -> tuple[str, str, Decimal, int]:
    """The (sku, warehouse, atp, version) of an ``atp.changed``, checked; ValueError/KeyError if not."""
    sku, warehouse, atp, version = event["sku"], event["warehouse"], event["atp"], event["version"]
    if not isinstance(sku, str) or not isinstance(warehouse, str) or not sku or not warehouse:
        raise ValueError("sku and warehouse must be non-empty strings")
    if not isinstance(atp, Decimal) or not atp.is_finite():
        raise ValueError(f"atp must be a finite decimal, got {atp!r}")
    if not isinstance(version, int) or version < 0:
        raise ValueError(f"version must be a non-negative integer, got {version!r}")
    return sku, warehouse, atp, version


def apply_atp(view: AtpView, event: Mapping[str, Any]) -> tuple[str, bool]:
    """Put one ``atp.changed`` into the view: (sku, whether it is the latest known)."""
    sku, warehouse, atp, version = atp_fields(event)
    return sku, view.apply(sku, warehouse, atp, version)


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
