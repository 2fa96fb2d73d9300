"""How calls reach Odoo. One interface, so the client does not care which API carries them.

`JsonRpcTransport` uses odoorpc over ``/jsonrpc`` (services ``common`` and ``object``), which every
Odoo from 10 to 19 speaks. Odoo 19 deprecates it (removal announced for Odoo 22) in favour of
JSON-2 (``POST /json/2/<model>/<method>`` with a bearer API key and HTTP status codes):
`supplystream.odoo.json2.Json2Transport` implements the same three methods;
`supplystream.odoo.connect` picks one by the server's version. A transport may also have
``close()`` (its pooled connections) and ``api`` (its name, for operators).

Every library error leaves this module as one of our `OdooError` types.
"""

from __future__ import annotations

import http.client
import logging
import re
import urllib.error
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

import odoorpc
import odoorpc.error

from supplystream.errors import OdooAuthenticationError, OdooError, OdooUnavailableError
from supplystream.odoo.failures import ServerError, error_for, http_error_for


class OdooTransport(Protocol):
    """The three things the client needs from an Odoo API."""

    def server_version(self) -> tuple[int, int]:
        """(major, minor) of the server, e.g. (17, 0), without logging in."""

    def authenticate(self) -> int:
        """Log in; the user's id. Raises OdooAuthenticationError."""

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call ``model.method(*args, **kwargs)`` as the logged-in user."""


def parse_version(info: Any, text: Any) -> tuple[int, int] | None:
    """(major, minor) from Odoo's ``version_info`` list (``[19, 0, 0, "final", 0, ""]``), else from
    its version text (``"17.0"``, ``"saas~17.2"``); None when neither says."""
    if isinstance(info, list) and len(info) >= 2 and all(type(n) is int for n in info[:2]):
        return int(info[0]), int(info[1])
    found = re.search(r"(\d+)\.(\d+)", str(text or ""))
    return (int(found.group(1)), int(found.group(2))) if found else None


def server_error_of(exc: odoorpc.error.RPCError) -> ServerError:
    """The error Odoo serialised, as odoorpc hands it over (``exc.info`` is the JSON-RPC ``error``)."""
    info: dict[str, Any] = exc.info if isinstance(getattr(exc, "info", None), dict) else {}
    data: dict[str, Any] = info["data"] if isinstance(info.get("data"), dict) else {}
    code = info.get("code")
    return ServerError(
        name=str(data.get("name") or ""),
        message=str(data.get("message") or info.get("message") or exc),
        code=code if isinstance(code, int) and not isinstance(code, bool) else 200,
    )


def map_error(exc: odoorpc.error.RPCError, model: str | None, method: str | None) -> OdooError:
    """The OdooError for an Odoo JSON-RPC error object, by its cause (`supplystream.odoo.failures`)."""
    return error_for(server_error_of(exc), model, method)


@contextmanager
def odoo_errors(url: str, model: str | None = None, method: str | None = None) -> Iterator[None]:
    """Turn odoorpc and network errors into OdooError types."""
    try:
        yield
    except odoorpc.error.RPCError as exc:
        raise map_error(exc, model, method) from exc
    except urllib.error.HTTPError as exc:
        exc.close()  # its unread body holds the connection's socket until a garbage collection
        raise http_error_for(url, exc.code, str(exc.reason), model, method) from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise OdooUnavailableError(
            f"Odoo at {url} did not answer ({reason}): is it running and reachable?",
            model=model,
            method=method,
        ) from exc


class _HideCallArguments(logging.Filter):
    """odoorpc logs every JSON-RPC call at DEBUG with its arguments, which carry the password or API key
    (``/jsonrpc`` calls send it with every ``execute_kw``): keep the URL, hide the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping) and "data" in record.args:
            record.args = {**record.args, "data": "(arguments hidden: they carry credentials)"}
        return True


_ODOORPC_LOGGER = logging.getLogger("odoorpc.rpc.jsonrpclib")


def _hide_odoorpc_arguments() -> None:
    if not any(isinstance(f, _HideCallArguments) for f in _ODOORPC_LOGGER.filters):
        _ODOORPC_LOGGER.addFilter(_HideCallArguments())


class JsonRpcTransport:
    """Odoo's external JSON-RPC API through odoorpc."""

    api = "JSON-RPC"

    def __init__(self, url: str, database: str, login: str, password: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OdooError(f"Odoo URL {url!r} must look like http://host:8069 or https://host")
        self._url = url
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._protocol = "jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc"
        self._database = database
        self._login = login
        self._password = password
        self._timeout = timeout_s
        self._odoo: Any = None
        _hide_odoorpc_arguments()

    def _connection(self) -> Any:
        if self._odoo is None:
            with odoo_errors(self._url):
                self._odoo = odoorpc.ODOO(
                    self._host, protocol=self._protocol, port=self._port, timeout=self._timeout
                )
        return self._odoo

    def server_version(self) -> tuple[int, int]:
        """Read from /web/webclient/version_info (odoorpc does it when connecting)."""
        version = str(self._connection().version)  # "17.0", "11.0", "saas~17.2"
        found = parse_version(None, version)
        if found is None:
            raise OdooError(f"Odoo at {self._url} reports an unreadable version {version!r}")
        return found

    def authenticate(self) -> int:
        """``common.login`` then the user's context, as odoorpc does."""
        odoo = self._connection()
        with odoo_errors(self._url, "res.users", "login"):
            try:
                odoo.login(self._database, self._login, self._password)
            except odoorpc.error.RPCError as exc:
                if "Wrong login ID or password" in str(exc):
                    raise OdooAuthenticationError(
                        f"Odoo at {self._url} refused login {self._login!r} on database "
                        f"{self._database!r}: check SUPPLYSTREAM_ODOO__LOGIN / __PASSWORD / __DATABASE"
                    ) from exc
                raise
        return int(odoo.env.uid)

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """``object.execute_kw``."""
        with odoo_errors(self._url, model, method):
            return self._connection().execute_kw(model, method, args, kwargs)
