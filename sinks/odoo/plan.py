"""What the Odoo sink does with each event: pure decisions over typed events and Odoo's records.

No I/O here: `sinks.odoo.sink.OdooSink` reads what these functions need from Odoo, asks them what to
do, and makes the calls. Every decision is idempotent by construction (a replay finds its marker and
does nothing); the per-event rules are in sinks/odoo/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from supplystream.events import (
    AtpChanged,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    ShipmentConfirmed,
    Source,
    StockMoved,
)
from supplystream.odoo.operations import MAX_VERSION, AtpRow, LineChanges, many2one_id
from supplystream.units import UnitOfMeasure, UnitOfMeasureError, convert_exact, to_unit_exact, unit_key

#: The system whose events are never written back to Odoo: they came from it (no echo loop).
ODOO_SYSTEM = "odoo"
#: The name of the inventory adjustment (Odoo's move or inventory) applying a stock.moved event.
ADJUSTMENT_PREFIX = "SupplyStream stock.moved "
#: Picking states that can still be validated.
OPEN_PICKING_STATES = frozenset({"draft", "waiting", "confirmed", "partially_available", "assigned"})
#: The outcome of an event whose effect Odoo already has.
ALREADY_DONE = "already done"
#: Sale order states of a confirmed order (``done`` is Odoo 11-16's locked order).
CONFIRMED_ORDER_STATES = frozenset({"sale", "done"})
DRAFT_ORDER_STATES = frozenset({"draft", "sent"})
CANCELLED_ORDER_STATE = "cancel"
#: The outcome of an allocation of an order cancelled in Odoo: it stays cancelled.
ORDER_CANCELLED = "order cancelled"


def is_echo(source: Source) -> bool:
    """Whether an event came from Odoo itself, so writing it back would apply it twice."""
    return source.system.strip().lower() == ODOO_SYSTEM


@dataclass(frozen=True)
class NotYet:
    """The event cannot be applied yet: it waits for an earlier one (`sinks.base.NotYetApplicableError`)."""

    reason: str


# -- quantities into Odoo: in the product's unit, at its rounding --------------------------------


def odoo_quantity(
    what: str,
    quantity: Decimal,
    stock_unit: UnitOfMeasure | None,
    units: Iterable[UnitOfMeasure] = (),
    uom: str | None = None,
) -> Decimal | str:
    """``quantity`` (in the unit named ``uom``; None: the product's) as Odoo is to store it: in the
    product's stock unit ``stock_unit``, exactly a multiple of its rounding; or why it cannot be
    (another category, a unit Odoo does not have, finer than the rounding: permanent). ``what``
    names the record (``SKU-KG-1 in order.placed SO-1``). Without a known stock unit the quantity
    goes as it is (Odoo rounds it)."""
    if stock_unit is None:
        return quantity
    source = stock_unit
    if uom and unit_key(uom) != unit_key(stock_unit.name):
        named = [u for u in units if unit_key(u.name) == unit_key(uom)]
        same = [u for u in named if u.category == stock_unit.category]
        if not named:
            return (
                f"{what}: unit of measure {uom!r} is not one Odoo has; the product is stocked in "
                f"{stock_unit.describe()}: send the quantity in {stock_unit.name} or a unit of its "
                f"category ({stock_unit.category})"
            )
        source = (same or named)[0]
    try:
        return to_unit_exact(quantity, source, stock_unit, what)
    except UnitOfMeasureError as exc:
        return f"{exc}; the product is stocked in {stock_unit.describe()}"


# -- order.placed -> a draft sale order -----------------------------------------------------------


def partner_name(event: OrderPlaced) -> str:
    """The name of the ``res.partner`` created for a channel order's customer (``ref`` = customer_ref)."""
    return f"{event.channel} customer {event.customer_ref}"


@dataclass(frozen=True)
class NewOrder:
    """A draft ``sale.order`` to create: ``name`` = the platform's order id, one line per ordered line."""

    name: str
    customer_ref: str
    partner_name: str
    #: (product id, quantity), in the order's line order.
    lines: tuple[tuple[int, Decimal], ...]


def intake_decision(
    event: OrderPlaced, existing: AbstractSet[str], products: Mapping[str, int]
) -> NewOrder | str:
    """`NewOrder`, `ALREADY_DONE` when a sale order of that name exists, or why it cannot be created."""
    if event.order_id in existing:
        return ALREADY_DONE
    unknown = sorted({line.sku for line in event.lines if line.sku not in products})
    if unknown:
        skus = ", ".join(repr(sku) for sku in unknown)
        return (
            f"order.placed {event.order_id}: SKU {skus} is not a product in Odoo (no product.product "
            "with that default_code); create the product in Odoo (the demo catalog: `supplystream odoo "
            "seed`), then re-drive the event from the dead-letter topic"
        )
    return NewOrder(
        name=event.order_id,
        customer_ref=event.customer_ref,
        partner_name=partner_name(event),
        lines=tuple((products[line.sku], line.quantity) for line in event.lines),
    )


# -- stock.moved -> inventory adjustment ----------------------------------------------------------


def adjustment_reference(event: StockMoved) -> str:
    """The name of the adjustment applying ``event``: its event id, so it is found again by name."""
    return f"{ADJUSTMENT_PREFIX}{event.event_id}"


def applied_by_shipment(event: StockMoved) -> bool:
    """A DELIVERY that names its shipment (``reference``) leaves Odoo's stock when that shipment's
    picking is validated (``shipment.confirmed``): adjusting on-hand for it too would ship it twice."""
    return event.move_kind == MoveKind.DELIVERY and bool(event.reference)


def stock_delta(event: StockMoved) -> Decimal | str:
    """The change of on-hand stock at ``event.warehouse``, or why the event cannot be applied.

    Into the warehouse adds, out of it subtracts; a move within the warehouse changes nothing.
    """
    delta = Decimal(0)
    if event.to_warehouse == event.warehouse:
        delta += event.quantity
    if event.from_warehouse == event.warehouse:
        delta -= event.quantity
    if event.warehouse not in {event.to_warehouse, event.from_warehouse}:
        return (
            f"stock.moved {event.event_id}: warehouse {event.warehouse!r} is neither the source "
            f"({event.from_warehouse!r}) nor the destination ({event.to_warehouse!r})"
        )
    return delta


@dataclass(frozen=True)
class Adjustment:
    """One inventory adjustment: add ``delta`` to the on-hand stock of a product at a location."""

    reference: str
    product_id: int
    location_id: int
    delta: Decimal

    @property
    def pair(self) -> tuple[int, int]:
        """(product id, location id)."""
        return (self.product_id, self.location_id)


def plan_adjustments(adjustments: Iterable[Adjustment], applied: Iterable[str]) -> list[Adjustment]:
    """``adjustments`` in order, without those already ``applied`` (by reference), repeats, or zeros."""
    done = set(applied)
    planned: list[Adjustment] = []
    for adjustment in adjustments:
        if adjustment.reference in done or adjustment.delta == 0:
            continue
        done.add(adjustment.reference)
        planned.append(adjustment)
    return planned


# -- order.allocated -> confirm the sale order ----------------------------------------------------


def order_warehouse(event: OrderAllocated) -> str | None:
    """The warehouse an Odoo order ships from: the one allocated the most (ties: the lowest code).

    An Odoo sale order has one warehouse; a split allocation keeps the largest part's.
    """
    totals: dict[str, Decimal] = {}
    for line in event.lines:
        totals[line.warehouse] = totals.get(line.warehouse, Decimal(0)) + line.quantity
    if not totals:
        return None
    return min(totals, key=lambda code: (-totals[code], code))


def allocated_by_warehouse(event: OrderAllocated) -> dict[str, dict[str, Decimal]]:
    """Warehouse code -> SKU -> quantity allocated there (a line split over warehouses counts in each)."""
    allocated: dict[str, dict[str, Decimal]] = {}
    for line in event.lines:
        if line.quantity > 0:
            skus = allocated.setdefault(line.warehouse, {})
            skus[line.sku] = skus.get(line.sku, Decimal(0)) + line.quantity
    return allocated


@dataclass(frozen=True)
class LineView:
    """A goods line of a draft sale order, as `supplystream.odoo.operations.order_lines` reads it."""

    line_id: int
    order_id: int
    product_id: int
    #: In the product's stock unit (as the events' quantities).
    quantity: Decimal
    route_id: int | None
    #: The product's stock unit's id when the line is in another one (Dozens of a product in
    #: Units) and both are known, else None; with the line's unit and the stock unit, and the
    #: line's price (per its unit).
    stock_unit_id: int | None = None
    units: tuple[UnitOfMeasure, UnitOfMeasure] | None = None
    price_unit: Decimal = Decimal(0)

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> LineView:
        """From a line read by `supplystream.odoo.operations.order_lines` (``stock_quantity``: the
        quantity in the product's stock unit; without it ``product_uom_qty`` is taken for one)."""
        own, stock = record.get("unit"), record.get("stock_unit")
        units = (own, stock) if isinstance(own, UnitOfMeasure) and isinstance(stock, UnitOfMeasure) else None
        other = units is not None and own != stock
        return cls(
            int(record["id"]),
            many2one_id(record["order_id"]) or 0,
            many2one_id(record["product_id"]) or 0,
            Decimal(str(record.get("stock_quantity", record["product_uom_qty"]) or 0)),
            record.get("route_id"),
            record.get("stock_uom_id") if other else None,
            units if other else None,
            Decimal(str(record.get("price_unit") or 0)),
        )

    def written(self, quantity: Decimal) -> tuple[Decimal, int | None, Decimal | None]:
        """``quantity`` (in the product's stock unit) as the line is to hold it: (quantity, None,
        None) in the line's own unit when that expresses it exactly, else (quantity, the stock
        unit's id, the price per stock unit): the line changes to the product's unit."""
        if self.units is None or self.stock_unit_id is None:
            return quantity, None, None
        own, stock = self.units
        try:
            return to_unit_exact(quantity, stock, own, f"sale.order.line {self.line_id}"), None, None
        except UnitOfMeasureError:
            per_stock_unit = Fraction(self.price_unit) * convert_exact(Decimal(1), stock, own)
            price = Decimal(per_stock_unit.numerator) / Decimal(per_stock_unit.denominator)
            return quantity, self.stock_unit_id, price


def line_changes(
    allocated: Mapping[tuple[int, int], Decimal],
    main_warehouse: int,
    lines: Sequence[LineView],
    routes: Mapping[int, int],
) -> LineChanges:
    """How an order's lines change so that what is allocated to other warehouses than the order's
    (``main_warehouse``) ships from them: through their ship-from route (``routes``: warehouse id ->
    route id), Odoo's own per-line procurement.

    ``allocated`` is (product id, warehouse id) -> quantity, in the product's stock unit as the
    lines' `LineView.quantity`; a line in another unit whose quantity changes keeps its unit where
    that unit expresses the new quantity exactly (18 Units: 1.5 Dozens), else changes to the stock
    unit with its price per that unit (`LineView.written`). For each product, what another warehouse
    ships is taken from the product's lines without a route (those ship from the order's warehouse):
    a line wholly shipped from there gets the route, else it keeps the rest and a new line with the
    route carries that warehouse's part. Lines already routed to a warehouse count as done, so a
    second call (a replay after a crash before the confirmation) changes nothing.
    """
    warehouse_of = {route: warehouse for warehouse, route in routes.items()}
    quantity = {line.line_id: line.quantity for line in lines}
    routed: dict[int, int] = {}
    new: dict[tuple[int, int], Decimal] = {}
    for product in sorted({product for product, _ in allocated}):
        mine = [line for line in lines if line.product_id == product]
        shipping: dict[int, Decimal] = {}
        for line in mine:
            if line.route_id in warehouse_of:
                warehouse = warehouse_of[line.route_id]
                shipping[warehouse] = shipping.get(warehouse, Decimal(0)) + line.quantity
        for warehouse in sorted(w for p, w in allocated if p == product and w != main_warehouse):
            need = allocated[(product, warehouse)] - shipping.get(warehouse, Decimal(0))
            if warehouse not in routes:
                continue
            for line in (line for line in mine if line.route_id is None and line.line_id not in routed):
                have = quantity[line.line_id]
                if need <= 0:
                    break
                if have <= need:  # all of the line ships from there
                    routed[line.line_id] = routes[warehouse]
                    need -= have
                else:
                    quantity[line.line_id] = have - need
                    key = (product, routes[warehouse])
                    new[key] = new.get(key, Decimal(0)) + need
                    need = Decimal(0)
    written = {
        line.line_id: line.written(quantity[line.line_id])
        for line in lines
        if quantity[line.line_id] != line.quantity
    }
    return LineChanges(
        routes=routed,
        quantities={line_id: amount for line_id, (amount, _, _) in written.items()},
        new_lines=[(product, amount, route) for (product, route), amount in new.items()],
        units={line_id: unit for line_id, (_, unit, _) in written.items() if unit is not None},
        prices={line_id: price for line_id, (_, _, price) in written.items() if price is not None},
    )


@dataclass(frozen=True)
class OrderView:
    """What the sink knows of a sale order."""

    order_id: int
    name: str
    state: str
    warehouse_id: int | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> OrderView:
        """From a ``sale.order`` read with ``name``, ``state``, ``warehouse_id``."""
        return cls(
            int(record["id"]), str(record["name"]), str(record["state"]), many2one_id(record["warehouse_id"])
        )


CONFIRM = "confirm"


def order_decision(order: OrderView | None, name: str, warehouse_id: int) -> str | NotYet:
    """`CONFIRM`, `ALREADY_DONE`, `ORDER_CANCELLED` (the order was cancelled first: it stays so),
    `NotYet` (no such order yet), or why the order cannot be confirmed from ``warehouse_id``."""
    if order is None:
        return NotYet(
            f"no sale.order named {name!r} in Odoo yet: waiting for its order.placed to create it "
            "(or for the order to be entered in Odoo)"
        )
    if order.state in CONFIRMED_ORDER_STATES:
        if order.warehouse_id == warehouse_id:
            return ALREADY_DONE
        return (
            f"sale.order {name} is already confirmed from another warehouse (id {order.warehouse_id}, "
            f"not {warehouse_id}); change it in Odoo"
        )
    if order.state in DRAFT_ORDER_STATES:
        return CONFIRM
    if order.state == CANCELLED_ORDER_STATE:
        return ORDER_CANCELLED
    return f"sale.order {name} is {order.state}: it cannot be confirmed"


# -- shipment.confirmed -> validate the outgoing picking ------------------------------------------


@dataclass(frozen=True)
class PickingView:
    """What the sink knows of an outgoing picking."""

    picking_id: int
    state: str
    origin: str
    tracking_ref: str
    name: str = ""
    #: Its operation type: a warehouse's Delivery Orders tell which warehouse it ships from.
    picking_type_id: int | None = None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> PickingView:
        """From a picking read by `supplystream.odoo.operations.outgoing_pickings`."""
        return cls(
            int(record["id"]),
            str(record["state"]),
            str(record.get("origin") or ""),
            str(record.get("carrier_tracking_ref") or ""),
            str(record.get("name") or ""),
            many2one_id(record.get("picking_type_id")),
        )

    @property
    def label(self) -> str:
        """How a person finds the picking in Odoo: its name (``WH/OUT/00012``), else its id."""
        return self.name or f"stock.picking {self.picking_id}"


@dataclass(frozen=True)
class Validate:
    """Validate this picking."""

    picking_id: int


@dataclass(frozen=True)
class AlreadyShipped:
    """The picking is done with this very tracking reference: nothing to do."""

    picking_id: int


@dataclass(frozen=True)
class Deliver:
    """The goods shipped although Odoo has no open delivery for them any more (the order, or its
    delivery, was cancelled before the shipment reached Odoo): record them as a new delivery of the
    order (``origin``) from the shipment's warehouse, validated with the tracking reference."""

    origin: str


def shipment_decision(
    event: ShipmentConfirmed,
    pickings: Sequence[PickingView],
    cancelled_orders: AbstractSet[str] = frozenset(),
    delivery_type: int | None = None,
) -> Validate | AlreadyShipped | Deliver | NotYet | str:
    """What to do for ``event`` given the pickings of its order (or its picking), `NotYet` while its
    order has no outgoing picking (not created or not confirmed yet), or why nothing can be done.

    ``cancelled_orders`` names the orders Odoo has cancelled: a shipment of one of them, or of an
    order whose remaining delivery was cancelled, is a `Deliver` (the goods left the warehouse).
    ``delivery_type`` is the Delivery Orders type of the shipment's warehouse: of an order shipping
    from several warehouses, the open picking of that warehouse is validated (its stock leaves).
    """
    if event.odoo_picking_id is not None:
        matching = [p for p in pickings if p.picking_id == event.odoo_picking_id]
        if not matching:
            return f"no outgoing stock.picking {event.odoo_picking_id} in Odoo (order {event.order_id})"
        return _shipment_on(event, matching, may_deliver=False, delivery_type=None)
    candidates = sorted((p for p in pickings if p.origin == event.order_id), key=lambda p: p.picking_id)
    if candidates:
        cancelled = event.order_id in cancelled_orders or any(p.state == "cancel" for p in candidates)
        return _shipment_on(event, candidates, may_deliver=cancelled, delivery_type=delivery_type)
    if event.order_id in cancelled_orders:
        return Deliver(event.order_id)
    return NotYet(
        f"no outgoing stock.picking for order {event.order_id!r} in Odoo yet: waiting for the "
        "order to be created and confirmed (its order.placed and order.allocated)"
    )


def _shipment_on(
    event: ShipmentConfirmed,
    candidates: Sequence[PickingView],
    *,
    may_deliver: bool,
    delivery_type: int | None,
) -> Validate | AlreadyShipped | Deliver | str:
    tracking = event.tracking_number
    for picking in candidates:
        if picking.tracking_ref == tracking and picking.state == "done":
            return AlreadyShipped(picking.picking_id)
    # One half done by an earlier attempt (the reference is written first), else the oldest open one
    # of the shipment's warehouse, else (a warehouse none of the order's deliveries is from) the
    # oldest open one.
    ours = [p for p in candidates if p.tracking_ref == tracking and p.state in OPEN_PICKING_STATES]
    free = [p for p in candidates if p.state in OPEN_PICKING_STATES and not p.tracking_ref]
    here = [p for p in free if delivery_type is not None and p.picking_type_id == delivery_type]
    if ours or here or free:
        return Validate((ours or here or free)[0].picking_id)
    if may_deliver:
        return Deliver(event.order_id)
    described = ", ".join(
        f"{p.picking_id} {p.state} {p.tracking_ref or '(no reference)'}" for p in candidates
    )
    return (
        f"shipment {event.shipment_id} (tracking {tracking!r}) conflicts with order {event.order_id}'s "
        f"pickings in Odoo: {described}; fix it in Odoo, then re-drive the event"
    )


def after_validation(pickings: Sequence[PickingView], picking_id: int, tracking: str) -> list[PickingView]:
    """``pickings`` once ``picking_id`` was validated with ``tracking``."""
    return [
        replace(p, state="done", tracking_ref=tracking) if p.picking_id == picking_id else p for p in pickings
    ]


def shipped_quantities(event: ShipmentConfirmed, products: Mapping[str, int]) -> dict[int, Decimal] | str:
    """Product id -> quantity shipped, or the SKU Odoo does not know."""
    quantities: dict[int, Decimal] = {}
    for line in event.lines:
        product = products.get(line.sku)
        if product is None:
            return f"shipment {event.shipment_id}: SKU {line.sku!r} is not a product in Odoo"
        quantities[product] = quantities.get(product, Decimal(0)) + line.quantity
    return quantities


# -- order.cancelled -> cancel the sale order, or what Odoo still can of it ----------------------

#: Every note the sink posts on a cancelled order ends with this and the event id (`cancellation_marker`):
#: a replay finds the note by it and posts nothing twice.
CANCELLATION_MARKER = "SupplyStream order.cancelled "


def cancellation_marker(event: OrderCancelled) -> str:
    """The text that identifies ``event``'s note on its order."""
    return f"{CANCELLATION_MARKER}{event.event_id}"


def cancels_whole_order(
    event: OrderCancelled, ordered: Mapping[int, Decimal], products: Mapping[str, int]
) -> bool:
    """Whether ``event`` cancels every unit of Odoo's order (``ordered``: product id -> quantity of
    its goods lines). The platform's line ids are not Odoo's, so lines compare by product."""
    cancelled: dict[int, Decimal] = {}
    for line in event.lines:
        product = products.get(line.sku)
        if product is not None:
            cancelled[product] = cancelled.get(product, Decimal(0)) + line.quantity
    return all(cancelled.get(product, Decimal(0)) >= quantity for product, quantity in ordered.items())


@dataclass(frozen=True)
class CancelOrder:
    """Nothing of the order shipped: cancel it (Odoo cancels its open deliveries, which releases
    their reservations), after posting ``note`` on it (None: a replay, the note is there)."""

    order_id: int
    note: str | None


@dataclass(frozen=True)
class KeepOrder:
    """Odoo cannot cancel the order (some of it shipped) or the cancellation covers only some lines:
    the order stays; cancel its open deliveries ``picking_ids`` (none for a partial cancellation) and
    post ``note`` (None: a replay, the note is there) saying what was not cancelled and why."""

    order_id: int
    picking_ids: tuple[int, ...]
    note: str | None


def _why(event: OrderCancelled) -> str:
    reason = (event.reason or "").strip() or "no reason given"
    return f"Order {event.order_id} was cancelled ({reason}; reported by {event.source.system})"


def _labels(pickings: Iterable[PickingView]) -> str:
    return ", ".join(p.label for p in pickings) or "none"


def cancellation_decision(  # noqa: PLR0911 - one return per case
    event: OrderCancelled,
    order: OrderView | None,
    pickings: Sequence[PickingView],
    *,
    whole: bool,
    noted: bool,
) -> CancelOrder | KeepOrder | NotYet | str:
    """What to do in Odoo for ``event``: `CancelOrder`, `KeepOrder`, `ALREADY_DONE`, or `NotYet`
    while Odoo has no sale order of that name (its ``order.placed`` is on its way).

    ``pickings`` are the order's outgoing pickings; ``whole`` whether the event cancels all of the
    order (`cancels_whole_order`); ``noted`` whether the order already carries this event's note.
    """
    if order is None:
        return NotYet(
            f"no sale.order named {event.order_id!r} in Odoo yet: waiting for its order.placed to "
            "create it before cancelling it"
        )
    if order.state == CANCELLED_ORDER_STATE:
        return ALREADY_DONE
    marker = cancellation_marker(event)
    mine = sorted((p for p in pickings if p.origin == event.order_id), key=lambda p: p.picking_id)
    shipped = [p for p in mine if p.state == "done"]
    still_open = [p for p in mine if p.state in OPEN_PICKING_STATES]
    if not whole:
        if noted:
            return ALREADY_DONE
        cancelled = ", ".join(f"{line.sku} x {line.quantity}" for line in event.lines)
        return KeepOrder(
            order.order_id,
            (),
            f"{_why(event)} in part: {cancelled}. SupplyStream cancels an order in Odoo only when all "
            f"of it is cancelled, so this order and its deliveries are unchanged: reduce these lines "
            f"in Odoo if they are not to ship. [{marker}]",
        )
    if not shipped:
        deliveries = (
            f", with its open deliveries ({_labels(still_open)}) and their reservations" if still_open else ""
        )
        note = (
            f"{_why(event)} before anything shipped: SupplyStream cancelled it in Odoo{deliveries}. "
            f"[{marker}]"
        )
        return CancelOrder(order.order_id, None if noted else note)
    if noted and not still_open:
        return ALREADY_DONE
    note = (
        f"{_why(event)} after {_labels(shipped)} shipped: Odoo cannot cancel delivered goods, so this "
        f"order stays confirmed. SupplyStream cancelled its open deliveries ({_labels(still_open)}) and "
        f"their reservations. Take the delivered goods back with a return in Odoo if they come back. "
        f"[{marker}]"
    )
    return KeepOrder(order.order_id, tuple(p.picking_id for p in still_open), None if noted else note)


# -- atp.changed -> x_supplystream_atp ------------------------------------------------------------


def atp_refusal(event: AtpChanged) -> str | None:
    """Why ``event`` cannot be stored in Odoo, or None: its version must fit ``x_version``'s digits."""
    if not 0 <= event.version <= MAX_VERSION:
        return (
            f"atp.changed {event.event_id} ({event.sku} @ {event.warehouse}): version {event.version} "
            f"is not between 0 and {MAX_VERSION}, the versions Odoo's x_version holds"
        )
    return None


def atp_rows(events: Iterable[AtpChanged]) -> list[AtpRow]:
    """The latest version of each SKU and warehouse among ``events``, as rows for Odoo."""
    latest: dict[tuple[str, str], AtpChanged] = {}
    for event in events:
        key = (event.sku, event.warehouse)
        if key not in latest or event.version > latest[key].version:
            latest[key] = event
    return [
        AtpRow(
            sku=e.sku,
            warehouse_code=e.warehouse,
            on_hand=e.on_hand,
            reserved=e.reserved,
            atp=e.atp,
            version=e.version,
            event_id=str(e.event_id),
        )
        for e in latest.values()
    ]
