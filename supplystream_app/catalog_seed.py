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
from typing import TYPE_CHECKING, NamedTuple

from supplystream.errors import OdooValidationError
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import read_units, storable_values, uom_model
from supplystream.units import unit_key

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


class CatalogProduct(NamedTuple):
    """A product the demo catalog needs: its SKU, name and stock unit (the events' ``uom``)."""

    sku: str
    name: str
    uom: str = "Units"


def simulation_products(simulation: Simulation) -> list[CatalogProduct]:
    """Every SKU a simulation sells, in the unit it sells it (weighed SKUs in kg, named so)."""
    return [
        CatalogProduct(
            sku.code, f"Simulated product {sku.code}{' (sold by kg)' if sku.weighed else ''}", sku.uom
        )
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
    client: OdooClient, products: Sequence[CatalogProduct], warehouses: Sequence[str]
) -> CatalogSummary:
    """Create the products (storable, ``default_code`` = SKU, stocked and bought in their unit) and
    the warehouses Odoo lacks; idempotent."""
    summary = CatalogSummary()
    _ensure_products(client, products, summary)
    _ensure_warehouses(client, warehouses, summary)
    return summary


def _ensure_products(client: OdooClient, products: Sequence[CatalogProduct], summary: CatalogSummary) -> None:
    wanted = {product.sku: product for product in products}
    existing: set[str] = set()
    skus = sorted(wanted)
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
    unit_ids = _unit_ids(client, {wanted[sku].uom for sku in missing})
    for start in range(0, len(missing), CREATE_CHUNK):
        chunk = missing[start : start + CREATE_CHUNK]
        client.create(
            "product.product",
            [
                {"name": wanted[sku].name, "default_code": sku, **storable, **unit_ids[wanted[sku].uom]}
                for sku in chunk
            ],
        )
    summary.products_created = missing
    summary.products_existing = len(existing)


def _unit_ids(client: OdooClient, names: set[str]) -> dict[str, dict[str, int]]:
    """``uom_id`` (and ``uom_po_id`` where Odoo has it) per unit name; none for Units, Odoo's default."""
    others = {name for name in names if unit_key(name) != unit_key("Units")}
    values: dict[str, dict[str, int]] = {name: {} for name in names - others}
    if not others:
        return values
    units = read_units(client)
    # Odoo 11-17 also have a purchase unit, which must be of the stock unit's category.
    purchase = "uom_po_id" in client.fields("product.product")
    for name in others:
        found = sorted(i for i, unit in units.items() if unit_key(unit.name) == unit_key(name))
        if not found:
            raise OdooValidationError(
                f"Odoo has no unit of measure named {name!r}: create it (Inventory > Configuration > "
                "Units of Measure) or sell those SKUs in a unit Odoo has",
                model=uom_model(client.version),
            )
        values[name] = {"uom_id": found[0], **({"uom_po_id": found[0]} if purchase else {})}
    return values


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
