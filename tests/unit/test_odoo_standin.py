"""The Odoo 17 stand-in, driven only through ``odoorpc`` as the platform drives a real Odoo."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import odoorpc
import pytest

DB = "odoo"


@dataclass
class Standin:
    process: subprocess.Popen[str]
    port: int
    data: Path

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def faults(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/supplystream/faults"
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local test server
            result: dict[str, Any] = json.loads(response.read())
            return result

    def connect(self, password: str = "admin", timeout: float = 30.0) -> odoorpc.ODOO:  # noqa: S107 - demo
        odoo = odoorpc.ODOO("127.0.0.1", port=self.port, protocol="jsonrpc", timeout=timeout)
        odoo.login(DB, "admin", password)
        return odoo


def start(data: Path, *, seed: bool = True) -> Standin:
    command = [sys.executable, "-m", "supplystream_devkit.odoo_standin", "--port", "0", "--data", str(data)]
    if seed:
        command.append("--seed")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on"):
        process.kill()
        pytest.fail(f"stand-in did not start: {line!r}")
    return Standin(process, int(line.rsplit(":", 1)[1]), data)


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[Standin]:
    server = start(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def odoo(standin: Standin) -> odoorpc.ODOO:
    return standin.connect()


def product_id(odoo: odoorpc.ODOO, sku: str) -> int:
    ids: list[int] = odoo.env["product.product"].search([("default_code", "=", sku)])
    return ids[0]


def stock_location(odoo: odoorpc.ODOO, code: str) -> int:
    warehouse = odoo.env["stock.warehouse"].search_read([("code", "=", code)], ["lot_stock_id"])[0]
    return int(warehouse["lot_stock_id"][0])


def set_stock(odoo: odoorpc.ODOO, sku: str, code: str, quantity: float) -> int:
    quant_id: int = odoo.env["stock.quant"].create(
        {
            "product_id": product_id(odoo, sku),
            "location_id": stock_location(odoo, code),
            "inventory_quantity": quantity,
        }
    )
    odoo.execute_kw("stock.quant", "action_apply_inventory", [[quant_id]])
    return quant_id


def rpc_error_name(exc: pytest.ExceptionInfo[odoorpc.error.RPCError]) -> str:
    return str(exc.value.info["data"]["name"])


def test_version_and_login(standin: Standin) -> None:
    odoo = standin.connect()
    assert odoo.version == "17.0"
    assert odoo.env.uid == 2
    assert odoo.env.user.login == "admin"
    assert odoo.env.context["uid"] == 2
    info = odoo.json("/web/webclient/version_info", {})["result"]
    assert info["server_version_info"] == [17, 0, 0, "final", 0, ""]
    assert info["server_serie"] == "17.0"
    assert info["protocol_version"] == 1


def test_api_key_and_bad_password(standin: Standin) -> None:
    assert standin.connect(password="supplystream-test-key").env.uid == 2  # noqa: S106 - seeded demo key
    odoo = odoorpc.ODOO("127.0.0.1", port=standin.port, protocol="jsonrpc")
    # common.login answers false for a bad password; odoorpc turns that into its own RPCError
    assert (
        odoo.json("/jsonrpc", {"service": "common", "method": "login", "args": [DB, "admin", "nope"]}).get(
            "result"
        )
        is False
    )
    with pytest.raises(odoorpc.error.RPCError, match="Wrong login ID or password"):
        odoo.login(DB, "admin", "nope")
    # object calls with bad credentials raise AccessDenied
    with pytest.raises(odoorpc.error.RPCError) as exc:
        odoo.json(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [DB, 2, "nope", "res.partner", "search", [[]]],
            },
        )
    assert rpc_error_name(exc) == "odoo.exceptions.AccessDenied"
    assert exc.value.info["code"] == 200
    assert exc.value.info["message"] == "Odoo Server Error"


def test_session_authenticate_and_call_kw(standin: Standin) -> None:
    odoo = odoorpc.ODOO("127.0.0.1", port=standin.port, protocol="jsonrpc")
    info = odoo.json("/web/session/authenticate", {"db": DB, "login": "admin", "password": "admin"})["result"]
    assert info["uid"] == 2
    result = odoo.json(
        "/web/dataset/call_kw",
        {"model": "stock.warehouse", "method": "search_read", "args": [[]], "kwargs": {"fields": ["code"]}},
    )["result"]
    assert [w["code"] for w in result] == ["EAST", "WEST"]
    odoo.json("/web/session/destroy", {})
    with pytest.raises(odoorpc.error.RPCError) as exc:
        odoo.json(
            "/web/dataset/call_kw", {"model": "res.partner", "method": "search", "args": [[]], "kwargs": {}}
        )
    assert exc.value.info["code"] == 100


def test_search_read_with_or_and_not(odoo: odoorpc.ODOO) -> None:
    products = odoo.env["product.product"]
    domain = [
        "|",
        ("default_code", "=", "SKU-1001"),
        "!",
        ("default_code", "in", ["SKU-1001", "SKU-1002", "SKU-1003"]),
    ]
    rows = products.search_read(domain, ["default_code", "uom_id", "type"], order="default_code desc")
    assert [r["default_code"] for r in rows] == ["SKU-KG-1", "SKU-DZ-1", "SKU-1005", "SKU-1004", "SKU-1001"]
    assert rows[0]["uom_id"][1] == "kg"
    rows = rows[2:]  # the products in other units than Units (seed.UNIT_PRODUCTS) come first
    assert all(set(r) == {"id", "default_code", "uom_id", "type"} for r in rows)
    assert rows[0]["uom_id"][1] == "Units"
    assert rows[0]["type"] == "product"
    assert products.search_count([("default_code", "ilike", "sku-100")]) == 5
    assert products.search([], offset=1, limit=2, order="default_code") == [2, 3]
    picking_types = odoo.env["stock.picking.type"].search_read(
        [("warehouse_id.code", "=", "WEST"), ("code", "=", "outgoing")], ["name", "warehouse_id"]
    )
    assert len(picking_types) == 1
    assert picking_types[0]["warehouse_id"][1] == "WH-WEST"
    assert odoo.env["product.product"].name_search("Scanner") == [[5, "[SKU-1005] Barcode Scanner"]]


def test_create_single_and_list_and_write_date(odoo: odoorpc.ODOO) -> None:
    partners = odoo.env["res.partner"]
    single = partners.create({"name": "Initech"})
    assert isinstance(single, int)
    several = odoo.execute_kw("res.partner", "create", [[{"name": "Umbrella"}, {"name": "Hooli"}]])
    assert isinstance(several, list)
    assert len(several) == 2
    before = partners.read([single], ["write_date", "create_date"])[0]
    assert before["write_date"] == before["create_date"]
    latest = max(row["write_date"] for row in partners.read(several, ["write_date"]))
    assert latest >= before["write_date"]  # like Odoo: to the second, several calls may share one
    time.sleep(1.05)
    partners.write([single], {"email": "it@initech.example"})
    after = partners.read([single], ["write_date", "email"])[0]
    assert after["email"] == "it@initech.example"
    assert after["write_date"] > before["write_date"]
    assert len(after["write_date"]) == len("2024-01-01 00:00:00")
    changed = partners.search([("write_date", ">", latest)])
    assert changed == [single]


def test_custom_atp_model(odoo: odoorpc.ODOO) -> None:
    assert "x_supplystream_atp" in odoo.env
    atp = odoo.env["x_supplystream_atp"]
    assert odoo.execute_kw("x_supplystream_atp", "fields_get", [["x_version"]], {"attributes": ["type"]}) == {
        "x_version": {"type": "char"}
    }
    record_id = atp.create(
        {
            "x_name": "SKU-1001@WH-EAST",
            "x_sku": "SKU-1001",
            "x_warehouse_code": "WH-EAST",
            "x_on_hand": 10,
            "x_reserved": 4,
            "x_atp": 6,
            "x_version": "0001712345678901234",
            "x_event_id": "evt-1",
        }
    )
    atp.write([record_id], {"x_atp": 5, "x_version": "0001712345678901235"})
    rows = atp.search_read([("x_sku", "=", "SKU-1001")], ["x_atp", "x_version", "display_name"])
    assert rows == [
        {
            "id": record_id,
            "x_atp": 5.0,
            "x_version": "0001712345678901235",
            "display_name": "SKU-1001@WH-EAST",
        }
    ]
    # Char stores text, as Odoo's does (pycompat.to_text): an int written there reads back as text.
    atp.write([record_id], {"x_version": 7})
    assert atp.read([record_id], ["x_version"])[0]["x_version"] == "7"


def test_integer_fields_hold_what_postgresql_int4_holds(odoo: odoorpc.ODOO) -> None:
    """Integer and many2one columns are int4: beyond it Odoo 11 and 17 answer PostgreSQL's error."""
    partner = odoo.execute_kw("res.partner", "create", [{"name": "int4", "color": 2**31 - 1}])
    odoo.execute_kw("res.partner", "write", [[partner], {"color": -(2**31)}])
    assert odoo.execute_kw("res.partner", "read", [[partner], ["color"]])[0]["color"] == -(2**31)
    odoo.execute_kw("res.partner", "write", [[partner], {"color": 3.7}])  # int(3.7), as Odoo
    assert odoo.execute_kw("res.partner", "read", [[partner], ["color"]])[0]["color"] == 3
    attempts = [
        ("create", [{"name": "too big", "color": 2**31}]),
        ("create", [{"name": "too small", "color": -(2**31) - 1}]),
        ("write", [[partner], {"color": 1_712_345_678_901_234}]),
        ("write", [[partner], {"company_id": 3_000_000_000}]),
    ]
    for method, args in attempts:
        with pytest.raises(odoorpc.error.RPCError) as refused:
            odoo.execute_kw("res.partner", method, args)
        error = refused.value.info
        assert (error["code"], error["message"]) == (200, "Odoo Server Error")
        assert error["data"]["name"] == "psycopg2.errors.NumericValueOutOfRange"
        assert error["data"]["message"] == "integer out of range\n"
    assert odoo.execute_kw("res.partner", "search", [[("name", "in", ["too big", "too small"])]]) == []
    with pytest.raises(odoorpc.error.RPCError) as text:
        odoo.execute_kw("res.partner", "write", [[partner], {"color": "abc"}])
    assert rpc_error_name(text) == "builtins.ValueError"
    assert text.value.info["data"]["message"] == "invalid literal for int() with base 10: 'abc'"


