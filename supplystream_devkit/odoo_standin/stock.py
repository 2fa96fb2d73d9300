"""Inventory behaviour after Odoo 17's ``stock`` module, as functions over the ``Env`` data.

Followed from addons/stock/models (stock_picking.py, stock_move.py, stock_quant.py): confirm, reserve,
validate (with the backorder wizard) and inventory application. What exactly is modelled: "Stock
behaviour" in the stand-in's README.
"""

from __future__ import annotations

from typing import Any

from supplystream.units import UnitOfMeasure, odoo_number, to_unit
from supplystream_devkit.odoo_standin import orm, release, schema
from supplystream_devkit.odoo_standin.errors import UserError
from supplystream_devkit.odoo_standin.orm import Env, computes
from supplystream_devkit.odoo_standin.store import Record

OPEN_MOVE_STATES = ("draft", "waiting", "confirmed", "partially_available", "assigned")
RESERVABLE = ("confirmed", "waiting", "partially_available")
EPSILON = 1e-9


# -- locations and quants --------------------------------------------------------------------
def child_locations(env: Env, roots: list[int]) -> set[int]:
    """``roots`` and every location under them (``child_of``)."""
    found = set(roots)
    frontier = list(roots)
    while frontier:
        parent = frontier.pop()
        for location in env.records("stock.location"):
            if location.get("location_id") == parent and location["id"] not in found:
                found.add(location["id"])
                frontier.append(location["id"])
    return found


def location_by_usage(env: Env, usage: str) -> int:
    for location in sorted(env.records("stock.location"), key=lambda r: r["id"]):
        if location.get("usage") == usage:
            return int(location["id"])
    raise UserError(f"No location of type {usage!r} is configured.")


def is_storable(env: Env, product_id: int) -> bool:
    """Tracked in stock: ``type = 'product'`` up to Odoo 17, ``is_storable`` from 18."""
    product = env.get("product.product", product_id)
    if product is None:
        return False
    if release.current().storable_by_flag:
        return bool(product.get("type") == "consu" and product.get("is_storable"))
    return product.get("type") == "product"


def bypasses_reservation(env: Env, move: Record) -> bool:
    """stock.move._should_bypass_reservation: non-internal source or non-storable product."""
    location = env.get("stock.location", move["location_id"]) or {}
    return location.get("usage") not in ("internal", "transit") or not is_storable(env, move["product_id"])


def get_quant(env: Env, product_id: int, location_id: int) -> Record:
    for quant in env.records("stock.quant"):
        if quant.get("product_id") == product_id and quant.get("location_id") == location_id:
            return env.store.touch("stock.quant", quant["id"])
    quant_id = env.with_context(_standin_raw_create=True).create_one(
        "stock.quant", {"product_id": product_id, "location_id": location_id}
    )
    return env.store.touch("stock.quant", quant_id)


def update_quant(
    env: Env, product_id: int, location_id: int, quantity: float = 0.0, reserved: float = 0.0
) -> None:
    quant = get_quant(env, product_id, location_id)
    quant["quantity"] = float(quant.get("quantity") or 0.0) + quantity
    quant["reserved_quantity"] = max(0.0, float(quant.get("reserved_quantity") or 0.0) + reserved)
    if quantity > 0:
        quant["in_date"] = env.now
    quant["write_date"] = env.now
    quant["write_uid"] = env.uid


@computes("stock.quant", "available_quantity")
def _quant_available(env: Env, quant: Record) -> float:  # noqa: ARG001 - compute signature
    return float(quant.get("quantity") or 0.0) - float(quant.get("reserved_quantity") or 0.0)


@computes("stock.quant", "inventory_diff_quantity")
def _quant_diff(env: Env, quant: Record) -> float:  # noqa: ARG001 - compute signature
    if not quant.get("inventory_quantity_set"):
        return 0.0
    return float(quant.get("inventory_quantity") or 0.0) - float(quant.get("quantity") or 0.0)


@computes("stock.quant", "inventory_quantity_auto_apply")
def _quant_auto_apply(env: Env, quant: Record) -> float:  # noqa: ARG001 - compute signature
    return float(quant.get("quantity") or 0.0)


@computes("stock.quant", "warehouse_id")
@computes("stock.location", "warehouse_id")
def _warehouse_of(env: Env, record: Record) -> int | bool:
    location_id = record.get("location_id") if "usage" not in record else record["id"]
    seen: set[int] = set()
    while isinstance(location_id, int) and location_id not in seen:
        seen.add(location_id)
        for warehouse in env.records("stock.warehouse"):
            if warehouse.get("view_location_id") == location_id:
                return int(warehouse["id"])
        location = env.get("stock.location", location_id) or {}
        location_id = location.get("location_id")
    return False


@computes("stock.location", "complete_name")
def _complete_name(env: Env, location: Record) -> str:
    """stock.location._compute_complete_name: view locations show their own name only."""
    parent = env.get("stock.location", location.get("location_id") or 0)
    if parent and location.get("usage") != "view":
        return f"{_complete_name(env, parent)}/{location['name']}"
    return str(location.get("name") or "")


