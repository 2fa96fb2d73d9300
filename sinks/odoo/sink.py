"""`OdooSink`: applies order.placed, order.allocated, stock.moved, shipment.confirmed, order.cancelled
and atp.changed to Odoo.

A thin shell: decode, look up ids, ask `sinks.odoo.plan` what to do, call
`supplystream.odoo.operations`, batched. Odoo's errors become the sink contract's by their cause
(`supplystream.odoo.failures`). Behaviour, errors and calls per batch: sinks/odoo/README.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sinks.base import (
    NotYetApplicableError,
    PermanentSinkError,
    Rejected,
    SinkRecord,
    TargetUnavailableError,
    TransientSinkError,
)
from sinks.odoo import plan
from supplystream.errors import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooConcurrentUpdateError,
    OdooDataError,
    OdooError,
    OdooMissingRecordError,
    OdooUnavailableError,
    OdooValidationError,
)
from supplystream.events import (
    AtpChanged,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    ShipmentConfirmed,
    StockMoved,
)
from supplystream.odoo import operations as ops
from supplystream.odoo.client import OdooClient
from supplystream.settings import Settings
from supplystream.units import ProductUnits, UnitOfMeasure

log = logging.getLogger("supplystream.sinks.odoo")

SINK_NAME = "odoo-sink"
#: Odoo refused this record (its values, a value its database cannot store, a record missing, no
#: rights on it): reject it, apply the others.
REFUSALS = (OdooValidationError, OdooDataError, OdooMissingRecordError, OdooAccessError)
Handled = OrderPlaced | StockMoved | OrderAllocated | ShipmentConfirmed | OrderCancelled | AtpChanged
HANDLED: dict[str, type[Handled]] = {
    cls.EVENT_TYPE: cls
    for cls in (OrderPlaced, OrderAllocated, StockMoved, ShipmentConfirmed, OrderCancelled, AtpChanged)
}


@dataclass(frozen=True)
class Warehouse:
    """An Odoo warehouse as the sink needs it."""

    warehouse_id: int
    stock_location_id: int
    #: Its Delivery Orders operation type.
    out_type_id: int
    name: str


class OdooSink:
    """The Odoo sink adapter (`sinks.base.SinkAdapter`)."""

    name = SINK_NAME

    def __init__(self, client: OdooClient, *, batched: bool = True) -> None:
        self._client = client
        self._batched = batched
        self._warehouses: dict[str, Warehouse] = {}
        self._products: dict[str, int] = {}
        #: Product id -> its stock unit's id (read with the product), and every unit (read once).
        self._stock_units: dict[int, int] = {}
        self._units: dict[int, UnitOfMeasure] | None = None
        self._carriers: dict[str, int] | None = None
        #: Warehouse id -> its ship-from route (`supplystream.odoo.operations.ship_from_routes`).
        self._routes: dict[int, int] = {}
        self._atp_model_ready = False
        #: What happened to each record, by ``<event type> <outcome>`` (applied, unchanged, echo, rejected).
        self.outcomes: Counter[str] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> OdooSink:
        """The sink for the configured Odoo."""
        return cls(OdooClient.from_settings(settings))

    # -- the adapter contract ------------------------------------------------------------------

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        """Apply ``batch`` idempotently; the records Odoo refuses are returned, the rest applied."""
        with _as_sink_errors():
            if self._batched:
                return self._apply(batch)
            return [rejected for record in batch for rejected in self._apply([record])]

    def probe(self) -> bool:
        """Whether Odoo answers and accepts our login again."""
        try:
            self._client.login()
        except OdooError:
            return False
        return True

    def close(self) -> None:
        """Nothing to release: the client's HTTP connections close with it."""

    # -- one batch -----------------------------------------------------------------------------

    def _apply(self, batch: Sequence[SinkRecord]) -> list[Rejected]:
        rejected: list[Rejected] = []
        kinds: dict[str, list[tuple[SinkRecord, Any]]] = {name: [] for name in HANDLED}
        for record in batch:
            event_class = HANDLED.get(record.event_type)
            if event_class is None:
                self._count(record.event_type, "ignored")
                continue
            try:
                event = event_class.from_record(record.event)
            except (KeyError, TypeError, ValueError) as exc:
                rejected.append(self._reject(record, f"{record.event_type} cannot be read: {exc!r}"))
                continue
            if plan.is_echo(event.source):
                self._count(record.event_type, "echo")
                continue
            kinds[record.event_type].append((record, event))
        # Business order: an order is created, then confirmed, then shipped, and what did not ship can
        # be cancelled; ATP last (it reflects the rest).
        rejected += self._placed(kinds[OrderPlaced.EVENT_TYPE])
        rejected += self._orders(kinds[OrderAllocated.EVENT_TYPE])
        rejected += self._stock(kinds[StockMoved.EVENT_TYPE])
        rejected += self._shipments(kinds[ShipmentConfirmed.EVENT_TYPE])
        rejected += self._cancellations(kinds[OrderCancelled.EVENT_TYPE])
        rejected += self._atp(kinds[AtpChanged.EVENT_TYPE])
        return rejected

    # -- order.placed --------------------------------------------------------------------------

    def _placed(self, items: list[tuple[SinkRecord, OrderPlaced]]) -> list[Rejected]:
        if not items:
            return []
        rejected: list[Rejected] = []
        known = ops.existing_sale_orders(self._client, [event.order_id for _, event in items])
        products = self._products_for({line.sku for _, event in items for line in event.lines})
        wanted: dict[str, tuple[SinkRecord, plan.NewOrder]] = {}
        for record, event in items:
            decision = plan.intake_decision(event, known, products)
            if isinstance(decision, plan.NewOrder):
                lines = self._in_stock_units(
                    [(line.sku, line.quantity, None) for line in event.lines],
                    f"order.placed {event.order_id}",
                )
                decision = (
                    replace(decision, lines=tuple(zip((p for p, _ in decision.lines), lines, strict=True)))
                    if isinstance(lines, list)
                    else lines
                )
            if decision == plan.ALREADY_DONE:
                self._count(record.event_type, "unchanged")
            elif isinstance(decision, str):
                rejected.append(self._reject(record, decision))
            else:
                wanted[decision.name] = (record, decision)
                known.add(decision.name)  # a repeat later in the batch is already applied
        partners = ops.ensure_partners(
            self._client, {new.customer_ref: new.partner_name for _, new in wanted.values()}
        )
        drafts = [
            ops.DraftOrder(new.name, partners[new.customer_ref], new.customer_ref, new.lines)
            for _, new in wanted.values()
        ]
        try:
            ops.create_draft_orders(self._client, drafts)
            created = len(drafts)
        except REFUSALS:  # one order is refused: create them one by one to find which
            created = 0
            # Before Odoo 12 the batch was one call per order: those before the refused one exist.
            made = ops.existing_sale_orders(self._client, [draft.name for draft in drafts])
            for draft in drafts:
                if draft.name in made:
                    created += 1
                    continue
                try:
                    ops.create_draft_orders(self._client, [draft])
                    created += 1
                except REFUSALS as exc:
                    rejected.append(self._reject(wanted[draft.name][0], str(exc)))
        self._count(OrderPlaced.EVENT_TYPE, "applied", created)
        return rejected

    # -- order.allocated -----------------------------------------------------------------------

    def _orders(self, items: list[tuple[SinkRecord, OrderAllocated]]) -> list[Rejected]:
        if not items:
            return []
        rejected: list[Rejected] = []
        names = sorted({event.order_id for _, event in items})
        rows = self._client.search_read(
            "sale.order", [("name", "in", names)], ["name", "state", "warehouse_id"]
        )
        views = {str(row["name"]): plan.OrderView.of(row) for row in rows}
        warehouses = self._warehouses_for({line.warehouse for _, e in items for line in e.lines})
        to_confirm: dict[int, int] = {}
        split: dict[int, OrderAllocated] = {}  # orders shipping from several warehouses
        records_of: dict[int, list[SinkRecord]] = {}
        for record, event in items:
            warehouse = _order_warehouse(event, warehouses)
            if isinstance(warehouse, str):
                rejected.append(self._reject(record, warehouse))
                continue
            view = views.get(event.order_id)
            decision = plan.order_decision(view, event.order_id, warehouse.warehouse_id)
            if decision == plan.CONFIRM and view is not None:
                to_confirm[view.order_id] = warehouse.warehouse_id
                if len(plan.allocated_by_warehouse(event)) > 1:
                    split[view.order_id] = event
                records_of.setdefault(view.order_id, []).append(record)
                views[event.order_id] = plan.OrderView(
                    view.order_id, view.name, "sale", warehouse.warehouse_id
                )
            elif decision == plan.ALREADY_DONE:
                records_of.setdefault(view.order_id if view else 0, []).append(record)
                self._count(record.event_type, "unchanged")
            elif decision == plan.ORDER_CANCELLED:  # cancelled first: it stays cancelled
                self._count(record.event_type, "order cancelled")
            elif isinstance(decision, plan.NotYet):
                rejected.append(self._defer(record, decision.reason))
            else:
                rejected.append(self._reject(record, decision))
        for order_id, reason in self._lay_out(split, to_confirm).items():  # before the confirmation
            del to_confirm[order_id]
            rejected += [self._reject(r, reason) for r in records_of.get(order_id, [])]
        return rejected + self._confirm(to_confirm, records_of)

    def _confirm(
        self, to_confirm: Mapping[int, int], records_of: Mapping[int, list[SinkRecord]]
    ) -> list[Rejected]:
        """Confirm draft orders from their warehouse (order id -> warehouse id) in one go; when Odoo
        refuses, one by one, to reject the records of the orders it refuses."""
        rejected: list[Rejected] = []
        try:
            ops.confirm_sale_orders(self._client, to_confirm)
            confirmed = set(to_confirm)
        except REFUSALS:  # one order is refused: confirm them one by one to find which
            confirmed = set()
            for order_id, warehouse_id in to_confirm.items():
                try:
                    ops.confirm_sale_order(self._client, order_id, warehouse_id)
                    confirmed.add(order_id)
                except REFUSALS as exc:
                    rejected += [self._reject(r, str(exc)) for r in records_of.get(order_id, [])]
        self._count(OrderAllocated.EVENT_TYPE, "applied", len(confirmed))
        return rejected

    def _lay_out(self, split: Mapping[int, OrderAllocated], main: Mapping[int, int]) -> dict[int, str]:
        """Give the lines of draft orders allocated to several warehouses the route of the warehouse
        that ships them (splitting a line shipped from two), so that confirming each order makes one
        delivery per warehouse, from that warehouse's stock. ``main``: order id -> its warehouse.
        One read of their lines, one ``write`` per order whose lines change; the orders Odoo refuses,
        with the reason."""
        if not split:
            return {}
        warehouses = self._warehouses_for({line.warehouse for e in split.values() for line in e.lines})
        products = self._products_for({line.sku for e in split.values() for line in e.lines})
        routes = self._routes_for(
            {warehouses[code] for e in split.values() for code in plan.allocated_by_warehouse(e)}
        )
        rows = ops.order_lines(self._client, sorted(split), self._known_units())
        lines = [plan.LineView.of(row) for row in rows]
        refused: dict[int, str] = {}
        for order_id, event in split.items():
            allocated = {
                (products[sku], warehouses[code].warehouse_id): quantity
                for code, skus in plan.allocated_by_warehouse(event).items()
                for sku, quantity in skus.items()
                if sku in products
            }
            mine = [line for line in lines if line.order_id == order_id]
            changes = plan.line_changes(allocated, main[order_id], mine, routes)
            try:
                ops.write_order_lines(self._client, order_id, changes)
            except REFUSALS as exc:
                refused[order_id] = str(exc)
        return refused

    def _routes_for(self, warehouses: Iterable[Warehouse]) -> Mapping[int, int]:
        """Warehouse id -> its ship-from route (cached; created in Odoo where missing)."""
        missing = {w.warehouse_id: w for w in warehouses if w.warehouse_id not in self._routes}
        if missing:
            self._routes.update(
                ops.ship_from_routes(
                    self._client,
                    [
                        ops.ShippingWarehouse(w.warehouse_id, w.name, w.stock_location_id, w.out_type_id)
                        for w in missing.values()
                    ],
                )
            )
        return self._routes

    # -- stock.moved ---------------------------------------------------------------------------

    def _stock(self, items: list[tuple[SinkRecord, StockMoved]]) -> list[Rejected]:
        if not items:
            return []
        rejected: list[Rejected] = []
        warehouses = self._warehouses_for({event.warehouse for _, event in items})
        products = self._products_for({event.sku for _, event in items})
        wanted: list[plan.Adjustment] = []
        records_of: dict[str, list[SinkRecord]] = {}
        for record, event in items:
            if plan.applied_by_shipment(event):
                self._count(record.event_type, "left to the shipment")  # its picking moves this stock
                continue
            delta = plan.stock_delta(event)
            warehouse, product = warehouses.get(event.warehouse), products.get(event.sku)
            if isinstance(delta, str):
                rejected.append(self._reject(record, delta))
            elif warehouse is None or product is None:
                missing = f"warehouse {event.warehouse!r}" if warehouse is None else f"SKU {event.sku!r}"
                rejected.append(self._reject(record, f"stock.moved {event.event_id}: no {missing} in Odoo"))
            else:
                converted = self._in_stock_units(
                    [(event.sku, delta, event.uom)], f"stock.moved {event.event_id}"
                )
                if isinstance(converted, str):
                    rejected.append(self._reject(record, converted))
                    continue
                reference = plan.adjustment_reference(event)
                wanted.append(plan.Adjustment(reference, product, warehouse.stock_location_id, converted[0]))
                records_of.setdefault(reference, []).append(record)
        applied = ops.applied_adjustments(self._client, sorted(records_of))
        planned = plan.plan_adjustments(wanted, applied)
        on_hand = ops.on_hand_at(self._client, sorted({a.pair for a in planned}))
        for reference in set(records_of) - {a.reference for a in planned}:
            self._count(StockMoved.EVENT_TYPE, "unchanged", len(records_of[reference]))
        for adjustment in planned:
            before = on_hand[adjustment.pair]
            try:
                ops.adjust_on_hand(
                    self._client,
                    adjustment.product_id,
                    adjustment.location_id,
                    adjustment.delta,
                    reference=adjustment.reference,
                    on_hand=before,
                )
            except REFUSALS as exc:
                rejected += [self._reject(r, str(exc)) for r in records_of[adjustment.reference]]
                continue
            on_hand[adjustment.pair] = before + adjustment.delta
            self._count(StockMoved.EVENT_TYPE, "applied")
            self._count(StockMoved.EVENT_TYPE, "unchanged", len(records_of[adjustment.reference]) - 1)
        return rejected

    # -- shipment.confirmed --------------------------------------------------------------------

    def _shipments(self, items: list[tuple[SinkRecord, ShipmentConfirmed]]) -> list[Rejected]:
        if not items:
            return []
        rejected: list[Rejected] = []
        ids = [e.odoo_picking_id for _, e in items if e.odoo_picking_id is not None]
        origins = [e.order_id for _, e in items if e.odoo_picking_id is None]
        pickings = [plan.PickingView.of(r) for r in ops.outgoing_pickings(self._client, ids, origins)]
        products = self._products_for({line.sku for _, e in items for line in e.lines})
        carriers = self._carriers_by_name()
        warehouses = self._warehouses_for({e.warehouse for _, e in items})
        cancelled: set[str] | None = None  # orders Odoo cancelled: read only when a shipment needs it
        for record, event in items:
            shipping_from = warehouses.get(event.warehouse)
            delivery_type = shipping_from.out_type_id if shipping_from else None
            decision = plan.shipment_decision(event, pickings, cancelled or set(), delivery_type)
            if isinstance(decision, plan.NotYet | str) and cancelled is None:
                cancelled = self._cancelled_orders(sorted({e.order_id for _, e in items}))
                decision = plan.shipment_decision(event, pickings, cancelled, delivery_type)
            if isinstance(decision, plan.NotYet):
                rejected.append(self._defer(record, decision.reason))
                continue
            if isinstance(decision, str):
                rejected.append(self._reject(record, decision))
                continue
            if isinstance(decision, plan.AlreadyShipped):
                self._count(record.event_type, "unchanged")
                continue
            checked = self._in_stock_units(
                [(line.sku, line.quantity, None) for line in event.lines], f"shipment {event.shipment_id}"
            )
            quantities = checked if isinstance(checked, str) else plan.shipped_quantities(event, products)
            if isinstance(quantities, str):
                rejected.append(self._reject(record, quantities))
                continue
            carrier = carriers.get(event.carrier.strip().lower())
            try:
                if isinstance(decision, plan.Deliver):
                    picking_id, origin = self._new_delivery(event, decision, quantities), decision.origin
                    pickings.append(plan.PickingView(picking_id, "draft", origin, ""))
                else:
                    picking_id = decision.picking_id
                    origin = next(p.origin for p in pickings if p.picking_id == picking_id)
                result = ops.validate_picking(
                    self._client,
                    picking_id,
                    event.tracking_number,
                    carrier,
                    quantities,
                    units=self._known_units(),
                )
            except (*REFUSALS, _NoWarehouseError) as exc:
                rejected.append(self._reject(record, str(exc)))
                continue
            pickings = plan.after_validation(pickings, picking_id, event.tracking_number)
            if result.backorder_created:  # the rest of the order is a new picking: read it
                known = {p.picking_id for p in pickings}
                fresh = ops.outgoing_pickings(self._client, [], [origin])
                pickings += [plan.PickingView.of(r) for r in fresh if int(r["id"]) not in known]
            self._count(record.event_type, "unchanged" if result.already_done else "applied")
            log.info(
                "validated stock.picking %s with tracking %s%s",
                picking_id,
                event.tracking_number,
                " (a new delivery: the order's own was cancelled)"
                if isinstance(decision, plan.Deliver)
                else "",
                extra=_log_fields(record),
            )
        return rejected

    def _cancelled_orders(self, names: Sequence[str]) -> set[str]:
        rows = self._client.search_read(
            "sale.order", [("name", "in", list(names)), ("state", "=", plan.CANCELLED_ORDER_STATE)], ["name"]
        )
        return {str(row["name"]) for row in rows}

    def _new_delivery(
        self, event: ShipmentConfirmed, decision: plan.Deliver, quantities: Mapping[int, Decimal]
    ) -> int:
        """A delivery for goods whose order's delivery was cancelled before they shipped."""
        warehouse = self._warehouses_for([event.warehouse]).get(event.warehouse)
        if warehouse is None or not warehouse.out_type_id:
            raise _NoWarehouseError(
                f"shipment {event.shipment_id}: order {event.order_id} was cancelled in Odoo before the "
                f"shipment reached it, and Odoo has no warehouse {event.warehouse!r} (with a Delivery "
                "Orders type) to record the delivery from"
            )
        return ops.create_delivery(
            self._client, warehouse.out_type_id, warehouse.stock_location_id, decision.origin, quantities
        )

    # -- order.cancelled -----------------------------------------------------------------------

    def _cancellations(self, items: list[tuple[SinkRecord, OrderCancelled]]) -> list[Rejected]:
        if not items:
            return []
        rejected: list[Rejected] = []
        names = sorted({event.order_id for _, event in items})
        rows = self._client.search_read(
            "sale.order", [("name", "in", names)], ["name", "state", "warehouse_id"]
        )
        views = {str(row["name"]): plan.OrderView.of(row) for row in rows}
        order_ids = [view.order_id for view in views.values()]
        pickings = [plan.PickingView.of(r) for r in ops.outgoing_pickings(self._client, [], names)]
        ordered = ops.order_quantities(self._client, order_ids, self._known_units())
        notes = ops.notes_containing(self._client, "sale.order", order_ids, plan.CANCELLATION_MARKER)
        products = self._products_for({line.sku for _, event in items for line in event.lines})
        orders_to_cancel: dict[int, list[SinkRecord]] = {}
        pickings_to_cancel: dict[int, list[SinkRecord]] = {}
        for record, event in items:
            view = views.get(event.order_id)
            marker = plan.cancellation_marker(event)
            noted = view is not None and any(marker in body for body in notes.get(view.order_id, []))
            whole = view is not None and plan.cancels_whole_order(
                event, ordered.get(view.order_id, {}), products
            )
            decision = plan.cancellation_decision(event, view, pickings, whole=whole, noted=noted)
            if isinstance(decision, plan.NotYet):
                rejected.append(self._defer(record, decision.reason))
                continue
            if decision == plan.ALREADY_DONE:
                self._count(record.event_type, "unchanged")
                continue
            if isinstance(decision, str):
                rejected.append(self._reject(record, decision))
                continue
            if decision.note is not None:  # first: the note is what tells a replay it was handled
                try:
                    ops.post_note(self._client, "sale.order", decision.order_id, decision.note)
                except REFUSALS as exc:
                    rejected.append(self._reject(record, str(exc)))
                    continue
                notes.setdefault(decision.order_id, []).append(decision.note)
            if isinstance(decision, plan.CancelOrder):
                orders_to_cancel.setdefault(decision.order_id, []).append(record)
                views[event.order_id] = replace(views[event.order_id], state=plan.CANCELLED_ORDER_STATE)
                continue
            for picking_id in decision.picking_ids:
                pickings_to_cancel.setdefault(picking_id, []).append(record)
            pickings = [
                replace(p, state="cancel") if p.picking_id in decision.picking_ids else p for p in pickings
            ]
            if not decision.picking_ids:
                self._count(record.event_type, "noted")
        rejected += self._cancel(ops.cancel_sale_orders, orders_to_cancel, "applied")
        rejected += self._cancel(ops.cancel_pickings, pickings_to_cancel, "noted")
        return rejected

    def _cancel(
        self,
        cancel: Callable[[OdooClient, Sequence[int]], None],
        records_of: Mapping[int, list[SinkRecord]],
        outcome: str,
    ) -> list[Rejected]:
        """``cancel`` the records ``records_of`` names in one call; when Odoo refuses, one at a time
        to reject the records of those it refuses."""
        refused: dict[int, str] = {}
        try:
            cancel(self._client, sorted(records_of))
        except REFUSALS:
            for record_id in sorted(records_of):
                try:
                    cancel(self._client, [record_id])
                except REFUSALS as exc:
                    refused[record_id] = str(exc)
        rejected: list[Rejected] = []
        counted: set[str] = set()
        for record_id, records in records_of.items():
            for record in records:
                if record_id in refused:
                    rejected.append(self._reject(record, refused[record_id]))
                elif record.event_id not in counted:
                    counted.add(record.event_id)
                    self._count(record.event_type, outcome)
        return rejected

    # -- atp.changed ---------------------------------------------------------------------------

    def _atp(self, items: list[tuple[SinkRecord, AtpChanged]]) -> list[Rejected]:
        if not items:
            return []
        if not self._atp_model_ready:
            ops.ensure_atp_model(self._client)
            self._atp_model_ready = True
        refused: list[Rejected] = []
        storable: list[tuple[SinkRecord, AtpChanged]] = []
        for record, event in items:
            reason = plan.atp_refusal(event)
            if reason is None:
                storable.append((record, event))
            else:
                refused.append(self._reject(record, reason))
        items = storable
        rows = plan.atp_rows(event for _, event in items)
        rejected: list[Rejected] = []
        try:
            written = ops.write_atp(self._client, rows)
        except REFUSALS:  # one row is refused: write them one by one to find which
            written = 0
            for row in rows:
                try:
                    written += ops.write_atp(self._client, [row])
                except REFUSALS as exc:
                    rejected += [
                        self._reject(r, str(exc))
                        for r, e in items
                        if (e.sku, e.warehouse) == (row.sku, row.warehouse_code)
                    ]
        self._count(AtpChanged.EVENT_TYPE, "applied", written)
        self._count(AtpChanged.EVENT_TYPE, "unchanged", len(items) - written - len(rejected))
        return refused + rejected

    # -- look-ups (cached: warehouses, products and carriers rarely change) ---------------------

    def _warehouses_for(self, codes: Iterable[str]) -> Mapping[str, Warehouse]:
        """Warehouses by the platform's code: an Odoo warehouse's ``code``, else its ``name`` (Odoo codes
        have at most five characters, so ``WH-CENTRAL`` is the name of the warehouse coded ``CENTR``)."""
        if set(codes) - set(self._warehouses):
            rows = self._client.search_read(
                "stock.warehouse", [], ["code", "name", "lot_stock_id", "out_type_id"]
            )
            warehouses = [
                (
                    r,
                    Warehouse(
                        int(r["id"]),
                        ops.many2one_id(r["lot_stock_id"]) or 0,
                        ops.many2one_id(r["out_type_id"]) or 0,
                        str(r["name"]),
                    ),
                )
                for r in rows
            ]
            found: dict[str, Warehouse] = {}
            for key in ("name", "code"):  # a code wins over a name
                found |= {str(r[key]): warehouse for r, warehouse in warehouses}
            self._warehouses = found
        return self._warehouses

    def _products_for(self, skus: Iterable[str]) -> Mapping[str, int]:
        missing = sorted(set(skus) - set(self._products))
        if missing:
            rows = self._client.search_read(
                "product.product", [("default_code", "in", missing)], ["default_code", "uom_id"]
            )
            self._products.update({str(r["default_code"]): int(r["id"]) for r in rows})
            self._stock_units.update({int(r["id"]): ops.many2one_id(r["uom_id"]) or 0 for r in rows})
        return self._products

    def _in_stock_units(
        self, quantities: Sequence[tuple[str, Decimal, str | None]], what: str
    ) -> list[Decimal] | str:
        """Each (SKU, quantity, unit name or None for the product's) as Odoo is to store it
        (`plan.odoo_quantity`), or the first reason one cannot be: permanent. The units are read
        once per sink, the products' units with the products (`_products_for`)."""
        products = self._products_for({sku for sku, _, _ in quantities})
        if self._units is None or any(
            self._stock_units.get(products.get(sku, 0), 0) not in self._units
            for sku, _, _ in quantities
            if sku in products
        ):
            self._units = ops.read_units(self._client)
        converted: list[Decimal] = []
        for sku, quantity, uom in quantities:
            stock = self._units.get(self._stock_units.get(products.get(sku, 0), 0))
            result = plan.odoo_quantity(f"{sku} in {what}", quantity, stock, self._units.values(), uom)
            if isinstance(result, str):
                return result
            converted.append(result)
        return converted

    def _known_units(self) -> ProductUnits:
        """The units of measure (read once) and the products' stock units read so far (operations
        read the products missing)."""
        if self._units is None:
            self._units = ops.read_units(self._client)
        return ProductUnits(self._units, self._stock_units)

    def _carriers_by_name(self) -> Mapping[str, int]:
        if self._carriers is None:
            self._carriers = ops.carriers_by_name(self._client)
        return self._carriers

    # -- bookkeeping ---------------------------------------------------------------------------

    def _count(self, event_type: str, outcome: str, n: int = 1) -> None:
        if n:
            self.outcomes[f"{event_type} {outcome}"] += n

    def _reject(self, record: SinkRecord, reason: str) -> Rejected:
        self._count(record.event_type, "rejected")
        log.warning("rejected %s: %s", record.event_type, reason, extra=_log_fields(record))
        return Rejected(record, PermanentSinkError(reason))

    def _defer(self, record: SinkRecord, reason: str) -> Rejected:
        self._count(record.event_type, "deferred")
        log.info("not yet applicable %s: %s", record.event_type, reason, extra=_log_fields(record))
        return Rejected(record, NotYetApplicableError(reason))


