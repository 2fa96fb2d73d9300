"""One contract for the Odoo access layer, run against every Odoo we support.

Subclasses provide the fixture ``odoo`` (an `OdooBackend`): the real Odoo 11 (JSON-RPC), the
stand-in as Odoo 17 (JSON-RPC) and the stand-in as Odoo 19 (JSON-2) run the same tests, and the
version-specific calls are chosen by the client, never by a test. All are seeded alike: warehouses
named WH-EAST and WH-WEST (codes EAST and WEST: Odoo allows five characters), storable products
SKU-1001..SKU-1005, user admin/admin (the stand-in's API key: ``supplystream-test-key``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from supplystream.errors import (
    OdooAuthenticationError,
    OdooDataError,
    OdooError,
    OdooMissingRecordError,
    OdooUnavailableError,
    OdooValidationError,
)
from supplystream.odoo.client import SETTLE_S, OdooClient, Watermark, advanced
from supplystream.odoo.json2 import Json2Transport
from supplystream.odoo.operations import (
    AtpRow,
    confirm_sale_order,
    done_moves_since,
    done_pickings_since,
    ensure_atp_model,
    many2one_id,
    picking_moves_field,
    product_units,
    read_units,
    set_on_hand,
    storable_domain,
    storable_values,
    validate_picking,
    version_of,
    version_text,
    write_atp,
)
from supplystream.odoo.transport import JsonRpcTransport, OdooTransport
from supplystream.units import UnitOfMeasure

SKUS = [f"SKU-{n}" for n in range(1001, 1006)]


@dataclass(frozen=True)
class OdooBackend:
    """A running Odoo to test against, the API to reach it by, and how to kill it and bring it back."""

    url: str
    database: str
    major_version: int
    kill: Callable[[], None]
    restart: Callable[[], None]
    #: ``jsonrpc`` (login admin, password ``secret``) or ``json2`` (API key ``secret``).
    api: str = "jsonrpc"
    secret: str = "admin"  # noqa: S105 - the seeded test user's password

    def transport(self, secret: str | None = None, timeout_s: float = 60) -> OdooTransport:
        """A transport of this backend's API, with its credential or ``secret``."""
        if self.api == "json2":
            return Json2Transport(self.url, self.database, secret or self.secret, timeout_s)
        return JsonRpcTransport(self.url, self.database, "admin", secret or self.secret, timeout_s)

    def client(
        self,
        password: str | None = None,
        wrap: Callable[[OdooTransport], OdooTransport] | None = None,
    ) -> OdooClient:
        """A client for this Odoo (``password``: another credential); ``wrap`` decorates its
        transport (to stage what Odoo is sent)."""

        def connect() -> OdooTransport:
            transport = self.transport(password)
            return wrap(transport) if wrap is not None else transport

        return OdooClient(connect(), reconnect=connect)


@dataclass(frozen=True)
class Seed:
    """Ids of the seeded records, looked up through the client."""

    warehouses: dict[str, int]
    stock_locations: dict[str, int]
    products: dict[str, int]


def seed_of(client: OdooClient) -> Seed:
    warehouses = client.search_read(
        "stock.warehouse", [("name", "in", ["WH-EAST", "WH-WEST"])], ["name", "lot_stock_id"]
    )
    products = client.search_read("product.product", [("default_code", "in", SKUS)], ["default_code"])
    return Seed(
        warehouses={w["name"]: int(w["id"]) for w in warehouses},
        stock_locations={w["name"]: many2one_id(w["lot_stock_id"]) or 0 for w in warehouses},
        products={p["default_code"]: int(p["id"]) for p in products},
    )


def on_hand(client: OdooClient, product_id: int, location_id: int) -> Decimal:
    quants = client.search_read(
        "stock.quant", [("product_id", "=", product_id), ("location_id", "=", location_id)], ["quantity"]
    )
    return sum((Decimal(str(q["quantity"])) for q in quants), Decimal(0))


def new_order(client: OdooClient, seed: Seed, quantity: int, sku: str = "SKU-1001") -> int:
    partner = client.create("res.partner", [{"name": f"Customer {uuid.uuid4().hex[:6]}"}])[0]
    line = {"product_id": seed.products[sku], "product_uom_qty": quantity}
    return client.create(
        "sale.order",
        [{"partner_id": partner, "warehouse_id": seed.warehouses["WH-WEST"], "order_line": [(0, 0, line)]}],
    )[0]


