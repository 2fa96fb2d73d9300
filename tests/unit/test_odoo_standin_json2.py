"""The stand-in presenting itself as Odoo 19: JSON-2's routes, auth, status codes and bodies (after
addons/rpc/controllers/json2.py, odoo/http.py ``Json2Dispatcher`` and Odoo 19's docs), its products,
its JSON-RPC still answering; and the JSON-2 transport against it keeping the API key out of logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import odoorpc
import pytest

from supplystream.odoo.client import OdooClient
from supplystream.odoo.json2 import Json2Transport
from supplystream_devkit.odoo_standin.seed import API_KEY

BEARER = {"Authorization": f"bearer {API_KEY}", "X-Odoo-Database": "odoo"}


@dataclass
class Standin:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def post(self, path: str, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=BEARER if headers is None else headers)


def start(data: Path, version: int) -> Standin:
    log = data / "standin.log"
    command = [sys.executable, "-m", "supplystream_devkit.odoo_standin", "--port", "0", "--data", str(data)]
    with log.open("a") as stderr:
        process = subprocess.Popen(
            [*command, "--seed", "--odoo-version", str(version)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on"):
        process.kill()
        pytest.fail(f"stand-in did not start: {line!r} {log.read_text()}")
    return Standin(process, line.split()[-1], log)


def stop(standin: Standin) -> None:
    standin.process.terminate()
    standin.process.wait(timeout=10)
    if standin.process.stdout is not None:
        standin.process.stdout.close()


@pytest.fixture(scope="module")
def odoo19(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standin]:
    standin = start(tmp_path_factory.mktemp("standin19"), 19)
    yield standin
    stop(standin)


def test_web_version_and_version_info_say_19(odoo19: Standin) -> None:
    assert httpx.get(f"{odoo19.url}/web/version").json() == {
        "version_info": [19, 0, 0, "final", 0, ""],
        "version": "19.0",
    }
    info = httpx.post(f"{odoo19.url}/web/webclient/version_info", json={}).json()["result"]
    assert (info["server_version"], info["server_version_info"][0]) == ("19.0", 19)


def test_json2_answers_the_result_as_the_body(odoo19: Standin) -> None:
    found = odoo19.post(
        "/json/2/res.partner/search_read", {"domain": [["is_company", "=", True]], "fields": ["name"]}
    )
    assert found.status_code == 200
    assert found.headers["Content-Type"] == "application/json; charset=utf-8"
    assert {"id", "name"} == set(found.json()[0])
    created = odoo19.post("/json/2/res.partner/create", {"vals_list": {"name": "One dict"}})
    assert created.status_code == 200
    assert isinstance(created.json(), list)  # a recordset's ids, even for one dict
    assert odoo19.post("/json/2/res.users/context_get").json()["uid"] == 2
    written = odoo19.post("/json/2/res.partner/write", {"ids": created.json(), "vals": {"name": "Renamed"}})
    assert written.json() is True
    assert odoo19.post("/json/2/stock.picking/do_unreserve", {"ids": []}).content == b"null"


def body_of(response: httpx.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    return response.status_code, body["name"], body["message"]


UNAUTHORIZED = "werkzeug.exceptions.Unauthorized"
NOT_FOUND = "werkzeug.exceptions.NotFound"
UNPROCESSABLE = "werkzeug.exceptions.UnprocessableEntity"
NO_KEY = "User not authenticated, use an API Key with a Bearer Authorization header."
DELETED = (
    "One of the records you are trying to modify has already been deleted (Document type: Contact).\n\n"
    "(Records: [987654], User: 2)"
)
PRIVATE = "Private methods (such as 'res.partner._private') cannot be called remotely."
PARTNERS = "/json/2/res.partner"
ERRORS: list[tuple[str, object, dict[str, str] | None, tuple[int, str, str]]] = [
    (f"{PARTNERS}/search", {"domain": []}, {}, (401, UNAUTHORIZED, NO_KEY)),
    (f"{PARTNERS}/search", {}, {"Authorization": "bearer nope"}, (401, UNAUTHORIZED, "Invalid apikey")),
    # a password is not an API key
    (f"{PARTNERS}/search", {}, {"Authorization": "Bearer admin"}, (401, UNAUTHORIZED, "Invalid apikey")),
    ("/json/2/x_nope/read", {}, None, (404, NOT_FOUND, "the model 'x_nope' does not exist")),
    (f"{PARTNERS}/nope", {}, None, (404, NOT_FOUND, "The method 'res.partner.nope' does not exist")),
    (f"{PARTNERS}/_private", {}, None, (403, "odoo.exceptions.AccessError", PRIVATE)),
    (
        f"{PARTNERS}/create",
        {"ids": [1], "vals_list": []},
        None,
        (422, UNPROCESSABLE, "cannot call res.partner.create with ids"),
    ),
    (
        f"{PARTNERS}/search_count",
        {"bogus": 1},
        None,
        (422, UNPROCESSABLE, "got an unexpected keyword argument 'bogus'"),
    ),
    ("/json/2", None, None, (404, NOT_FOUND, "Did you mean POST /json/2/<model>/<method>?")),
    (
        f"{PARTNERS}/write",
        {"ids": [987654], "vals": {"name": "x"}},
        None,
        (404, "odoo.exceptions.MissingError", DELETED),
    ),
    (
        f"{PARTNERS}/create",
        {"vals_list": [{"name": "x", "color": 2**31}]},
        None,
        (500, "psycopg2.errors.NumericValueOutOfRange", "integer out of range\n"),
    ),
]


@pytest.mark.parametrize(("path", "body", "headers", "expected"), ERRORS)
def test_json2_errors_have_odoos_status_and_body(
    odoo19: Standin,
    path: str,
    body: object,
    headers: dict[str, str] | None,
    expected: tuple[int, str, str],
) -> None:
    response = odoo19.post(path, body, headers)
    assert body_of(response) == expected
    if expected[0] == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_refused_call_changes_nothing(odoo19: Standin) -> None:
    name = "json2-rolled-back"
    refused = odoo19.post(
        "/json/2/res.partner/create", {"vals_list": [{"name": name}, {"name": "x", "color": 2**40}]}
    )
    assert refused.status_code == 500
    assert odoo19.post("/json/2/res.partner/search_count", {"domain": [["name", "=", name]]}).json() == 0


def test_products_are_storable_by_is_storable_from_18(odoo19: Standin) -> None:
    seeded = odoo19.post(
        "/json/2/product.product/search_read",
        {"domain": [["is_storable", "=", True]], "fields": ["default_code", "type"]},
    ).json()
    assert {p["type"] for p in seeded} == {"consu"}
    assert len(seeded) == 7  # SKU-1001..1005, SKU-KG-1 and SKU-DZ-1
    old_kind = odoo19.post(
        "/json/2/product.product/create", {"vals_list": [{"name": "x", "type": "product"}]}
    )
    assert old_kind.status_code == 500  # Odoo 18+ has no 'product' type
    assert "type" in old_kind.json()["message"]


def test_json_rpc_still_answers_on_19_and_logs_its_deprecation(odoo19: Standin) -> None:
    odoo = odoorpc.ODOO("127.0.0.1", port=int(odoo19.url.rsplit(":", 1)[1]), protocol="jsonrpc")
    odoo.login("odoo", "admin", "admin")
    assert odoo.version == "19.0"
    assert odoo.env["res.partner"].search_count([]) > 0
    assert "/jsonrpc is deprecated since Odoo 19" in odoo19.log.read_text()


def test_the_json2_transport_never_logs_the_api_key(
    odoo19: Standin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = OdooClient(Json2Transport(odoo19.url, "odoo", API_KEY, timeout_s=10))
        client.login()
        client.search_read("res.partner", [], ["name"], limit=1)
        with pytest.raises(Exception, match="does not exist"):
            client.search_read("x_nope", [], ["name"])
        client.close()
    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)
    assert API_KEY not in caplog.text


def test_17_has_no_json2_and_its_data_stays_17(tmp_path: Path) -> None:
    standin = start(tmp_path, 17)
    try:
        assert httpx.get(f"{standin.url}/web/version").status_code == 404
        assert standin.post("/json/2/res.partner/search", {"domain": []}).status_code == 404
    finally:
        stop(standin)
    command = [
        sys.executable,
        "-m",
        "supplystream_devkit.odoo_standin",
        "--port",
        "0",
        "--data",
        str(tmp_path),
    ]
    again = subprocess.run(
        [*command, "--odoo-version", "19"], capture_output=True, text=True, timeout=30, check=False
    )
    assert again.returncode == 2
    assert "created by the stand-in as Odoo 17, not 19" in again.stderr
