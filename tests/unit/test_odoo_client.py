"""OdooClient's own logic — retries, re-login, reconnect, batching, watermarks, error mapping —
driven through a scripted transport. Behaviour against a server is the contract suite's job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import odoorpc.error
import pytest
from prometheus_client import CollectorRegistry

from supplystream.errors import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooConcurrentUpdateError,
    OdooError,
    OdooMissingRecordError,
    OdooUnavailableError,
    OdooValidationError,
)
from supplystream.odoo.client import OdooClient, Watermark, advanced, after, grouped_writes
from supplystream.odoo.metrics import OdooMetrics
from supplystream.odoo.operations import move_quantity_field, picking_moves_field, storable_domain
from supplystream.odoo.transport import map_error

Step = Callable[[str, str, list[Any], dict[str, Any]], Any]


class ScriptedTransport:
    """Answers calls from a script of results and errors, recording what it was asked."""

    def __init__(self, version: tuple[int, int], script: list[Any]) -> None:
        self.version = version
        self.script = script
        self.calls: list[tuple[str, str, list[Any], dict[str, Any]]] = []
        self.logins = 0

    def server_version(self) -> tuple[int, int]:
        return self.version

    def authenticate(self) -> int:
        self.logins += 1
        return 2

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((model, method, args, kwargs))
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def client_for(
    transport: ScriptedTransport, **options: Any
) -> tuple[OdooClient, list[float], CollectorRegistry]:
    sleeps: list[float] = []
    registry = CollectorRegistry()
    client = OdooClient(transport, metrics=OdooMetrics.create(registry), sleep=sleeps.append, **options)
    return client, sleeps, registry


def test_concurrent_updates_are_retried_with_backoff() -> None:
    transport = ScriptedTransport(
        (17, 0), [OdooConcurrentUpdateError("serialize"), OdooConcurrentUpdateError("x"), [7]]
    )
    client, sleeps, registry = client_for(transport)
    assert client.call("sale.order", "search", []) == [7]
    assert len(transport.calls) == 3
    assert len(sleeps) == 2
    assert all(0 < s <= 2.0 for s in sleeps)
    labels = {"model": "sale.order", "method": "search"}
    errors = {**labels, "error": "OdooConcurrentUpdateError"}
    assert registry.get_sample_value("supplystream_odoo_errors_total", errors) == 2
    assert registry.get_sample_value("supplystream_odoo_calls_total", labels) == 3
    assert registry.get_sample_value("supplystream_odoo_call_seconds_count", labels) == 3


def test_concurrent_updates_give_up_after_the_configured_retries() -> None:
    transport = ScriptedTransport((17, 0), [OdooConcurrentUpdateError("x")] * 3)
    client, _, _ = client_for(transport, concurrency_retries=2)
    with pytest.raises(OdooConcurrentUpdateError):
        client.call("stock.quant", "write", [1], {})
    assert len(transport.calls) == 3


def test_an_expired_session_logs_in_again_once() -> None:
    transport = ScriptedTransport((17, 0), [OdooAuthenticationError("expired"), True])
    client, _, _ = client_for(transport)
    assert client.call("res.partner", "write", [1], {"name": "x"}) is True
    assert transport.logins == 2
    transport.script = [OdooAuthenticationError("expired"), OdooAuthenticationError("still")]
    with pytest.raises(OdooAuthenticationError):
        client.call("res.partner", "read", [1])


def test_unavailable_odoo_reconnects_and_logs_in_on_the_next_call() -> None:
    first = ScriptedTransport((11, 0), [OdooUnavailableError("refused")])
    second = ScriptedTransport((11, 0), [[{"id": 1}]])
    client, _, _ = client_for(first, reconnect=lambda: second)
    with pytest.raises(OdooUnavailableError):
        client.call("stock.move", "search_read", [])
    assert client.call("stock.move", "search_read", []) == [{"id": 1}]
    assert second.logins == 1


def test_permanent_errors_are_not_retried() -> None:
    transport = ScriptedTransport((17, 0), [OdooValidationError("bad"), OdooMissingRecordError("gone")])
    client, sleeps, _ = client_for(transport)
    with pytest.raises(OdooValidationError):
        client.call("stock.picking", "button_validate", [1])
    with pytest.raises(OdooMissingRecordError):
        client.call("stock.picking", "read", [99])
    assert sleeps == []


def test_create_sends_one_list_from_odoo_12_and_one_call_per_record_before() -> None:
    modern = ScriptedTransport((17, 0), [[10, 11]])
    client, _, _ = client_for(modern)
    assert client.create("res.partner", [{"name": "a"}, {"name": "b"}]) == [10, 11]
    assert [c[1] for c in modern.calls] == ["create"]
    assert modern.calls[0][2] == [[{"name": "a"}, {"name": "b"}]]

    legacy = ScriptedTransport((11, 0), [10, 11])
    client, _, _ = client_for(legacy)
    assert client.create("res.partner", [{"name": "a"}, {"name": "b"}]) == [10, 11]
    assert [c[2] for c in legacy.calls] == [[{"name": "a"}], [{"name": "b"}]]


def test_write_grouped_makes_one_call_per_distinct_values() -> None:
    transport = ScriptedTransport((17, 0), [True, True])
    client, _, _ = client_for(transport)
    calls = client.write_grouped(
        "stock.move", {1: {"quantity": 2.0}, 2: {"quantity": 5.0}, 3: {"quantity": 2.0}}
    )
    assert calls == 2
    assert sorted((c[2][0], c[2][1]["quantity"]) for c in transport.calls) == [([1, 3], 2.0), ([2], 5.0)]


def test_grouped_writes_is_order_independent_and_handles_lists() -> None:
    groups = grouped_writes({5: {"tag_ids": [(6, 0, [1, 2])]}, 4: {"tag_ids": [(6, 0, [1, 2])]}})
    assert groups == [([4, 5], {"tag_ids": [(6, 0, [1, 2])]})]


def test_reads_must_name_their_fields() -> None:
    client, _, _ = client_for(ScriptedTransport((17, 0), []))
    with pytest.raises(ValueError, match="pass the fields"):
        client.search_read("product.product", [], [])


def test_changed_since_rereads_the_watermark_second_without_what_it_saw() -> None:
    transport = ScriptedTransport((17, 0), [[]])
    client, _, _ = client_for(transport)
    watermark = Watermark("2026-11-24 10:00:00", frozenset({41, 7}))
    client.changed_since("stock.move", [("state", "=", "done")], ["reference"], watermark, settle_s=0)
    _, method, args, kwargs = transport.calls[0]
    assert method == "search_read"
    assert args[0] == [
        ("state", "=", "done"),
        "|",
        ("write_date", ">=", "2026-11-24 10:00:01"),
        "&",
        ("write_date", ">=", "2026-11-24 10:00:00"),
        ("id", "not in", [7, 41]),
    ]
    assert kwargs["order"] == "write_date asc, id asc"
    assert kwargs["fields"] == ["reference", "write_date", "id"]
    assert after(None) == []


def test_watermark_advances_within_a_second_and_past_it() -> None:
    second = "2026-01-01 00:00:00"
    first = advanced(None, [{"write_date": second, "id": 9}, {"write_date": second, "id": 3}])
    assert first == Watermark(second, frozenset({3, 9}))
    later = first.advance([{"write_date": second, "id": 12}, {"write_date": "2026-01-01 00:00:01", "id": 2}])
    assert later == Watermark("2026-01-01 00:00:01", frozenset({2}))
    assert later.advance([]) == later


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("odoo.exceptions.ValidationError", OdooValidationError),
        ("odoo.exceptions.UserError", OdooValidationError),
        ("odoo.exceptions.AccessError", OdooAccessError),
        ("odoo.exceptions.AccessDenied", OdooAuthenticationError),
        ("odoo.exceptions.MissingError", OdooMissingRecordError),
        ("psycopg2.errors.SerializationFailure", OdooConcurrentUpdateError),
        ("builtins.AttributeError", OdooError),
    ],
)
def test_odoo_error_names_map_to_our_types(name: str, expected: type[OdooError]) -> None:
    info = {"code": 200, "message": "Odoo Server Error", "data": {"name": name, "message": "it broke"}}
    error = map_error(odoorpc.error.RPCError("it broke", info), "sale.order", "action_confirm")
    assert type(error) is expected
    assert "sale.order.action_confirm" in str(error)
    assert "it broke" in str(error)
    assert error.model == "sale.order"


def test_version_specific_names() -> None:
    assert storable_domain(11) == storable_domain(17) == [("type", "=", "product")]
    assert storable_domain(18) == [("is_storable", "=", True)]
    assert move_quantity_field(16) == "quantity_done"
    assert move_quantity_field(17) == "quantity"
    assert picking_moves_field(11) == "move_lines"
    assert picking_moves_field(16) == "move_ids"