def test_errors(odoo: odoorpc.ODOO) -> None:
    with pytest.raises(odoorpc.error.RPCError) as missing:
        odoo.execute_kw("res.partner", "write", [[999999], {"name": "ghost"}])
    assert rpc_error_name(missing) == "odoo.exceptions.MissingError"
    with pytest.raises(odoorpc.error.RPCError) as action_on_missing:
        odoo.execute_kw("stock.picking", "button_validate", [[999999]])
    assert rpc_error_name(action_on_missing) == "odoo.exceptions.MissingError"
    # read() drops missing ids silently, as Odoo 17's _read_format does
    assert odoo.execute_kw("res.partner", "read", [[999999]], {"fields": ["name"]}) == []
    with pytest.raises(odoorpc.error.RPCError) as unknown_model:
        odoo.execute_kw("no.such.model", "search", [[]])
    assert rpc_error_name(unknown_model) == "odoo.exceptions.UserError"
    assert unknown_model.value.info["data"]["message"] == "Object no.such.model doesn't exist"
    with pytest.raises(odoorpc.error.RPCError) as unknown_method:
        odoo.execute_kw("res.partner", "frobnicate", [[]])
    assert rpc_error_name(unknown_method) == "builtins.AttributeError"
    with pytest.raises(odoorpc.error.RPCError) as private:
        odoo.execute_kw("res.partner", "_compute_display_name", [[]])
    assert rpc_error_name(private) == "odoo.exceptions.AccessError"
    with pytest.raises(odoorpc.error.RPCError) as required:
        odoo.execute_kw("stock.warehouse", "create", [{"name": "No code"}])
    assert rpc_error_name(required) == "odoo.exceptions.ValidationError"
    with pytest.raises(odoorpc.error.RPCError) as bad_field:
        odoo.execute_kw("res.partner", "search_read", [[("nope", "=", 1)]])
    assert rpc_error_name(bad_field) == "builtins.ValueError"


