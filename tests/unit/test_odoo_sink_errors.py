"""The Odoo sink's answer to each cause of an Odoo error: only unavailability and concurrency are
retried; a record Odoo's database cannot store is rejected alone, at once, with Odoo's reason.

Driven through a transport answering as Odoo does (the error shapes of `test_odoo_failures`);
against real servers, see tests/integration/odoo_sink_contract.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import odoorpc.error
import pytest
from prometheus_client import CollectorRegistry

from sinks.base import (
    NotYetApplicableError,
    PermanentSinkError,
    SinkError,
    TargetUnavailableError,
    TransientSinkError,
)
from sinks.odoo import OdooSink
from supplystream.odoo.client import OdooClient
from supplystream.odoo.metrics import OdooMetrics
from supplystream.odoo.operations import ATP_MODEL, version_of
from supplystream.odoo.transport import map_error
from tests.integration.odoo_sink_contract import EAST, WEST, atp_changed, records, stock_moved

Handler = Callable[[str, str, list[Any], dict[str, Any]], Any]
ATP_FIELDS = {
    "x_name": "char",
    "x_sku": "char",
    "x_warehouse_code": "char",
    "x_on_hand": "float",
    "x_reserved": "float",
    "x_atp": "float",
    "x_version": "char",
    "x_event_id": "char",
}


def odoo_error(name: str, message: str, code: int = 200) -> odoorpc.error.RPCError:
    """What odoorpc raises for a JSON-RPC ``error`` of that name and message."""
    info = {"code": code, "message": "Odoo Server Error", "data": {"name": name, "message": message}}
    return odoorpc.error.RPCError(message, info)


class FakeOdoo:
    """A transport answering each call with ``handler`` and recording it."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[tuple[str, str, list[Any], dict[str, Any]]] = []

    def server_version(self) -> tuple[int, int]:
        return (17, 0)

    def authenticate(self) -> int:
        return 2

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((model, method, args, kwargs))
        try:
            return self.handler(model, method, args, kwargs)
        except odoorpc.error.RPCError as exc:
            raise map_error(exc, model, method) from exc


def sink_over(odoo: FakeOdoo) -> OdooSink:
    client = OdooClient(odoo, metrics=OdooMetrics.create(CollectorRegistry()), sleep=lambda _s: None)
    return OdooSink(client)


def atp_odoo(refuse_sku: str) -> FakeOdoo:
    """An Odoo with the ATP model whose database cannot store the row of ``refuse_sku``."""

    def handler(model: str, method: str, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        if (model, method) == ("ir.model", "search"):
            return [1]
        if (model, method) == (ATP_MODEL, "fields_get"):
            return {name: {"type": kind} for name, kind in ATP_FIELDS.items()}
        if (model, method) == (ATP_MODEL, "search_read"):
            return []
        if (model, method) == (ATP_MODEL, "create"):
            if any(values["x_sku"] == refuse_sku for values in args[0]):
                raise odoo_error("psycopg2.errors.NumericValueOutOfRange", "integer out of range\n")
            return list(range(10, 10 + len(args[0])))
        raise AssertionError(f"unexpected call {model}.{method}")

    return FakeOdoo(handler)


def test_a_row_odoo_cannot_store_is_rejected_alone_at_once_with_the_cause() -> None:
    odoo = atp_odoo(refuse_sku="SKU-POISON")
    good, poison = (
        atp_changed("SKU-GOOD", EAST, 1_712_345_678_901_234, 5),
        atp_changed("SKU-POISON", WEST, 7, 1),
    )
    sink = sink_over(odoo)
    rejected = sink.write(records(good, poison))
    assert [r.record.event_id for r in rejected] == [str(poison.event_id)]
    error = rejected[0].error
    assert type(error) is PermanentSinkError, "dead-lettered at once: not retried, not deferred"
    assert not isinstance(error, NotYetApplicableError)
    assert "integer out of range" in str(error)
    assert "psycopg2.errors.NumericValueOutOfRange" in str(error)
    creates = [args[0] for model, method, args, _ in odoo.calls if (model, method) == (ATP_MODEL, "create")]
    assert [[v["x_sku"] for v in batch] for batch in creates] == [
        ["SKU-GOOD", "SKU-POISON"],  # the batch, refused as a whole
        ["SKU-GOOD"],  # then row by row
        ["SKU-POISON"],
    ]
    assert version_of(creates[1][0]["x_version"]) == 1_712_345_678_901_234
    assert sink.outcomes["atp.changed applied"] == 1
    assert sink.outcomes["atp.changed rejected"] == 1


def test_a_version_outside_what_x_version_holds_is_rejected_without_calling_odoo() -> None:
    odoo = atp_odoo(refuse_sku="none")
    negative = atp_changed("SKU-NEG", EAST, -1, 3)
    rejected = sink_over(odoo).write(records(negative))
    assert len(rejected) == 1
    assert "version -1 is not between 0 and" in str(rejected[0].error)
    assert not [call for call in odoo.calls if call[1] == "create"]


# -- an error outside a per-record write: the whole batch ------------------------------------------


def failing(error: odoorpc.error.RPCError) -> FakeOdoo:
    """An Odoo whose every call fails with ``error``."""

    def handler(*_call: Any) -> Any:
        raise error

    return FakeOdoo(handler)


@pytest.mark.parametrize(
    ("name", "message", "expected"),
    [
        ("psycopg2.errors.NumericValueOutOfRange", "integer out of range\n", PermanentSinkError),
        ("odoo.exceptions.AccessError", "You are not allowed to access 'Warehouse'", PermanentSinkError),
        ("odoo.exceptions.ValidationError", "Not allowed", PermanentSinkError),
        ("builtins.AttributeError", "no attribute 'x'", PermanentSinkError),
        ("psycopg2.OperationalError", "server closed the connection unexpectedly\n", TargetUnavailableError),
        (
            "psycopg2.errors.QueryCanceled",
            "canceling statement due to statement timeout\n",
            TargetUnavailableError,
        ),
        ("odoo.exceptions.AccessDenied", "Access Denied", TargetUnavailableError),
        ("psycopg2.errors.SerializationFailure", "could not serialize access\n", TransientSinkError),
        ("psycopg2.errors.LockNotAvailable", "could not obtain lock on row\n", TransientSinkError),
    ],
)
def test_batch_wide_failures_by_cause(name: str, message: str, expected: type[SinkError]) -> None:
    """Permanent: the runtime applies the batch record by record and dead-letters what fails alone,
    at once; unavailable: the circuit opens; concurrency: the batch is retried with backoff."""
    with pytest.raises(SinkError) as raised:
        sink_over(failing(odoo_error(name, message))).write(records(stock_moved("SKU-1001", EAST, 3)))
    assert type(raised.value) is expected
    assert message.strip() in str(raised.value)
