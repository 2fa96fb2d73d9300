"""The Odoo contract against a real Odoo 11 Community from PyPI (`stack up --with-odoo`)."""

from __future__ import annotations

import os
import signal
import uuid
from decimal import Decimal

import pytest

from supplystream.errors import StackError
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import ATP_MODEL, AtpRow, ensure_atp_model, version_of, write_atp
from supplystream_devkit.stack.odoo11 import DATABASE
from tests.integration.conftest import OdooStack
from tests.integration.odoo_contract import OdooBackend, OdooContract

pytestmark = [
    pytest.mark.odoo11,
    # restart() starts Odoo from this process, detached on purpose (ManagedProcess keeps no
    # handle; `stack down` stops it through its PID file): Popen warns it is "still running".
    pytest.mark.filterwarnings(r"ignore:subprocess \d+ is still running:ResourceWarning"),
]


@pytest.fixture(scope="module")
def odoo(odoo_stack: OdooStack) -> OdooBackend:
    component = odoo_stack.component

    def kill() -> None:
        pid = component.status().pid
        if pid is None:
            raise StackError("Odoo 11 is not running")
        os.kill(pid, signal.SIGKILL)
        while component.status().pid is not None:
            pass

    def restart() -> None:
        component.start(lambda _line: None)
        component.wait_ready(120)

    return OdooBackend(component.url, DATABASE, 11, kill=kill, restart=restart)


class TestOdooContractOnOdoo11(OdooContract):
    """Every contract test, against the real Odoo 11."""

    def test_an_integer_x_version_from_before_is_made_a_char_field(self, client: OdooClient) -> None:
        """The ATP model as SupplyStream created it before versions were text (``x_version`` an
        integer, which no clock-microsecond version fits) is converted on first use. Real Odoo only:
        the stand-in has no ``ir.model.fields``."""
        ensure_atp_model(client)
        sku = f"SKU-OLD-{uuid.uuid4().hex[:6]}"
        model = client.search("ir.model", [("model", "=", ATP_MODEL)])[0]
        fields = client.search("ir.model.fields", [("model_id", "=", model), ("name", "=", "x_version")])
        client.call("ir.model.fields", "unlink", fields)
        client.create(
            "ir.model.fields",
            [{"model_id": model, "name": "x_version", "field_description": "ATP version", "ttype": "integer",
              "state": "manual"}],
        )  # fmt: skip
        client.create(
            ATP_MODEL, [{"x_name": sku, "x_sku": sku, "x_warehouse_code": "WH-EAST", "x_version": 7}]
        )
        assert client.call(ATP_MODEL, "fields_get", ["x_version"], attributes=["type"])["x_version"][
            "type"
        ] == ("integer")
        ensure_atp_model(client)
        assert client.call(ATP_MODEL, "fields_get", ["x_version"], attributes=["type"])["x_version"][
            "type"
        ] == ("char")
        version = 1_712_345_678_901_234
        row = AtpRow(sku, "WH-EAST", Decimal(5), Decimal(1), Decimal(4), version, "e1")
        assert write_atp(client, [row]) == 1, "the emptied version is below any new one"
        stored = client.search_read(ATP_MODEL, [("x_sku", "=", sku)], ["x_atp", "x_version"])
        assert [(r["x_atp"], version_of(r["x_version"])) for r in stored] == [(4.0, version)]