def test_sale_order_confirm_creates_assigned_picking_and_validate_updates_quants(odoo: odoorpc.ODOO) -> None:
    set_stock(odoo, "SKU-1002", "EAST", 10)
    sku = product_id(odoo, "SKU-1002")
    assert odoo.env["product.product"].read([sku], ["qty_available"])[0]["qty_available"] == 10.0
    customer = odoo.env["res.partner"].search([("name", "=", "Acme Distribution")])[0]
    order_id = odoo.env["sale.order"].create(
        {"partner_id": customer, "order_line": [(0, 0, {"product_id": sku, "product_uom_qty": 4})]}
    )
    order = odoo.env["sale.order"].read([order_id], ["name", "state"])[0]
    assert order == {"id": order_id, "name": "S00001", "state": "draft"}
    odoo.execute_kw("sale.order", "action_confirm", [[order_id]])
    pickings = odoo.env["stock.picking"].search_read(
        [("sale_id", "=", order_id)], ["name", "state", "origin", "picking_type_code", "move_ids"]
    )
    assert len(pickings) == 1
    picking = pickings[0]
    assert picking["name"] == "EAST/OUT/00001"
    assert picking["state"] == "assigned"
    assert picking["origin"] == "S00001"
    assert picking["picking_type_code"] == "outgoing"
    free = odoo.env["product.product"].read([sku], ["free_qty", "virtual_available"])[0]
    assert free["free_qty"] == 6.0
    assert free["virtual_available"] == 6.0

    carrier = odoo.env["delivery.carrier"].search([])[0]
    odoo.env["stock.picking"].write([picking["id"]], {"carrier_id": carrier, "carrier_tracking_ref": "1Z999"})
    assert odoo.execute_kw("stock.picking", "button_validate", [[picking["id"]]]) is True
    done = odoo.env["stock.picking"].read([picking["id"]], ["state", "date_done", "carrier_tracking_ref"])[0]
    assert done["state"] == "done"
    assert done["date_done"]
    assert done["carrier_tracking_ref"] == "1Z999"
    moves = odoo.env["stock.move"].search_read(
        [("picking_id", "=", picking["id"])], ["state", "quantity", "picked", "reference"]
    )
    assert moves == [
        {
            "id": moves[0]["id"],
            "state": "done",
            "quantity": 4.0,
            "picked": True,
            "reference": "EAST/OUT/00001",
        }
    ]
    east = odoo.env["product.product"].with_context(warehouse="EAST").read([sku], ["qty_available"])[0]
    west = odoo.env["product.product"].with_context(warehouse_id=2).read([sku], ["qty_available"])[0]
    assert east["qty_available"] == 6.0
    assert west["qty_available"] == 0.0
    line = odoo.env["sale.order.line"].search_read([("order_id", "=", order_id)], ["qty_delivered"])[0]
    assert line["qty_delivered"] == 4.0
    quant = odoo.env["stock.quant"].search_read(
        [("product_id", "=", sku), ("location_id.usage", "=", "internal")], ["quantity", "reserved_quantity"]
    )
    assert quant[0]["quantity"] == 6.0
    assert quant[0]["reserved_quantity"] == 0.0