orm.DISPLAY_NAMES["stock.location"] = _complete_name


def _product_display(env: Env, product: Record) -> str:  # noqa: ARG001 - compute signature
    code = product.get("default_code")
    return f"[{code}] {product.get('name')}" if code else str(product.get("name") or "")


orm.DISPLAY_NAMES["product.product"] = _product_display
orm.DISPLAY_NAMES["stock.quant"] = lambda env, quant: env.name_of("product.product", quant.get("product_id"))
orm.DISPLAY_NAMES["stock.move.line"] = lambda env, line: env.name_of(
    "product.product", line.get("product_id")
)


def _move_display(env: Env, move: Record) -> str:
    """stock.move._compute_display_name (Odoo 17)."""
    picking = env.get("stock.picking", move.get("picking_id") or 0) or {}
    product = env.get("product.product", move.get("product_id") or 0) or {}
    origin = f"{picking['origin']}/" if picking.get("origin") else ""
    code = f"{product['default_code']}: " if product.get("default_code") else ""
    source = (env.get("stock.location", move.get("location_id") or 0) or {}).get("name", "")
    dest = (env.get("stock.location", move.get("location_dest_id") or 0) or {}).get("name", "")
    return f"{origin}{code}{source}>{dest}"


orm.DISPLAY_NAMES["stock.move"] = _move_display


# -- product quantities ------------------------------------------------------------------------
def _context_ids(env: Env, model: str, value: Any) -> list[int]:
    if value in (None, False, ""):
        return []
    if isinstance(value, str):
        return env.search(model, [("display_name", "ilike", value)])
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def quantity_locations(env: Env) -> set[int]:
    """The internal locations the context asks about (product._get_domain_locations):
    ``location`` (id, ids or name) wins over ``warehouse``/``warehouse_id``; default all warehouses."""
    roots = _context_ids(env, "stock.location", env.context.get("location"))
    if not roots:
        warehouses = _context_ids(
            env, "stock.warehouse", env.context.get("warehouse") or env.context.get("warehouse_id")
        )
        if not warehouses:
            warehouses = [w["id"] for w in env.records("stock.warehouse")]
        roots = [
            int(w["view_location_id"])
            for w in env.browse("stock.warehouse", warehouses)
            if w.get("view_location_id")
        ]
    locations = child_locations(env, roots)
    return {
        i for i in locations if (env.get("stock.location", i) or {}).get("usage") in ("internal", "transit")
    }


def _product_quantities(env: Env, product: Record) -> dict[str, float]:
    locations = quantity_locations(env)
    on_hand = free = incoming = outgoing = 0.0
    for quant in env.records("stock.quant"):
        if quant.get("product_id") == product["id"] and quant.get("location_id") in locations:
            on_hand += float(quant.get("quantity") or 0.0)
            free += float(quant.get("quantity") or 0.0) - float(quant.get("reserved_quantity") or 0.0)
    for move in env.records("stock.move"):
        if move.get("product_id") != product["id"] or move.get("state") in ("draft", "done", "cancel"):
            continue
        source_in = move.get("location_id") in locations
        dest_in = move.get("location_dest_id") in locations
        if dest_in and not source_in:
            incoming += float(move.get("product_uom_qty") or 0.0)
        elif source_in and not dest_in:
            outgoing += float(move.get("product_uom_qty") or 0.0)
    return {
        "qty_available": on_hand,
        "free_qty": free,
        "incoming_qty": incoming,
        "outgoing_qty": outgoing,
        "virtual_available": on_hand + incoming - outgoing,
    }


def _quantity_compute(name: str) -> orm.Compute:
    def compute(env: Env, product: Record) -> float:
        return _product_quantities(env, product)[name] if is_storable(env, product["id"]) else 0.0

    return compute


for _name in ("qty_available", "free_qty", "incoming_qty", "outgoing_qty", "virtual_available"):
    orm.COMPUTES[("product.product", _name)] = _quantity_compute(_name)


# -- moves -----------------------------------------------------------------------------------
@computes("stock.move", "reference")
def _move_reference(env: Env, move: Record) -> str:
    picking = env.get("stock.picking", move.get("picking_id") or 0)
    return str(picking["name"]) if picking else str(move.get("name") or "")


@computes("stock.move", "picking_code")
def _move_picking_code(env: Env, move: Record) -> str | bool:
    picking_type = env.get("stock.picking.type", move.get("picking_type_id") or 0)
    return str(picking_type["code"]) if picking_type else False


@computes("stock.move.line", "state")
def _line_state(env: Env, line: Record) -> str:
    move = env.get("stock.move", line.get("move_id") or 0)
    return str(move["state"]) if move else "draft"


@computes("stock.move.line", "reference")
def _line_reference(env: Env, line: Record) -> str:
    move = env.get("stock.move", line.get("move_id") or 0)
    return _move_reference(env, move) if move else ""