def _order_warehouse(event: OrderAllocated, warehouses: Mapping[str, Warehouse]) -> Warehouse | str:
    """The Odoo warehouse an allocated order is confirmed from (`plan.order_warehouse`), or why there
    is none: every warehouse the allocation names must be one Odoo has."""
    code = plan.order_warehouse(event)
    unknown = sorted(set(plan.allocated_by_warehouse(event)) - set(warehouses))
    warehouse = warehouses.get(code or "")
    if warehouse is None or unknown:
        missing = ", ".join(repr(c) for c in unknown) or repr(code)
        return f"order {event.order_id}: no warehouse {missing} in Odoo"
    return warehouse


class _NoWarehouseError(ValueError):
    """The shipment's warehouse is not one Odoo has."""


def _log_fields(record: SinkRecord) -> dict[str, Any]:
    return {
        "event_id": record.event_id,
        "correlation_id": record.correlation_id,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }


@contextmanager
def _as_sink_errors() -> Iterator[None]:
    """Odoo's batch-wide failures as the sink contract's errors, by their cause."""
    try:
        yield
    except OdooUnavailableError as exc:
        raise TargetUnavailableError(f"Odoo is unreachable: {exc}") from exc
    except OdooAuthenticationError as exc:
        raise TargetUnavailableError(
            f"Odoo refuses the sink's login: {exc}; fix SUPPLYSTREAM_ODOO__LOGIN/PASSWORD/DATABASE"
        ) from exc
    except OdooConcurrentUpdateError as exc:
        raise TransientSinkError(f"Odoo kept failing on concurrent updates: {exc}") from exc
    except OdooError as exc:
        # Neither an outage nor a concurrent update: the same call fails the same way every time. The
        # runtime applies the batch record by record and dead-letters, at once, each record failing alone.
        raise PermanentSinkError(f"Odoo refused the batch: {exc}") from exc


def sink_factory(settings: Settings) -> OdooSink:
    """The registry's factory for ``supplystream sinks run odoo-sink``."""
    return OdooSink.from_settings(settings)
