"""Demo data for ``--seed``: a company, the admin user, two warehouses, locations, products,
picking types and a carrier, laid out as a fresh Odoo 17 (or 19: ``release.py``) database with
``stock``, ``sale_stock`` and ``delivery`` installed would have them."""

from __future__ import annotations

from typing import Any

from supplystream_devkit.odoo_standin import release
from supplystream_devkit.odoo_standin.orm import Env
from supplystream_devkit.odoo_standin.schema import MODELS
from supplystream_devkit.odoo_standin.store import Store

ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"  # noqa: S105 - the well-known demo password of a fresh Odoo database
API_KEY = "supplystream-test-key"
#: (code, name): Odoo limits warehouse codes to 5 characters; the names match the real Odoo 11 seed.
WAREHOUSES = (("EAST", "WH-EAST"), ("WEST", "WH-WEST"))
PRODUCTS = (
    ("SKU-1001", "Pallet Jack"),
    ("SKU-1002", "Shrink Wrap Roll"),
    ("SKU-1003", "Shipping Carton (Large)"),
    ("SKU-1004", "Label Printer"),
    ("SKU-1005", "Barcode Scanner"),
)
#: Products in other units than Units (code, name, unit name): a weighed one, stocked in kg (moved
#: in g too), and one stocked in Units and sold by the Dozen. Odoo 11's seed has the same.
UNIT_PRODUCTS = (("SKU-KG-1", "Basmati rice, loose (weighed)", "kg"), ("SKU-DZ-1", "Cable ties", "Units"))


def _seed_units(env: Env) -> dict[str, int]:
    """Units, Dozens, kg and g as Odoo 17's uom data has them (Units and kg round to 0.001 here, as
    on Odoo 11, g and Dozens to 0.01), or as Odoo 19's (relative units, one "Product Unit" rounding)."""
    uom = "uom.uom"
    if release.current().relative_uom:
        units = env.create_one(uom, {"name": "Units"})
        kg = env.create_one(uom, {"name": "kg"})
        dozens = {"name": "Dozens", "relative_factor": 12.0, "relative_uom_id": units}
        grams = {"name": "g", "relative_factor": 0.001, "relative_uom_id": kg}
        return {
            "Units": units,
            "Dozens": env.create_one(uom, dozens),
            "kg": kg,
            "g": env.create_one(uom, grams),
        }
    unit = env.create_one("uom.category", {"name": "Unit"})
    weight = env.create_one("uom.category", {"name": "Weight"})
    values: dict[str, dict[str, Any]] = {
        "Units": {"category_id": unit, "rounding": 0.001},
        "Dozens": {"category_id": unit, "factor": 1 / 12, "uom_type": "bigger", "rounding": 0.01},
        "kg": {"category_id": weight, "rounding": 0.001},
        "g": {"category_id": weight, "factor": 1000.0, "uom_type": "smaller", "rounding": 0.01},
    }
    return {name: env.create_one(uom, {"name": name, **vals}) for name, vals in values.items()}


def seed(store: Store) -> None:
    """Fill an empty store with the demo data (idempotent: does nothing if data exists)."""
    if not store.is_empty:
        return
    with store.transaction():
        env = Env(store, 1)
        _seed(env)
    store.set_secret(2, "password", ADMIN_PASSWORD)
    store.set_secret(2, "apikey", API_KEY)


def _seed(env: Env) -> None:
    for name, model in MODELS.items():
        env.create_one(
            "ir.model",
            {
                "model": name,
                "name": model.description,
                "state": "manual" if model.custom else "base",
                "transient": model.transient,
            },
        )
    company_partner = env.create_one("res.partner", {"name": "SupplyStream Demo Co", "is_company": True})
    company = env.create_one("res.company", {"name": "SupplyStream Demo Co", "partner_id": company_partner})
    env.write("res.partner", [company_partner], {"company_id": company})
    bot_partner = env.create_one("res.partner", {"name": "OdooBot", "active": False})
    env.create_one(
        "res.users",
        {
            "login": "__system__",
            "name": "OdooBot",
            "partner_id": bot_partner,
            "company_id": company,
            "company_ids": [company],
            "active": False,
        },
    )
    admin_partner = env.create_one("res.partner", {"name": "Mitchell Admin", "email": "admin@example.com"})
    env.create_one(
        "res.users",
        {
            "login": ADMIN_LOGIN,
            "name": "Mitchell Admin",
            "partner_id": admin_partner,
            "company_id": company,
            "company_ids": [company],
        },
    )
    for name in ("Acme Distribution", "Globex Retail"):
        env.create_one("res.partner", {"name": name, "is_company": True, "company_id": False})
    uoms = _seed_units(env)
    units = uoms["Units"]

    def location(name: str, usage: str, parent: int | bool = False) -> int:
        vals: dict[str, Any] = {"name": name, "usage": usage, "location_id": parent, "company_id": False}
        return int(env.create_one("stock.location", vals))

    physical = location("Physical Locations", "view")
    partners = location("Partners", "view")
    virtual = location("Virtual Locations", "view")
    vendors = location("Vendors", "supplier", partners)
    customers = location("Customers", "customer", partners)
    location("Inventory adjustment", "inventory", virtual)
    location("Inter-warehouse transit", "transit", physical)

    for code, name in WAREHOUSES:
        view = location(code, "view", physical)
        stock_location = location("Stock", "internal", view)
        env.write("stock.location", [view, stock_location], {"company_id": company})
        warehouse = env.create_one(
            "stock.warehouse",
            {
                "name": name,
                "code": code,
                "company_id": company,
                "partner_id": company_partner,
                "view_location_id": view,
                "lot_stock_id": stock_location,
            },
        )
        types = {}
        for key, type_name, type_code, sequence_code, source, dest in (
            ("in_type_id", "Receipts", "incoming", "IN", vendors, stock_location),
            ("out_type_id", "Delivery Orders", "outgoing", "OUT", stock_location, customers),
            ("int_type_id", "Internal Transfers", "internal", "INT", stock_location, stock_location),
        ):
            types[key] = env.create_one(
                "stock.picking.type",
                {
                    "name": type_name,
                    "code": type_code,
                    "sequence_code": sequence_code,
                    "warehouse_id": warehouse,
                    "default_location_src_id": source,
                    "default_location_dest_id": dest,
                    "company_id": company,
                },
            )
        env.write("stock.warehouse", [warehouse], types)

    for code, name in PRODUCTS:
        env.create_one(
            "product.product",
            {
                "name": name,
                "default_code": code,
                **release.current().storable_values(),
                "uom_id": units,
                "list_price": 10.0,
            },
        )
    for code, name, unit in UNIT_PRODUCTS:
        env.create_one(
            "product.product",
            {
                "name": name,
                "default_code": code,
                **release.current().storable_values(),
                "uom_id": uoms[unit],
                "list_price": 3.0,
            },
        )
    env.create_one(
        "delivery.carrier", {"name": "Standard Delivery", "delivery_type": "fixed", "fixed_price": 5.0}
    )