# -- units of measure (addons/uom uom_uom.py: 17 with categories, 19 relative units) ----------------


@computes("uom.uom", "factor_inv")
def _uom_factor_inv(env: Env, uom: Record) -> float:  # noqa: ARG001 - compute signature
    factor = float(uom.get("factor") or 0.0)
    return 1.0 / factor if factor else 0.0


@computes("uom.uom", "factor")
def _uom_factor(env: Env, uom: Record) -> float:
    """Odoo 17: stored. Odoo 19: ``relative_factor`` times the reference unit's ``factor``."""
    if not release.current().relative_uom:
        return float(uom.get("factor") or 1.0)
    parent = env.get("uom.uom", uom.get("relative_uom_id") or 0)
    own = float(uom.get("relative_factor") or 1.0)
    return own * _uom_factor(env, parent) if parent and parent["id"] != uom["id"] else own


@computes("uom.uom", "rounding")
def _uom_rounding(env: Env, uom: Record) -> float:  # noqa: ARG001 - compute signature
    """Odoo 17: stored. Odoo 19: every unit rounds to the "Product Unit" precision."""
    if not release.current().relative_uom:
        return float(uom.get("rounding") or 0.01)
    return 10.0**-schema.PRODUCT_UNIT_DIGITS


def unit_of(env: Env, uom_id: int) -> UnitOfMeasure | None:
    """A unit as `supplystream.units` computes with it (None: no such unit)."""
    uom = env.get("uom.uom", uom_id)
    if not uom:
        return None
    rounding = odoo_number(_uom_rounding(env, uom))
    if release.current().relative_uom:
        root = uom
        while root.get("relative_uom_id") and (parent := env.get("uom.uom", root["relative_uom_id"])):
            root = parent
        return UnitOfMeasure.bigger(
            str(uom["name"]), str(root["name"]), odoo_number(_uom_factor(env, uom)), rounding
        )
    category = str(uom.get("category_id") or "")
    if uom.get("uom_type") == "bigger":
        return UnitOfMeasure.bigger(
            str(uom["name"]), category, odoo_number(_uom_factor_inv(env, uom)), rounding
        )
    return UnitOfMeasure.of(str(uom["name"]), category, odoo_number(uom.get("factor") or 1.0), rounding)


def in_product_uom(env: Env, move: Record, quantity: float, *, back: bool = False) -> float:
    """``quantity`` in the move's unit as a quantity in its product's unit (``back``: the other way),
    Odoo's ``_compute_quantity`` with HALF-UP, as ``product_qty`` and the quants count."""
    product = env.get("product.product", move.get("product_id") or 0) or {}
    move_unit = unit_of(env, move.get("product_uom") or 0)
    product_unit = unit_of(env, product.get("uom_id") or 0)
    if move_unit is None or product_unit is None or move_unit == product_unit or not quantity:
        return quantity
    source, target = (product_unit, move_unit) if back else (move_unit, product_unit)
    if source.category != target.category:
        raise UserError(
            f"The unit of measure {source.name} defined on the order line doesn't belong to the same "
            f"category as the unit of measure {target.name} defined on the product. Please correct the "
            "unit of measure defined on the order line or on the product. They should belong to the "
            "same category."
        )
    return float(to_unit(odoo_number(quantity), source, target, "HALF-UP"))


@computes("stock.move", "product_qty")
def _move_product_qty(env: Env, move: Record) -> float:
    return in_product_uom(env, move, float(move.get("product_uom_qty") or 0.0))


def _prepare_move(env: Env, vals: dict[str, Any]) -> None:
    picking = env.get("stock.picking", vals.get("picking_id") or 0)
    if picking:
        vals.setdefault("location_id", picking.get("location_id"))
        vals.setdefault("location_dest_id", picking.get("location_dest_id"))
        vals.setdefault("picking_type_id", picking.get("picking_type_id"))
        vals.setdefault("partner_id", picking.get("partner_id"))
        vals.setdefault("origin", picking.get("origin"))
    product = env.get("product.product", vals.get("product_id") or 0)
    if product:
        vals.setdefault("name", _product_display(env, product))
        vals.setdefault("product_uom", product.get("uom_id"))
    vals.setdefault("date", env.now)
    vals.setdefault("company_id", _company(env))


def _after_move_create(env: Env, ids: list[int], vals: dict[str, Any]) -> None:  # noqa: ARG001 - hook
    for move in env.browse("stock.move", ids):
        _sync_lines(env, move)
        picking = env.get("stock.picking", move.get("picking_id") or 0)
        if picking and picking.get("state") not in ("draft", "done", "cancel") and move["state"] == "draft":
            confirm_moves(env, [move["id"]])  # picking._autoconfirm_picking
        if picking:
            recompute_pickings(env, [picking["id"]])


def _after_move_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    pickings: set[int] = set()
    for move in env.browse("stock.move", ids):
        if "quantity" in vals and move["state"] in (*RESERVABLE, "assigned"):
            _set_move_state(env, move)
        _sync_lines(env, move)
        if move.get("picking_id"):
            pickings.add(move["picking_id"])
    recompute_pickings(env, sorted(pickings))


