"""Reading back what a run left everywhere, as plain data for `supplystream_app.demo.reconcile`.

Kafka (every business topic in full, the latest ``atp.changed`` per key, dead-letter counts), the
planning database, the channel stand-in's control API and Odoo. Read only after the workers drained.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx
import psycopg
from psycopg import sql

from processors.config import load_processor_config
from processors.replay import figures_from, positions_from
from sinks.channels.availability import channel_level
from sinks.channels.config import Channel
from sinks.planning.adapter import DEFAULT_SCHEMA
from supplystream.atp_view import AtpView
from supplystream.contracts.registration import load_contracts
from supplystream.dead_letters import HEADER_PREFIX, headers_as_text
from supplystream.kafka_io import header_map, read_to_end
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import ATP_MODEL, many2one_id, read_units, version_of
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream.units import UnitOfMeasure
from supplystream_app.demo.reconcile import Evidence, Figures, PublishedAtp

#: The business topics read back in full (their event ids are checked for repeats).
BUSINESS_TOPICS = (
    "stock.moved",
    "order.placed",
    "order.allocated",
    "order.backordered",
    "order.cancelled",
    "shipment.confirmed",
    "purchase.received",
)
#: Planning tables keyed by event id, and the topic whose events they hold.
PLANNING_BY_EVENT = {"stock_moves": "stock.moved"}


def read_events(settings: Settings, topics: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
    """Every decoded record of each topic (records that do not decode are skipped: the dead-letter
    topics account for them)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    with SchemaRegistry.from_settings(settings) as registry:
        decode = AvroDeserializer(registry)
        for topic in topics:
            records = found.setdefault(topic, [])
            for message in read_to_end(settings, topic, "supplystream.reconcile"):
                value = message.value()
                if value is None:
                    continue
                try:
                    records.append(decode(value))
                except Exception:  # noqa: BLE001, S112 - poison records are the dead-letter check's business
                    continue
    return found


def fingerprint(record: Mapping[str, Any]) -> str:
    """A digest of a decoded event's whole payload: two records of one event id compare equal by it."""
    return hashlib.sha256(repr(sorted(record.items())).encode()).hexdigest()[:16]


def latest_atp(records: Sequence[Mapping[str, Any]]) -> dict[str, PublishedAtp]:
    """The latest ``atp.changed`` per ``sku|warehouse`` (highest version wins, as every reader does)."""
    latest: dict[str, PublishedAtp] = {}
    for record in records:
        key = f"{record['sku']}|{record['warehouse']}"
        version = int(record["version"])
        if key not in latest or version >= latest[key].version:
            latest[key] = PublishedAtp(version, (record["on_hand"], record["reserved"], record["atp"]))
    return latest


def planning_positions(settings: Settings) -> tuple[dict[str, PublishedAtp], dict[str, int]]:
    """``inventory_positions`` per key, and the row count of each table keyed by event id."""
    with psycopg.connect(settings.postgres_dsn) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(DEFAULT_SCHEMA)))
        rows = connection.execute(
            "SELECT sku, warehouse, version, on_hand, reserved, atp FROM inventory_positions"
        ).fetchall()
        counts = {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]  # noqa: S608 - our own table names
            for table in PLANNING_BY_EVENT
        }
    positions = {
        f"{sku}|{warehouse}": PublishedAtp(int(version), (Decimal(on_hand), Decimal(reserved), Decimal(atp)))
        for sku, warehouse, version, on_hand, reserved, atp in rows
    }
    return positions, counts


def channel_levels(base_url: str) -> dict[str, int]:
    """SKU -> the ``available`` the channel stand-in holds (its control API, never Shopify's)."""
    answer = httpx.get(f"{base_url}/_standin/levels", timeout=10)
    answer.raise_for_status()
    return {str(level["sku"]): int(level["available"]) for level in answer.json()["levels"] if level["sku"]}


def expected_levels(channel: Channel, published: Mapping[str, PublishedAtp]) -> dict[str, int]:
    """Each SKU's available-to-sell on ``channel`` from the latest published ATP."""
    view = AtpView()
    for key, value in published.items():
        sku, warehouse = key.split("|", 1)
        view.apply(sku, warehouse, value.figures[2], value.version)
    return {sku: channel_level(view, channel, sku).available for sku in view.skus()}


def odoo_validated(settings: Settings) -> dict[str, int]:
    """Tracking number -> validated (done) outgoing pickings carrying it."""
    client = OdooClient.from_settings(settings)
    pickings = client.search_read(
        "stock.picking",
        [
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("carrier_tracking_ref", "!=", False),
        ],
        ["carrier_tracking_ref"],
    )
    validated: dict[str, int] = defaultdict(int)
    for picking in pickings:
        validated[str(picking["carrier_tracking_ref"])] += 1
    return dict(validated)


