"""The JSON-2 transport's requests and its reading of answers, on httpx's MockTransport (shapes only;
test_odoo_standin_json2.py and the contract suite run it against the stand-in as Odoo 19)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from supplystream.errors import (
    OdooAuthenticationError,
    OdooDataError,
    OdooError,
    OdooMissingRecordError,
    OdooUnavailableError,
)
from supplystream.odoo.client import OdooClient
from supplystream.odoo.connect import DetectingTransport, api_for, transport_for, version_of
from supplystream.odoo.json2 import USER_AGENT, Json2Transport
from supplystream.odoo.json2_params import execute_kw_result, json2_params
from supplystream.odoo.transport import JsonRpcTransport
from supplystream.settings import Settings

KEY = "0123456789abcdef-json2-test-key"
URL = "http://odoo.example:8069"

Handler = Callable[[httpx.Request], httpx.Response]


def transport(handler: Handler, timeout_s: float = 5) -> Json2Transport:
    return Json2Transport(URL, "erp", KEY, timeout_s, transport=httpx.MockTransport(handler))


def error(status: int, name: str, message: str) -> httpx.Response:
    body = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": ""}
    return httpx.Response(status, json=body)


# -- arguments by name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "params"),
    [
        (
            "search_read",
            [[("state", "=", "done")]],
            {"fields": ["name"], "order": "id asc", "offset": 0, "limit": 5},
            {
                "domain": [("state", "=", "done")],
                "fields": ["name"],
                "order": "id asc",
                "offset": 0,
                "limit": 5,
            },
        ),
        ("search", [[], 10, 5, "name"], {}, {"domain": [], "offset": 10, "limit": 5, "order": "name"}),
        ("read", [[1, 2]], {"fields": ["name"]}, {"ids": [1, 2], "fields": ["name"]}),
        ("write", [[3], {"name": "x"}], {}, {"ids": [3], "vals": {"name": "x"}}),
        ("create", [[{"name": "a"}, {"name": "b"}]], {}, {"vals_list": [{"name": "a"}, {"name": "b"}]}),
        ("create", [{"name": "a"}], {"context": {"k": 1}}, {"vals_list": {"name": "a"}, "context": {"k": 1}}),
        ("fields_get", [], {"attributes": ["type"]}, {"attributes": ["type"]}),
        (
            "fields_get",
            [["x_version"]],
            {"attributes": ["type"]},
            {"allfields": ["x_version"], "attributes": ["type"]},
        ),
        ("action_confirm", [[7, 8]], {}, {"ids": [7, 8]}),
        ("button_validate", [9], {}, {"ids": [9]}),
        ("process", [[4]], {"context": {"a": 1}}, {"ids": [4], "context": {"a": 1}}),
        ("unlink", [[]], {}, {"ids": []}),
        ("context_get", [], {}, {}),
    ],
)
def test_execute_kw_calls_become_named_json2_params(
    method: str, args: list[Any], kwargs: dict[str, Any], params: dict[str, Any]
) -> None:
    assert json2_params("m", method, args, kwargs) == params


def test_an_argument_json2_cannot_name_is_refused_before_sending() -> None:
    with pytest.raises(OdooError, match="positional argument 1 of 'action_confirm'"):
        json2_params("sale.order", "action_confirm", [[1], "extra"], {})
    with pytest.raises(OdooError, match="'fields' given both by position and by name"):
        json2_params("res.partner", "read", [[1], ["name"]], {"fields": ["name"]})


def test_create_of_one_dict_answers_its_id_as_over_json_rpc() -> None:
    assert execute_kw_result("create", [{"name": "a"}], [12]) == 12
    assert execute_kw_result("create", [[{"name": "a"}]], [12]) == [12]
    assert execute_kw_result("search", [[]], [1, 2]) == [1, 2]


# -- the request on the wire -------------------------------------------------------------------------


def test_a_call_is_one_post_with_the_key_the_database_and_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"id": 1, "name": "Acme"}])

    result = transport(handler).call("res.partner", "search_read", [[("id", "=", 1)]], {"fields": ["name"]})
    assert result == [{"id": 1, "name": "Acme"}]
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", f"{URL}/json/2/res.partner/search_read")
    assert request.headers["Authorization"] == f"bearer {KEY}"
    assert request.headers["X-Odoo-Database"] == "erp"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["User-Agent"] == USER_AGENT
    assert json.loads(request.content) == {"domain": [["id", "=", 1]], "fields": ["name"]}


def test_version_from_web_version_and_user_from_context_get() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/web/version":
            assert request.method == "GET"
            return httpx.Response(200, json={"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"})
        assert request.url.path == "/json/2/res.users/context_get"
        assert json.loads(request.content) == {}
        return httpx.Response(200, json={"lang": "en_US", "tz": "UTC", "uid": 6})

    client = OdooClient(transport(handler))
    assert (client.login(), client.version, client.api) == (6, 19, "JSON-2")


def test_a_null_result_is_none() -> None:
    assert transport(lambda _request: httpx.Response(200, content=b"null")).call("m", "x", [[1]], {}) is None


# -- errors -------------------------------------------------------------------------------------------


def test_odoos_errors_become_our_types_naming_the_call() -> None:
    answers = {
        "write": error(404, "odoo.exceptions.MissingError", "Record does not exist or has been deleted."),
        "create": error(500, "psycopg2.errors.NumericValueOutOfRange", "integer out of range\n"),
        "nope": error(404, "werkzeug.exceptions.NotFound", "The method 'res.partner.nope' does not exist"),
    }
    json2 = transport(lambda request: answers[request.url.path.rsplit("/", 1)[1]])
    with pytest.raises(OdooMissingRecordError, match=r"res.partner.write: Record does not exist"):
        json2.call("res.partner", "write", [[9], {"name": "x"}], {})
    with pytest.raises(OdooDataError, match="integer out of range") as data:
        json2.call("res.partner", "create", [[{"color": 2**31}]], {})
    assert (data.value.model, data.value.method) == ("res.partner", "create")
    with pytest.raises(OdooError, match="does not exist") as request:
        json2.call("res.partner", "nope", [], {})
    assert type(request.value) is OdooError  # permanent: the call is wrong for this server


def test_a_refused_key_says_json2_takes_an_api_key() -> None:
    refused = transport(lambda _request: error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey"))
    with pytest.raises(OdooAuthenticationError, match="refused the API key on database 'erp'") as refusal:
        refused.authenticate()
    assert "SUPPLYSTREAM_ODOO__API_KEY" in str(refusal.value)
    assert KEY not in str(refusal.value)


def test_an_odoo_below_19_has_no_web_version() -> None:
    old = transport(lambda _request: httpx.Response(404, text="<h1>Not Found</h1>"))
    with pytest.raises(OdooError, match="older than Odoo 19"):
        old.server_version()


def test_rate_limiting_and_proxies_are_unavailability() -> None:
    limited = transport(lambda _r: httpx.Response(429, text="slow down", headers={"Retry-After": "12"}))
    with pytest.raises(OdooUnavailableError, match="HTTP 429 Too Many Requests, retry after 12 s"):
        limited.call("res.partner", "search", [[]], {})
    proxy = transport(lambda _r: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(OdooUnavailableError, match="HTTP 502"):
        proxy.call("res.partner", "search", [[]], {})
    nowhere = transport(lambda _r: httpx.Response(404, text="<html>no</html>"))
    with pytest.raises(OdooUnavailableError, match="no JSON-2 at this address, or no database 'erp'"):
        nowhere.call("res.partner", "search", [[]], {})
    login_page = transport(lambda _r: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(OdooUnavailableError, match="not JSON"):
        login_page.call("res.partner", "search", [[]], {})


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (httpx.ConnectError("Connection refused"), "did not answer res.partner.search (ConnectError"),
        (httpx.ReadTimeout("timed out"), "did not answer res.partner.search within 5 s (ReadTimeout)"),
        (httpx.RemoteProtocolError("Server disconnected"), "RemoteProtocolError"),
    ],
)
def test_network_failures_are_unavailability(failure: Exception, said: str) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(OdooUnavailableError) as unavailable:
        transport(handler).call("res.partner", "search", [[]], {})
    assert said in str(unavailable.value)


def test_no_key_no_transport_and_the_key_stays_out_of_reprs() -> None:
    with pytest.raises(OdooAuthenticationError, match="JSON-2 needs an API key"):
        Json2Transport(URL, "erp", "", 5)
    json2 = transport(lambda _r: httpx.Response(200, json=[]))
    assert KEY not in repr(json2)
    assert KEY not in repr(json2._client.headers)  # httpx masks Authorization
    json2.close()


# -- which API -------------------------------------------------------------------------------------


def test_json2_from_odoo_19_and_json_rpc_below() -> None:
    assert [api_for(major) for major in (11, 17, 18, 19, 20)] == ["jsonrpc"] * 3 + ["json2"] * 2
    odoo19 = {"server_version": "19.0", "server_version_info": [19, 0, 0, "final", 0, ""]}
    assert version_of(URL, 200, odoo19) == (19, 0)
    assert version_of(URL, 200, {"server_version": "saas~17.2"}) == (17, 2)
    with pytest.raises(OdooUnavailableError, match="HTTP 404 and no version"):
        version_of(URL, 404, None)


def test_the_api_setting_forces_a_transport_or_detects_it() -> None:
    def chosen(api: str) -> object:
        return transport_for(Settings(odoo={"url": URL, "api": api, "api_key": KEY}))

    assert isinstance(chosen("json2"), Json2Transport)
    assert isinstance(chosen("jsonrpc"), JsonRpcTransport)
    detecting = chosen("auto")
    assert isinstance(detecting, DetectingTransport)
    assert detecting.api == "auto"  # nothing asked yet: the client may be built while Odoo is down