def outgoing_picking(client: OdooClient, order_id: int) -> int:
    pickings = client.search(
        "stock.picking",
        [("origin", "=", order_name(client, order_id)), ("picking_type_code", "=", "outgoing")],
    )
    assert len(pickings) == 1, pickings
    return pickings[0]


def order_name(client: OdooClient, order_id: int) -> str:
    return str(client.read("sale.order", [order_id], ["name"])[0]["name"])


#: Products in other units (seeded on the stand-in, created here where an Odoo lacks them):
#: SKU -> (name, its stock unit's key, a bigger or smaller unit of the same category).
UNIT_SKUS = {
    "SKU-KG-1": ("Basmati rice, loose (weighed)", "kg", "g"),
    "SKU-DZ-1": ("Cable ties", "unit", "dozen"),
}


def unit_named(units: dict[int, UnitOfMeasure], key: str) -> int:
    """The id of the unit whose name is ``key`` loosely (``Unit(s)``/``Units``, ``Dozen(s)``/``Dozens``)."""
    from supplystream.units import unit_key  # noqa: PLC0415 - the sink's own matching

    found = [i for i, u in sorted(units.items()) if unit_key(u.name) == key]
    assert found, f"no unit {key!r} among {[u.name for u in units.values()]}"
    return found[0]


def unit_products(client: OdooClient) -> dict[str, int]:
    """SKU-KG-1 (stocked in kg) and SKU-DZ-1 (in Units), created where missing: their ids by SKU."""
    rows = client.search_read(
        "product.product", [("default_code", "in", sorted(UNIT_SKUS))], ["default_code"]
    )
    found = {str(r["default_code"]): int(r["id"]) for r in rows}
    units = read_units(client)
    for sku, (name, unit, _other) in UNIT_SKUS.items():
        if sku not in found:
            uom = unit_named(units, unit)
            values = {"name": name, "default_code": sku, **storable_values(client.version), "uom_id": uom}
            if "uom_po_id" in client.fields("product.product"):
                values["uom_po_id"] = uom
            found[sku] = client.create("product.product", [values])[0]
    return found


def receive(client: OdooClient, seed: Seed, product: int, unit: int, quantity: Decimal) -> int:
    """A validated receipt into WH-EAST of ``quantity`` of ``product`` in ``unit``: its picking id."""
    types = client.search_read("stock.warehouse", [("id", "=", seed.warehouses["WH-EAST"])], ["in_type_id"])
    vendors = client.search("stock.location", [("usage", "=", "supplier")], limit=1, order="id asc")[0]
    stock = seed.stock_locations["WH-EAST"]
    move = {
        "name": f"receipt {uuid.uuid4().hex[:6]}",
        "product_id": product,
        "product_uom": unit,
        "product_uom_qty": float(quantity),
        "location_id": vendors,
        "location_dest_id": stock,
    }
    picking = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": many2one_id(types[0]["in_type_id"]),
                "location_id": vendors,
                "location_dest_id": stock,
                picking_moves_field(client.version): [(0, 0, move)],
            }
        ],
    )[0]
    client.call("stock.picking", "action_confirm", [picking])
    validate_picking(client, picking, f"RCV-{uuid.uuid4().hex[:6]}")
    return picking


