"""Sales behaviour after Odoo 17's ``sale`` and ``sale_stock`` modules.

Order creation, ``action_confirm`` (procurement per line by its route or its warehouse, one delivery
per source location) and ``action_cancel`` (with the ``sale.order.cancel`` wizard unless
``disable_cancel_warning``). What exactly is modelled: "Sales behaviour" in the stand-in's README.
"""

from __future__ import annotations

from typing import Any

from supplystream_devkit.odoo_standin import orm, stock
from supplystream_devkit.odoo_standin.errors import RawError, UserError
from supplystream_devkit.odoo_standin.orm import Env, computes
from supplystream_devkit.odoo_standin.store import Record


def _prepare_order(env: Env, vals: dict[str, Any]) -> None:
    if vals.get("name") in (None, False, "New", "/"):
        vals["name"] = f"S{env.store.next_sequence('sale.order'):05d}"
    if not vals.get("warehouse_id"):
        warehouses = env.search("stock.warehouse", [], limit=1)
        if warehouses:
            vals["warehouse_id"] = warehouses[0]
    vals.setdefault("date_order", env.now)
    vals.setdefault("company_id", stock._company(env))
    if vals.get("partner_id"):
        vals.setdefault("partner_shipping_id", vals["partner_id"])


def _prepare_line(env: Env, vals: dict[str, Any]) -> None:
    product = env.get("product.product", vals.get("product_id") or 0)
    if product:
        vals.setdefault("name", env.display_name("product.product", product))
        vals.setdefault("product_uom", product.get("uom_id"))
        vals.setdefault("price_unit", product.get("list_price") or 0.0)


def _before_unlink_order(env: Env, ids: list[int]) -> None:
    for order in env.browse("sale.order", ids):
        if order["state"] not in ("draft", "cancel"):
            raise UserError(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
            )


orm.PREPARE_CREATE["sale.order"] = _prepare_order
orm.PREPARE_CREATE["sale.order.line"] = _prepare_line
orm.BEFORE_UNLINK["sale.order"] = _before_unlink_order


@computes("sale.order.line", "qty_delivered")
def _qty_delivered(env: Env, line: Record) -> float:
    total = 0.0
    for move in env.records("stock.move"):
        if move.get("sale_line_id") != line["id"] or move.get("state") != "done":
            continue
        dest = env.get("stock.location", move.get("location_dest_id") or 0) or {}
        source = env.get("stock.location", move.get("location_id") or 0) or {}
        if dest.get("usage") == "customer":
            total += float(move.get("quantity") or 0.0)
        elif source.get("usage") == "customer":
            total -= float(move.get("quantity") or 0.0)
    return total


@computes("sale.order.line", "state")
def _line_state(env: Env, line: Record) -> str:
    order = env.get("sale.order", line.get("order_id") or 0) or {}
    return str(order.get("state") or "draft")


@computes("sale.order", "delivery_count")
def _delivery_count(env: Env, order: Record) -> int:
    return sum(1 for p in env.records("stock.picking") if p.get("sale_id") == order["id"])


def action_confirm(env: Env, ids: list[int]) -> bool:
    orders = env.ensure("sale.order", ids)
    not_quotations = [o for o in orders if o["state"] not in ("draft", "sent")]
    if not_quotations:
        raise UserError(
            "The following orders are not in a state requiring confirmation: "
            + ", ".join(str(o["name"]) for o in not_quotations)
        )
    for order in orders:
        env.write_values("sale.order", [order["id"]], {"state": "sale", "date_order": env.now})
        _launch_stock_rule(env, order)
    return True