def _before_move_unlink(env: Env, ids: list[int]) -> None:
    if any((env.get("stock.move", i) or {}).get("state") not in ("draft", "cancel") for i in ids):
        raise UserError("You can only delete draft or cancelled moves.")


def _prepare_product(env: Env, vals: dict[str, Any]) -> None:
    """A product without a unit is stocked in Units, as Odoo's ``_get_default_uom_id`` does."""
    if not vals.get("uom_id"):
        units = env.search("uom.uom", [("name", "=", "Units")], limit=1)
        if units:
            vals["uom_id"] = units[0]


orm.PREPARE_CREATE["product.product"] = _prepare_product
orm.PREPARE_CREATE["stock.move"] = _prepare_move
orm.AFTER_CREATE["stock.move"] = _after_move_create
orm.AFTER_WRITE["stock.move"] = _after_move_write
orm.BEFORE_UNLINK["stock.move"] = _before_move_unlink


def _company(env: Env) -> int | bool:
    user = env.get("res.users", env.uid) or {}
    return user.get("company_id") or False


def _sync_lines(env: Env, move: Record) -> None:
    """Keep one detailed operation (stock.move.line) per move, mirroring its quantity/picked."""
    lines = [line for line in env.records("stock.move.line") if line.get("move_id") == move["id"]]
    quantity = float(move.get("quantity") or 0.0)
    values = {
        "quantity": quantity,
        "picked": bool(move.get("picked")),
        "product_id": move["product_id"],
        "product_uom_id": move.get("product_uom") or False,
        "location_id": move["location_id"],
        "location_dest_id": move["location_dest_id"],
        "picking_id": move.get("picking_id") or False,
    }
    if not lines and quantity > EPSILON:
        env.with_context(_standin_raw_create=True).create_one(
            "stock.move.line", {**values, "move_id": move["id"], "date": env.now, "company_id": _company(env)}
        )
        return
    for index, line in enumerate(lines):
        if index == 0:
            changed = {k: v for k, v in values.items() if line.get(k) != v}
            if changed:
                env.write_values("stock.move.line", [line["id"]], changed)
        else:
            env.store.delete("stock.move.line", line["id"])


def _set_move_state(env: Env, move: Record) -> None:
    quantity = float(move.get("quantity") or 0.0)
    demand = float(move.get("product_uom_qty") or 0.0)
    if quantity + EPSILON >= demand and (demand > 0 or quantity > 0):
        state = "assigned"
    elif quantity > EPSILON:
        state = "partially_available"
    else:
        state = "confirmed"
    if move.get("state") != state:
        env.write_values("stock.move", [move["id"]], {"state": state})


def _reservations(move: Record) -> list[list[Any]]:
    return [list(item) for item in move.get("_reserved", [])]


def confirm_moves(env: Env, ids: list[int]) -> None:
    to_assign = []
    for move in env.browse("stock.move", ids):
        if move["state"] != "draft":
            continue
        env.write_values("stock.move", [move["id"]], {"state": "confirmed"})
        picking_type = env.get("stock.picking.type", move.get("picking_type_id") or 0) or {}
        if (
            bypasses_reservation(env, move)
            or picking_type.get("reservation_method", "at_confirm") == "at_confirm"
        ):
            to_assign.append(move["id"])
    assign_moves(env, to_assign)


def assign_moves(env: Env, ids: list[int]) -> None:
    for move in env.browse("stock.move", ids):
        if move["state"] not in RESERVABLE:
            continue
        demand = float(move.get("product_uom_qty") or 0.0)
        have = float(move.get("quantity") or 0.0)
        need = demand - have
        if need > EPSILON:
            if bypasses_reservation(env, move):
                have = demand
            else:
                locations = child_locations(env, [move["location_id"]])
                reserved = _reservations(move)
                for quant in sorted(
                    env.records("stock.quant"), key=lambda q: (q.get("in_date") or "", q["id"])
                ):
                    if need <= EPSILON:
                        break
                    if (
                        quant.get("product_id") != move["product_id"]
                        or quant.get("location_id") not in locations
                    ):
                        continue
                    free = float(quant.get("quantity") or 0.0) - float(quant.get("reserved_quantity") or 0.0)
                    take = min(free, in_product_uom(env, move, need))  # quants count in the product's unit
                    if take <= EPSILON:
                        continue
                    update_quant(env, move["product_id"], quant["location_id"], reserved=take)
                    reserved.append([quant["location_id"], take])
                    taken = min(need, in_product_uom(env, move, take, back=True))
                    need -= taken
                    have += taken
                env.store.touch("stock.move", move["id"])["_reserved"] = reserved
            env.write_values("stock.move", [move["id"]], {"quantity": have})
        _set_move_state(env, move)
        _sync_lines(env, move)