def test_unavailable_stock_and_partial_validation_backorder(odoo: odoorpc.ODOO) -> None:
    sku = product_id(odoo, "SKU-1003")
    customer = odoo.env["res.partner"].search([("name", "=", "Globex Retail")])[0]
    order_id = odoo.env["sale.order"].create(
        {"partner_id": customer, "order_line": [(0, 0, {"product_id": sku, "product_uom_qty": 5})]}
    )
    odoo.execute_kw("sale.order", "action_confirm", [[order_id]])
    picking = odoo.env["stock.picking"].search_read([("sale_id", "=", order_id)], ["state", "move_ids"])[0]
    assert picking["state"] == "confirmed"
    with pytest.raises(odoorpc.error.RPCError) as nothing:
        odoo.execute_kw("stock.picking", "button_validate", [[picking["id"]]])
    assert rpc_error_name(nothing) == "odoo.exceptions.UserError"

    set_stock(odoo, "SKU-1003", "EAST", 3)  # an inventory adjustment reserves nothing by itself
    odoo.execute_kw("stock.picking", "action_assign", [[picking["id"]]])
    move = odoo.env["stock.move"].read(picking["move_ids"], ["state", "quantity"])[0]
    assert move["state"] == "partially_available"
    assert move["quantity"] == 3.0
    wizard = odoo.execute_kw("stock.picking", "button_validate", [[picking["id"]]])
    assert wizard["type"] == "ir.actions.act_window"
    assert wizard["res_model"] == "stock.backorder.confirmation"
    assert wizard["context"]["default_pick_ids"] == [[4, picking["id"]]]
    result = odoo.execute_kw(
        "stock.picking", "button_validate", [[picking["id"]]], {"context": {"skip_backorder": True}}
    )
    assert result is True
    pickings = odoo.env["stock.picking"].search_read(
        [("sale_id", "=", order_id)], ["state", "backorder_id", "name"], order="id"
    )
    assert [p["state"] for p in pickings] == ["done", "confirmed"]
    assert pickings[1]["backorder_id"][0] == picking["id"]
    assert pickings[1]["name"] == "EAST/OUT/00002"
    # Odoo 16+: a confirmed order answers the cancel wizard unless the caller disables the warning.
    wizard = odoo.execute_kw("sale.order", "action_cancel", [[order_id]])
    assert (wizard["res_model"], wizard["context"]["default_order_id"]) == ("sale.order.cancel", order_id)
    assert odoo.env["sale.order"].read([order_id], ["state"])[0]["state"] == "sale"
    cancelled = odoo.execute_kw(
        "sale.order", "action_cancel", [[order_id]], {"context": {"disable_cancel_warning": True}}
    )
    assert cancelled is True
    states = odoo.env["stock.picking"].search_read([("sale_id", "=", order_id)], ["state"], order="id")
    assert [p["state"] for p in states] == ["done", "cancel"], "a done delivery stays done"
    assert odoo.env["sale.order"].read([order_id], ["state"])[0]["state"] == "cancel"
    quant = odoo.env["stock.quant"].search_read(
        [("product_id", "=", sku), ("location_id.usage", "=", "internal")], ["reserved_quantity"]
    )
    assert quant[0]["reserved_quantity"] == 0.0, "the cancelled delivery's reservation is released"


