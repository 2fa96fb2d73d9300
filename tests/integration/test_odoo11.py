"""A real Odoo 11 from PyPI (`supplystream stack up --with-odoo`): version, seeded data, sale -> delivery.

The stack runs on a home of its own, ``.stack/odoo11-tests/``, on free ports, so it never touches
the default stack. The home is kept between runs (the stack is only stopped), so Odoo's virtualenv
and template database are built on the first run only (about 75 s on 2 cores, against ~15 s after);
every run starts from a fresh clone of the template.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import odoorpc
import pytest

from supplystream.paths import project_root
from supplystream_devkit.stack.odoo11 import ADMIN_LOGIN, ADMIN_PASSWORD, DATABASE
from tests.conftest import supplystream_cli
from tests.integration.conftest import OdooStack

pytestmark = [
    pytest.mark.odoo11,
    # reset_database() restarts Odoo from this process, detached on purpose (ManagedProcess keeps
    # no handle; `stack down` stops it through its PID file): Popen warns it is "still running".
    pytest.mark.filterwarnings(r"ignore:subprocess \d+ is still running:ResourceWarning"),
]

HOME = project_root() / ".stack" / "odoo11-tests"
SKUS = [f"SKU-{n}" for n in range(1001, 1006)]


@pytest.fixture
def odoo(odoo_stack: OdooStack) -> Any:
    """An odoorpc session as admin on the working database."""
    client = odoorpc.ODOO("127.0.0.1", port=odoo_stack.settings.odoo_port, protocol="jsonrpc", timeout=120)
    client.login(DATABASE, ADMIN_LOGIN, ADMIN_PASSWORD)
    return client


def call(odoo: Any, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """``execute_kw`` with positional arguments and keyword arguments, as Odoo's external API takes them."""
    return odoo.execute_kw(model, method, list(args), kwargs)


def _warehouse_ids(odoo: Any) -> dict[str, int]:
    rows = call(odoo, "stock.warehouse", "search_read", [], fields=["name"])
    return {row["name"]: row["id"] for row in rows}


def _on_hand(odoo: Any, warehouse_id: int) -> dict[str, float]:
    rows = call(
        odoo,
        "product.product",
        "search_read",
        [("default_code", "in", SKUS)],
        fields=["default_code", "qty_available"],
        context={"warehouse": warehouse_id},
    )
    return {row["default_code"]: row["qty_available"] for row in rows}


def _confirmed_order(odoo: Any, sku: str, quantity: float) -> tuple[int, int]:
    """A confirmed sale order for the seeded customer; returns (order id, its delivery's id)."""
    customer = call(odoo, "res.partner", "search", [("ref", "=", "CUST-0001")])
    product = call(odoo, "product.product", "search", [("default_code", "=", sku)])
    order = call(
        odoo,
        "sale.order",
        "create",
        {
            "partner_id": customer[0],
            "order_line": [(0, 0, {"product_id": product[0], "product_uom_qty": quantity})],
        },
    )
    call(odoo, "sale.order", "action_confirm", [order])
    [read] = call(odoo, "sale.order", "read", [order], fields=["state", "picking_ids"])
    assert read["state"] == "sale"
    assert len(read["picking_ids"]) == 1
    return order, read["picking_ids"][0]


def test_version_info_says_11(odoo_stack: OdooStack) -> None:
    response = httpx.post(
        f"http://127.0.0.1:{odoo_stack.settings.odoo_port}/web/webclient/version_info",
        json={"jsonrpc": "2.0", "method": "call", "params": {}},
        timeout=30,
    )
    response.raise_for_status()
    result = response.json()["result"]
    assert result["server_serie"] == "11.0"
    assert result["server_version_info"][:2] == [11, 0]


def test_stack_status_shows_odoo11(odoo_stack: OdooStack) -> None:
    status = supplystream_cli("stack", "status", "--with-odoo", env=odoo_stack.env)
    assert status.returncode == 0, status.stdout
    [row] = [line for line in status.stdout.splitlines() if "odoo11" in line]
    assert "running" in row
    assert "11.0" in row
    assert f"127.0.0.1:{odoo_stack.settings.odoo_port}" in row