class OdooContract:
    """The behaviour the platform relies on, whatever the Odoo version."""

    @pytest.fixture
    def client(self, odoo: OdooBackend) -> OdooClient:
        client = odoo.client()
        client.login()
        return client

    @pytest.fixture
    def seed(self, client: OdooClient) -> Seed:
        return seed_of(client)

    def test_login_detects_the_version(self, odoo: OdooBackend, client: OdooClient) -> None:
        assert client.uid > 0
        assert client.version == odoo.major_version
        assert client.api == {"jsonrpc": "JSON-RPC", "json2": "JSON-2"}[odoo.api]

    def test_wrong_password_is_an_authentication_error(self, odoo: OdooBackend) -> None:
        with pytest.raises(OdooAuthenticationError, match=r"refused (login 'admin'|the API key)"):
            odoo.client(password="wrong").login()  # noqa: S106

    def test_reads_with_domains_return_exactly_the_fields_asked(self, client: OdooClient, seed: Seed) -> None:
        products = client.search_read(
            "product.product",
            [
                *storable_domain(client.version),
                "|",
                ("default_code", "=", "SKU-1001"),
                ("default_code", "=", "SKU-1002"),
            ],
            ["default_code", "name"],
        )
        assert sorted(p["default_code"] for p in products) == ["SKU-1001", "SKU-1002"]
        assert all(set(p) == {"id", "default_code", "name"} for p in products)
        negated = client.search_read(
            "product.product",
            [("default_code", "in", SKUS), "!", ("default_code", "=", "SKU-1001")],
            ["default_code"],
        )
        assert sorted(p["default_code"] for p in negated) == SKUS[1:]
        assert set(seed.warehouses) == {"WH-EAST", "WH-WEST"}

    def test_many2one_values_are_id_and_name(self, client: OdooClient) -> None:
        warehouse = client.search_read("stock.warehouse", [("name", "=", "WH-EAST")], ["lot_stock_id"])[0]
        location_id, location_name = warehouse["lot_stock_id"]
        assert isinstance(location_id, int)
        assert "Stock" in location_name

    def test_paging_from_a_watermark_skips_nothing_and_repeats_nothing(self, client: OdooClient) -> None:
        tag = uuid.uuid4().hex[:8]
        created = client.create("res.partner", [{"name": f"{tag}-{n}"} for n in range(5)])
        domain = [("name", "like", f"{tag}-")]

        def drain(watermark: Watermark | None) -> tuple[list[int], Watermark | None]:
            """Page through everything settled after ``watermark``, two records at a time."""
            seen: list[int] = []
            while page := client.changed_since("res.partner", domain, ["name"], watermark, limit=2):
                seen.extend(int(r["id"]) for r in page)
                watermark = advanced(watermark, page)
            return seen, watermark

        assert drain(None)[0] == []  # nothing has settled yet: the second may still gain records
        time.sleep(SETTLE_S + 1.1)
        seen, watermark = drain(None)
        assert sorted(seen) == sorted(created)
        assert len(seen) == len(set(seen))
        client.write("res.partner", [created[1]], {"name": f"{tag}-renamed"})
        time.sleep(SETTLE_S + 1.1)
        assert drain(watermark)[0] == [created[1]]

    def test_pages_by_id(self, client: OdooClient) -> None:
        pages = list(
            client.pages("product.product", [("default_code", "in", SKUS)], ["default_code"], page_size=2)
        )
        assert [len(p) for p in pages] == [2, 2, 1]

    def test_missing_records_and_unknown_models_map_to_our_errors(self, client: OdooClient) -> None:
        with pytest.raises(OdooMissingRecordError):
            client.write("res.partner", [987_654_321], {"name": "nobody"})
        with pytest.raises(OdooError):
            client.search_read("x_no_such.model", [], ["name"])

    def test_set_on_hand_is_an_inventory_adjustment(self, client: OdooClient, seed: Seed) -> None:
        product, location = seed.products["SKU-1003"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(42))
        assert on_hand(client, product, location) == 42
        set_on_hand(client, product, location, Decimal(17))
        assert on_hand(client, product, location) == 17
        moves = done_moves_since(client, None, limit=10_000, settle_s=0)
        assert any(many2one_id(m["product_id"]) == product for m in moves)

    def test_confirming_an_order_sets_its_warehouse_and_is_idempotent(
        self, client: OdooClient, seed: Seed
    ) -> None:
        order = new_order(client, seed, 2)
        assert confirm_sale_order(client, order, seed.warehouses["WH-EAST"]) is True
        state = client.read("sale.order", [order], ["state", "warehouse_id"])[0]
        assert state["state"] == "sale"
        assert many2one_id(state["warehouse_id"]) == seed.warehouses["WH-EAST"]
        assert confirm_sale_order(client, order, seed.warehouses["WH-EAST"]) is False
        with pytest.raises(OdooValidationError, match="another warehouse"):
            confirm_sale_order(client, order, seed.warehouses["WH-WEST"])

    def test_validating_a_picking_with_tracking(self, client: OdooClient, seed: Seed) -> None:
        product, location = seed.products["SKU-1002"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(10))
        order = new_order(client, seed, 3, sku="SKU-1002")
        confirm_sale_order(client, order, seed.warehouses["WH-EAST"])
        picking = outgoing_picking(client, order)

        result = validate_picking(client, picking, "TRACK-0001")
        assert result.already_done is False
        assert result.backorder_created is False
        done = client.read("stock.picking", [picking], ["state", picking_moves_field(client.version)])[0]
        assert done["state"] == "done"
        assert on_hand(client, product, location) == 7
        assert validate_picking(client, picking, "TRACK-0001").already_done is True
        with pytest.raises(OdooValidationError, match="already validated with tracking reference"):
            validate_picking(client, picking, "TRACK-9999")
        shipped = done_pickings_since(client, None, "outgoing", limit=10_000, settle_s=0)
        assert picking in [int(p["id"]) for p in shipped]

    def test_partial_shipment_creates_a_backorder(self, client: OdooClient, seed: Seed) -> None:
        product, location = seed.products["SKU-1004"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(10))
        order = new_order(client, seed, 4, sku="SKU-1004")
        confirm_sale_order(client, order, seed.warehouses["WH-EAST"])
        picking = outgoing_picking(client, order)
        result = validate_picking(client, picking, "TRACK-PART", quantities={product: Decimal(1)})
        assert result.backorder_created is True
        assert on_hand(client, product, location) == 9
        backorders = client.search("stock.picking", [("backorder_id", "=", picking)])
        assert len(backorders) == 1

    @pytest.mark.parametrize(
        ("sku", "moved", "expected"),
        [
            ("SKU-KG-1", ("g", Decimal(1500)), Decimal("1.500")),
            ("SKU-KG-1", ("kg", Decimal("0.125")), Decimal("0.125")),
            ("SKU-DZ-1", ("dozen", Decimal(2)), Decimal(24)),
        ],
    )
    def test_a_move_in_another_unit_is_published_in_the_products_unit(
        self, client: OdooClient, seed: Seed, sku: str, moved: tuple[str, Decimal], expected: Decimal
    ) -> None:
        """The Odoo source maps a done move in g (Dozens) of a product stocked in kg (Units) to
        stock.moved in kg (Units), Odoo's own ``product_qty``; quants count in the product's unit."""
        from producers.odoo_source.mapping import map_stock_move, stock_quantity  # noqa: PLC0415
        from producers.odoo_source.source import read_locations  # noqa: PLC0415

        product = unit_products(client)[sku]
        units = read_units(client)
        stock_unit = units[unit_named(units, UNIT_SKUS[sku][1])]
        location = seed.stock_locations["WH-EAST"]
        before = on_hand(client, product, location)
        picking = receive(client, seed, product, unit_named(units, moved[0]), moved[1])
        assert on_hand(client, product, location) == before + expected
        moves = [
            m
            for m in done_moves_since(client, None, limit=100_000, settle_s=0)
            if many2one_id(m["picking_id"]) == picking
        ]
        assert len(moves) == 1
        catalog = product_units(client, [product], units)
        event = map_stock_move(
            moves[0],
            database="contract",
            company="main",
            skus={product: sku},
            locations=read_locations(client),
            units=catalog,
        )
        assert not isinstance(event, str)
        assert (getattr(event, "quantity", None), getattr(event, "uom", None)) == (expected, stock_unit.name)
        assert stock_quantity(moves[0], "quantity_done", catalog) == (expected, stock_unit.name)

    def test_atp_rows_are_upserted_and_older_versions_change_nothing(self, client: OdooClient) -> None:
        ensure_atp_model(client)
        ensure_atp_model(client)  # idempotent
        sku = f"SKU-ATP-{uuid.uuid4().hex[:6]}"
        clock = 1_712_345_678_901_234  # versions are wall-clock microseconds: far beyond int4

        def row(version: int, atp: int) -> AtpRow:
            return AtpRow(sku, "WH-EAST", Decimal(atp + 2), Decimal(2), Decimal(atp), version, f"e{version}")

        def stored() -> list[tuple[float, int]]:
            rows = client.search_read("x_supplystream_atp", [("x_sku", "=", sku)], ["x_atp", "x_version"])
            return [(r["x_atp"], version_of(r["x_version"])) for r in rows]

        assert write_atp(client, [row(clock + 1, 10), row(clock + 3, 30), row(clock + 2, 20)]) == 1
        assert stored() == [(30.0, clock + 3)]
        assert write_atp(client, [row(clock + 2, 99)]) == 0
        assert write_atp(client, [row(clock + 4, 40)]) == 1
        assert stored() == [(40.0, clock + 4)]
        beyond_a_double = 2**53 + 1  # a Float field would store 2**53
        assert write_atp(client, [row(beyond_a_double, 50)]) == 1
        assert write_atp(client, [row(2**53, 60)]) == 0
        assert stored() == [(50.0, beyond_a_double)]

    def test_atp_versions_compare_in_odoo_as_the_numbers_do(self, client: OdooClient) -> None:
        """``x_version`` in a domain and in an order, as Odoo's database evaluates them."""
        ensure_atp_model(client)
        tag = uuid.uuid4().hex[:6]
        versions = [9, 10, 2**31, 1_712_345_678_901_234, 2**53 + 1, 2**62]
        write_atp(
            client,
            [
                AtpRow(f"SKU-V-{tag}-{n}", "WH-EAST", Decimal(1), Decimal(0), Decimal(1), version, f"e{n}")
                for n, version in enumerate(versions)
            ],
        )
        mine = ("x_sku", "=like", f"SKU-V-{tag}-%")

        def found(domain: list[Any], order: str = "x_version asc") -> list[int]:
            rows = client.search_read("x_supplystream_atp", [mine, *domain], ["x_version"], order=order)
            return [version_of(r["x_version"]) for r in rows]

        assert found([]) == versions
        assert found([], order="x_version desc") == versions[::-1]
        assert found([("x_version", ">", version_text(10))]) == versions[2:]
        assert found([("x_version", "<", version_text(2**31))]) == [9, 10]
        assert found([("x_version", "=", version_text(2**53 + 1))]) == [2**53 + 1]

    def test_an_out_of_range_integer_is_a_permanent_data_error(self, client: OdooClient) -> None:
        """Integer fields are PostgreSQL ``int4``: beyond it, Odoo 11 and the stand-in answer the same
        psycopg2 error, which the client raises as the permanent `OdooDataError`; nothing is written."""
        name = f"int4-{uuid.uuid4().hex[:6]}"
        partner = client.create("res.partner", [{"name": name, "color": 2**31 - 1}])[0]
        client.write("res.partner", [partner], {"color": -(2**31)})
        refused: list[OdooDataError] = []
        for attempt in (
            lambda: client.create("res.partner", [{"name": f"{name}-big", "color": 2**31}]),
            lambda: client.create("res.partner", [{"name": f"{name}-small", "color": -(2**31) - 1}]),
            lambda: client.write(
                "res.partner", [partner], {"name": f"{name}-renamed", "color": 1_712_345_678_901_234}
            ),
        ):
            with pytest.raises(OdooDataError) as error:
                attempt()
            refused.append(error.value)
        assert {e.odoo_name for e in refused} == {"psycopg2.errors.NumericValueOutOfRange"}
        assert all("integer out of range" in str(e) for e in refused)
        assert [(e.model, e.method) for e in refused] == [("res.partner", "create")] * 2 + [
            ("res.partner", "write")
        ]
        assert client.search("res.partner", [("name", "like", f"{name}-")]) == []
        assert client.read("res.partner", [partner], ["name", "color"])[0] == {
            "id": partner,
            "name": name,
            "color": -(2**31),
        }

    def test_odoo_killed_mid_batch_is_a_typed_error_and_loses_nothing(
        self, odoo: OdooBackend, client: OdooClient
    ) -> None:
        tag = uuid.uuid4().hex[:8]
        names = [f"outage-{tag}-{n}" for n in range(20)]
        acknowledged: list[int] = []

        def create_all() -> None:
            for n, name in enumerate(names):
                if n == 5:
                    odoo.kill()
                acknowledged.extend(client.create("res.partner", [{"name": name}]))

        with pytest.raises(OdooUnavailableError, match=r"did not answer|answered HTTP 5"):
            create_all()
        assert len(acknowledged) == 5
        odoo.restart()
        # The same client reconnects and logs in again by itself.
        found = client.search_read("res.partner", [("name", "in", names)], ["name"])
        assert {int(r["id"]) for r in found} == set(acknowledged)
        assert client.uid > 0