def test_a_line_with_a_route_ships_from_the_routes_warehouse(odoo: odoorpc.ODOO) -> None:
    """sale_stock: a line's route (a rule pulling from WEST's stock to the customers) makes its own
    delivery, from WEST, whatever the order's warehouse; the line's warehouse follows the route."""
    west = odoo.env["stock.warehouse"].search_read([("code", "=", "WEST")], ["lot_stock_id", "out_type_id"])[
        0
    ]
    east = odoo.env["stock.warehouse"].search([("code", "=", "EAST")])[0]
    customers = odoo.env["stock.location"].search([("usage", "=", "customer")])[0]
    rule = {
        "name": "from WEST",
        "action": "pull",
        "location_dest_id": customers,
        "location_src_id": west["lot_stock_id"][0],
        "picking_type_id": west["out_type_id"][0],
    }
    route = odoo.env["stock.route"].create(
        {"name": "Ship from WEST", "sale_selectable": True, "rule_ids": [(0, 0, rule)]}
    )
    assert odoo.env["stock.rule"].search_read(
        [("route_id", "=", route)], ["route_sequence", "procure_method"]
    ) == [
        {
            "id": odoo.env["stock.rule"].search([("route_id", "=", route)])[0],
            "route_sequence": 0,
            "procure_method": "make_to_stock",
        }
    ]
    partner = odoo.env["res.partner"].search([], limit=1)[0]
    lines = [
        (0, 0, {"product_id": product_id(odoo, "SKU-1001"), "product_uom_qty": 3}),
        (0, 0, {"product_id": product_id(odoo, "SKU-1002"), "product_uom_qty": 2, "route_id": route}),
    ]
    order = odoo.env["sale.order"].create({"partner_id": partner, "warehouse_id": east, "order_line": lines})
    by_line = odoo.env["sale.order.line"].search_read(
        [("order_id", "=", order)], ["warehouse_id"], order="id"
    )
    assert [line["warehouse_id"][0] for line in by_line] == [east, west["id"]]
    odoo.execute_kw("sale.order", "action_confirm", [[order]])
    pickings = odoo.env["stock.picking"].search_read(
        [("sale_id", "=", order)], ["name", "location_id", "picking_type_id", "move_ids"], order="id"
    )
    assert [p["name"].split("/")[0] for p in pickings] == ["EAST", "WEST"]
    assert pickings[1]["location_id"][0] == west["lot_stock_id"][0]
    assert pickings[1]["picking_type_id"][0] == west["out_type_id"][0]
    moves = odoo.env["stock.move"].read(
        pickings[1]["move_ids"], ["product_id", "product_uom_qty", "location_id"]
    )
    assert [(m["product_id"][0], m["product_uom_qty"], m["location_id"][0]) for m in moves] == [
        (product_id(odoo, "SKU-1002"), 2.0, west["lot_stock_id"][0])
    ]
    # A rule without a source location cannot procure: the confirmation fails, nothing is kept.
    odoo.env["stock.rule"].write(
        odoo.env["stock.rule"].search([("route_id", "=", route)]), {"location_src_id": False}
    )
    again = odoo.env["sale.order"].create({"partner_id": partner, "order_line": lines[1:]})
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.execute_kw("sale.order", "action_confirm", [[again]])
    assert "No source location defined on stock rule: from WEST!" in str(refused.value)
    assert odoo.env["sale.order"].read([again], ["state"])[0]["state"] == "draft"