def _procured_quantity(env: Env, line: Record) -> tuple[float, int | bool]:
    """The quantity and unit of a sale order line's delivery move: in the product's unit, the line's
    quantity converted HALF-UP, as Odoo's sale_stock procures it (``_adjust_uom_quantities`` /
    Odoo 11's ``_action_launch_procurement_rule``, without the ``stock.propagate_uom`` parameter,
    which the stand-in does not have): 2 Dozens of a product stocked in Units deliver 24 Units."""
    quantity = float(line.get("product_uom_qty") or 0.0)
    line_unit = line.get("product_uom") or False
    product = env.get("product.product", line.get("product_id") or 0) or {}
    product_unit = product.get("uom_id") or False
    if not line_unit or not product_unit or line_unit == product_unit:
        return quantity, line_unit or product_unit
    return stock.in_product_uom(
        env, {"product_id": line["product_id"], "product_uom": line_unit}, quantity
    ), (product_unit)


def _launch_stock_rule(env: Env, order: Record) -> None:
    """sale.order.line._action_launch_stock_rule: each line is procured by the rule of its route
    (``route_id``) that delivers to the customers, else by its warehouse's delivery; moves of the
    same source location and operation type share one picking (stock.move._assign_picking)."""
    lines = [
        line
        for line in env.records("sale.order.line")
        if line.get("order_id") == order["id"]
        and (env.get("product.product", line.get("product_id") or 0) or {}).get("type")
        in ("product", "consu")
    ]
    if not lines:
        return
    customer_location = stock.location_by_usage(env, "customer")
    #: (source location, operation type, the moves' warehouse) -> lines
    groups: dict[tuple[int, int, int | bool], list[Record]] = {}
    for line in sorted(lines, key=lambda line: (line.get("sequence") or 0, line["id"])):
        rule = _line_rule(env, line, customer_location)
        if rule is not None:
            if not rule.get("location_src_id"):
                raise UserError(f"No source location defined on stock rule: {rule['name']}!")
            key = (
                int(rule["location_src_id"]),
                int(rule["picking_type_id"]),
                rule.get("propagate_warehouse_id") or rule.get("warehouse_id") or False,
            )
        else:
            warehouse = env.get("stock.warehouse", _line_warehouse(env, line) or 0)
            if warehouse is None:
                raise UserError(f"{order['name']}: no warehouse is set to deliver from.")
            key = (int(warehouse["lot_stock_id"]), int(warehouse["out_type_id"]), int(warehouse["id"]))
        groups.setdefault(key, []).append(line)
    pickings: list[int] = []
    for (source, picking_type, move_warehouse), grouped in groups.items():
        picking_id = env.create_one(
            "stock.picking",
            {
                "picking_type_id": picking_type,
                "location_id": source,
                "location_dest_id": customer_location,
                "partner_id": order.get("partner_shipping_id") or order["partner_id"],
                "origin": order["name"],
                "sale_id": order["id"],
                "carrier_id": order.get("carrier_id") or False,
                "company_id": order.get("company_id") or False,
            },
        )
        for line in grouped:
            quantity, unit = _procured_quantity(env, line)
            env.create_one(
                "stock.move",
                {
                    "picking_id": picking_id,
                    "product_id": line["product_id"],
                    "product_uom_qty": quantity,
                    "product_uom": unit,
                    "name": line.get("name") or False,
                    "origin": order["name"],
                    "sale_line_id": line["id"],
                    "warehouse_id": move_warehouse,
                    "partner_id": order.get("partner_shipping_id") or order["partner_id"],
                },
            )
        pickings.append(picking_id)
    stock.action_confirm(env, pickings)


def _route_rules(env: Env, route_id: int, destination: int) -> list[Record]:
    """The active rules of a route that bring goods to ``destination`` (not push rules), in
    ``route_sequence, sequence`` order."""
    route = env.get("stock.route", route_id) or {}
    rules = [
        rule
        for rule in env.records("stock.rule")
        if rule.get("route_id") == route_id
        and rule.get("active", True)
        and rule.get("location_dest_id") == destination
        and rule.get("action") != "push"
    ]
    return sorted(rules, key=lambda rule: (route.get("sequence") or 0, rule.get("sequence") or 0, rule["id"]))


