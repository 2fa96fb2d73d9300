"""The Odoo source's orders and deliveries: a confirmed, shipped order and a cancelled one, drained
in-process, arrive on order.placed, shipment.confirmed and order.cancelled; on the stand-in as
Odoo 17 (JSON-RPC) and as Odoo 19 (JSON-2), and on the real Odoo 11."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from producers.odoo_source.mapping import event_id
from producers.odoo_source.positions import load_positions
from producers.odoo_source.source import MODELS, OdooSource, Progress
from supplystream.clients import make_consumer, make_producer
from supplystream.events import OrderCancelled, OrderPlaced, ShipmentConfirmed
from supplystream.odoo.client import SETTLE_S, OdooClient
from supplystream.odoo.json2 import JSON2_SINCE, Json2Transport
from supplystream.odoo.operations import confirm_sale_order, many2one_id, set_on_hand, validate_picking
from supplystream.odoo.transport import JsonRpcTransport, OdooTransport
from supplystream.publisher import Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream_devkit.odoo_standin.seed import API_KEY
from supplystream_devkit.stack.odoo11 import DATABASE
from tests.integration.conftest import OdooStack
from tests.integration.test_odoo_contract_standin import StandinProcess

pytestmark = pytest.mark.integration
TOPICS = ("order.placed", "order.cancelled", "shipment.confirmed")


@dataclass(frozen=True)
class Scenario:
    """What was done in Odoo: one order confirmed and shipped, one cancelled."""

    placed_id: int
    placed_name: str
    picking_id: int
    picking_name: str
    cancelled_id: int
    cancelled_name: str
    warehouse: str
    tracking: str


def run_scenario(client: OdooClient, country_id: int | None = None) -> Scenario:
    warehouse = client.search_read("stock.warehouse", [("name", "=", "WH-EAST")], ["code", "lot_stock_id"])[0]
    product = client.search("product.product", [("default_code", "=", "SKU-1001")])[0]
    set_on_hand(client, product, many2one_id(warehouse["lot_stock_id"]) or 0, Decimal(50))
    suffix = uuid.uuid4().hex[:6]
    partner: dict[str, Any] = {"name": f"Customer {suffix}", "zip": "80331"}
    if country_id is not None:
        partner["country_id"] = country_id
    partner_id = client.create("res.partner", [partner])[0]

    def new_order(quantity: int) -> int:
        line = {"product_id": product, "product_uom_qty": quantity}
        values = {"partner_id": partner_id, "client_order_ref": f"PO-{suffix}", "order_line": [(0, 0, line)]}
        return client.create("sale.order", [values])[0]

    placed, cancelled = new_order(3), new_order(2)
    confirm_sale_order(client, placed, int(warehouse["id"]))
    names = {int(o["id"]): str(o["name"]) for o in client.read("sale.order", [placed, cancelled], ["name"])}
    picking = client.search_read(
        "stock.picking", [("origin", "=", names[placed]), ("picking_type_code", "=", "outgoing")], ["name"]
    )[0]
    tracking = f"TRACK-{suffix}"
    validate_picking(client, int(picking["id"]), tracking)
    client.call("sale.order", "action_cancel", [cancelled])
    time.sleep(SETTLE_S + 1)  # the source only reads settled seconds
    return Scenario(
        placed_id=placed,
        placed_name=names[placed],
        picking_id=int(picking["id"]),
        picking_name=str(picking["name"]),
        cancelled_id=cancelled,
        cancelled_name=names[cancelled],
        warehouse=str(warehouse["code"]),
        tracking=tracking,
    )


def end_offsets(settings: Settings, topics: tuple[str, ...]) -> dict[tuple[str, int], int]:
    consumer = make_consumer(settings, group_id=f"offsets.{uuid.uuid4().hex[:6]}")
    try:
        return {
            (topic, p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for topic in topics
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
        }
    finally:
        consumer.close()


def read_since(settings: Settings, since: dict[tuple[str, int], int]) -> dict[str, list[dict[str, Any]]]:
    """Decoded values per event_id header of the records after ``since``."""
    until = end_offsets(settings, tuple({t for t, _ in since}))
    pending = {tp for tp, offset in since.items() if until[tp] > offset}
    consumer = make_consumer(settings, group_id=f"reader.{uuid.uuid4().hex[:6]}")
    consumer.assign([TopicPartition(t, p, since[(t, p)]) for t, p in pending])
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        with SchemaRegistry.from_settings(settings) as registry:
            decode = AvroDeserializer(registry)
            deadline = time.monotonic() + 60
            while pending and time.monotonic() < deadline:
                for message in consumer.consume(500, timeout=1.0):
                    if message.error() is not None:
                        continue
                    headers = {h[0]: h[1] for h in message.headers() or []}
                    raw = headers["event_id"]
                    key = raw.decode() if isinstance(raw, bytes) else str(raw)
                    found.setdefault(key, []).append(dict(decode(message.value() or b"")))
                    if (message.offset() or 0) + 1 >= until[
                        (message.topic() or "", message.partition() or 0)
                    ]:
                        pending.discard((message.topic() or "", message.partition() or 0))
    finally:
        consumer.close()
    return found


def drain(client: OdooClient, settings: Settings, database: str, default_country: str | None) -> Progress:
    """The source as `supplystream source odoo --once` builds it, run in-process."""
    producer = make_producer(settings)
    consumer = make_consumer(settings, group_id=f"supplystream.odoo-source.positions.{uuid.uuid4().hex[:8]}")
    try:
        with Publisher.from_settings(settings) as publisher:
            source = OdooSource(
                client,
                publisher,
                producer,
                consumer,
                database=database,
                company="SUPPLYSTREAM",
                page_size=200,
                default_country=default_country,
            )
            return source.drain()
    finally:
        consumer.close()
        producer.flush(30)


def assert_events(
    found: dict[str, list[dict[str, Any]]], scenario: Scenario, database: str, country: str
) -> None:
    placed_id = str(event_id(database, "sale.order", scenario.placed_id, "sale"))
    cancelled_id = str(event_id(database, "sale.order", scenario.cancelled_id, "cancel"))
    shipped_id = str(event_id(database, "stock.picking", scenario.picking_id, "done"))
    assert {placed_id, cancelled_id, shipped_id} <= found.keys(), sorted(found)

    placed = OrderPlaced.from_record(found[placed_id][0])
    assert placed.order_id == scenario.placed_name
    assert placed.channel == "odoo"
    assert placed.customer_ref.startswith("PO-")
    assert placed.ship_to.country == country
    assert placed.ship_to.postcode == "80331"
    assert [(line.sku, line.quantity) for line in placed.lines] == [("SKU-1001", Decimal(3))]

    cancelled = OrderCancelled.from_record(found[cancelled_id][0])
    assert cancelled.order_id == scenario.cancelled_name
    assert cancelled.reason == "cancelled in Odoo"
    assert [(line.sku, line.quantity) for line in cancelled.lines] == [("SKU-1001", Decimal(2))]

    shipped = ShipmentConfirmed.from_record(found[shipped_id][0])
    assert shipped.shipment_id == scenario.picking_name
    assert shipped.odoo_picking_id == scenario.picking_id
    assert shipped.order_id == scenario.placed_name
    assert shipped.warehouse == scenario.warehouse
    assert shipped.tracking_number == scenario.tracking
    assert [(line.sku, line.quantity) for line in shipped.lines] == [("SKU-1001", Decimal(3))]
    # the ids are deterministic and nothing was doubled within one drain
    assert all(len(found[i]) == 1 for i in (placed_id, cancelled_id, shipped_id))


def drain_and_check(
    client: OdooClient,
    settings: Settings,
    scenario: Scenario,
    database: str,
    default_country: str | None,
    expected_country: str,
) -> None:
    since = end_offsets(settings, TOPICS)
    progress = drain(client, settings, database, default_country)
    assert progress.by_model.get("sale.order", 0) >= 2
    assert progress.by_model.get("stock.picking.outgoing", 0) >= 1
    assert_events(read_since(settings, since), scenario, database, expected_country)

    consumer = make_consumer(settings, group_id=f"positions.{uuid.uuid4().hex[:6]}")
    try:
        positions = load_positions(consumer)
    finally:
        consumer.close()
    for model in ("sale.order", "stock.picking.outgoing", "stock.move"):
        assert f"odoo:{database}|{model}" in positions
    assert set(MODELS) >= {"sale.order", "stock.picking.outgoing", "stock.picking.incoming", "stock.move"}

    again = drain(client, settings, database, default_country)  # from the stored positions
    assert again.published == 0


@pytest.mark.parametrize("odoo_version", [17, 19], ids=["stand-in 17 JSON-RPC", "stand-in 19 JSON-2"])
def test_orders_and_deliveries_on_the_standin(
    contracts_ready: Settings, tmp_path_factory: pytest.TempPathFactory, odoo_version: int
) -> None:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-source-models"), odoo_version=odoo_version)
    database = f"models_{uuid.uuid4().hex[:8]}"
    try:
        transport: OdooTransport = (
            Json2Transport(standin.url, database, API_KEY, timeout_s=60)
            if odoo_version >= JSON2_SINCE
            else JsonRpcTransport(standin.url, database, "admin", "admin", timeout_s=60)
        )
        client = OdooClient(transport)
        assert client.api == ("JSON-2" if odoo_version >= JSON2_SINCE else "JSON-RPC")
        scenario = run_scenario(client)
        # the stand-in's partners have no country: the source is given a default one
        drain_and_check(client, contracts_ready, scenario, database, "DE", "DE")
    finally:
        standin.kill()


@pytest.mark.odoo11
# `stack up --with-odoo` starts Odoo detached on purpose (`stack down` stops it by its PID file):
# Popen warns it is "still running", as in test_odoo_contract_odoo11.
@pytest.mark.filterwarnings(r"ignore:subprocess \d+ is still running:ResourceWarning")
def test_orders_and_deliveries_on_odoo11(odoo_stack: OdooStack) -> None:
    client = OdooClient(JsonRpcTransport(odoo_stack.component.url, DATABASE, "admin", "admin", timeout_s=120))
    country = client.search("res.country", [("code", "=", "AT")])[0]
    scenario = run_scenario(client, country_id=country)
    # a name of its own: event ids and positions unique to this run, drained from the beginning
    drain_and_check(client, odoo_stack.kafka, scenario, f"odoo11_{uuid.uuid4().hex[:8]}", None, "AT")
