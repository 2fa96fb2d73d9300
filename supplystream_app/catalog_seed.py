"""The demo catalog in Odoo: the simulator's products and warehouses, created where missing.

`ensure_catalog` is idempotent and works on every Odoo we support (11 and the 17 stand-in): a
product exists when a ``product.product`` has its SKU as ``default_code``; a warehouse exists when a
``stock.warehouse`` has the platform's warehouse code as its ``code`` or its ``name`` (the Odoo
sink finds warehouses the same way). Odoo limits a warehouse's ``code`` to five characters, so a
new warehouse is named after the platform code (``WH-CENTRAL``) and gets a short code derived from
it (`odoo_warehouse_code`: ``CENTR``); Odoo creates its locations and picking types.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supplystream.errors import OdooValidationError
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import storable_values

if TYPE_CHECKING:
    from producers.simulator import Simulation

#: Odoo's ``stock.warehouse.code`` is at most this long.
WAREHOUSE_CODE_CHARS = 5
#: Products and warehouses created per ``create`` call.
CREATE_CHUNK = 200


def odoo_warehouse_code(platform_code: str) -> str:
    """The short Odoo code for a platform warehouse code: without a ``WH-`` prefix, letters and
    digits only, upper case, at most five characters (``WH-EAST`` -> ``EAST``)."""
    stem = re.sub(r"^WH[-_ ]", "", platform_code.strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"[^0-9A-Za-z]", "", stem).upper() or re.sub(r"[^0-9A-Za-z]", "", platform_code).upper()
    return cleaned[:WAREHOUSE_CODE_CHARS]


def simulation_products(simulation: Simulation) -> list[tuple[str, str]]:
    """(SKU, product name) of every SKU a simulation sells; weighed SKUs say so in their name."""
    return [
        (sku.code, f"Simulated product {sku.code}{' (sold by kg)' if sku.weighed else ''}")
        for sku in simulation._skus  # the simulator has no public catalog (yet)
    ]


def simulation_warehouses(simulation: Simulation) -> list[str]:
    """The platform codes of a simulation's warehouses."""
    return [warehouse.code for warehouse in simulation.config.warehouses]


@dataclass
class CatalogSummary:
    """What `ensure_catalog` found and created."""

    products_created: list[str] = field(default_factory=list)
    products_existing: int = 0
    #: (platform code, Odoo code) of the warehouses created.
    warehouses_created: list[tuple[str, str]] = field(default_factory=list)
    warehouses_existing: int = 0


def ensure_catalog(
    client: OdooClient, products: Sequence[tuple[str, str]], warehouses: Sequence[str]
) -> CatalogSummary:
    """Create the products (storable, ``default_code`` = SKU) and warehouses Odoo lacks; idempotent."""
    summary = CatalogSummary()
    _ensure_products(client, products, summary)
    _ensure_warehouses(client, warehouses, summary)
    return summary


def _ensure_products(
    client: OdooClient, products: Sequence[tuple[str, str]], summary: CatalogSummary
) -> None:
    names = dict(products)
    existing: set[str] = set()
    skus = sorted(names)
    for start in range(0, len(skus), CREATE_CHUNK):
        chunk = skus[start : start + CREATE_CHUNK]
        rows = client.search_read(
            "product.product",
            [("default_code", "in", chunk)],
            ["default_code"],
        )
        existing |= {str(row["default_code"]) for row in rows}
    missing = [sku for sku in skus if sku not in existing]
    storable = storable_values(client.version)
    for start in range(0, len(missing), CREATE_CHUNK):
        chunk = missing[start : start + CREATE_CHUNK]
        client.create(
            "product.product",
            [{"name": names[sku], "default_code": sku, **storable} for sku in chunk],
        )
    summary.products_created = missing
    summary.products_existing = len(existing)


def _ensure_warehouses(client: OdooClient, warehouses: Sequence[str], summary: CatalogSummary) -> None:
    rows = client.search_read("stock.warehouse", [], ["code", "name"])
    codes = {str(row["code"]) for row in rows}
    names = {str(row["name"]) for row in rows}
    for platform_code in dict.fromkeys(warehouses):
        if platform_code in codes or platform_code in names:
            summary.warehouses_existing += 1
            continue
        code = odoo_warehouse_code(platform_code)
        if code in codes:
            raise OdooValidationError(
                f"warehouse {platform_code!r} would get the Odoo code {code!r}, which another warehouse "
                f"has: create it in Odoo with another short name and name it {platform_code!r}",
                model="stock.warehouse",
            )
        client.create("stock.warehouse", [{"name": platform_code, "code": code}])
        codes.add(code)
        names.add(platform_code)
        summary.warehouses_created.append((platform_code, code))