def test_message_post_logs_a_note_on_the_order(odoo: odoorpc.ODOO) -> None:
    partner = odoo.env["res.partner"].search([], limit=1)[0]
    first, second = (odoo.env["sale.order"].create({"partner_id": partner}) for _ in range(2))
    message = odoo.execute_kw("sale.order", "message_post", [[first]], {"body": "Cancelled: 2 < 3 & done"})
    [stored] = odoo.env["mail.message"].search_read(
        [("model", "=", "sale.order"), ("res_id", "=", first), ("body", "ilike", "Cancelled: 2")],
        ["body", "message_type", "author_id", "record_name"],
    )
    assert stored["id"] == message
    assert stored["body"] == "<p>Cancelled: 2 &lt; 3 &amp; done</p>", (
        "plain text is escaped, as Odoo's Html does"
    )
    assert stored["message_type"] == "notification"
    assert stored["author_id"][0] == odoo.env.user.partner_id.id
    with pytest.raises(odoorpc.error.RPCError) as positional:
        odoo.execute_kw("sale.order", "message_post", [[first], "a body"])
    assert rpc_error_name(positional) == "builtins.TypeError", "message_post is keyword-only since Odoo 13"
    with pytest.raises(odoorpc.error.RPCError) as several:
        odoo.execute_kw("sale.order", "message_post", [[first, second]], {"body": "x"})
    assert "Expected singleton" in str(several.value)
    # A draft is cancelled at once, without the wizard.
    assert odoo.execute_kw("sale.order", "action_cancel", [[second]]) is True
    assert odoo.env["sale.order"].read([second], ["state"])[0]["state"] == "cancel"


