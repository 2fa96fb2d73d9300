"""The Odoo contract against the stand-in presenting itself as Odoo 19, reached over JSON-2 (API key,
``X-Odoo-Database``, HTTP status codes), with the fault tests; and the version detection that picks
JSON-2 there and JSON-RPC below it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from supplystream.odoo.client import OdooClient
from supplystream.odoo.connect import DetectingTransport, api_for, detect_version
from supplystream.odoo.json2 import Json2Transport
from supplystream.odoo.transport import JsonRpcTransport, OdooTransport
from supplystream_devkit.odoo_standin.seed import API_KEY
from tests.integration.odoo_contract import OdooBackend, OdooContract
from tests.integration.test_odoo_contract_standin import StandinProcess, TestOdooClientUnderFaults

pytestmark = pytest.mark.integration
DATABASE = "supplystream"


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinProcess]:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-standin-19"), odoo_version=19)
    try:
        yield standin
    finally:
        standin.kill()


@pytest.fixture(scope="module")
def odoo(standin: StandinProcess) -> OdooBackend:
    return OdooBackend(
        standin.url, DATABASE, 19, kill=standin.kill, restart=standin.start, api="json2", secret=API_KEY
    )


class TestOdooContractOnStandin19(OdooContract):
    """Every contract test, against the stand-in as Odoo 19 over JSON-2."""


class TestOdooClientUnderFaultsOverJson2(TestOdooClientUnderFaults):
    """The fault tests (outage, rate limiting, timeouts, serialization failures) over JSON-2."""


def build(url: str, major: int) -> OdooTransport:
    if api_for(major) == "json2":
        return Json2Transport(url, DATABASE, API_KEY, timeout_s=10)
    return JsonRpcTransport(url, DATABASE, "admin", API_KEY, timeout_s=10)


def test_auto_detection_picks_json2_on_19_and_jsonrpc_on_17(
    odoo: OdooBackend, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert detect_version(odoo.url, 10) == (19, 0)
    on_19 = OdooClient(DetectingTransport(odoo.url, 10, lambda major: build(odoo.url, major)))
    assert (on_19.login() > 0, on_19.version, on_19.api) == (True, 19, "JSON-2")
    old = StandinProcess(tmp_path_factory.mktemp("odoo-standin-17"))
    try:
        on_17 = OdooClient(DetectingTransport(old.url, 10, lambda major: build(old.url, major)))
        assert (on_17.login() > 0, on_17.version, on_17.api) == (True, 17, "JSON-RPC")
    finally:
        old.kill()
    # JSON-RPC still answers on 19 (deprecated, not removed), with the same API key.
    forced = OdooClient(JsonRpcTransport(odoo.url, DATABASE, "admin", API_KEY, timeout_s=10))
    assert (forced.version, forced.api, len(forced.search("res.partner", [], limit=1))) == (19, "JSON-RPC", 1)


def test_json2_forced_on_an_odoo_below_19_says_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    old = StandinProcess(tmp_path_factory.mktemp("odoo-standin-17-forced"))
    try:
        with pytest.raises(Exception, match="older than Odoo 19"):
            OdooClient(Json2Transport(old.url, DATABASE, API_KEY, timeout_s=10)).login()
    finally:
        old.kill()


def test_odoo_seed_on_19_goes_over_json2_by_itself(odoo: OdooBackend, standin: StandinProcess) -> None:
    """`supplystream odoo seed` as an operator runs it: only the URL, database and API key set."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUPPLYSTREAM_")},
        "SUPPLYSTREAM_ODOO__URL": odoo.url,
        "SUPPLYSTREAM_ODOO__DATABASE": DATABASE,
        "SUPPLYSTREAM_ODOO__API_KEY": API_KEY,
        "COLUMNS": "200",
    }
    log = standin.data / "standin.log"
    before = log.read_text().count("POST /json/2/")
    result = subprocess.run(
        [sys.executable, "-m", "supplystream", "odoo", "seed", "--seed", "1", "--sku-count", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Odoo 19 over JSON-2" in result.stdout, result.stdout
    assert log.read_text().count("POST /json/2/") > before
    assert API_KEY not in result.stdout + result.stderr
