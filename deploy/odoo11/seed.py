"""Seed the Odoo 11 template database that `stack up --with-odoo` clones (runs on Odoo's Python 3.7).

supplystream_devkit/stack/odoo11.py runs it once per template, right after
``-i stock,sale_management,delivery --without-demo=all --stop-after-init``::

    <the Odoo 11 venv>/bin/python -I seed.py --config odoo.conf --database odoo11_template --digest HEX

It talks to Odoo's ORM in-process (as `odoo shell` does), no HTTP server needed, and does everything
in one transaction: the template is either fully seeded, carrying ``--digest`` in the system
parameter ``supplystream.template_digest``, or left without it (and rebuilt on the next start).
It prints one JSON line describing what it created.

Kept Python 3.7-compatible on purpose (no walrus, no 3.9 generics at run time).
"""

from __future__ import annotations

import argparse
import json

import odoo
from odoo import SUPERUSER_ID, api

ADMIN_PASSWORD = "admin"  # noqa: S105 - the documented login of this loopback-only dev database
COMPANY_NAME = "SupplyStream Demo Co"
#: (name, code): stock.warehouse.code is a Char(size=5) in Odoo 11, so the long form is the name.
WAREHOUSES = (("WH-EAST", "EAST"), ("WH-WEST", "WEST"))
#: default_code, name, sale price, cost, on hand in WH-EAST, on hand in WH-WEST
PRODUCTS = (
    ("SKU-1001", "Steel shelf bracket", 12.5, 7.0, 100.0, 40.0),
    ("SKU-1002", "Pallet wrap film 500 m", 24.0, 15.0, 100.0, 40.0),
    ("SKU-1003", "Forklift battery 48 V", 2150.0, 1600.0, 100.0, 40.0),
    ("SKU-1004", "Handheld barcode scanner", 189.0, 120.0, 100.0, 40.0),
    ("SKU-1005", "Shipping carton, large", 1.8, 0.9, 100.0, 40.0),
)
CUSTOMER = {"name": "Northwind Retail", "ref": "CUST-0001", "customer": True, "supplier": False}
CARRIER_NAME = "SupplyStream Ground"
CARRIER_PRICE = 9.5
DIGEST_PARAMETER = "supplystream.template_digest"


def seed(env: api.Environment, digest: str) -> dict[str, object]:
    """Create the data every test expects; returns a summary (ids by business key)."""
    env.ref("base.user_root").write({"password": ADMIN_PASSWORD, "tz": "UTC"})
    company = env.ref("base.main_company")
    company.write({"name": COMPANY_NAME, "email": "ops@supplystream.example"})

    # The default warehouse (created with the company, code "WH") becomes WH-EAST: sale orders use
    # the company's first warehouse, and the stack then has exactly two.
    east_name, east_code = WAREHOUSES[0]
    east = env.ref("stock.warehouse0")
    east.write({"name": east_name, "code": east_code})
    # Odoo 11's write() renames the sequences before it stores the new code, so they would keep
    # "WH/OUT/" as prefix: run the renaming again now that the code is EAST (EAST/OUT/00001).
    east._update_name_and_code()
    warehouses = [east]
    for name, code in WAREHOUSES[1:]:
        warehouses.append(env["stock.warehouse"].create({"name": name, "code": code}))

    products = env["product.product"]
    by_code = {}
    for code, name, price, cost, *_quantities in PRODUCTS:
        by_code[code] = products.create(
            {
                "name": name,
                "default_code": code,
                "type": "product",
                "list_price": price,
                "standard_price": cost,
            }
        )
        products |= by_code[code]

    for index, warehouse in enumerate(warehouses):
        inventory = env["stock.inventory"].create(
            {
                "name": f"SupplyStream opening stock {warehouse.name}",
                "location_id": warehouse.lot_stock_id.id,
                "filter": "partial",
            }
        )
        inventory.action_start()
        for row in PRODUCTS:
            env["stock.inventory.line"].create(
                {
                    "inventory_id": inventory.id,
                    "product_id": by_code[row[0]].id,
                    "location_id": warehouse.lot_stock_id.id,
                    "product_qty": row[4 + index],
                }
            )
        inventory.action_done()

    customer = env["res.partner"].create(CUSTOMER)

    carrier_id = None
    if "delivery.carrier" in env:
        shipping = env["product.product"].create(
            {"name": "Ground shipping", "default_code": "SHIP-GROUND", "type": "service", "list_price": 0.0}
        )
        carrier = env["delivery.carrier"].create(
            {"name": CARRIER_NAME, "delivery_type": "fixed", "product_id": shipping.id}
        )
        carrier.fixed_price = CARRIER_PRICE
        carrier_id = carrier.id

    # Attachments (module icons, the company logo, later the web assets) in PostgreSQL rather than
    # in data_dir/filestore/<db>: a database cloned from this template is then complete by itself.
    env["ir.config_parameter"].set_param("ir_attachment.location", "db")
    env["ir.attachment"].force_storage()

    env["ir.config_parameter"].set_param(DIGEST_PARAMETER, digest)
    return {
        "company": company.name,
        "warehouses": {w.name: {"id": w.id, "code": w.code} for w in warehouses},
        "products": {p.default_code: p.id for p in products},
        "customer": customer.id,
        "carrier": carrier_id,
    }


def main() -> None:
    """Parse Odoo's configuration, open the database and seed it in one transaction."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--digest", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["--config", args.config])
    odoo.netsvc.init_logger()
    with api.Environment.manage():
        registry = odoo.registry(args.database)
        # The cursor commits when the block ends without an exception, rolls back otherwise.
        with registry.cursor() as cr:
            summary = seed(api.Environment(cr, SUPERUSER_ID, {}), args.digest)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
