"""Rebuilding the ATP table from the retained input topics, after a logic or configuration fix.

`plan_rebuild` is pure: from the table's changelog and the positions recomputed from the input
topics it gives each key's new `Ledger` and the figures to publish; `RebuildAtp` is the thin shell
(refuses while ATP workers run). Holds, marks and versions: processors/ATP.md ("Recovery and rebuild").
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]

from processors.atp_processor import APP_ID, TABLE, TRANSLATED, atp_changed_event
from processors.commands import Keyed, Move, Origin
from processors.config import ProcessorConfig
from processors.ledger import Figures, Ledger, figures_of, from_json, next_version, to_json
from processors.replay import positions_from
from supplystream.atp import StockPosition
from supplystream.clients import make_admin, make_producer
from supplystream.contracts.registration import load_contracts
from supplystream.errors import SupplyStreamError
from supplystream.kafka_io import read_to_end
from supplystream.publisher import Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings

INPUTS = ("stock.moved", *TRANSLATED)
CHANGELOG = f"{APP_ID}-{TABLE}-changelog"
#: Marks an input partition as applied up to an offset, whatever the command index.
LAST_INDEX = 2**31


class ProcessorsRunningError(SupplyStreamError):
    """The rebuild needs the ATP workers stopped."""

    exit_code = 3


@dataclass(frozen=True)
class Rebuilt:
    """One key's new ledger, and the figures to publish (None: unchanged)."""

    key: str
    before: Ledger | None
    after: Ledger
    publish: Figures | None


def plan_rebuild(  # noqa: PLR0917 - every argument is an input of the computation
    current: Mapping[str, Ledger],
    positions: Mapping[str, StockPosition],
    ends: Mapping[str, int],
    config: ProcessorConfig,
    now: dt.datetime,
    clock_us: int,
) -> list[Rebuilt]:
    """New ledgers for every key whose ledger changes; ``ends`` maps ``topic:partition`` to its end offset."""
    marks = {stream: (end - 1, LAST_INDEX) for stream, end in ends.items() if end > 0}
    rebuilt = []
    for key in sorted(set(current) | set(positions)):
        before = current.get(key)
        old = before or Ledger()
        position = replace(positions.get(key, StockPosition()), holds=old.position.holds)
        figures = figures_of(position, config.policy_for(key), now)
        after = Ledger(
            position=position, marks={**old.marks, **marks}, published=old.published, version=old.version
        )
        publish = None
        if figures != old.published:
            after = replace(after, published=figures, version=next_version(old.version, clock_us))
            publish = figures
        if after != before:
            rebuilt.append(Rebuilt(key, before, after, publish))
    return rebuilt


def changelog_partition(key: str, partitions: int) -> int:
    """The table partition owning ``key``: where stock.moved (murmur2 of the raw key) puts it."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild read, changed and published."""

    events_read: int
    keys: int
    changed: list[Rebuilt]

    @property
    def published(self) -> int:
        return sum(1 for r in self.changed if r.publish is not None)


class RebuildAtp:
    """Reads the topics, plans the rebuild, and (unless dry) writes it."""

    def __init__(self, settings: Settings, config: ProcessorConfig, progress: Callable[[str], None]) -> None:
        self.settings = settings
        self.config = config
        self.progress = progress

    def ensure_stopped(self) -> None:
        """Refuse while the ATP processor's group has members."""
        admin = make_admin(self.settings)
        description = admin.describe_consumer_groups([APP_ID])[APP_ID].result(timeout=30)
        if description.members:
            raise ProcessorsRunningError(
                f"{len(description.members)} ATP worker(s) are running in group {APP_ID}: stop them "
                "(SIGTERM) first, rebuild, then start them again; they recover the rebuilt table"
            )

    def _read(self, topic: str, ends: dict[str, int]) -> Iterable[Any]:
        return read_to_end(self.settings, topic, f"{APP_ID}.rebuild", ends)

    def plan(self) -> RebuildReport:
        """Read everything and plan (no writes)."""
        ends: dict[str, int] = {}
        registry = SchemaRegistry.from_settings(self.settings)
        try:
            decode = AvroDeserializer(registry)
            catalog, _ = load_contracts(self.settings)
            events: list[tuple[str, Any]] = []
            for topic in INPUTS:
                event_type = catalog.topic(topic).value_schemas[0]
                before = len(events)
                events.extend((event_type, decode(m.value())) for m in self._read(topic, ends))
                self.progress(f"read {len(events) - before:,} records of {topic}")
        finally:
            registry.close()
        positions = positions_from(events, self.config.warehouse_codes)
        current: dict[str, Ledger] = {}
        for message in self._read(CHANGELOG, {}):
            key = json.loads(message.key())
            value = message.value()
            if value is None:
                current.pop(key, None)
            else:
                current[key] = from_json(json.loads(value))
        self.progress(f"read the table's changelog: {len(current):,} keys")
        now = dt.datetime.now(dt.UTC)
        changed = plan_rebuild(current, positions, ends, self.config, now, dt_us(now))
        return RebuildReport(len(events), len(set(current) | set(positions)), changed)

    def write(self, report: RebuildReport) -> None:
        """Write the new ledgers to the changelog, then publish the changed figures."""
        partitions = len(
            make_admin(self.settings).list_topics(CHANGELOG, timeout=10).topics[CHANGELOG].partitions
        )
        producer = make_producer(self.settings)
        for rebuilt in report.changed:
            producer.produce(
                CHANGELOG,
                key=json.dumps(rebuilt.key).encode(),
                value=json.dumps(to_json(rebuilt.after), separators=(",", ":")).encode(),
                partition=changelog_partition(rebuilt.key, partitions),
            )
            producer.poll(0)
        if producer.flush(60):
            raise SupplyStreamError(
                "the rebuilt table was not fully written to its changelog: run the rebuild again"
            )
        self.progress(f"wrote {len(report.changed):,} ledgers to {CHANGELOG}")
        with Publisher.from_settings(self.settings) as publisher:
            cause = Keyed("", Move(Decimal(0)), Origin("rebuild", 0, 0), correlation_id="rebuild")
            events = [
                atp_changed_event(r.key, r.after, r.publish, cause, self.config.company)
                for r in report.changed
                if r.publish is not None
            ]
            publisher.publish_all(events, timeout_s=120)
        self.progress(f"published {report.published:,} changed positions on atp.changed")
        # Like Kafka Streams' reset tool, a rebuild invalidates every local copy of the table: a worker
        # must recover the rebuilt table from its changelog, not trust a local store whose positions
        # predate the rebuild.
        local = self.settings.processors.data_dir.expanduser().resolve() / APP_ID
        shutil.rmtree(local, ignore_errors=True)
        self.progress(
            f"removed this machine's local copy of the table ({local}); on other machines remove "
            f"<data_dir>/{APP_ID} before starting the workers: they recover the rebuilt table from "
            f"{CHANGELOG}"
        )


def dt_us(moment: dt.datetime) -> int:
    """Microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)
