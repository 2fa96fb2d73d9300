"""What the live view shows, sampled from the cluster: rates, lag, ATP, routing, dead letters, latency.

`Watch` follows a few topics in a background thread (latest ATP per position, routing outcomes,
order-placed -> allocated latency from the records' timestamps) and samples end offsets and group lag
on demand, with one `LagReader` (long-lived clients) owned by the sampling thread. `Snapshot` is
plain data; `supplystream_app.demo.view` draws it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from confluent_kafka import TopicPartition

from supplystream.clients import make_consumer
from supplystream.consumer_lag import LagReader
from supplystream.errors import ClusterError
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog

#: Stages of the pipeline and the topic whose growth measures each one.
STAGES = (
    ("simulator: orders", "order.placed"),
    ("simulator + WMS: stock moves", "stock.moved"),
    ("ATP processor", "atp.changed"),
    ("order router: allocations", "order.allocated"),
    ("order router: backorders", "order.backordered"),
    ("WMS stand-in: shipments", "shipment.confirmed"),
)
FOLLOWED = ("atp.changed", "order.placed", "order.allocated", "order.backordered")


@dataclass(frozen=True)
class Snapshot:
    elapsed_s: float
    #: stage -> (records so far, records per second since the last sample)
    stages: Mapping[str, tuple[int, float]]
    #: consumer group -> (records behind, seconds behind or None)
    lag: Mapping[str, tuple[int, float | None]]
    #: sku -> warehouse -> ATP, for the SKUs that changed most
    top_atp: Mapping[str, Mapping[str, Decimal]]
    warehouses: Sequence[str]
    routing: Mapping[str, int]
    recent_decisions: Sequence[str]
    dead_letters: Mapping[str, int]
    #: order placed -> allocated, from record timestamps: (p50, p99) milliseconds, or None
    allocation_latency_ms: tuple[float, float] | None
    restarts: Mapping[str, int] = field(default_factory=dict)
    notes: Sequence[str] = ()


class Watch:
    """Samples the running pipeline (`snapshot`) while a thread follows the topics it needs."""

    def __init__(self, settings: Settings, catalog: TopicCatalog, groups: Sequence[str]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.groups = groups
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._atp: dict[str, dict[str, tuple[int, Decimal]]] = {}
        self._changes: Counter[str] = Counter()
        self._placed_at: dict[str, int] = {}
        self._latencies: deque[float] = deque(maxlen=5000)
        self._routing: Counter[str] = Counter()
        self._recent: deque[str] = deque(maxlen=6)
        self._last_ends: dict[str, int] = {}
        self._last_sample = time.monotonic()
        self._thread = threading.Thread(target=self._follow, name="demo-watch", daemon=True)
        self._reader: LagReader | None = None

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following and close the sampling clients (on the thread that sampled)."""
        self._stop.set()
        self._thread.join(timeout=10)
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _lag_reader(self) -> LagReader:
        # Created by the first `snapshot`, so it belongs to the thread that samples (and stops).
        if self._reader is None:
            self._reader = LagReader(self.settings)
        return self._reader

    # -- the following thread --------------------------------------------------------------------

    def _follow(self) -> None:
        consumer = make_consumer(
            self.settings, "supplystream_app.demo-watch", **{"enable.auto.commit": False}
        )
        registry = SchemaRegistry.from_settings(self.settings)
        decode = AvroDeserializer(registry)
        try:
            assignment: list[TopicPartition] = []
            for topic in FOLLOWED:
                partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
                assignment.extend(TopicPartition(topic, p, 0) for p in partitions)
            consumer.assign(assignment)
            while not self._stop.is_set():
                for message in consumer.consume(1000, timeout=0.5):
                    if message.error() is not None or message.value() is None:
                        continue
                    try:
                        record = decode(message.value() or b"")
                    except Exception:  # noqa: BLE001, S112 - poison records: the dead-letter count shows them
                        continue
                    self._seen(message.topic() or "", record, message.timestamp()[1])
        finally:
            consumer.close()
            registry.close()

    def _seen(self, topic: str, record: Mapping[str, object], timestamp_ms: int) -> None:
        with self._lock:
            if topic == "atp.changed":
                sku, warehouse = str(record["sku"]), str(record["warehouse"])
                version = int(str(record["version"]))
                known = self._atp.setdefault(sku, {}).get(warehouse)
                if known is None or version >= known[0]:
                    self._atp[sku][warehouse] = (version, Decimal(str(record["atp"])))
                self._changes[sku] += 1
            elif topic == "order.placed":
                self._placed_at[str(record["order_id"])] = timestamp_ms
            elif topic == "order.allocated":
                order = str(record["order_id"])
                lines: list[Mapping[str, object]] = record["lines"]  # type: ignore[assignment]
                warehouses = sorted({str(line["warehouse"]) for line in lines})
                self._routing["split" if len(warehouses) > 1 else "single warehouse"] += 1
                self._recent.append(f"{order} -> {', '.join(warehouses)}")
                placed = self._placed_at.get(order)
                if placed is not None:
                    self._latencies.append(max(0, timestamp_ms - placed))
            elif topic == "order.backordered":
                self._routing["backordered"] += 1
                self._recent.append(f"{record['order_id']} -> backordered")

    # -- sampling --------------------------------------------------------------------------------

    def snapshot(self, restarts: Mapping[str, int] | None = None, notes: Sequence[str] = ()) -> Snapshot:
        now = time.monotonic()
        dead_letter_topics = [self.catalog.dead_letters.topic_for(c) for c in self.catalog.consumers()]
        reader = self._lag_reader()
        ends = reader.end_offsets([topic for _, topic in STAGES] + dead_letter_topics)
        seconds = max(now - self._last_sample, 1e-3)
        stages = {
            stage: (ends.get(topic, 0), (ends.get(topic, 0) - self._last_ends.get(topic, 0)) / seconds)
            for stage, topic in STAGES
        }
        self._last_ends, self._last_sample = ends, now
        lag: dict[str, tuple[int, float | None]] = {}
        now_ms = int(time.time() * 1000)
        for group in self.groups:
            topics = [t.name for t in self.catalog.topics if group in t.consumers]
            try:
                lags = reader.group_lag(group, topics)
            except ClusterError:  # a group or topic not there yet: shown once it is
                lags = []
            behind = [x.time_lag_s(now_ms) for x in lags if x.lag]
            lag[group] = (sum(x.lag for x in lags), max((b for b in behind if b is not None), default=None))
        with self._lock:
            top = [sku for sku, _ in self._changes.most_common(8)]
            top_atp = {sku: {w: v[1] for w, v in self._atp.get(sku, {}).items()} for sku in sorted(top)}
            warehouses = sorted({w for per in self._atp.values() for w in per})
            latencies = sorted(self._latencies)
            routing = dict(self._routing)
            recent = list(self._recent)
        latency = None
        if latencies:
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            latency = (statistics.median(latencies), p99)
        return Snapshot(
            elapsed_s=now - self.started,
            stages=stages,
            lag=lag,
            top_atp=top_atp,
            warehouses=warehouses,
            routing=routing,
            recent_decisions=recent,
            dead_letters={t: ends.get(t, 0) for t in dead_letter_topics},
            allocation_latency_ms=latency,
            restarts=dict(restarts or {}),
            notes=tuple(notes),
        )