def test_receipt_validates_without_picking_and_inventory_adjustment(odoo: odoorpc.ODOO) -> None:
    sku = product_id(odoo, "SKU-1004")
    receipt_type = odoo.env["stock.picking.type"].search(
        [("code", "=", "incoming"), ("warehouse_id.code", "=", "WEST")]
    )[0]
    picking_id = odoo.env["stock.picking"].create(
        {"picking_type_id": receipt_type, "move_ids": [(0, 0, {"product_id": sku, "product_uom_qty": 7})]}
    )
    assert odoo.env["stock.picking"].read([picking_id], ["state", "name"])[0] == {
        "id": picking_id,
        "state": "draft",
        "name": "WEST/IN/00001",
    }
    assert odoo.execute_kw("stock.picking", "button_validate", [[picking_id]]) is True
    products = odoo.env["product.product"]
    assert products.with_context(warehouse="WEST").read([sku], ["qty_available"])[0]["qty_available"] == 7.0

    quant_id = set_stock(odoo, "SKU-1004", "WEST", 5)
    quant = odoo.env["stock.quant"].read([quant_id], ["quantity", "inventory_quantity_set", "location_id"])[0]
    assert quant["quantity"] == 5.0
    assert quant["inventory_quantity_set"] is False
    adjustments = odoo.env["stock.move"].search_read(
        [("is_inventory", "=", True), ("product_id", "=", sku)],
        ["state", "quantity", "location_dest_id", "name"],
    )
    assert len(adjustments) == 1
    assert adjustments[0]["state"] == "done"
    assert adjustments[0]["quantity"] == 2.0
    assert adjustments[0]["name"] == "Product Quantity Updated"
    assert adjustments[0]["location_dest_id"][1] == "Virtual Locations/Inventory adjustment"
    assert products.read([sku], ["qty_available"])[0]["qty_available"] == 5.0
    with pytest.raises(odoorpc.error.RPCError) as restricted:
        odoo.env["stock.quant"].write([quant_id], {"product_id": 1})
    assert rpc_error_name(restricted) == "odoo.exceptions.UserError"


def test_restart_keeps_data(tmp_path: Path) -> None:
    server = start(tmp_path)
    try:
        odoo = server.connect()
        partner = odoo.env["res.partner"].create({"name": "Persistent Co"})
        set_stock(odoo, "SKU-1005", "EAST", 12)
        stamp = odoo.env["res.partner"].read([partner], ["write_date"])[0]["write_date"]
    finally:
        server.stop()
    server = start(tmp_path, seed=False)
    try:
        odoo = server.connect()
        assert odoo.env["res.partner"].read([partner], ["name"])[0]["name"] == "Persistent Co"
        assert odoo.env["product.product"].read([5], ["qty_available"])[0]["qty_available"] == 12.0
        later = odoo.env["res.partner"].create({"name": "After restart"})
        assert (
            odoo.env["res.partner"].read([later], ["write_date"])[0]["write_date"] >= stamp
        )  # never backwards
        assert later > partner
    finally:
        server.stop()


def test_fault_down(standin: Standin, odoo: odoorpc.ODOO) -> None:
    assert standin.faults({"mode": "down"})["mode"] == "down"
    with pytest.raises(urllib.error.HTTPError) as exc:
        odoo.env["res.partner"].search([])
    assert exc.value.code == 503
    exc.value.close()
    assert standin.faults()["mode"] == "down"
    standin.faults({"mode": "ok"})
    assert odoo.env["res.partner"].search([("name", "=", "Acme Distribution")])


