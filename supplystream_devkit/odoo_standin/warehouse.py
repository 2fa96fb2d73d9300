"""Warehouse creation after Odoo 17's ``stock.warehouse.create`` (addons/stock/models/stock_warehouse.py).

``create({'name', 'code'})`` builds what a warehouse needs, as Odoo does: a view location named
after the code under ``Physical Locations``, its ``Stock`` location (``lot_stock_id``), and the
picking types Receipts (IN, vendors -> stock), Delivery Orders (OUT, stock -> customers) and
Internal Transfers (INT), with the company's partner as the address. Odoo refuses a second
warehouse with the same name or code in a company (``warehouse_name_uniq``, ``warehouse_code_uniq``).

Not covered: routes, rules and the multi-step reception/delivery locations. A create that already
passes ``view_location_id`` (the seed lays out its warehouses itself) is stored as given.
"""

from __future__ import annotations

from typing import Any

from supplystream_devkit.odoo_standin import orm, stock
from supplystream_devkit.odoo_standin.errors import ValidationError
from supplystream_devkit.odoo_standin.orm import Env

#: (warehouse field, name, code, sequence code, source usage or "stock", destination usage or "stock")
PICKING_TYPES = (
    ("in_type_id", "Receipts", "incoming", "IN", "supplier", "stock"),
    ("out_type_id", "Delivery Orders", "outgoing", "OUT", "stock", "customer"),
    ("int_type_id", "Internal Transfers", "internal", "INT", "stock", "stock"),
)


def _prepare_warehouse(env: Env, vals: dict[str, Any]) -> None:
    company = vals.get("company_id") or stock._company(env)
    vals.setdefault("company_id", company)
    for field, message in (
        ("name", "The name of the warehouse must be unique per company!"),
        ("code", "The short name of the warehouse must be unique per company!"),
    ):
        if vals.get(field) and env.search(
            "stock.warehouse", [(field, "=", vals[field]), ("company_id", "=", company)], limit=1
        ):
            raise ValidationError(message)
    if not vals.get("partner_id") and company:
        vals["partner_id"] = (env.get("res.company", int(company)) or {}).get("partner_id") or False


def _after_warehouse_create(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if vals.get("view_location_id"):
        return
    for warehouse in env.browse("stock.warehouse", ids):
        company = warehouse.get("company_id") or False
        physical = env.search("stock.location", [("name", "=", "Physical Locations"), ("usage", "=", "view")])
        view = env.create_one(
            "stock.location",
            {
                "name": warehouse["code"],
                "usage": "view",
                "location_id": physical[0] if physical else False,
                "company_id": company,
            },
        )
        stock_location = env.create_one(
            "stock.location",
            {"name": "Stock", "usage": "internal", "location_id": view, "company_id": company},
        )
        values: dict[str, Any] = {"view_location_id": view, "lot_stock_id": stock_location}
        for field, name, code, sequence_code, source, dest in PICKING_TYPES:
            values[field] = env.create_one(
                "stock.picking.type",
                {
                    "name": name,
                    "code": code,
                    "sequence_code": sequence_code,
                    "warehouse_id": warehouse["id"],
                    "default_location_src_id": stock_location
                    if source == "stock"
                    else stock.location_by_usage(env, source),
                    "default_location_dest_id": stock_location
                    if dest == "stock"
                    else stock.location_by_usage(env, dest),
                    "company_id": company,
                },
            )
        env.write("stock.warehouse", [warehouse["id"]], values)


orm.PREPARE_CREATE["stock.warehouse"] = _prepare_warehouse
orm.AFTER_CREATE["stock.warehouse"] = _after_warehouse_create
