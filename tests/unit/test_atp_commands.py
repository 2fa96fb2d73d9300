"""Business events -> ATP commands keyed ``sku|warehouse``, and the commands' JSON form."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.commands import (
    Allocate,
    Command,
    DropHold,
    Expect,
    Keyed,
    Move,
    Origin,
    Release,
    Reserve,
    commands_for,
    decode,
    encode,
    keyed,
    position_key,
    split_key,
)
from supplystream.events import (
    Allocation,
    CancelledLine,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PurchaseReceived,
    ReceivedLine,
    ShipmentConfirmed,
    ShippedLine,
    ShipTo,
    Source,
    StockMoved,
)

AT = dt.datetime(2026, 11, 24, 12, 30, tzinfo=dt.UTC)
WAREHOUSES = ("WH-EAST", "WH-CENTRAL", "WH-WEST")
SOURCE = Source(system="simulator", adapter="simulator")


def envelope(correlation_id: str = "SO-1") -> dict[str, Any]:
    """The fields every event carries (as the simulator fills them)."""
    return {
        "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"test:{correlation_id}"),
        "occurred_at": AT,
        "source": SOURCE,
        "correlation_id": correlation_id,
        "causation_id": None,
        "company": "ACME",
    }


def moved(
    warehouse: str, quantity: str, *, from_warehouse: str | None = None, to_warehouse: str | None = None
) -> StockMoved:
    return StockMoved(
        **envelope(),
        event_type=StockMoved.EVENT_TYPE,
        sku="SKU-1",
        warehouse=warehouse,
        from_location=f"{from_warehouse}/Stock" if from_warehouse else "Partners/Vendors",
        from_warehouse=from_warehouse,
        to_location=f"{to_warehouse}/Stock" if to_warehouse else "Partners/Customers",
        to_warehouse=to_warehouse,
        quantity=Decimal(quantity),
        uom="Units",
        move_kind=MoveKind.INTERNAL_TRANSFER if from_warehouse and to_warehouse else MoveKind.RECEIPT,
    )


def allocated(*lines: tuple[str, str, str, str]) -> OrderAllocated:
    return OrderAllocated(
        **envelope(),
        event_type=OrderAllocated.EVENT_TYPE,
        order_id="SO-1",
        lines=tuple(
            Allocation(line_id=lid, sku=sku, warehouse=wh, quantity=Decimal(q)) for lid, sku, wh, q in lines
        ),
    )


def cancelled(*lines: tuple[str, str, str | None, str]) -> OrderCancelled:
    return OrderCancelled(
        **envelope(),
        event_type=OrderCancelled.EVENT_TYPE,
        order_id="SO-1",
        reason="customer request",
        lines=tuple(
            CancelledLine(line_id=lid, sku=sku, warehouse=wh, quantity=Decimal(q))
            for lid, sku, wh, q in lines
        ),
    )


def shipped(warehouse: str, *lines: tuple[str | None, str, str]) -> ShipmentConfirmed:
    return ShipmentConfirmed(
        **envelope(),
        event_type=ShipmentConfirmed.EVENT_TYPE,
        shipment_id=f"{warehouse}/OUT/000001",
        warehouse=warehouse,
        order_id="SO-1",
        lines=tuple(ShippedLine(line_id=lid, sku=sku, quantity=Decimal(q)) for lid, sku, q in lines),
        carrier="ups",
        tracking_number="1Z999",
        shipped_at=AT,
    )


def received(*lines: tuple[str, str, str, str]) -> PurchaseReceived:
    return PurchaseReceived(
        **envelope("WH-EAST/IN/00001"),
        event_type=PurchaseReceived.EVENT_TYPE,
        receipt_id="WH-EAST/IN/00001",
        purchase_order_id="PO-1",
        supplier="Northwind",
        asn_reference="ASN-000001",
        lines=tuple(
            ReceivedLine(sku=sku, warehouse=wh, expected_quantity=Decimal(e), received_quantity=Decimal(r))
            for sku, wh, e, r in lines
        ),
    )


def commands_of(event: Any) -> list[tuple[str, Command]]:
    return commands_for(event.EVENT_TYPE, event.to_record(), WAREHOUSES)


# -- keys -----------------------------------------------------------------------------------------


def test_position_keys_split_back_even_with_a_bar_in_the_sku() -> None:
    assert position_key("SKU-1", "WH-EAST") == "SKU-1|WH-EAST"
    assert split_key("SKU-1|WH-EAST") == ("SKU-1", "WH-EAST")
    assert split_key(position_key("A|B", "WH-EAST")) == ("A|B", "WH-EAST")


# -- stock.moved ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(moved("WH-EAST", "5", to_warehouse="WH-EAST"), Decimal(5), id="receipt-in"),
        pytest.param(moved("WH-EAST", "2.5", from_warehouse="WH-EAST"), Decimal("-2.5"), id="delivery-out"),
        pytest.param(
            moved("WH-EAST", "4", from_warehouse="WH-EAST", to_warehouse="WH-EAST"), Decimal(0), id="internal"
        ),
    ],
)
def test_a_stock_move_changes_its_own_position(event: StockMoved, expected: Decimal) -> None:
    assert commands_of(event) == [("SKU-1|WH-EAST", Move(expected))]


def test_a_transfer_between_warehouses_moves_out_of_one_and_into_the_other() -> None:
    # A transfer is published once per warehouse whose stock it changes (keyed sku|warehouse).
    out_of_east = moved("WH-EAST", "3", from_warehouse="WH-EAST", to_warehouse="WH-WEST")
    into_west = moved("WH-WEST", "3", from_warehouse="WH-EAST", to_warehouse="WH-WEST")
    assert commands_of(out_of_east) == [("SKU-1|WH-EAST", Move(Decimal(-3)))]
    assert commands_of(into_west) == [("SKU-1|WH-WEST", Move(Decimal(3)))]


# -- order.allocated ------------------------------------------------------------------------------


def test_an_allocation_sets_the_orders_quantity_per_position_summing_split_lines() -> None:
    event = allocated(
        ("L1", "SKU-1", "WH-EAST", "3"),
        ("L2", "SKU-2", "WH-WEST", "1.5"),
        ("L3", "SKU-1", "WH-EAST", "2"),  # the same SKU on another line, same warehouse
        ("L1", "SKU-1", "WH-WEST", "4"),  # line L1 split over two warehouses
    )
    assert commands_of(event) == [
        ("SKU-1|WH-EAST", Allocate("SO-1", Decimal(5))),
        ("SKU-1|WH-WEST", Allocate("SO-1", Decimal(4))),
        ("SKU-2|WH-WEST", Allocate("SO-1", Decimal("1.5"))),
    ]


# -- order.cancelled ------------------------------------------------------------------------------


def test_a_cancellation_releases_where_the_line_was_allocated() -> None:
    event = cancelled(("L1", "SKU-1", "WH-EAST", "2"), ("L2", "SKU-1", "WH-EAST", "1"))
    assert commands_of(event) == [("SKU-1|WH-EAST", Release("SO-1", Decimal(3)))]


def test_a_cancellation_without_a_warehouse_releases_at_every_warehouse() -> None:
    event = cancelled(("L1", "SKU-1", None, "2"), ("L2", "SKU-2", "WH-WEST", "1"))
    assert commands_of(event) == [
        ("SKU-1|WH-CENTRAL", Release("SO-1", Decimal(2))),
        ("SKU-1|WH-EAST", Release("SO-1", Decimal(2))),
        ("SKU-1|WH-WEST", Release("SO-1", Decimal(2))),
        ("SKU-2|WH-WEST", Release("SO-1", Decimal(1))),
    ]


def test_a_broadcast_cancellation_sums_with_a_located_line_of_the_same_sku() -> None:
    event = cancelled(("L1", "SKU-1", None, "2"), ("L2", "SKU-1", "WH-EAST", "1"))
    assert dict(commands_of(event)) == {
        "SKU-1|WH-CENTRAL": Release("SO-1", Decimal(2)),
        "SKU-1|WH-EAST": Release("SO-1", Decimal(3)),
        "SKU-1|WH-WEST": Release("SO-1", Decimal(2)),
    }


# -- shipment.confirmed ---------------------------------------------------------------------------


def test_a_shipment_releases_at_its_warehouse_per_sku() -> None:
    event = shipped("WH-CENTRAL", ("L1", "SKU-1", "2"), (None, "SKU-1", "1"), ("L2", "SKU-2", "0.25"))
    assert commands_of(event) == [
        ("SKU-1|WH-CENTRAL", Release("SO-1", Decimal(3))),
        ("SKU-2|WH-CENTRAL", Release("SO-1", Decimal("0.25"))),
    ]


# -- purchase.received ----------------------------------------------------------------------------


def test_a_receipt_says_what_is_still_expected_per_position() -> None:
    event = received(
        ("SKU-1", "WH-EAST", "10", "0"),  # announced, nothing received yet
        ("SKU-1", "WH-EAST", "5", "2"),  # the same SKU again
        ("SKU-2", "WH-EAST", "4", "4"),  # received in full: nothing more expected
        ("SKU-3", "WH-EAST", "4", "6"),  # over-received
    )
    assert commands_of(event) == [
        ("SKU-1|WH-EAST", Expect("WH-EAST/IN/00001", Decimal(13), AT)),
        ("SKU-2|WH-EAST", Expect("WH-EAST/IN/00001", Decimal(0), AT)),
        ("SKU-3|WH-EAST", Expect("WH-EAST/IN/00001", Decimal(-2), AT)),
    ]


def test_events_that_do_not_change_positions_mean_no_commands() -> None:
    placed = OrderPlaced(
        **envelope(),
        event_type=OrderPlaced.EVENT_TYPE,
        order_id="SO-1",
        channel="shop",
        customer_ref="C-1",
        ship_to=ShipTo(country="US", region="NY", postcode="10001"),
        lines=(OrderLine(line_id="L1", sku="SKU-1", quantity=Decimal(1)),),
    )
    assert commands_of(placed) == []


def test_commands_come_in_a_deterministic_order() -> None:
    lines = [
        ("L1", "SKU-2", "WH-WEST", "1"),
        ("L2", "SKU-1", "WH-EAST", "1"),
        ("L3", "SKU-1", "WH-WEST", "1"),
    ]
    forward = commands_of(allocated(*lines))
    backward = commands_of(allocated(*reversed(lines)))
    assert forward == backward
    assert [key for key, _ in forward] == sorted(key for key, _ in forward)


def test_commands_of_one_record_are_numbered() -> None:
    pairs = commands_of(cancelled(("L1", "SKU-1", None, "2")))
    items = keyed(Origin("order.cancelled", 2, 41), pairs, "SO-1", "event-1")
    assert [item.origin for item in items] == [Origin("order.cancelled", 2, 41, index) for index in range(3)]
    assert {item.origin.stream for item in items} == {"order.cancelled:2"}
    assert [(item.key, item.command) for item in items] == pairs
    assert {(item.correlation_id, item.event_id) for item in items} == {("SO-1", "event-1")}


# -- JSON form ------------------------------------------------------------------------------------

ORIGIN = Origin("order.allocated", 3, 1234, 2)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Move(Decimal("-2.125")), id="move"),
        pytest.param(Allocate("SO-1", Decimal(3)), id="allocate"),
        pytest.param(Release("SO-1", Decimal("0.5")), id="release"),
        pytest.param(Expect("WH-EAST/IN/1", Decimal(7), AT), id="expect"),
        pytest.param(Reserve("SO-1/1/L1/WH-EAST", "SO-1", "L1", Decimal(4), True), id="reserve"),
        pytest.param(Reserve("SO-1/1/L1/WH-EAST", "SO-1", "L1", Decimal(4), False), id="reserve-whole"),
        pytest.param(DropHold("SO-1/1/L1/WH-EAST"), id="drop-hold"),
    ],
)
def test_every_command_kind_round_trips(command: Command) -> None:
    item = Keyed("SKU-1|WH-EAST", command, ORIGIN, "SO-1", "event-1")
    raw = encode(item)
    assert decode("SKU-1|WH-EAST", raw) == item
    body = json.loads(raw)
    assert body["origin"] == ["order.allocated", 3, 1234, 2]
    assert "SKU-1|WH-EAST" not in raw.decode()  # the key travels as the Kafka key


def test_a_command_without_tracing_ids_decodes_with_empty_ones() -> None:
    body = {"kind": "move", "delta": "1", "origin": ["stock.moved", 0, 5, 0]}
    assert decode("K", json.dumps(body).encode()) == Keyed("K", Move(Decimal(1)), Origin("stock.moved", 0, 5))


texts = st.text(max_size=20)
amounts = st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False)
moments = st.datetimes(timezones=st.just(dt.UTC))
any_command: st.SearchStrategy[Command] = st.one_of(
    st.builds(Move, amounts),
    st.builds(Allocate, texts, amounts),
    st.builds(Release, texts, amounts),
    st.builds(Expect, texts, amounts, moments),
    st.builds(Reserve, texts, texts, texts, amounts, st.booleans()),
    st.builds(DropHold, texts),
)
origins = st.builds(
    Origin,
    texts,
    st.integers(min_value=0, max_value=10**4),
    st.integers(min_value=0, max_value=2**62),
    st.integers(min_value=0, max_value=10**4),
)


@settings(max_examples=200, deadline=None)
@given(key=texts, command=any_command, origin=origins, correlation_id=texts, event_id=texts)
def test_any_command_round_trips(
    key: str, command: Command, origin: Origin, correlation_id: str, event_id: str
) -> None:
    item = Keyed(key, command, origin, correlation_id, event_id)
    assert decode(key, encode(item)) == item


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b'{"delta":"1","origin":["t",0,1,0]}', id="no-kind"),
        pytest.param(b'{"kind":"teleport","origin":["t",0,1,0]}', id="unknown-kind"),
        pytest.param(b'{"kind":"move","origin":["t",0,1,0]}', id="missing-field"),
        pytest.param(b'{"kind":"move","delta":"1"}', id="no-origin"),
        pytest.param(b'{"kind":"move","delta":"1","origin":["t",0,1]}', id="short-origin"),
        pytest.param(b'{"kind":"move","delta":"1","origin":["t","p",1,0]}', id="bad-partition"),
        pytest.param(b'{"kind":"expect","receipt_id":"R","outstanding":"1","due":"soon",'
                     b'"origin":["t",0,1,0]}', id="bad-due"),
    ],
)  # fmt: skip
def test_malformed_commands_raise_value_or_key_error(raw: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        decode("SKU-1|WH-EAST", raw)


# -- defects found in processors/ (these fail until it is fixed; see the helper's report) ---------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"kind":"move","delta":"lots","origin":["t",0,1,0]}', id="move-not-a-number"),
        pytest.param(b'{"kind":"allocate","order_id":"SO-1","quantity":"","origin":["t",0,1,0]}', id="empty"),
        pytest.param(b'{"kind":"move","delta":"NaN","origin":["t",0,1,0]}', id="nan"),
        pytest.param(b'{"kind":"release","order_id":"SO-1","quantity":"Infinity","origin":["t",0,1,0]}',
                     id="infinity"),
    ],
)  # fmt: skip
def test_a_malformed_quantity_raises_value_error(raw: bytes) -> None:
    # decimal.InvalidOperation is an ArithmeticError, not a ValueError: the ATP processor's
    # apply-commands agent (which dead-letters KeyError/ValueError/TypeError/AttributeError) would
    # crash on it; a NaN or infinite quantity poisons the position (every later grant raises).
    with pytest.raises((ValueError, KeyError)):
        decode("SKU-1|WH-EAST", raw)