def test_fault_slow(standin: Standin) -> None:
    odoo = standin.connect(timeout=0.5)
    standin.faults({"mode": "slow", "delay_s": 1.5})
    with pytest.raises(OSError, match="timed out"):
        odoo.env["res.partner"].search([])
    standin.faults({"mode": "ok"})
    started = time.monotonic()
    odoo.env["res.partner"].search([])
    assert time.monotonic() - started < 0.5


def test_fault_error_count_and_serialization_failure(standin: Standin, odoo: odoorpc.ODOO) -> None:
    standin.faults({"mode": "error", "error_name": "odoo.exceptions.ValidationError", "count": 2})
    for _ in range(2):
        with pytest.raises(odoorpc.error.RPCError) as exc:
            odoo.env["res.partner"].search([])
        assert rpc_error_name(exc) == "odoo.exceptions.ValidationError"
    assert odoo.env["res.partner"].search([("name", "=", "Acme Distribution")])
    assert standin.faults()["mode"] == "ok"

    standin.faults({"mode": "error", "error_name": "psycopg2.errors.SerializationFailure", "count": 1})
    with pytest.raises(odoorpc.error.RPCError) as conflict:
        odoo.execute_kw("res.partner", "create", [{"name": "never created"}])
    assert rpc_error_name(conflict) == "psycopg2.errors.SerializationFailure"
    assert conflict.value.info["data"]["message"] == "could not serialize access due to concurrent update\n"
    assert odoo.env["res.partner"].search([("name", "=", "never created")]) == []


def test_a_created_warehouse_gets_its_locations_and_picking_types(odoo: odoorpc.ODOO) -> None:
    warehouse_id = odoo.env["stock.warehouse"].create({"name": "WH-CENTRAL", "code": "CENTR"})
    warehouse = odoo.env["stock.warehouse"].read(
        [warehouse_id], ["lot_stock_id", "view_location_id", "out_type_id", "partner_id", "company_id"]
    )[0]
    assert warehouse["lot_stock_id"][1] == "CENTR/Stock"
    assert warehouse["view_location_id"][1] == "CENTR"  # a view location is named alone, as in Odoo
    assert warehouse["partner_id"][1] == "SupplyStream Demo Co"
    assert warehouse["company_id"][1] == "SupplyStream Demo Co"
    types = odoo.env["stock.picking.type"].search_read(
        [("warehouse_id", "=", warehouse_id)],
        ["code", "sequence_code", "default_location_src_id", "default_location_dest_id"],
    )
    routes = {
        t["code"]: (t["sequence_code"], t["default_location_src_id"][1], t["default_location_dest_id"][1])
        for t in types
    }
    assert routes == {
        "incoming": ("IN", "Partners/Vendors", "CENTR/Stock"),
        "outgoing": ("OUT", "CENTR/Stock", "Partners/Customers"),
        "internal": ("INT", "CENTR/Stock", "CENTR/Stock"),
    }
    # An order from the new warehouse ships from it.
    set_stock(odoo, "SKU-1001", "CENTR", 5)
    customer = odoo.env["res.partner"].search([("name", "=", "Acme Distribution")])[0]
    order_id = odoo.env["sale.order"].create(
        {
            "partner_id": customer,
            "warehouse_id": warehouse_id,
            "order_line": [(0, 0, {"product_id": product_id(odoo, "SKU-1001"), "product_uom_qty": 2})],
        }
    )
    odoo.execute_kw("sale.order", "action_confirm", [[order_id]])
    [picking] = odoo.env["stock.picking"].search_read([("sale_id", "=", order_id)], ["name", "state"])
    assert (picking["name"], picking["state"]) == ("CENTR/OUT/00001", "assigned")
    for duplicate in ({"name": "WH-CENTRAL", "code": "OTHER"}, {"name": "Other", "code": "CENTR"}):
        with pytest.raises(odoorpc.error.RPCError) as refused:
            odoo.env["stock.warehouse"].create(duplicate)
        assert rpc_error_name(refused) == "odoo.exceptions.ValidationError"