def unreserve_moves(env: Env, ids: list[int]) -> None:
    for move in env.browse("stock.move", ids):
        for location_id, quantity in _reservations(move):
            update_quant(env, move["product_id"], int(location_id), reserved=-float(quantity))
        if move.get("_reserved"):
            env.store.touch("stock.move", move["id"])["_reserved"] = []


def cancel_moves(env: Env, ids: list[int]) -> None:
    for move in env.browse("stock.move", ids):
        if move["state"] in ("done", "cancel"):
            continue
        unreserve_moves(env, [move["id"]])
        env.write_values("stock.move", [move["id"]], {"state": "cancel", "quantity": 0.0, "picked": False})
        _sync_lines(env, move)


def _done_move(env: Env, move: Record) -> None:
    """Move the picked quantity: release the reservation and update quants on both sides."""
    quantity = float(move.get("quantity") or 0.0)
    reservations = _reservations(move)
    unreserve_moves(env, [move["id"]])
    if is_storable(env, move["product_id"]):
        remaining = in_product_uom(env, move, quantity)  # quants count in the product's unit
        for location_id, reserved in reservations:
            take = min(float(reserved), remaining)
            if take > EPSILON:
                update_quant(env, move["product_id"], int(location_id), quantity=-take)
                remaining -= take
        if remaining > EPSILON:
            update_quant(env, move["product_id"], move["location_id"], quantity=-remaining)
        update_quant(
            env, move["product_id"], move["location_dest_id"], quantity=in_product_uom(env, move, quantity)
        )
    values: dict[str, Any] = {"state": "done", "date": env.now, "picked": True}
    if quantity > float(move.get("product_uom_qty") or 0.0):
        values["product_uom_qty"] = quantity
    env.write_values("stock.move", [move["id"]], values)
    _sync_lines(env, move)


def done_moves(env: Env, ids: list[int], *, cancel_backorder: bool) -> list[int]:
    """stock.move._action_done: returns the moves left open (to go to a backorder)."""
    leftovers: list[int] = []
    for move in env.browse("stock.move", ids):
        if move["state"] in ("done", "cancel"):
            continue
        if move["state"] == "draft":
            confirm_moves(env, [move["id"]])
        quantity = float(move.get("quantity") or 0.0)
        demand = float(move.get("product_uom_qty") or 0.0)
        if (quantity <= EPSILON or not move.get("picked")) and not move.get("is_inventory"):
            if demand <= EPSILON or cancel_backorder:
                cancel_moves(env, [move["id"]])
            else:
                unreserve_moves(env, [move["id"]])
                env.write_values("stock.move", [move["id"]], {"quantity": 0.0, "state": "confirmed"})
                _sync_lines(env, move)
                leftovers.append(move["id"])
            continue
        if quantity + EPSILON < demand:
            # stock.move._split: the rest of the demand becomes a new move
            split_vals = {
                key: move.get(key)
                for key in (
                    "name",
                    "origin",
                    "product_id",
                    "product_uom",
                    "location_id",
                    "location_dest_id",
                    "picking_id",
                    "picking_type_id",
                    "partner_id",
                    "warehouse_id",
                    "sale_line_id",
                    "company_id",
                )
                if move.get(key) not in (None, False)
            }
            split_vals["product_uom_qty"] = demand - quantity
            new_id = env.with_context(_standin_raw_create=True).create_one("stock.move", split_vals)
            env.write_values("stock.move", [move["id"]], {"product_uom_qty": quantity})
            if cancel_backorder:
                env.write_values("stock.move", [new_id], {"state": "cancel"})
            else:
                env.write_values("stock.move", [new_id], {"state": "confirmed"})
                leftovers.append(new_id)
        _done_move(env, move)
    return leftovers


# -- pickings --------------------------------------------------------------------------------
@computes("stock.picking", "picking_type_code")
def _picking_type_code(env: Env, picking: Record) -> str | bool:
    picking_type = env.get("stock.picking.type", picking.get("picking_type_id") or 0)
    return str(picking_type["code"]) if picking_type else False


def picking_moves(env: Env, picking_id: int) -> list[Record]:
    return sorted(
        (m for m in env.records("stock.move") if m.get("picking_id") == picking_id), key=lambda m: m["id"]
    )


def compute_picking_state(moves: list[dict[str, Any]], move_type: str = "direct") -> str:  # noqa: PLR0911
    """stock.picking._compute_state over the moves' states (plain data)."""
    states = [m["state"] for m in moves]
    if not states or "draft" in states:
        return "draft"
    if all(s == "cancel" for s in states):
        return "cancel"
    if all(s in ("cancel", "done") for s in states):
        return "done"
    relevant = [s for s in states if s not in ("cancel", "done")]
    if move_type == "one":
        if all(s == "assigned" for s in relevant):
            return "assigned"
        return "waiting" if "waiting" in relevant else "confirmed"
    if any(s in ("assigned", "partially_available") for s in relevant):
        return "assigned"
    return "waiting" if all(s == "waiting" for s in relevant) else "confirmed"


