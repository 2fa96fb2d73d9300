"""The demo catalog's pure parts: Odoo warehouse codes, and a simulation's products and warehouses."""

from __future__ import annotations

import pytest

from producers.simulator import Simulation, SimulationConfig
from supplystream_app.catalog_seed import odoo_warehouse_code, simulation_products, simulation_warehouses


@pytest.mark.parametrize(
    ("platform", "odoo"),
    [("WH-EAST", "EAST"), ("WH-CENTRAL", "CENTR"), ("wh_west", "WEST"), ("EAST", "EAST"), ("WH-", "WH")],
)
def test_odoo_codes_have_at_most_five_characters(platform: str, odoo: str) -> None:
    assert odoo_warehouse_code(platform) == odoo


def test_a_simulation_gives_its_skus_and_warehouses() -> None:
    simulation = Simulation(7, SimulationConfig(sku_count=40, weighed_share=0.5))
    products = simulation_products(simulation)
    assert [product.sku for product in products] == [f"SKU-{n:05d}" for n in range(1, 41)]
    weighed = [product for product in products if product.name.endswith("(sold by kg)")]
    assert 0 < len(weighed) < 40
    assert {product.uom for product in weighed} == {"kg"}
    assert {product.uom for product in products if product not in weighed} == {"Units"}
    assert products == simulation_products(Simulation(7, SimulationConfig(sku_count=40, weighed_share=0.5)))
    assert simulation_warehouses(simulation) == ["WH-EAST", "WH-CENTRAL", "WH-WEST"]
