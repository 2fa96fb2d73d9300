"""What the platform does in Odoo, with the right calls for each Odoo version.

Callers say what they want (validate a picking, set on-hand stock, write ATP, cancel orders...) and
these functions choose the calls from the server's major version (known after login) and the fields
it actually has. Which call each version takes: "Odoo versions" in sinks/odoo/README.md; the
``x_supplystream_atp`` model and why ``x_version`` is text (`version_text`): the same README.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any

from supplystream.errors import OdooMissingRecordError, OdooValidationError
from supplystream.odoo.client import SETTLE_S, OdooClient, Record, Watermark
from supplystream.units import (
    ProductUnits,
    UnitOfMeasure,
    UnitOfMeasureError,
    odoo_number,
    same_quantity,
    to_unit_exact,
)

INVENTORY_VIA_QUANT_SINCE = 15
MOVE_IDS_SINCE = 16
QUANTITY_FIELD_SINCE = 17
IS_STORABLE_SINCE = 18
ATP_MODEL = "x_supplystream_atp"
_ATP_FIELDS = {
    "x_sku": ("char", "SKU"),
    "x_warehouse_code": ("char", "Warehouse code"),
    "x_on_hand": ("float", "On hand"),
    "x_reserved": ("float", "Reserved"),
    "x_atp": ("float", "Available to promise"),
    "x_version": ("char", "ATP version"),
    "x_event_id": ("char", "Last event id"),
}
#: Digits of a stored version: every non-negative Avro ``long`` (at most 9,223,372,036,854,775,807).
VERSION_DIGITS = 19
MAX_VERSION = 2**63 - 1


def version_text(version: int) -> str:
    """``version`` as stored in ``x_version``: zero-padded to `VERSION_DIGITS` digits, so that text
    order is number order (in PostgreSQL's domains and sorts as in Python)."""
    if not 0 <= version <= MAX_VERSION:
        raise ValueError(f"an ATP version must be between 0 and {MAX_VERSION}, not {version}")
    return f"{version:0{VERSION_DIGITS}d}"


def version_of(stored: Any) -> int:
    """The version an ``x_version`` value holds: 0 when empty (``False``); an int as an integer field
    from an earlier SupplyStream returned it. Raises ValueError for text that is not a version."""
    if stored is False or stored is None or stored == "":
        return 0
    if isinstance(stored, int) and not isinstance(stored, bool):
        return stored
    if isinstance(stored, str) and stored.isascii() and stored.isdigit():
        return int(stored)
    raise ValueError(f"{stored!r} is not an ATP version")


def many2one_id(value: Any) -> int | None:
    """The id of a many2one value as Odoo returns it (``[id, name]`` or ``False``)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value else None


def storable_values(version: int) -> dict[str, Any]:
    """Values making a new product storable (stock-tracked) for an Odoo version."""
    return {"type": "consu", "is_storable": True} if version >= IS_STORABLE_SINCE else {"type": "product"}


def storable_domain(version: int) -> list[Any]:
    """Domain of storable (stock-tracked) products for an Odoo version."""
    return [("is_storable", "=", True)] if version >= IS_STORABLE_SINCE else [("type", "=", "product")]


def move_quantity_field(version: int) -> str:
    """The field holding a stock move's done quantity."""
    return "quantity" if version >= QUANTITY_FIELD_SINCE else "quantity_done"


def picking_moves_field(version: int) -> str:
    """The one2many from a picking to its moves."""
    return "move_ids" if version >= MOVE_IDS_SINCE else "move_lines"


# -- units of measure ------------------------------------------------------------------------------

#: Odoo 12 renamed ``product.uom`` (and ``product.uom.categ``) ``uom.uom`` (``uom.category``).
UOM_MODEL_SINCE = 12
#: Odoo 19: no categories; a unit is ``relative_factor`` times its ``relative_uom_id``, ``factor``
#: is reference units per unit (the inverse of 11-17's), ``rounding`` is computed from the decimal
#: precision "Product Unit" (the same for every unit).
RELATIVE_UOM_SINCE = 19
#: Significant digits of a factor read from Odoo: Odoo stores a Dozen's 1/12 as 0.0833333333333333,
#: whose inverse (``factor_inv``) reads back as 12.000000000000005.
_FACTOR_DIGITS = Context(prec=12)


def uom_model(version: int) -> str:
    """The model of units of measure."""
    return "uom.uom" if version >= UOM_MODEL_SINCE else "product.uom"


def _clean(value: Any) -> Decimal:
    return _FACTOR_DIGITS.create_decimal(str(value or 0)).normalize()


def read_units(client: OdooClient) -> dict[int, UnitOfMeasure]:
    """Every unit of measure, by id (one read; archived units included)."""
    model = uom_model(client.version)
    domain = [("active", "in", [True, False])]
    if client.version >= RELATIVE_UOM_SINCE:
        rows = client.search_read(model, domain, ["name", "factor", "rounding", "relative_uom_id"])
        parents = {int(r["id"]): many2one_id(r["relative_uom_id"]) for r in rows}
        names = {int(r["id"]): str(r["name"]) for r in rows}

        def root(unit_id: int) -> str:
            seen: set[int] = set()
            while (parent := parents.get(unit_id)) and unit_id not in seen:
                seen.add(unit_id)
                unit_id = parent
            return names.get(unit_id, str(unit_id))

        return {
            int(r["id"]): UnitOfMeasure.bigger(
                str(r["name"]), root(int(r["id"])), _clean(r["factor"]), _clean(r["rounding"])
            )
            for r in rows
        }
    fields = ["name", "category_id", "factor", "factor_inv", "uom_type", "rounding"]
    units: dict[int, UnitOfMeasure] = {}
    for r in client.search_read(model, domain, fields):
        category = str(r["category_id"][1]) if r["category_id"] else ""
        name, rounding = str(r["name"]), _clean(r["rounding"])
        if r["uom_type"] == "bigger":
            units[int(r["id"])] = UnitOfMeasure.bigger(name, category, _clean(r["factor_inv"]), rounding)
        else:
            units[int(r["id"])] = UnitOfMeasure.of(name, category, _clean(r["factor"]), rounding)
    return units


def product_units(
    client: OdooClient, product_ids: Sequence[int], units: Mapping[int, UnitOfMeasure] | None = None
) -> ProductUnits:
    """The products' stock units (``uom_id``) with every unit (``units``, else read): two reads."""
    rows = client.read("product.product", sorted(set(product_ids)), ["uom_id"]) if product_ids else []
    return ProductUnits(
        units if units is not None else read_units(client),
        {int(r["id"]): many2one_id(r["uom_id"]) or 0 for r in rows},
    )


# -- reads for the Odoo source --------------------------------------------------------------------


def done_moves_since(
    client: OdooClient, watermark: Watermark | None, *, limit: int = 500, settle_s: float = SETTLE_S
) -> list[Record]:
    """Done stock moves after ``watermark``; the done quantity is returned as ``quantity_done``."""
    quantity = move_quantity_field(client.version)
    wanted = [
        "product_id",
        "product_uom",
        "product_uom_qty",
        "product_qty",
        "location_id",
        "location_dest_id",
        "picking_id",
        "reference",
        "date",
    ]
    optional = [
        f for f in ("scrapped", "is_inventory", "origin_returned_move_id") if f in client.fields("stock.move")
    ]
    records = client.changed_since(
        "stock.move",
        [("state", "=", "done")],
        [*wanted, quantity, *optional],
        watermark,
        limit=limit,
        settle_s=settle_s,
    )
    for record in records:
        record["quantity_done"] = record.pop(quantity)
    return records


def sale_orders_since(
    client: OdooClient, watermark: Watermark | None, *, limit: int = 500, settle_s: float = SETTLE_S
) -> list[Record]:
    """Confirmed and cancelled sale orders after ``watermark``."""
    fields = ["name", "state", "partner_id", "warehouse_id", "order_line", "client_order_ref", "date_order"]
    return client.changed_since(
        "sale.order",
        [("state", "in", ["sale", "done", "cancel"])],
        fields,
        watermark,
        limit=limit,
        settle_s=settle_s,
    )


def done_pickings_since(
    client: OdooClient,
    watermark: Watermark | None,
    code: str = "outgoing",
    *,
    limit: int = 500,
    settle_s: float = SETTLE_S,
) -> list[Record]:
    """Done pickings of a type (``outgoing`` deliveries, ``incoming`` receipts) after ``watermark``."""
    moves = picking_moves_field(client.version)
    wanted = ["name", "origin", "date_done", "location_id", "location_dest_id", "picking_type_id", moves]
    optional = [
        f for f in ("carrier_id", "carrier_tracking_ref", "sale_id") if f in client.fields("stock.picking")
    ]
    domain = [("state", "=", "done"), ("picking_type_code", "=", code)]
    records = client.changed_since(
        "stock.picking", domain, [*wanted, *optional], watermark, limit=limit, settle_s=settle_s
    )
    for record in records:
        record["move_ids"] = record.pop(moves)
    return records


# -- writes for the Odoo sink ---------------------------------------------------------------------


@dataclass(frozen=True)
class PickingValidation:
    """What `validate_picking` did."""

    picking_id: int
    already_done: bool
    backorder_created: bool


def validate_picking(
    client: OdooClient,
    picking_id: int,
    tracking_ref: str,
    carrier_id: int | None = None,
    quantities: Mapping[int, Decimal] | None = None,
    *,
    units: ProductUnits | None = None,
) -> PickingValidation:
    """Validate an outgoing picking with its tracking reference; idempotent.

    ``quantities`` (product id -> quantity shipped, in the product's stock unit as every event
    quantity) defaults to everything demanded; less than demanded creates a backorder, as Odoo's
    wizard does. A move in another unit than its product's (a sale line in Dozens of a product
    stocked in Units) is compared through Odoo's own ``product_qty`` and gets its done quantity in
    its own unit (`done_quantities`); ``units`` are the units of measure and the products' stock
    units the caller knows (read where missing). A part of a move that its unit cannot express
    (7 Units of a move in Dozens rounding to 0.01) raises OdooValidationError before anything is
    written. Already done with the same reference is a no-op; done with another reference raises
    OdooValidationError (a conflict for a person).
    """
    moves_field = picking_moves_field(client.version)
    has_tracking = "carrier_tracking_ref" in client.fields("stock.picking")
    fields = ["state", moves_field, *(["carrier_tracking_ref"] if has_tracking else [])]
    pickings = client.read("stock.picking", [picking_id], fields)
    if not pickings:
        raise OdooMissingRecordError(f"stock.picking {picking_id} does not exist", model="stock.picking")
    picking = pickings[0]
    if picking["state"] == "done":
        if has_tracking and (picking.get("carrier_tracking_ref") or "") != tracking_ref:
            raise OdooValidationError(
                f"stock.picking {picking_id} was already validated with tracking reference "
                f"{picking.get('carrier_tracking_ref')!r}, not {tracking_ref!r}",
                model="stock.picking",
                method="button_validate",
            )
        return PickingValidation(picking_id, already_done=True, backorder_created=False)
    if picking["state"] == "cancel":
        raise OdooValidationError(f"stock.picking {picking_id} is cancelled", model="stock.picking")
    moves = client.read("stock.move", list(picking[moves_field]), list(MOVE_DEMAND_FIELDS))
    if quantities is not None:
        units = units_for_records(client, moves, units)
    try:
        done, partial = done_quantities(moves, quantities, units)
    except UnitOfMeasureError as exc:
        raise OdooValidationError(
            f"stock.picking {picking_id}: {exc}", model="stock.picking", method="button_validate"
        ) from exc
    header: dict[str, Any] = {}
    if has_tracking:
        header["carrier_tracking_ref"] = tracking_ref
    if carrier_id is not None and "carrier_id" in client.fields("stock.picking"):
        header["carrier_id"] = carrier_id
    if header:
        client.write("stock.picking", [picking_id], header)
    if picking["state"] in {"draft", "confirmed", "waiting"}:
        client.call("stock.picking", "action_assign", [picking_id])
    _set_done_quantities(client, done)
    result = client.call("stock.picking", "button_validate", [picking_id])
    backorder = _answer_wizard(client, picking_id, result, partial)
    state = client.read("stock.picking", [picking_id], ["state"])[0]["state"]
    if state != "done":
        raise OdooValidationError(
            f"stock.picking {picking_id} is {state} after validation", model="stock.picking"
        )
    return PickingValidation(picking_id, already_done=False, backorder_created=backorder)


#: What `validate_picking` reads of a picking's moves: the demand in the move's unit
#: (``product_uom_qty``, ``product_uom``) and in the product's (``product_qty``, Odoo's HALF-UP conversion).
MOVE_DEMAND_FIELDS = ("product_id", "product_uom", "product_uom_qty", "product_qty")


def units_for_records(
    client: OdooClient, moves: Sequence[Record], units: ProductUnits | None
) -> ProductUnits:
    """``units`` completed with what ``moves`` (or sale order lines: records with ``product_id`` and
    ``product_uom``) need: their products' stock units (one read of the products not known) and
    every unit of measure (read again when one is unknown)."""
    known = units or ProductUnits({}, {})
    products = {many2one_id(m["product_id"]) or 0 for m in moves} - {0}
    missing = sorted(products - set(known.stock_units))
    stock_units = dict(known.stock_units)
    if missing:
        rows = client.read("product.product", missing, ["uom_id"])
        stock_units.update({int(r["id"]): many2one_id(r["uom_id"]) or 0 for r in rows})
    wanted = {many2one_id(m["product_uom"]) or 0 for m in moves} | {stock_units.get(p, 0) for p in products}
    table = known.units
    if wanted - {0} - set(table):
        table = read_units(client)
    return ProductUnits(table, stock_units)


def done_quantities(
    moves: Sequence[Record], quantities: Mapping[int, Decimal] | None, units: ProductUnits | None
) -> tuple[dict[int, Decimal], bool]:
    """Each move's done quantity in the move's own unit (move id -> quantity), and whether something
    ships less than demanded; pure.

    ``moves`` as read with `MOVE_DEMAND_FIELDS`; ``quantities`` product id -> quantity shipped in
    the product's stock unit (None: everything demanded). The shipped quantity of a product is
    spread over its moves in id order, each compared with its demand in the product's unit (Odoo's
    ``product_qty``; else converted with ``units``), at that unit's rounding. A move shipped whole
    gets its demand as Odoo holds it (``product_uom_qty``); a part is converted into the move's unit
    exactly (`supplystream.units.to_unit_exact`: `UnitOfMeasureError` when the move's unit cannot
    express it). Without ``units`` (or for a product or unit not in them) a move's unit is taken
    for the product's.
    """
    left = dict(quantities or {})
    done: dict[int, Decimal] = {}
    partial = False
    for move in sorted(moves, key=lambda m: int(m["id"])):
        move_id, product = int(move["id"]), many2one_id(move["product_id"]) or 0
        demand = odoo_number(move.get("product_uom_qty") or 0)
        if quantities is None:
            done[move_id] = demand
            continue
        unit_id = many2one_id(move.get("product_uom"))
        stock = units.stock_unit(product) if units is not None else None
        own = units.units.get(unit_id or 0) if units is not None else None
        converted = move.get("product_qty")
        if converted is not None and converted is not False:
            demand_in_stock = odoo_number(converted)
        elif units is not None and stock is not None:
            demand_in_stock = units.in_stock_unit(product, demand, unit_id)[0]
        else:
            demand_in_stock = demand
        shipped = max(left.get(product, Decimal(0)), Decimal(0))
        whole = shipped >= demand_in_stock or (
            stock is not None and same_quantity(shipped, demand_in_stock, stock)
        )
        take = demand_in_stock if whole else shipped
        left[product] = shipped - take
        if whole:
            done[move_id] = demand
            continue
        partial = True
        if stock is None or own is None or own == stock or take == 0:
            done[move_id] = take
        else:
            done[move_id] = to_unit_exact(take, stock, own, f"stock.move {move_id}")
    return done, partial


def _set_done_quantities(client: OdooClient, done: Mapping[int, Decimal]) -> None:
    """Write each move's done quantity (in the move's unit, `done_quantities`)."""
    field = move_quantity_field(client.version)
    updates: dict[int, dict[str, Any]] = {}
    for move_id, quantity in done.items():
        values: dict[str, Any] = {field: float(quantity)}
        if client.version >= QUANTITY_FIELD_SINCE:
            values["picked"] = True
        updates[move_id] = values
    client.write_grouped("stock.move", updates)


def _answer_wizard(client: OdooClient, picking_id: int, result: Any, partial: bool) -> bool:
    """Answer the wizard `button_validate` may return; True when a backorder was created."""
    if not isinstance(result, dict) or result.get("type") != "ir.actions.act_window":
        return False
    wizard_model = str(result.get("res_model"))
    context = result.get("context") or {}
    if wizard_model == "stock.immediate.transfer":  # Odoo 11-16: nothing was marked done
        wizard = client.create(wizard_model, [{"pick_ids": [(4, picking_id)]}])[0]
        client.call(wizard_model, "process", [wizard], context=context)
        return False
    if wizard_model == "stock.backorder.confirmation":
        wizard = client.create(wizard_model, [{"pick_ids": [(4, picking_id)]}])[0]
        client.call(
            wizard_model, "process" if partial else "process_cancel_backorder", [wizard], context=context
        )
        return partial
    raise OdooValidationError(
        f"validating stock.picking {picking_id} opened the wizard {wizard_model}, which SupplyStream "
        "does not answer: validate it in Odoo",
        model="stock.picking",
        method="button_validate",
    )


def set_on_hand(client: OdooClient, product_id: int, location_id: int, quantity: Decimal) -> None:
    """Set the on-hand quantity of a product at a location (an inventory adjustment)."""
    if client.version >= INVENTORY_VIA_QUANT_SINCE:
        context = {"inventory_mode": True}
        quants = client.search(
            "stock.quant", [("product_id", "=", product_id), ("location_id", "=", location_id)]
        )
        if quants:
            client.call(
                "stock.quant", "write", quants[:1], {"inventory_quantity": float(quantity)}, context=context
            )
            quant = quants[0]
        else:
            quant = int(
                client.call(
                    "stock.quant",
                    "create",
                    {
                        "product_id": product_id,
                        "location_id": location_id,
                        "inventory_quantity": float(quantity),
                    },
                    context=context,
                )
            )
        client.call("stock.quant", "action_apply_inventory", [quant])
        return
    inventory = client.create(
        "stock.inventory",
        [
            {
                "name": f"SupplyStream {product_id}@{location_id}",
                "filter": "product",
                "product_id": product_id,
                "location_id": location_id,
            }
        ],
    )[0]
    client.call("stock.inventory", "action_start", [inventory])
    lines = client.search(
        "stock.inventory.line", [("inventory_id", "=", inventory), ("product_id", "=", product_id)]
    )
    if lines:
        client.write("stock.inventory.line", lines, {"product_qty": float(quantity)})
    else:
        client.create(
            "stock.inventory.line",
            [
                {
                    "inventory_id": inventory,
                    "product_id": product_id,
                    "location_id": location_id,
                    "product_qty": float(quantity),
                }
            ],
        )
    client.call("stock.inventory", "action_done" if client.version < 13 else "action_validate", [inventory])


def confirm_sale_order(client: OdooClient, order_id: int, warehouse_id: int) -> bool:
    """Set the order's warehouse and confirm it; False when it already was (idempotent)."""
    orders = client.read("sale.order", [order_id], ["state", "warehouse_id"])
    if not orders:
        raise OdooMissingRecordError(f"sale.order {order_id} does not exist", model="sale.order")
    order = orders[0]
    if order["state"] in {"sale", "done"}:
        if many2one_id(order["warehouse_id"]) != warehouse_id:
            raise OdooValidationError(
                f"sale.order {order_id} is already confirmed from another warehouse "
                f"({order['warehouse_id']}); change it in Odoo",
                model="sale.order",
            )
        return False
    if order["state"] == "cancel":
        raise OdooValidationError(f"sale.order {order_id} is cancelled", model="sale.order")
    client.write("sale.order", [order_id], {"warehouse_id": warehouse_id})
    client.call("sale.order", "action_confirm", [order_id])
    return True


# -- ATP into Odoo --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtpRow:
    """The platform's ATP of one SKU at one warehouse, as written into Odoo."""

    sku: str
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal
    atp: Decimal
    version: int
    event_id: str


def atp_field_changes(existing: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Given the ATP model's fields on the server (name -> type): the fields to drop (a type that
    cannot hold our values, such as an integer ``x_version``) and the fields to create."""
    drop = sorted(name for name, (ttype, _) in _ATP_FIELDS.items() if existing.get(name, ttype) != ttype)
    create = [name for name, (ttype, _) in _ATP_FIELDS.items() if existing.get(name) != ttype]
    return drop, create


def ensure_atp_model(client: OdooClient) -> None:
    """Create the ``x_supplystream_atp`` model and its fields where the database lacks them.

    A field of another type (``x_version`` as an integer, as SupplyStream created it before
    versions were stored as text) is dropped and created again: Odoo refuses to change a field's type
    ("drop it and create it again"), and such a field never held a version, since none fits ``int4``.
    """
    models = client.search("ir.model", [("model", "=", ATP_MODEL)])
    if models:
        model_id = models[0]
        existing = client.call(ATP_MODEL, "fields_get", attributes=["type"])
        drop, create = atp_field_changes({name: str(spec.get("type")) for name, spec in existing.items()})
        if not create:
            return
        if drop:
            doomed = client.search(
                "ir.model.fields",
                [("model_id", "=", model_id), ("name", "in", drop), ("state", "=", "manual")],
            )
            client.call("ir.model.fields", "unlink", doomed)
    else:
        model_id = client.create(
            "ir.model", [{"name": "SupplyStream ATP", "model": ATP_MODEL, "state": "manual"}]
        )[0]
        create = list(_ATP_FIELDS)
    client.create(
        "ir.model.fields",
        [
            {
                "model_id": model_id,
                "name": name,
                "field_description": _ATP_FIELDS[name][1],
                "ttype": _ATP_FIELDS[name][0],
                "state": "manual",
            }
            for name in create
        ],
    )


def write_atp(client: OdooClient, rows: Sequence[AtpRow]) -> int:
    """Upsert ATP rows; rows whose version is not above the stored one change nothing. Records written."""
    if not rows:
        return 0
    fields = list(_ATP_FIELDS)
    existing = client.search_read(ATP_MODEL, [("x_sku", "in", sorted({r.sku for r in rows}))], fields)
    stored = {(r["x_sku"], r["x_warehouse_code"]): r for r in existing}
    creates: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}
    latest: dict[tuple[str, str], AtpRow] = {}
    for row in rows:
        key = (row.sku, row.warehouse_code)
        if key not in latest or row.version > latest[key].version:
            latest[key] = row
    for key, row in latest.items():
        values = {
            "x_name": f"{row.sku} @ {row.warehouse_code}",
            "x_sku": row.sku,
            "x_warehouse_code": row.warehouse_code,
            "x_on_hand": float(row.on_hand),
            "x_reserved": float(row.reserved),
            "x_atp": float(row.atp),
            "x_version": version_text(row.version),
            "x_event_id": row.event_id,
        }
        current = stored.get(key)
        if current is None:
            creates.append(values)
        elif _stored_version(current) < row.version:
            updates[int(current["id"])] = values
    client.create(ATP_MODEL, creates)
    for record_id, values in updates.items():
        client.write(ATP_MODEL, [record_id], values)
    return len(creates) + len(updates)


def _stored_version(record: Record) -> int:
    try:
        return version_of(record["x_version"])
    except ValueError as exc:
        raise OdooValidationError(
            f"{ATP_MODEL} {record['id']} ({record['x_sku']} @ {record['x_warehouse_code']}) holds "
            f"x_version {record['x_version']!r}, which is not a version SupplyStream wrote: clear the "
            "field in Odoo (the next atp.changed then writes it)",
            model=ATP_MODEL,
        ) from exc


# -- the Odoo sink's batched reads and writes -----------------------------------------------------


def on_hand_at(client: OdooClient, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Decimal]:
    """On-hand quantity of each (product id, location id): one read for all pairs (0 without a quant)."""
    if not pairs:
        return {}
    products = sorted({product for product, _ in pairs})
    locations = sorted({location for _, location in pairs})
    quants = client.search_read(
        "stock.quant",
        [("product_id", "in", products), ("location_id", "in", locations)],
        ["product_id", "location_id", "quantity"],
    )
    found = {pair: Decimal(0) for pair in pairs}
    for quant in quants:
        pair = (many2one_id(quant["product_id"]) or 0, many2one_id(quant["location_id"]) or 0)
        if pair in found:
            found[pair] += Decimal(str(quant["quantity"] or 0))
    return found


def applied_adjustments(client: OdooClient, references: Sequence[str]) -> set[str]:
    """Which of ``references`` name an inventory adjustment already done (one read).

    Odoo 15+: the done inventory move `adjust_on_hand` named after the reference; before: the done
    ``stock.inventory`` of that name.
    """
    if not references:
        return set()
    wanted = sorted(set(references))
    if client.version >= INVENTORY_VIA_QUANT_SINCE:
        rows = client.search_read("stock.move", [("name", "in", wanted), ("state", "=", "done")], ["name"])
    else:
        rows = client.search_read(
            "stock.inventory", [("name", "in", wanted), ("state", "=", "done")], ["name"]
        )
    return {str(row["name"]) for row in rows}


def adjust_on_hand(
    client: OdooClient,
    product_id: int,
    location_id: int,
    delta: Decimal,
    *,
    reference: str,
    on_hand: Decimal,
) -> None:
    """Add ``delta`` to the on-hand quantity (``on_hand`` now) as an inventory adjustment named ``reference``.

    The reference is stored by the adjustment itself, in the same transaction, so `applied_adjustments`
    tells afterwards whether it happened. Odoo 15+: one call, ``stock.quant.create`` in inventory
    mode with ``inventory_quantity_auto_apply`` (Odoo applies it at once, through
    ``action_apply_inventory``, and names the move after the context's ``inventory_name``). Odoo
    11-14: a ``stock.inventory`` named ``reference``, counted at its theoretical quantity plus
    ``delta``; one left unfinished by an earlier attempt is finished instead of starting another.
    """
    if client.version >= INVENTORY_VIA_QUANT_SINCE:
        client.call(
            "stock.quant",
            "create",
            [
                {
                    "product_id": product_id,
                    "location_id": location_id,
                    "inventory_quantity_auto_apply": float(on_hand + delta),
                }
            ],
            context={"inventory_mode": True, "inventory_name": reference},
        )
        return
    earlier = client.search_read(
        "stock.inventory", [("name", "=", reference), ("state", "!=", "cancel")], ["state"]
    )
    if earlier and earlier[0]["state"] == "done":
        return
    if earlier:
        inventory = int(earlier[0]["id"])
    else:
        inventory = client.create(
            "stock.inventory",
            [{"name": reference, "filter": "product", "product_id": product_id, "location_id": location_id}],
        )[0]
    if not earlier or earlier[0]["state"] == "draft":
        client.call("stock.inventory", "action_start", [inventory])
    lines = client.search_read(
        "stock.inventory.line",
        [
            ("inventory_id", "=", inventory),
            ("product_id", "=", product_id),
            ("location_id", "=", location_id),
        ],
        ["theoretical_qty"],
    )
    if lines:
        counted = Decimal(str(lines[0]["theoretical_qty"] or 0)) + delta
        client.write("stock.inventory.line", [int(lines[0]["id"])], {"product_qty": float(counted)})
    else:
        client.create(
            "stock.inventory.line",
            [
                {
                    "inventory_id": inventory,
                    "product_id": product_id,
                    "location_id": location_id,
                    "product_qty": float(delta),
                }
            ],
        )
    client.call("stock.inventory", "action_done" if client.version < 13 else "action_validate", [inventory])


def outgoing_pickings(client: OdooClient, picking_ids: Sequence[int], origins: Sequence[str]) -> list[Record]:
    """Outgoing pickings with one of ``picking_ids`` or ``origins`` (one read): ``name``, ``state``,
    ``origin``, ``picking_type_id``, ``carrier_tracking_ref`` (empty where the server lacks the field)."""
    if not picking_ids and not origins:
        return []
    has_tracking = "carrier_tracking_ref" in client.fields("stock.picking")
    fields = [
        "name",
        "state",
        "origin",
        "picking_type_id",
        *(["carrier_tracking_ref"] if has_tracking else []),
    ]
    rows = client.search_read(
        "stock.picking",
        [
            "|",
            ("id", "in", sorted(set(picking_ids))),
            ("origin", "in", sorted(set(origins))),
            ("picking_type_code", "=", "outgoing"),
        ],
        fields,
    )
    for row in rows:
        row.setdefault("carrier_tracking_ref", False)
    return rows


def carriers_by_name(client: OdooClient) -> dict[str, int]:
    """Delivery carriers by lower-case name; empty where pickings have no carrier (no `delivery` add-on)."""
    if "carrier_id" not in client.fields("stock.picking"):
        return {}
    rows = client.search_read("delivery.carrier", [], ["name"])
    return {str(row["name"]).strip().lower(): int(row["id"]) for row in rows}


#: The first Odoo whose ``sale.order.action_confirm`` confirms several orders in one call.
MULTI_CONFIRM_SINCE = 13


def confirm_sale_orders(client: OdooClient, warehouses: Mapping[int, int]) -> None:
    """Set each draft order's warehouse (one write per warehouse) and confirm them all in one call.

    The caller has checked the orders are draft (`confirm_sale_order` does it for one order); a
    refusal of the batch raises, and nothing of the confirmation is kept.
    """
    if not warehouses:
        return
    client.write_grouped("sale.order", {order: {"warehouse_id": w} for order, w in warehouses.items()})
    if client.version < MULTI_CONFIRM_SINCE:
        # Odoo 11 and 12: `_action_confirm` reads `self.analytic_account_id` on the whole recordset
        # when a product has an expense policy: "Expected singleton" for more than one order.
        for order in sorted(warehouses):
            client.call("sale.order", "action_confirm", [order])
        return
    client.call("sale.order", "action_confirm", sorted(warehouses))


# -- channel orders into Odoo (the Odoo sink's order.placed) ----------------------------------------


@dataclass(frozen=True)
class DraftOrder:
    """A quotation (draft ``sale.order``) for a channel order."""

    name: str
    partner_id: int
    client_order_ref: str
    #: (product id, quantity ordered)
    lines: tuple[tuple[int, Decimal], ...]

    def values(self) -> dict[str, Any]:
        """``create`` values, the lines as one2many commands."""
        return {
            "name": self.name,
            "partner_id": self.partner_id,
            "client_order_ref": self.client_order_ref,
            "order_line": [
                (0, 0, {"product_id": product, "product_uom_qty": float(quantity)})
                for product, quantity in self.lines
            ],
        }


def existing_sale_orders(client: OdooClient, names: Sequence[str]) -> set[str]:
    """Which of ``names`` are sale orders in Odoo (one read)."""
    if not names:
        return set()
    rows = client.search_read("sale.order", [("name", "in", sorted(set(names)))], ["name"])
    return {str(row["name"]) for row in rows}


def ensure_partners(client: OdooClient, partners: Mapping[str, str]) -> dict[str, int]:
    """The ``res.partner`` id of each ``ref`` in ``partners`` (ref -> name), creating those missing.

    One read; one ``create`` for every partner missing (the oldest partner wins when several share a ref).
    """
    if not partners:
        return {}
    rows = client.search_read("res.partner", [("ref", "in", sorted(partners))], ["ref"], order="id asc")
    found: dict[str, int] = {}
    for row in rows:
        found.setdefault(str(row["ref"]), int(row["id"]))
    missing = [ref for ref in sorted(partners) if ref not in found]
    created = client.create("res.partner", [{"name": partners[ref], "ref": ref} for ref in missing])
    found.update(zip(missing, created, strict=True))
    return found


def create_draft_orders(client: OdooClient, orders: Sequence[DraftOrder]) -> list[int]:
    """Create the quotations, with their lines: one ``create`` (one per order before Odoo 12)."""
    return client.create("sale.order", [order.values() for order in orders])


# -- cancellations (the Odoo sink's order.cancelled) ----------------------------------------------


def cancel_sale_orders(client: OdooClient, order_ids: Sequence[int]) -> None:
    """Cancel sale orders in one call; Odoo cancels their deliveries that are not done, which
    releases the reservations (sale_stock: ``picking_ids.action_cancel()``).

    From Odoo 16 (at least) ``action_cancel`` of an order that is not a draft answers the
    ``sale.order.cancel`` wizard (to e-mail the customer) instead of cancelling, unless the context
    has ``disable_cancel_warning``; earlier versions ignore that key. Odoo 11 refuses to cancel an order
    with a done delivery (its done moves refuse ``_action_cancel``); Odoo 17 cancels it and keeps the
    done deliveries: the caller cancels only orders nothing of which shipped, the same on both.
    """
    if not order_ids:
        return
    result = client.call(
        "sale.order", "action_cancel", sorted(set(order_ids)), context={"disable_cancel_warning": True}
    )
    if isinstance(result, dict) and result.get("type") == "ir.actions.act_window":
        raise OdooValidationError(
            f"cancelling sale.order {sorted(set(order_ids))} opened the wizard {result.get('res_model')} "
            "instead of cancelling: cancel them in Odoo",
            model="sale.order",
            method="action_cancel",
        )


def cancel_pickings(client: OdooClient, picking_ids: Sequence[int]) -> None:
    """Cancel open pickings in one call (``action_cancel``: their moves are cancelled and their
    reservations released)."""
    if picking_ids:
        client.call("stock.picking", "action_cancel", sorted(set(picking_ids)))


def post_note(client: OdooClient, model: str, record_id: int, body: str) -> None:
    """Log ``body`` in the record's chatter as an internal note (``message_post``: subtype
    ``mail.mt_note`` by default on every version, so nobody is e-mailed). The body is plain text:
    keep it free of ``<``, ``>`` and ``&``, which Odoo 16+ escapes and Odoo 11 keeps as HTML."""
    client.call(model, "message_post", [record_id], body=body, message_type="comment")


def notes_containing(
    client: OdooClient, model: str, record_ids: Sequence[int], text: str
) -> dict[int, list[str]]:
    """The chatter messages of ``record_ids`` whose body contains ``text``, by record (one read)."""
    if not record_ids:
        return {}
    rows = client.search_read(
        "mail.message",
        [("model", "=", model), ("res_id", "in", sorted(set(record_ids))), ("body", "ilike", text)],
        ["res_id", "body"],
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(int(row["res_id"]), []).append(str(row["body"] or ""))
    return found


def order_quantities(
    client: OdooClient, order_ids: Sequence[int], units: ProductUnits | None = None
) -> dict[int, dict[int, Decimal]]:
    """Product id -> quantity ordered in the product's stock unit (as the events count), per sale
    order, over its goods lines (one read; lines without a product, such as sections and notes, and
    the delivery charge line are left out). A line in another unit (``product_uom``: Dozens of a
    product stocked in Units) is converted as Odoo converts it; ``units`` as `units_for_records`."""
    if not order_ids:
        return {}
    optional = [f for f in ("is_delivery", "display_type") if f in client.fields("sale.order.line")]
    rows = client.search_read(
        "sale.order.line",
        [("order_id", "in", sorted(set(order_ids)))],
        ["order_id", "product_id", "product_uom_qty", "product_uom", *optional],
    )
    known = units_for_records(client, [r for r in rows if many2one_id(r["product_id"])], units)
    ordered: dict[int, dict[int, Decimal]] = {order: {} for order in order_ids}
    for row in rows:
        product = many2one_id(row["product_id"])
        order = many2one_id(row["order_id"]) or 0
        if product is None or row.get("is_delivery") or row.get("display_type"):
            continue
        quantity = line_stock_quantity(row, known)
        if quantity > 0:
            lines = ordered.setdefault(order, {})
            lines[product] = lines.get(product, Decimal(0)) + quantity
    return ordered


def create_delivery(
    client: OdooClient, picking_type_id: int, source_id: int, origin: str, quantities: Mapping[int, Decimal]
) -> int:
    """A draft outgoing picking of ``picking_type_id`` (a warehouse's Delivery Orders) from
    ``source_id`` (its stock location) to the customers' location, one move per product
    (``quantities``: product id -> quantity), with ``origin`` as its source document.

    For goods that shipped although their order's delivery was cancelled: validate it with
    `validate_picking`. The destination is the type's default one, else (Odoo 11's Delivery Orders
    have none: a rule gives it) the first location of usage ``customer`` (``Partners/Customers``).
    """
    types = client.read("stock.picking.type", [picking_type_id], ["default_location_dest_id"])
    if not types:
        raise OdooMissingRecordError(
            f"stock.picking.type {picking_type_id} does not exist", model="stock.picking.type"
        )
    destination = many2one_id(types[0]["default_location_dest_id"]) or customer_location(client)
    products = client.read("product.product", sorted(quantities), ["display_name", "uom_id"])
    moves = [
        (
            0,
            0,
            {
                "name": str(product["display_name"]),
                "product_id": int(product["id"]),
                "product_uom": many2one_id(product["uom_id"]),
                "product_uom_qty": float(quantities[int(product["id"])]),
                "location_id": source_id,
                "location_dest_id": destination,
            },
        )
        for product in products
    ]
    values = {
        "picking_type_id": picking_type_id,
        "location_id": source_id,
        "location_dest_id": destination,
        "origin": origin,
        picking_moves_field(client.version): moves,
    }
    return client.create("stock.picking", [values])[0]


def customer_location(client: OdooClient) -> int:
    """The customers' location (``Partners/Customers``: the first location of usage ``customer``,
    every partner's default ``property_stock_customer``)."""
    customers = client.search("stock.location", [("usage", "=", "customer")], limit=1, order="id asc")
    if not customers:
        raise OdooValidationError(
            "Odoo has no customer location (usage 'customer') to deliver to", model="stock.location"
        )
    return customers[0]


# -- split orders: a route per line shipping from another warehouse than the order's ---------------

#: Odoo 12 renamed ``procurement.rule`` ``stock.rule`` (and its action ``move`` ``pull``).
STOCK_RULE_SINCE = 12
#: Odoo 16 renamed ``stock.location.route`` ``stock.route`` and ``stock.rule.location_id``
#: ``location_dest_id``.
STOCK_ROUTE_SINCE = 16
#: The name of the route through which a sale order line ships from a warehouse (+ its name).
SHIP_FROM_PREFIX = "SupplyStream: ship from "


def route_model(version: int) -> str:
    """The model of inventory routes."""
    return "stock.route" if version >= STOCK_ROUTE_SINCE else "stock.location.route"


def rule_model(version: int) -> str:
    """The model of the rules of a route."""
    return "stock.rule" if version >= STOCK_RULE_SINCE else "procurement.rule"


@dataclass(frozen=True)
class ShippingWarehouse:
    """A warehouse as its ship-from route needs it."""

    warehouse_id: int
    name: str
    stock_location_id: int
    out_type_id: int


def ship_from_routes(client: OdooClient, warehouses: Sequence[ShippingWarehouse]) -> dict[int, int]:
    """Warehouse id -> its route ``SupplyStream: ship from <warehouse name>``, created where missing.

    The route is selectable on sale order lines (not on products or warehouses) and has one rule:
    pull from the warehouse's stock (``lot_stock_id``) to the customers' location with the
    warehouse's Delivery Orders type, serving no particular warehouse. A sale order line with this
    route is procured by that rule whatever the order's warehouse: Odoo 11's ``_search_rule`` keeps
    the rules of the order's warehouse or of none, Odoo 17 takes the line's warehouse from the rule's
    source (sale_stock ``_compute_warehouse_id``). The route and its rule are one ``create`` (the
    rule as a one2many command), so a route never exists without its rule. One read, one ``create``
    per missing route.
    """
    if not warehouses:
        return {}
    model = route_model(client.version)
    names = {w.warehouse_id: f"{SHIP_FROM_PREFIX}{w.name}" for w in warehouses}
    rows = client.search_read(model, [("name", "in", sorted(set(names.values())))], ["name"])
    found: dict[str, int] = {}
    for row in rows:
        found.setdefault(str(row["name"]), int(row["id"]))
    missing = [w for w in warehouses if names[w.warehouse_id] not in found]
    if missing:
        customers = customer_location(client)
        rules_field = "rule_ids" if "rule_ids" in client.fields(model) else "pull_ids"
        destination = "location_dest_id" if client.version >= STOCK_ROUTE_SINCE else "location_id"
        action = "pull" if client.version >= STOCK_RULE_SINCE else "move"
        for warehouse in missing:
            name = names[warehouse.warehouse_id]
            rule = {
                "name": name,
                "action": action,
                destination: customers,
                "location_src_id": warehouse.stock_location_id,
                "picking_type_id": warehouse.out_type_id,
                "procure_method": "make_to_stock",
            }
            route = {
                "name": name,
                "sequence": 100,
                "sale_selectable": True,
                "product_selectable": False,
                "warehouse_selectable": False,
                rules_field: [(0, 0, rule)],
            }
            found[name] = client.create(model, [route])[0]
    return {warehouse_id: found[name] for warehouse_id, name in names.items()}


def line_stock_quantity(line: Record, units: ProductUnits) -> Decimal:
    """A sale order line's ``product_uom_qty`` (in its ``product_uom``) in its product's stock unit,
    as Odoo converts it (HALF-UP to the stock unit's rounding); unknown units leave it as it is."""
    quantity = odoo_number(line.get("product_uom_qty") or 0)
    product = many2one_id(line.get("product_id")) or 0
    return units.in_stock_unit(product, quantity, many2one_id(line.get("product_uom")))[0]


def line_route_field(client: OdooClient) -> str:
    """The sale order line's route: ``route_id`` (sale_stock), ``route_ids`` where a server has a
    many2many instead."""
    return "route_id" if "route_id" in client.fields("sale.order.line") else "route_ids"


def order_lines(
    client: OdooClient, order_ids: Sequence[int], units: ProductUnits | None = None
) -> list[Record]:
    """The goods lines of sale orders (one read): ``order_id``, ``product_id``, ``product_uom_qty``
    and ``product_uom`` (the line's quantity and unit), ``route_id`` (the route's id or None,
    whatever the server's field), ``price_unit`` (per line unit), ``stock_quantity`` (the quantity in
    the product's stock unit, `line_stock_quantity`), ``stock_uom_id`` (that unit's id, None when
    unknown), ``unit`` and ``stock_unit`` (the line's and the product's `UnitOfMeasure`, None when
    unknown); ``units`` as `units_for_records`."""
    if not order_ids:
        return []
    route = line_route_field(client)
    optional = [f for f in ("is_delivery", "display_type") if f in client.fields("sale.order.line")]
    rows = client.search_read(
        "sale.order.line",
        [("order_id", "in", sorted(set(order_ids)))],
        ["order_id", "product_id", "product_uom_qty", "product_uom", "price_unit", route, *optional],
    )
    rows = [
        r
        for r in rows
        if many2one_id(r["product_id"]) and not r.get("is_delivery") and not r.get("display_type")
    ]
    known = units_for_records(client, rows, units)
    lines: list[Record] = []
    for row in rows:
        value = row.pop(route)
        routes = value if route == "route_ids" else ([v] if (v := many2one_id(value)) else [])
        row["route_id"] = int(routes[0]) if routes else None
        row["stock_quantity"] = line_stock_quantity(row, known)
        row["stock_uom_id"] = known.stock_units.get(many2one_id(row["product_id"]) or 0) or None
        row["unit"] = known.units.get(many2one_id(row["product_uom"]) or 0)
        row["stock_unit"] = known.stock_unit(many2one_id(row["product_id"]) or 0)
        lines.append(row)
    return lines


@dataclass(frozen=True)
class LineChanges:
    """How a draft order's lines change so each ships from its warehouse: line id -> route, line id
    -> new quantity (in the line's unit, or in ``units[line id]`` where given), new lines (product
    id, quantity in the product's unit, route id); for a line whose new quantity its own unit cannot
    express (a line in Dozens keeping 7 Units), line id -> the unit it changes to (the product's)
    and line id -> its price per that unit."""

    routes: Mapping[int, int]
    quantities: Mapping[int, Decimal]
    new_lines: Sequence[tuple[int, Decimal, int]]
    units: Mapping[int, int] = field(default_factory=dict)
    prices: Mapping[int, Decimal] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.routes or self.quantities or self.new_lines)


def write_order_lines(client: OdooClient, order_id: int, changes: LineChanges) -> None:
    """Apply ``changes`` to a draft order's lines in one ``write`` of its ``order_line`` (one
    transaction: a line is never split without its new part). New lines take their product's unit
    (Odoo's default for a sale line), as their quantities are in it."""
    if not changes:
        return
    route_field = line_route_field(client)

    def route(route_id: int) -> Any:
        return route_id if route_field == "route_id" else [(6, 0, [route_id])]

    commands: list[Any] = []
    for line_id in sorted(set(changes.routes) | set(changes.quantities)):
        values: dict[str, Any] = {}
        if line_id in changes.quantities:
            values["product_uom_qty"] = float(changes.quantities[line_id])
            if line_id in changes.units:
                values["product_uom"] = changes.units[line_id]
            if line_id in changes.prices:
                values["price_unit"] = float(changes.prices[line_id])
        if line_id in changes.routes:
            values[route_field] = route(changes.routes[line_id])
        commands.append((1, line_id, values))
    commands += [
        (0, 0, {"product_id": product, "product_uom_qty": float(quantity), route_field: route(route_id)})
        for product, quantity, route_id in changes.new_lines
    ]
    client.write("sale.order", [order_id], {"order_line": commands})