def _location_warehouse(env: Env, location_id: Any) -> int | bool:
    location = env.get("stock.location", location_id or 0)
    return env.value("stock.location", location, "warehouse_id") if location else False


@computes("sale.order.line", "warehouse_id")
def _line_warehouse(env: Env, line: Record) -> int | bool:
    """sale_stock ``_compute_warehouse_id``: the order's warehouse, unless the line's route has a rule
    delivering to the customers: then the warehouse of that rule's source (rules pulling from the
    order's warehouse, or from no warehouse, first)."""
    order = env.get("sale.order", line.get("order_id") or 0) or {}
    warehouse: int | bool = order.get("warehouse_id") or False
    if line.get("route_id"):
        rules = _route_rules(env, int(line["route_id"]), stock.location_by_usage(env, "customer"))
        rules.sort(
            key=lambda rule: _location_warehouse(env, rule.get("location_src_id")) not in (False, warehouse)
        )
        if rules:
            return _location_warehouse(env, rules[0].get("location_src_id"))
    return warehouse


def _line_rule(env: Env, line: Record, destination: int) -> Record | None:
    """stock.rule._get_rule for a line's procurement: a rule of its route delivering to
    ``destination`` and serving its warehouse or none (``_search_rule``)."""
    if not line.get("route_id"):
        return None
    warehouse = _line_warehouse(env, line)
    for rule in _route_rules(env, int(line["route_id"]), destination):
        if rule.get("warehouse_id") in (False, None, warehouse):
            return rule
    return None


@computes("stock.rule", "route_sequence")
def _rule_route_sequence(env: Env, rule: Record) -> int:
    return int((env.get("stock.route", rule.get("route_id") or 0) or {}).get("sequence") or 0)


def action_cancel(env: Env, ids: list[int]) -> bool | dict[str, Any]:
    orders = env.ensure("sale.order", ids)
    if any(o.get("locked") for o in orders):
        raise UserError("You cannot cancel a locked order. Please unlock it first.")
    if not env.context.get("disable_cancel_warning") and any(o["state"] != "draft" for o in orders):
        return _cancel_wizard(orders)
    for order in orders:
        env.write_values("sale.order", [order["id"]], {"state": "cancel"})
        pickings = [
            p["id"]
            for p in env.records("stock.picking")
            if p.get("sale_id") == order["id"] and p["state"] != "done"
        ]
        if pickings:
            stock.action_cancel(env, pickings)
    return True


def _cancel_wizard(orders: list[Record]) -> dict[str, Any]:
    """sale.order.action_cancel when ``_show_cancel_wizard``: the ``sale.order.cancel`` wizard."""
    if len(orders) != 1:
        raise RawError(
            "builtins.ValueError",
            f"Expected singleton: sale.order({', '.join(str(o['id']) for o in orders)})",
        )
    [order] = orders
    type_name = "Quotation" if order["state"] in ("draft", "sent") else "Sales Order"
    return {
        "name": f"Cancel {type_name}",
        "view_mode": "form",
        "res_model": "sale.order.cancel",
        "view_id": False,
        "type": "ir.actions.act_window",
        "context": {
            "default_template_id": False,
            "default_order_id": order["id"],
            "mark_so_as_canceled": True,
            "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
            "model_description": type_name,
        },
        "target": "new",
    }


def action_draft(env: Env, ids: list[int]) -> bool:
    orders = [o for o in env.ensure("sale.order", ids) if o["state"] in ("cancel", "sent")]
    env.write_values("sale.order", [o["id"] for o in orders], {"state": "draft"})
    return True


def action_quotation_sent(env: Env, ids: list[int]) -> bool:
    orders = env.ensure("sale.order", ids)
    if any(o["state"] != "draft" for o in orders):
        raise UserError("Only draft orders can be marked as sent directly.")
    env.write_values("sale.order", [o["id"] for o in orders], {"state": "sent"})
    return True