def recompute_pickings(env: Env, ids: list[int]) -> None:
    for picking in env.browse("stock.picking", ids):
        state = compute_picking_state(picking_moves(env, picking["id"]), picking.get("move_type") or "direct")
        if picking.get("state") != state:
            env.write_values("stock.picking", [picking["id"]], {"state": state})


def _prepare_picking(env: Env, vals: dict[str, Any]) -> None:
    picking_type = env.get("stock.picking.type", vals.get("picking_type_id") or 0)
    if picking_type is None:
        return  # the required-field check reports it
    vals.setdefault("location_id", picking_type.get("default_location_src_id"))
    vals.setdefault("location_dest_id", picking_type.get("default_location_dest_id"))
    vals.setdefault("company_id", picking_type.get("company_id") or _company(env))
    vals.setdefault("scheduled_date", env.now)
    if vals.get("name") in (None, False, "/"):
        vals["name"] = picking_name(env, picking_type)
    # stock.picking.create: moves created with the picking take the picking's locations
    for command in vals.get("move_ids") or []:
        if isinstance(command, (list, tuple)) and len(command) == 3 and command[0] == 0:
            command[2].setdefault("location_id", vals.get("location_id"))
            command[2].setdefault("location_dest_id", vals.get("location_dest_id"))


def picking_name(env: Env, picking_type: Record) -> str:
    """The picking type's sequence: '<warehouse code>/<sequence code>/' with 5 digits."""
    warehouse = env.get("stock.warehouse", picking_type.get("warehouse_id") or 0)
    prefix = f"{warehouse['code']}/" if warehouse else ""
    number = env.store.next_sequence(f"picking_type:{picking_type['id']}")
    return f"{prefix}{picking_type.get('sequence_code')}/{number:05d}"


def _after_picking_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if "location_id" in vals or "location_dest_id" in vals:
        for move in (m for i in ids for m in picking_moves(env, i)):
            if move["state"] not in ("done", "cancel"):
                changes: dict[str, Any] = {
                    k: vals[k] for k in ("location_id", "location_dest_id") if k in vals
                }
                env.write_values("stock.move", [move["id"]], changes)
                _sync_lines(env, move)


orm.PREPARE_CREATE["stock.picking"] = _prepare_picking
orm.AFTER_WRITE["stock.picking"] = _after_picking_write


def action_confirm(env: Env, ids: list[int]) -> bool:
    for picking in env.browse("stock.picking", env_ids(env, "stock.picking", ids)):
        confirm_moves(env, [m["id"] for m in picking_moves(env, picking["id"]) if m["state"] == "draft"])
    recompute_pickings(env, ids)
    return True


def action_assign(env: Env, ids: list[int]) -> bool:
    pickings = env.browse("stock.picking", env_ids(env, "stock.picking", ids))
    drafts = [p["id"] for p in pickings if p["state"] == "draft"]
    if drafts:
        action_confirm(env, drafts)
    moves = [
        m
        for p in pickings
        for m in picking_moves(env, p["id"])
        if m["state"] not in ("draft", "cancel", "done")
    ]
    if not moves:
        raise UserError("Nothing to check the availability for.")
    assign_moves(env, [m["id"] for m in moves])
    recompute_pickings(env, ids)
    return True


def do_unreserve(env: Env, ids: list[int]) -> None:
    for picking_id in env_ids(env, "stock.picking", ids):
        for move in picking_moves(env, picking_id):
            if move["state"] in ("assigned", "partially_available"):
                unreserve_moves(env, [move["id"]])
                env.write_values("stock.move", [move["id"]], {"quantity": 0.0, "state": "confirmed"})
                _sync_lines(env, move)
    recompute_pickings(env, ids)


def action_cancel(env: Env, ids: list[int]) -> bool:
    for picking_id in env_ids(env, "stock.picking", ids):
        cancel_moves(env, [m["id"] for m in picking_moves(env, picking_id)])
        if not picking_moves(env, picking_id):
            env.write_values("stock.picking", [picking_id], {"state": "cancel"})
    recompute_pickings(env, ids)
    return True


def env_ids(env: Env, model: str, ids: list[int]) -> list[int]:
    """Check that ``ids`` exist, as accessing a field of a deleted record does in Odoo."""
    return [r["id"] for r in env.ensure(model, ids)]


def _sanity_check(env: Env, pickings: list[Record]) -> None:
    without_moves = [p for p in pickings if not picking_moves(env, p["id"])]
    without_quantities = [
        p
        for p in pickings
        if all(
            float(m.get("quantity") or 0.0) <= EPSILON
            for m in picking_moves(env, p["id"])
            if m["state"] not in ("done", "cancel")
        )
    ]
    if len(pickings) <= 1:
        if without_moves:
            raise UserError(
                "You can’t validate an empty transfer. Please add some products to move before proceeding."  # noqa: RUF001 - Odoo's text
            )
        if without_quantities:
            raise UserError(
                "You cannot validate a transfer if no quantities are reserved. "
                "To force the transfer, encode quantities."
            )
    elif without_moves:
        raise UserError(
            f"Transfers {', '.join(p['name'] for p in without_moves)}: Please add some items to move."
        )