def test_seeded_warehouses_products_customer_and_carrier(odoo: Any) -> None:
    assert odoo.version == "11.0"
    warehouses = call(
        odoo,
        "stock.warehouse",
        "search_read",
        [("name", "in", ["WH-EAST", "WH-WEST"])],
        fields=["name", "code"],
    )
    # stock.warehouse.code is at most 5 characters in Odoo 11: the WH- form is the name.
    assert {(w["name"], w["code"]) for w in warehouses} == {("WH-EAST", "EAST"), ("WH-WEST", "WEST")}
    assert call(odoo, "stock.warehouse", "search_count", []) == 2

    products = call(
        odoo,
        "product.product",
        "search_read",
        [("default_code", "in", SKUS)],
        fields=["default_code", "type", "name", "list_price"],
    )
    assert sorted(p["default_code"] for p in products) == SKUS
    assert {p["type"] for p in products} == {"product"}  # storable
    [sku_1001] = [p for p in products if p["default_code"] == "SKU-1001"]
    assert sku_1001["name"] == "Steel shelf bracket"

    # No test ships from WH-WEST: its opening stock is still the template's.
    assert _on_hand(odoo, _warehouse_ids(odoo)["WH-WEST"]) == dict.fromkeys(SKUS, 40.0)

    assert (
        call(odoo, "res.partner", "search_count", [("ref", "=", "CUST-0001"), ("customer", "=", True)]) == 1
    )
    [carrier] = call(
        odoo,
        "delivery.carrier",
        "search_read",
        [("name", "=", "SupplyStream Ground")],
        fields=["delivery_type", "fixed_price"],
    )
    assert carrier["delivery_type"] == "fixed"
    assert carrier["fixed_price"] == 9.5


def test_sale_order_confirms_into_a_delivery_validated_with_qty_done(odoo: Any) -> None:
    east = _warehouse_ids(odoo)["WH-EAST"]
    before = _on_hand(odoo, east)["SKU-1001"]

    order, picking = _confirmed_order(odoo, "SKU-1001", 3)

    [delivery] = call(
        odoo,
        "stock.picking",
        "read",
        [picking],
        fields=["state", "picking_type_code", "origin", "name", "move_line_ids"],
    )
    [order_name] = [row["name"] for row in call(odoo, "sale.order", "read", [order], fields=["name"])]
    assert delivery["picking_type_code"] == "outgoing"
    assert delivery["state"] == "assigned"  # stock was there: reserved at confirmation
    assert delivery["origin"] == order_name
    assert delivery["name"].startswith("EAST/OUT/")

    lines = call(odoo, "stock.move.line", "read", delivery["move_line_ids"], fields=["product_uom_qty"])
    assert [line["product_uom_qty"] for line in lines] == [3.0]
    call(odoo, "stock.move.line", "write", delivery["move_line_ids"], {"qty_done": 3.0})
    # With qty_done set, Odoo 11 validates directly (no wizard) and returns nothing.
    assert call(odoo, "stock.picking", "button_validate", [picking]) is None

    [done] = call(odoo, "stock.picking", "read", [picking], fields=["state"])
    assert done["state"] == "done"
    assert _on_hand(odoo, east)["SKU-1001"] == before - 3


def test_validate_without_qty_done_returns_the_immediate_transfer_wizard(odoo: Any) -> None:
    _order, picking = _confirmed_order(odoo, "SKU-1002", 2)

    action = call(odoo, "stock.picking", "button_validate", [picking])

    assert action["res_model"] == "stock.immediate.transfer"
    [still] = call(odoo, "stock.picking", "read", [picking], fields=["state"])
    assert still["state"] == "assigned"
    # Processing the wizard is what the "Apply" button does: every reserved quantity is done.
    call(odoo, "stock.immediate.transfer", "process", [action["res_id"]])
    [done] = call(odoo, "stock.picking", "read", [picking], fields=["state"])
    assert done["state"] == "done"


def test_reset_database_brings_back_the_template(odoo_stack: OdooStack, odoo: Any) -> None:
    probe = f"reset-probe-{uuid.uuid4().hex[:8]}"
    call(odoo, "res.partner", "create", {"name": probe})

    started = time.monotonic()
    clone_s = odoo_stack.component.reset_database(lambda _line: None)
    reset_s = time.monotonic() - started

    assert clone_s < 10, f"cloning took {clone_s:.2f}s"
    assert reset_s < 60, f"reset (stop, clone, start) took {reset_s:.1f}s"
    fresh = odoorpc.ODOO("127.0.0.1", port=odoo_stack.settings.odoo_port, protocol="jsonrpc", timeout=120)
    fresh.login(DATABASE, ADMIN_LOGIN, ADMIN_PASSWORD)
    assert call(fresh, "res.partner", "search_count", [("name", "=", probe)]) == 0
    assert call(fresh, "sale.order", "search_count", []) == 0
