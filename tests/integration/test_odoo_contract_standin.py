"""The Odoo contract against the stand-in as Odoo 17 over JSON-RPC (a fresh, seeded instance per
module); test_odoo_contract_standin19.py runs it against the stand-in as Odoo 19 over JSON-2."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from supplystream.errors import OdooUnavailableError
from supplystream.odoo.client import OdooClient
from supplystream_devkit.ports import free_port
from tests.integration.odoo_contract import OdooBackend, OdooContract

pytestmark = pytest.mark.integration


class StandinProcess:
    """A stand-in on its own port and data directory, which a test may kill and restart."""

    def __init__(self, data: Path, odoo_version: int = 17) -> None:
        self.port = free_port()
        self.data = data
        self.odoo_version = odoo_version
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start(seed=True)

    def start(self, seed: bool = False) -> None:
        with (self.data / "standin.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supplystream_devkit.odoo_standin", "--port", str(self.port), "--data",
                 str(self.data), "--odoo-version", str(self.odoo_version), *(["--seed"] if seed else [])],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(f"{self.url}/web/webclient/version_info", json={}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stand-in did not start: {(self.data / 'standin.log').read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OdooBackend]:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-standin"))
    try:
        yield OdooBackend(standin.url, "supplystream", 17, kill=standin.kill, restart=standin.start)
    finally:
        standin.kill()


class TestOdooContractOnStandin(OdooContract):
    """Every contract test, against the stand-in."""


def set_fault(odoo: OdooBackend, **fault: object) -> None:
    """Tell the stand-in how to misbehave (its /supplystream/faults test endpoint)."""
    httpx.post(f"{odoo.url}/supplystream/faults", json=fault).raise_for_status()


class TestOdooClientUnderFaults:
    """What only the stand-in can stage on demand: slow answers, outages, rate limiting,
    serialization failures (whichever API the backend is reached by)."""

    def test_serialization_failures_are_retried_until_odoo_succeeds(self, odoo: OdooBackend) -> None:
        client = odoo.client()
        client.login()
        set_fault(odoo, mode="error", error_name="psycopg2.errors.SerializationFailure", count=2)
        try:
            assert client.create("res.partner", [{"name": "retried"}])
        finally:
            set_fault(odoo, mode="ok")

    def test_down_is_unavailable_and_the_client_recovers(self, odoo: OdooBackend) -> None:
        client = odoo.client()
        client.login()
        set_fault(odoo, mode="down")
        try:
            with pytest.raises(OdooUnavailableError, match="HTTP 503"):
                client.search("res.partner", [])
        finally:
            set_fault(odoo, mode="ok")
        assert isinstance(client.search("res.partner", [], limit=1), list)

    def test_a_rate_limited_odoo_is_unavailable_and_the_client_recovers(self, odoo: OdooBackend) -> None:
        client = odoo.client()
        client.login()
        set_fault(odoo, mode="limited", retry_after_s=7)
        try:
            with pytest.raises(OdooUnavailableError, match="429") as error:
                client.search("res.partner", [])
        finally:
            set_fault(odoo, mode="ok")
        if odoo.api == "json2":
            assert "retry after 7 s" in str(error.value)
        assert isinstance(client.search("res.partner", [], limit=1), list)

    def test_a_slow_odoo_times_out_as_unavailable(self, odoo: OdooBackend) -> None:
        client = OdooClient(odoo.transport(timeout_s=0.5))
        client.login()
        set_fault(odoo, mode="slow", delay_s=2.0)
        try:
            with pytest.raises(OdooUnavailableError, match="did not answer"):
                client.search("res.partner", [])
        finally:
            set_fault(odoo, mode="ok")