def _picking_type(env: Env, picking: Record) -> Record:
    return env.get("stock.picking.type", picking.get("picking_type_id") or 0) or {}


def _needs_backorder(env: Env, picking: Record) -> bool:
    """stock.picking._check_backorder."""
    if _picking_type(env, picking).get("create_backorder", "ask") != "ask":
        return False
    for move in picking_moves(env, picking["id"]):
        if move["state"] == "cancel":
            continue
        demand = float(move.get("product_uom_qty") or 0.0)
        picked = float(move.get("quantity") or 0.0) if move.get("picked") else 0.0
        if (demand and not move.get("picked")) or picked + EPSILON < demand:
            return True
    return False


def backorder_wizard(env: Env, pickings: list[Record], show_transfers: bool) -> dict[str, Any]:
    """stock.picking._action_generate_backorder_wizard."""
    return {
        "name": "Create Backorder?",
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": "stock.backorder.confirmation",
        "views": [[False, "form"]],
        "view_id": False,
        "target": "new",
        "context": {
            **{k: v for k, v in env.context.items() if not k.startswith("_standin")},
            "default_show_transfers": show_transfers,
            "default_pick_ids": [[4, p["id"]] for p in pickings],
        },
    }


def button_validate(env: Env, ids: list[int]) -> bool | dict[str, Any]:
    pickings = env.ensure("stock.picking", ids)
    for picking in pickings:
        if picking["state"] in ("done", "cancel"):
            raise UserError(f"{picking['name']}: a done or cancelled transfer cannot be validated.")
    drafts = [p["id"] for p in pickings if p["state"] == "draft"]
    if drafts:
        action_confirm(env, drafts)
        for move in (m for i in drafts for m in picking_moves(env, i)):
            if (
                float(move.get("quantity") or 0.0) <= EPSILON
                and float(move.get("product_uom_qty") or 0.0) > EPSILON
            ):
                env.write("stock.move", [move["id"]], {"quantity": move["product_uom_qty"]})
    if not env.context.get("skip_sanity_check"):
        _sanity_check(env, pickings)
    # _pre_action_done_hook: nothing picked but some quantity -> everything is picked
    for picking in pickings:
        moves = picking_moves(env, picking["id"])
        has_quantity = any(float(m.get("quantity") or 0.0) > EPSILON for m in moves)
        has_pick = any(m.get("picked") for m in moves if not m.get("scrapped"))
        if has_quantity and not has_pick:
            env.write("stock.move", [m["id"] for m in moves], {"picked": True})
    if not env.context.get("skip_backorder"):
        to_backorder = [p for p in pickings if _needs_backorder(env, p)]
        if to_backorder:
            return backorder_wizard(env, to_backorder, len(pickings) > 1)
    not_to_backorder = set(env.context.get("picking_ids_not_to_backorder") or [])
    for picking in pickings:
        create_backorder = _picking_type(env, picking).get("create_backorder", "ask")
        cancel = create_backorder == "never" or (
            picking["id"] in not_to_backorder and create_backorder != "always"
        )
        _action_done(env, picking, cancel_backorder=cancel)
    return True


def _action_done(env: Env, picking: Record, *, cancel_backorder: bool) -> None:
    moves = [m["id"] for m in picking_moves(env, picking["id"]) if m["state"] in OPEN_MOVE_STATES]
    leftovers = done_moves(env, moves, cancel_backorder=cancel_backorder)
    if leftovers and not cancel_backorder:
        _create_backorder(env, picking, leftovers)
    env.write_values("stock.picking", [picking["id"]], {"date_done": env.now, "priority": "0"})
    recompute_pickings(env, [picking["id"]])
    if _picking_type(env, picking).get("code") in ("incoming", "internal"):
        _trigger_assign(env, [m for m in picking_moves(env, picking["id"]) if m["state"] == "done"])


def _create_backorder(env: Env, picking: Record, move_ids: list[int]) -> None:
    fields = (
        "picking_type_id",
        "location_id",
        "location_dest_id",
        "partner_id",
        "origin",
        "carrier_id",
        "sale_id",
        "company_id",
        "move_type",
        "scheduled_date",
    )
    vals = {k: picking.get(k) for k in fields if picking.get(k) not in (None, False)}
    vals["backorder_id"] = picking["id"]
    backorder_id = env.with_context(_standin_raw_create=True).create_one("stock.picking", vals)
    env.write_values("stock.move", move_ids, {"picking_id": backorder_id, "picked": False})
    for move in env.browse("stock.move", move_ids):
        _sync_lines(env, move)
    recompute_pickings(env, [backorder_id])
    backorder = env.get("stock.picking", backorder_id) or {}
    if _picking_type(env, backorder).get("reservation_method", "at_confirm") == "at_confirm":
        assign_moves(env, move_ids)
        recompute_pickings(env, [backorder_id])


