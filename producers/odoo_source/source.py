"""The Odoo source's loop: read a page of changes, publish, wait for Kafka, then move the position.

Confirmed and cancelled sale orders (order.placed, order.cancelled), done deliveries
(shipment.confirmed), done receipts (purchase.received) and done stock moves (stock.moved) are
polled, each from its own `(write_date, seen ids)` watermark kept in the compacted positions topic
(key ``odoo:<database>|<model>``). What a page refers to (order lines, partners, moves, SKUs,
locations) is read in one batch per model per page. Records that cannot be mapped go to the
quarantine topic with the reason, and the source keeps going. Odoo being down is waited out
with backoff and a clear log line; an expired session is re-logged in by the client.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, Producer

from producers.odoo_source.mapping import (
    Location,
    Unmappable,
    map_incoming_picking,
    map_outgoing_picking,
    map_sale_order,
    map_stock_move,
)
from producers.odoo_source.positions import Position, load_positions, save_position
from supplystream.errors import OdooUnavailableError, PublishError
from supplystream.events import (
    OrderCancelled,
    OrderPlaced,
    PurchaseReceived,
    ShipmentConfirmed,
    StockMoved,
)
from supplystream.odoo.client import OdooClient, Record, Watermark, advanced
from supplystream.odoo.operations import (
    done_moves_since,
    done_pickings_since,
    many2one_id,
    move_quantity_field,
    read_units,
    sale_orders_since,
)
from supplystream.publisher import Delivery, Publisher
from supplystream.units import ProductUnits, UnitOfMeasure

log = logging.getLogger("supplystream.odoo_source")
QUARANTINE_TOPIC = "supplystream.quarantine"
Report = Callable[[str], None]


@dataclass
class Progress:
    """What the source has done since it started."""

    published: int = 0
    quarantined: int = 0
    pages: int = 0
    watermark: Watermark | None = None
    by_model: dict[str, int] = field(default_factory=dict)
    watermarks: dict[str, Watermark] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)


def read_locations(client: OdooClient) -> dict[int, Location]:
    """Every stock location with its usage and warehouse code.

    By ``warehouse_id`` where the server has it; on old Odoo (11) by the warehouse's view location:
    a location under it (``child_of``) is in that warehouse.
    """
    warehouses = client.search_read("stock.warehouse", [], ["code", "view_location_id"])
    has_field = "warehouse_id" in client.fields("stock.location")
    fields = ["complete_name", "usage", *(["warehouse_id"] if has_field else [])]
    codes = {int(w["id"]): str(w["code"]) for w in warehouses}
    under: dict[int, str] = {}
    if not has_field:
        for row in warehouses:
            view = many2one_id(row.get("view_location_id"))
            if view:
                found = client.search("stock.location", [("id", "child_of", view)])
                under.update(dict.fromkeys(found, str(row["code"])))
    locations: dict[int, Location] = {}
    for page in client.pages("stock.location", [], fields):
        for row in page:
            name = str(row["complete_name"])
            if has_field:
                warehouse = codes.get(many2one_id(row.get("warehouse_id")) or 0)
            else:
                warehouse = under.get(int(row["id"])) or next(
                    (c for c in codes.values() if name == c or name.startswith(f"{c}/")), None
                )
            locations[int(row["id"])] = Location(name, str(row["usage"]), warehouse)
    return locations


MODELS: tuple[str, ...] = ("sale.order", "stock.picking.outgoing", "stock.picking.incoming", "stock.move")
"""What the source polls, in this order; each has its own position (``odoo:<db>|<model>``)."""
Event = OrderPlaced | OrderCancelled | ShipmentConfirmed | PurchaseReceived | StockMoved
Mapped = Event | Unmappable
_ORDER_EXTRAS = ("partner_shipping_id", "commitment_date", "picking_policy")
_LINE_EXTRAS = ("display_type", "is_delivery")


class OdooSource:
    """Publishes Odoo's orders, deliveries, receipts and done stock moves; see the module docstring."""

    def __init__(
        self,
        client: OdooClient,
        publisher: Publisher,
        producer: Producer,
        positions_consumer: Consumer,
        *,
        database: str,
        company: str,
        page_size: int = 500,
        report: Report = log.info,
        models: Sequence[str] = MODELS,
        default_country: str | None = None,
    ) -> None:
        unknown = set(models) - set(MODELS)
        if unknown:
            raise ValueError(f"the Odoo source cannot poll {sorted(unknown)}; it knows {list(MODELS)}")
        self._client = client
        self._publisher = publisher
        self._producer = producer
        self._consumer = positions_consumer
        self._database = database
        self._company = company
        self._page_size = page_size
        self._report = report
        self._models = tuple(models)
        self._default_country = default_country
        self._name = f"odoo:{database}"
        self._skus: dict[int, str] = {}
        #: Product id -> its stock unit's id; the units of measure (read once, again for an unknown one).
        self._stock_units: dict[int, int] = {}
        self._units: dict[int, UnitOfMeasure] = {}
        self._locations: dict[int, Location] = {}
        self.progress = Progress()

    def drain(self, stop: threading.Event | None = None) -> Progress:
        """Publish everything changed since the stored positions, model by model, page by page."""
        stored = load_positions(self._consumer)
        for model in self._models:
            if stop is not None and stop.is_set():
                break
            position = stored.get(f"{self._name}|{model}")
            self._drain_model(model, position.watermark if position else None, stop)
        return self.progress

    def _drain_model(self, model: str, watermark: Watermark | None, stop: threading.Event | None) -> None:
        self.progress.watermark = watermark
        self._report(f"{model}: starting from {watermark.write_date if watermark else 'the beginning'}")
        while stop is None or not stop.is_set():
            records = self._fetch(model, watermark)
            if not records:
                return
            self._publish_page(model, records)
            watermark = advanced(watermark, records)
            assert watermark is not None  # noqa: S101 - records is not empty
            save_position(self._producer, Position(self._name, model, watermark))
            self.progress.pages += 1
            self.progress.watermark = watermark
            self.progress.watermarks[model] = watermark
            elapsed = time.monotonic() - self.progress.started
            self._report(
                f"{model}: {self.progress.by_model.get(model, 0)} published, "
                f"{self.progress.quarantined} quarantined, at {watermark.write_date} "
                f"({self.progress.published / max(elapsed, 1e-9):,.0f} events/s)"
            )

    def run(self, stop: threading.Event, poll_interval_s: float = 5.0, max_backoff_s: float = 60.0) -> None:
        """Drain, wait, repeat until ``stop``; Odoo being down is retried with backoff."""
        backoff = poll_interval_s
        while not stop.is_set():
            try:
                self.drain(stop)
                backoff = poll_interval_s
            except OdooUnavailableError as exc:
                self._report(f"Odoo unavailable ({exc}); retrying in {backoff:.0f}s")
                backoff = min(max_backoff_s, backoff * 2)
            stop.wait(backoff)

    def _fetch(self, model: str, watermark: Watermark | None) -> list[Record]:
        if model == "sale.order":
            return sale_orders_since(self._client, watermark, limit=self._page_size)
        if model == "stock.picking.outgoing":
            return done_pickings_since(self._client, watermark, "outgoing", limit=self._page_size)
        if model == "stock.picking.incoming":
            return done_pickings_since(self._client, watermark, "incoming", limit=self._page_size)
        return done_moves_since(self._client, watermark, limit=self._page_size)

    def _map_page(self, model: str, records: list[Record]) -> list[Mapped]:
        """Map a page, after reading what it refers to (one read per model per page)."""
        if model == "sale.order":
            return self._map_orders(records)
        if model.startswith("stock.picking."):
            return self._map_pickings(records, incoming=model.endswith(".incoming"))
        self._learn_products({many2one_id(r.get("product_id")) for r in records})
        self._learn_locations(records)
        return [
            map_stock_move(
                r,
                database=self._database,
                company=self._company,
                skus=self._skus,
                locations=self._locations,
                units=self._product_units(records),
            )
            for r in records
        ]

    def _publish_page(self, model: str, records: list[Record]) -> None:
        futures: list[Future[Delivery]] = []
        for record, mapped in zip(records, self._map_page(model, records), strict=True):
            if isinstance(mapped, Unmappable):
                self._quarantine(mapped, record)
            else:
                futures.append(self._publisher.publish(mapped))
        if self._publisher.flush(60) or self._producer.flush(60):
            raise PublishError(
                "Kafka did not acknowledge the page within 60s; the position stays where it was"
            )
        for future in futures:
            future.result(timeout=0)  # raises PublishError: the position is not moved
        self.progress.published += len(futures)
        self.progress.by_model[model] = self.progress.by_model.get(model, 0) + len(futures)

    def _map_orders(self, records: list[Record]) -> list[Mapped]:
        self._merge_extras("sale.order", records, _ORDER_EXTRAS)
        line_ids = sorted({int(i) for r in records for i in r.get("order_line") or []})
        line_fields = ["product_id", "product_uom_qty", "product_uom"]
        line_fields += self._present("sale.order.line", _LINE_EXTRAS)
        lines = self._read_by_id("sale.order.line", line_ids, line_fields)
        self._learn_products({many2one_id(line.get("product_id")) for line in lines.values()})
        units = self._product_units(list(lines.values()))
        partner_ids = {many2one_id(r.get(f)) for r in records for f in ("partner_id", "partner_shipping_id")}
        partners = self._read_partners(sorted(p for p in partner_ids if p))
        return [
            map_sale_order(
                r,
                database=self._database,
                company=self._company,
                lines=lines,
                partners=partners,
                skus=self._skus,
                default_country=self._default_country,
                units=units,
            )
            for r in records
        ]

    def _map_pickings(self, records: list[Record], *, incoming: bool) -> list[Mapped]:
        if incoming:
            self._merge_extras("stock.picking", records, ("partner_id",))
        quantity = move_quantity_field(self._client.version)
        move_ids = sorted({int(i) for r in records for i in r.get("move_ids") or []})
        move_fields = ["product_id", "product_uom", "product_uom_qty", "product_qty", "state", quantity]
        move_fields += self._present("stock.move", ("sale_line_id",))
        moves = self._read_by_id("stock.move", move_ids, move_fields)
        for move in moves.values():
            move["quantity_done"] = move.pop(quantity)
        self._learn_products({many2one_id(m.get("product_id")) for m in moves.values()})
        self._learn_locations(records)
        mapper = map_incoming_picking if incoming else map_outgoing_picking
        units = self._product_units(list(moves.values()))
        return [
            mapper(
                r,
                database=self._database,
                company=self._company,
                moves=moves,
                skus=self._skus,
                locations=self._locations,
                units=units,
            )
            for r in records
        ]

    def _present(self, model: str, fields: Sequence[str]) -> list[str]:
        """Those of ``fields`` the server's ``model`` has (add-ons and versions differ)."""
        known = self._client.fields(model)
        return [f for f in fields if f in known]

    def _read_by_id(self, model: str, ids: Sequence[int], fields: Sequence[str]) -> dict[int, Record]:
        if not ids:
            return {}
        return {int(r["id"]): r for r in self._client.read(model, list(ids), list(fields))}

    def _merge_extras(self, model: str, records: list[Record], fields: Sequence[str]) -> None:
        """Add the optional ``fields`` the server has to a page of ``model`` records (one read)."""
        present = self._present(model, fields)
        if not present or not records:
            return
        extras = self._read_by_id(model, [int(r["id"]) for r in records], present)
        for record in records:
            record.update({f: v for f, v in extras.get(int(record["id"]), {}).items() if f != "id"})

    def _read_partners(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Partners as the order mapping wants them: name, country_code, state_code, zip."""
        fields = ["name", *self._present("res.partner", ("zip", "country_id", "state_id"))]
        rows = self._read_by_id("res.partner", ids, fields)
        countries = self._codes("res.country", {many2one_id(r.get("country_id")) for r in rows.values()})
        states = self._codes("res.country.state", {many2one_id(r.get("state_id")) for r in rows.values()})
        return {
            partner_id: {
                "name": row.get("name"),
                "country_code": countries.get(many2one_id(row.get("country_id")) or 0),
                "state_code": states.get(many2one_id(row.get("state_id")) or 0),
                "zip": row.get("zip") or None,
            }
            for partner_id, row in rows.items()
        }

    def _codes(self, model: str, ids: set[int | None]) -> dict[int, str]:
        wanted = sorted(i for i in ids if i)
        return {i: str(r["code"]) for i, r in self._read_by_id(model, wanted, ["code"]).items() if r["code"]}

    def _learn_products(self, products: set[int | None]) -> None:
        """Read the SKUs of the products not known yet (one batched read)."""
        missing = sorted(p for p in products if p and p not in self._skus)
        if missing:
            rows = self._client.read("product.product", missing, ["default_code", "uom_id"])
            self._skus.update({int(r["id"]): str(r["default_code"] or "") for r in rows})
            self._stock_units.update({int(r["id"]): many2one_id(r["uom_id"]) or 0 for r in rows})

    def _product_units(self, records: Sequence[Record]) -> ProductUnits:
        """The units of measure the records' products and units need (read again when one is new)."""
        wanted = {many2one_id(r.get("product_uom")) for r in records} | set(self._stock_units.values())
        if wanted - {None, 0} - self._units.keys():
            self._units = read_units(self._client)
        return ProductUnits(self._units, self._stock_units)

    def _learn_locations(self, records: list[Record]) -> None:
        """Re-read the locations when the page refers to one not known yet."""
        wanted = {many2one_id(r.get(f)) for r in records for f in ("location_id", "location_dest_id")}
        if wanted - {None} - self._locations.keys():
            self._locations = read_locations(self._client)

    def _quarantine(self, problem: Unmappable, record: dict[str, Any]) -> None:
        self.progress.quarantined += 1
        self._producer.produce(
            QUARANTINE_TOPIC,
            key=f"{self._name}|{problem.model}".encode(),
            value=json.dumps({"record": record, "reason": problem.reason}, default=str).encode(),
            headers=[("reason", problem.reason.encode()), ("record_id", str(problem.record_id).encode())],
        )
        log.warning("quarantined %s %s: %s", problem.model, problem.record_id, problem.reason)
