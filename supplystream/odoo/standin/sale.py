"""Sales behaviour after Odoo 17's ``sale`` and ``sale_stock`` modules.

* create: ``name`` from the 'sale.order' sequence (prefix 'S', 5 digits: S00001) when it is
  missing or 'New'; ``warehouse_id`` defaults to the company's first warehouse.
* ``action_confirm``: only quotations (draft, sent) can be confirmed; the order goes to 'sale',
  ``date_order`` becomes now, and (sale_stock ``_action_launch_stock_rule``) one delivery is
  created from the warehouse's stock to the customer location with one move per storable or
  consumable line, then confirmed and reserved: the picking is 'assigned' when stock is
  available, else 'confirmed'.
* ``action_cancel``: a locked order raises UserError; an order that is not a draft answers the
  ``sale.order.cancel`` wizard action (``_show_cancel_wizard``: Odoo offers to e-mail the customer,
  one order at a time: several are "Expected singleton") unless the context has
  ``disable_cancel_warning``; otherwise (``_action_cancel``) state 'cancel' and (sale_stock) every
  delivery not done is cancelled, which releases its reservations. Deliveries already done stay
  done, and so does the order's cancellation.
"""

from __future__ import annotations

from typing import Any

from supplystream.odoo.standin import orm, stock
from supplystream.odoo.standin.errors import RawError, UserError
from supplystream.odoo.standin.orm import Env, computes
from supplystream.odoo.standin.store import Record


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


def _launch_stock_rule(env: Env, order: Record) -> None:
    lines = [
        line
        for line in env.records("sale.order.line")
        if line.get("order_id") == order["id"]
        and (env.get("product.product", line.get("product_id") or 0) or {}).get("type")
        in ("product", "consu")
    ]
    if not lines:
        return
    warehouse = env.get("stock.warehouse", order.get("warehouse_id") or 0)
    if warehouse is None:
        raise UserError(f"{order['name']}: no warehouse is set to deliver from.")
    customer_location = stock.location_by_usage(env, "customer")
    picking_id = env.create_one(
        "stock.picking",
        {
            "picking_type_id": warehouse["out_type_id"],
            "location_id": warehouse["lot_stock_id"],
            "location_dest_id": customer_location,
            "partner_id": order.get("partner_shipping_id") or order["partner_id"],
            "origin": order["name"],
            "sale_id": order["id"],
            "carrier_id": order.get("carrier_id") or False,
            "company_id": order.get("company_id") or False,
        },
    )
    for line in lines:
        env.create_one(
            "stock.move",
            {
                "picking_id": picking_id,
                "product_id": line["product_id"],
                "product_uom_qty": line.get("product_uom_qty") or 0.0,
                "product_uom": line.get("product_uom") or False,
                "name": line.get("name") or False,
                "origin": order["name"],
                "sale_line_id": line["id"],
                "warehouse_id": warehouse["id"],
                "partner_id": order.get("partner_shipping_id") or order["partner_id"],
            },
        )
    stock.action_confirm(env, [picking_id])


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