def _trigger_assign(env: Env, done: list[Record]) -> None:
    """stock.move._trigger_assign: incoming stock may make waiting moves available."""
    products = {m["product_id"] for m in done}
    waiting = [
        m
        for m in env.records("stock.move")
        if m.get("product_id") in products
        and m["state"] in ("confirmed", "partially_available")
        and not bypasses_reservation(env, m)
    ]
    assign_moves(env, [m["id"] for m in sorted(waiting, key=lambda m: m["id"])])
    recompute_pickings(env, sorted({m["picking_id"] for m in waiting if m.get("picking_id")}))


# -- backorder wizard --------------------------------------------------------------------------
def backorder_process(env: Env, ids: list[int], *, cancel: bool) -> bool:
    """stock.backorder.confirmation.process / process_cancel_backorder."""
    pick_ids: list[int] = []
    for wizard in env.ensure("stock.backorder.confirmation", ids):
        pick_ids.extend(wizard.get("pick_ids") or [])
    context: dict[str, Any] = {"skip_backorder": True}
    if cancel:
        context["picking_ids_not_to_backorder"] = pick_ids
    result = button_validate(env.with_context(**context), pick_ids)
    return result if isinstance(result, bool) else True


# -- quants: inventory adjustments -----------------------------------------------------------------
def _quant_create(env: Env, vals: dict[str, Any]) -> int:
    """stock.quant.create in inventory mode: a counted quantity on an existing product/location
    updates that quant instead of creating a second one."""
    apply_now = vals.pop("inventory_quantity_auto_apply", None)
    inventory_fields = {"inventory_quantity", "inventory_quantity_set"}
    if not is_storable(env, int(vals.get("product_id") or 0)):
        raise UserError("Quants cannot be created for consumables or services.")
    existing = None
    if vals.get("product_id") and vals.get("location_id"):
        for quant in env.records("stock.quant"):
            if (
                quant.get("product_id") == vals["product_id"]
                and quant.get("location_id") == vals["location_id"]
            ):
                existing = quant["id"]
                break
    if existing is None:
        base = {k: v for k, v in vals.items() if k not in inventory_fields}
        existing = env.with_context(_standin_raw_create=True).create_one("stock.quant", base)
    if "inventory_quantity" in vals:
        env.write("stock.quant", [existing], {"inventory_quantity": vals["inventory_quantity"]})
    if apply_now is not None:
        env.write("stock.quant", [existing], {"inventory_quantity": apply_now})
        apply_inventory(env, [existing])
    return existing


def _before_quant_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:  # noqa: ARG001 - hook
    forbidden = {"product_id", "location_id", "lot_id", "package_id", "owner_id"}
    if forbidden & set(vals):
        raise UserError("Quant's editing is restricted, you can't do this operation.")
    if "inventory_quantity" in vals and "inventory_quantity_set" not in vals:
        vals["inventory_quantity_set"] = True


def _after_quant_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if "inventory_quantity_auto_apply" in vals:
        env.write_values(
            "stock.quant",
            ids,
            {"inventory_quantity": vals["inventory_quantity_auto_apply"], "inventory_quantity_set": True},
        )
        apply_inventory(env, ids)


orm.CREATE_OVERRIDES["stock.quant"] = _quant_create
orm.BEFORE_WRITE["stock.quant"] = _before_quant_write
orm.AFTER_WRITE["stock.quant"] = _after_quant_write


def apply_inventory(env: Env, ids: list[int]) -> None:
    """stock.quant.action_apply_inventory / _apply_inventory."""
    inventory_location = location_by_usage(env, "inventory")
    for quant in env.ensure("stock.quant", ids):
        if not quant.get("inventory_quantity_set"):
            continue
        diff = float(quant.get("inventory_quantity") or 0.0) - float(quant.get("quantity") or 0.0)
        if abs(diff) > EPSILON:
            source, dest = (
                (inventory_location, quant["location_id"])
                if diff > 0
                else (quant["location_id"], inventory_location)
            )
            product = env.get("product.product", quant["product_id"]) or {}
            move_id = env.with_context(_standin_raw_create=True).create_one(
                "stock.move",
                {
                    "name": env.context.get("inventory_name") or "Product Quantity Updated",
                    "product_id": quant["product_id"],
                    "product_uom": product.get("uom_id") or False,
                    "product_uom_qty": abs(diff),
                    "quantity": abs(diff),
                    "picked": True,
                    "location_id": source,
                    "location_dest_id": dest,
                    "is_inventory": True,
                    "company_id": quant.get("company_id") or _company(env),
                    "state": "confirmed",
                    "date": env.now,
                },
            )
            _done_move(env, env.store.touch("stock.move", move_id))
        env.write_values(
            "stock.quant",
            [quant["id"]],
            {"inventory_quantity": 0.0, "inventory_quantity_set": False, "last_count_date": env.now[:10]},
        )


def set_inventory_quantity_to_zero(env: Env, ids: list[int]) -> None:
    env.write_values(
        "stock.quant",
        env_ids(env, "stock.quant", ids),
        {"inventory_quantity": 0.0, "inventory_quantity_set": False},
    )
