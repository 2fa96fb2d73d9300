"""`Json2Transport`: Odoo 19's JSON-2 API over httpx, behind the client's transport interface.

Each call is ``POST <url>/json/2/<model>/<method>`` with a bearer API key and every argument named
(`supplystream.odoo.json2_params`); errors are classified by `supplystream.odoo.failures`. Each call is
its own transaction, as over JSON-RPC. The API key lives only in the pooled client's headers and no
message here quotes a request. Why not Odoo's ``odoo-client-lib``: "Odoo" in the README.
"""

from __future__ import annotations

import json
import weakref
from typing import Any
from urllib.parse import urlsplit

import httpx

from supplystream import __version__
from supplystream.errors import OdooAuthenticationError, OdooError, OdooUnavailableError
from supplystream.odoo.failures import json2_error_for, json2_server_error
from supplystream.odoo.json2_params import execute_kw_result, json2_params
from supplystream.odoo.transport import parse_version

#: The first Odoo with JSON-2 (addons/rpc).
JSON2_SINCE = 19
USER_AGENT = f"supplystream/{__version__} (JSON-2; httpx/{httpx.__version__})"
_JSON = "application/json; charset=utf-8"
_NOT_FOUND = 404


class Json2Transport:
    """Odoo's JSON-2 API (Odoo 19+) with an API key."""

    api = "JSON-2"

    def __init__(
        self,
        url: str,
        database: str,
        api_key: str,
        timeout_s: float,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OdooError(f"Odoo URL {url!r} must look like http://host:8069 or https://host")
        if not api_key:
            raise OdooAuthenticationError(
                "JSON-2 needs an API key: set SUPPLYSTREAM_ODOO__API_KEY (Odoo: Preferences > Account "
                "Security > New API Key)"
            )
        self._url = url.rstrip("/")
        self._database = database
        self._timeout = timeout_s
        self._client = httpx.Client(
            base_url=self._url,
            headers={
                "Authorization": f"bearer {api_key}",
                "X-Odoo-Database": database,
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )
        # A transport dropped without close() (the client reconnects after an outage) still closes
        # its pooled connections when it is collected.
        self._closer = weakref.finalize(self, self._client.close)

    def __repr__(self) -> str:
        return f"Json2Transport({self._url!r}, database={self._database!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._closer()

    # -- the transport interface ----------------------------------------------------------------

    def server_version(self) -> tuple[int, int]:
        """``GET /web/version`` (no key needed): ``{"version_info": [19, 0, ...], "version": "19.0"}``."""
        response = self._send("GET", "/web/version", None, None, None)
        if response.status_code == _NOT_FOUND:
            raise OdooError(
                f"Odoo at {self._url} has no /web/version: it is older than Odoo 19, and JSON-2 needs 19 "
                "or later; set SUPPLYSTREAM_ODOO__API=auto (or jsonrpc)"
            )
        answer = self._result(response, None, None)
        found = (
            parse_version(answer.get("version_info"), answer.get("version"))
            if isinstance(answer, dict)
            else None
        )
        if found is None:
            raise OdooError(f"Odoo at {self._url} reports an unreadable version: {str(answer)[:200]!r}")
        return found

    def authenticate(self) -> int:
        """The key's user, from ``res.users/context_get`` (JSON-2 has no login)."""
        try:
            context = self.call("res.users", "context_get", [], {})
        except OdooAuthenticationError as exc:
            raise OdooAuthenticationError(
                f"Odoo at {self._url} refused the API key on database {self._database!r} ({exc}): JSON-2 "
                "takes an API key, not a password; set SUPPLYSTREAM_ODOO__API_KEY (Odoo: Preferences > "
                "Account Security > New API Key), or SUPPLYSTREAM_ODOO__API=jsonrpc for the deprecated "
                "JSON-RPC",
                model="res.users",
                method="context_get",
                odoo_name=exc.odoo_name,
            ) from exc
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise OdooError(f"Odoo at {self._url} answered res.users.context_get without a uid: {context!r}")
        return uid

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """``model.method(*args, **kwargs)``: one JSON-2 request, one transaction in Odoo."""
        params = json2_params(model, method, args, kwargs)
        try:
            body = json.dumps(params, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise OdooError(
                f"{model}.{method}: arguments JSON cannot carry ({exc})", model=model, method=method
            ) from exc
        response = self._send("POST", f"/json/2/{model}/{method}", body, model, method)
        return execute_kw_result(method, args, self._result(response, model, method))

    # -- HTTP -------------------------------------------------------------------------------

    def _send(
        self, verb: str, path: str, body: bytes | None, model: str | None, method: str | None
    ) -> httpx.Response:
        where = f"{model}.{method}" if model else path
        try:
            if body is None:
                return self._client.request(verb, path)
            return self._client.request(verb, path, content=body, headers={"Content-Type": _JSON})
        except httpx.TimeoutException as exc:
            raise OdooUnavailableError(
                f"Odoo at {self._url} did not answer {where} within {self._timeout:g} s "
                f"({type(exc).__name__}): is it overloaded? (SUPPLYSTREAM_ODOO__TIMEOUT_S)",
                model=model,
                method=method,
            ) from exc
        except httpx.TransportError as exc:
            raise OdooUnavailableError(
                f"Odoo at {self._url} did not answer {where} ({type(exc).__name__}: {exc}): is it running "
                "and reachable?",
                model=model,
                method=method,
            ) from exc

    def _result(self, response: httpx.Response, model: str | None, method: str | None) -> Any:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
            if response.is_success:
                raise OdooUnavailableError(
                    f"Odoo at {self._url} answered {response.status_code} with a body that is not JSON: "
                    "this address does not look like Odoo's JSON-2 (check SUPPLYSTREAM_ODOO__URL)",
                    model=model,
                    method=method,
                ) from None
        if response.is_success:
            return body
        if response.status_code == _NOT_FOUND and json2_server_error(body) is None:
            raise OdooUnavailableError(
                f"Odoo at {self._url} answered HTTP 404 without Odoo's error object: no JSON-2 at this "
                f"address, or no database {self._database!r} there (Odoo serves JSON-2 within a "
                "database: check SUPPLYSTREAM_ODOO__URL and __DATABASE)",
                model=model,
                method=method,
            )
        raise json2_error_for(
            self._url,
            response.status_code,
            body,
            model=model,
            method=method,
            reason=response.reason_phrase,
            retry_after=response.headers.get("Retry-After"),
        )