def odoo_atp(settings: Settings) -> dict[str, PublishedAtp]:
    """``sku|warehouse`` -> the ATP record the Odoo sink keeps in Odoo (``x_supplystream_atp``)."""
    client = OdooClient.from_settings(settings)
    records = client.search_read(
        ATP_MODEL, [], ["x_sku", "x_warehouse_code", "x_on_hand", "x_reserved", "x_atp", "x_version"]
    )
    return {
        f"{r['x_sku']}|{r['x_warehouse_code']}": PublishedAtp(
            version_of(r["x_version"]),
            (_decimal(r["x_on_hand"]), _decimal(r["x_reserved"]), _decimal(r["x_atp"])),
        )
        for r in records
    }


def odoo_stock_units(settings: Settings, skus: Sequence[str]) -> dict[str, UnitOfMeasure]:
    """SKU -> its product's stock unit in Odoo (``uom_id``), for comparing Odoo's quantities at
    the unit's rounding; SKUs Odoo does not have are left out."""
    if not skus:
        return {}
    client = OdooClient.from_settings(settings)
    rows = client.search_read(
        "product.product", [("default_code", "in", sorted(set(skus)))], ["default_code", "uom_id"]
    )
    units = read_units(client)
    found = {str(r["default_code"]): units.get(many2one_id(r["uom_id"]) or 0) for r in rows}
    return {sku: unit for sku, unit in found.items() if unit is not None}


def _decimal(value: Any) -> Decimal:
    """An Odoo float field's value as the decimal it was written from (repr is exact to 17 digits)."""
    return Decimal(repr(float(value or 0)))


def dead_letter_counts(settings: Settings) -> dict[str, int]:
    """Records dead-lettered in each dead-letter topic of the catalog, counted once per original record.

    Dead-lettering is at least once: a worker killed after it dead-lettered a record but before it
    committed past it dead-letters the same record again after its restart. The error headers name the
    original (topic, partition, offset), so a re-delivery counts once; a record without them counts alone.
    """
    catalog, _ = load_contracts(settings)
    counts = {}
    for consumer in catalog.consumers():
        topic = catalog.dead_letters.topic_for(consumer)
        origins = set()
        for message in read_to_end(settings, topic, "supplystream.reconcile"):
            headers = headers_as_text(list(header_map(message).items()))
            origin = tuple(headers.get(HEADER_PREFIX + name) for name in ("topic", "partition", "offset"))
            origins.add(origin if None not in origin else (topic, message.partition(), message.offset()))
        counts[topic] = len(origins)
    return counts


def gather(
    settings: Settings,
    channel: Channel,
    *,
    with_odoo_sink: bool,
    expected_dead_letters: Mapping[str, int] | None = None,
) -> Evidence:
    """Read everything back (after the drain) into `Evidence`."""
    events = read_events(settings, (*BUSINESS_TOPICS, "atp.changed"))
    catalog, _ = load_contracts(settings)
    config = load_processor_config(settings.processors.config_file)
    business = [
        (catalog.topic(topic).value_schemas[0], record)
        for topic in BUSINESS_TOPICS
        for record in events[topic]
    ]
    recomputed: dict[str, Figures] = {
        key: (figures.on_hand, figures.reserved, figures.atp)
        for key, figures in figures_from(
            positions_from(business, config.warehouse_codes), config, dt.datetime.now(dt.UTC)
        ).items()
    }
    published = latest_atp(events["atp.changed"])
    planning, planning_counts = planning_positions(settings)
    allocations: dict[str, set[str]] = defaultdict(set)
    for record in events["order.allocated"]:
        lines = sorted(
            (line["line_id"], line["warehouse"], str(line["quantity"])) for line in record["lines"]
        )
        allocations[record["order_id"]].add(f"{record['event_id']} {lines}")
    received = channel_levels(channel.base_url)
    return Evidence(
        recomputed=recomputed,
        published=published,
        planning=planning,
        channel_levels={(channel.name, sku): quantity for sku, quantity in received.items()},
        expected_channel_levels={
            (channel.name, sku): quantity for sku, quantity in expected_levels(channel, published).items()
        },
        shipments={str(r["tracking_number"]): str(r["shipment_id"]) for r in events["shipment.confirmed"]},
        odoo_validated=odoo_validated(settings) if with_odoo_sink else None,
        odoo_atp=odoo_atp(settings) if with_odoo_sink else None,
        odoo_units=odoo_stock_units(settings, sorted({key.split("|", 1)[0] for key in published}))
        if with_odoo_sink
        else {},
        event_ids={
            topic: [(str(r["event_id"]), fingerprint(r)) for r in events[topic]] for topic in BUSINESS_TOPICS
        },
        allocations=dict(allocations),
        orders_placed={str(r["order_id"]) for r in events["order.placed"]},
        orders_backordered={str(r["order_id"]) for r in events["order.backordered"]},
        orders_cancelled={str(r["order_id"]) for r in events["order.cancelled"]},
        planning_rows={
            table: (planning_counts[table], len({str(r["event_id"]) for r in events[topic]}))
            for table, topic in PLANNING_BY_EVENT.items()
        },
        dead_letters=dead_letter_counts(settings),
        expected_dead_letters=dict(expected_dead_letters or {}),
    )
