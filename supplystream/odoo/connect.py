"""Which API reaches the configured Odoo: JSON-2 from Odoo 19, JSON-RPC below, unless
``SUPPLYSTREAM_ODOO__API`` forces one (``json2``, ``jsonrpc``; default ``auto``).

`detect_version` asks ``/web/webclient/version_info`` (JSON-RPC, before any login): every Odoo
from 10 to 19 answers it, and odoorpc reads the version there too. `DetectingTransport` asks on
first use and then hands every call to the transport that version calls for. The client builds a
new transport after Odoo was unreachable, so an Odoo upgraded to 19 in the meantime is met with
JSON-2. Both APIs take the same secret, ``SUPPLYSTREAM_ODOO__API_KEY`` (alias of ``__PASSWORD``):
JSON-RPC takes a password or an API key, JSON-2 only an API key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from supplystream.errors import OdooError, OdooUnavailableError
from supplystream.odoo.json2 import JSON2_SINCE, Json2Transport
from supplystream.odoo.transport import JsonRpcTransport, OdooTransport, parse_version
from supplystream.settings import Settings

logger = logging.getLogger(__name__)

VERSION_INFO_PATH = "/web/webclient/version_info"


def detect_version(url: str, timeout_s: float) -> tuple[int, int]:
    """(major, minor) of the Odoo at ``url``, from its ``/web/webclient/version_info``."""
    try:
        response = httpx.post(
            url.rstrip("/") + VERSION_INFO_PATH,
            json={"jsonrpc": "2.0", "method": "call", "params": {}, "id": None},
            timeout=timeout_s,
        )
    except httpx.TransportError as exc:
        raise OdooUnavailableError(
            f"Odoo at {url} did not answer ({type(exc).__name__}: {exc}): is it running and reachable?"
        ) from exc
    try:
        result = response.json().get("result") if response.is_success else None
    except ValueError:
        result = None
    return version_of(url, response.status_code, result)


def version_of(url: str, status: int, result: Any) -> tuple[int, int]:
    """(major, minor) from a ``version_info`` result (``server_version_info``, else the
    ``server_version`` text, e.g. ``saas~17.2``)."""
    if not isinstance(result, dict):
        raise OdooUnavailableError(
            f"Odoo at {url} answered {VERSION_INFO_PATH} with HTTP {status} and no version: is this "
            "Odoo's address? (SUPPLYSTREAM_ODOO__URL)"
        )
    found = parse_version(result.get("server_version_info"), result.get("server_version"))
    if found is None:
        raise OdooError(f"Odoo at {url} reports an unreadable version {result.get('server_version')!r}")
    return found


def api_for(major: int) -> str:
    """The API to use with Odoo ``major``: JSON-2 from 19 (JSON-RPC is deprecated there)."""
    return "json2" if major >= JSON2_SINCE else "jsonrpc"


class DetectingTransport:
    """Detects the server's version on first use, then delegates to ``build(major)``."""

    def __init__(self, url: str, timeout_s: float, build: Callable[[int], OdooTransport]) -> None:
        self._url = url
        self._timeout = timeout_s
        self._build = build
        self._version: tuple[int, int] | None = None
        self._inner: OdooTransport | None = None

    @property
    def api(self) -> str:
        """The API in use (``JSON-2``, ``JSON-RPC``), once detected."""
        return str(getattr(self._inner, "api", "auto")) if self._inner is not None else "auto"

    def _transport(self) -> OdooTransport:
        if self._inner is None:
            self._version = detect_version(self._url, self._timeout)
            self._inner = self._build(self._version[0])
            logger.info("Odoo at %s is %s.%s: using %s", self._url, *self._version, self.api)
        return self._inner

    def server_version(self) -> tuple[int, int]:
        self._transport()
        assert self._version is not None  # noqa: S101 - set by _transport()
        return self._version

    def authenticate(self) -> int:
        return self._transport().authenticate()

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return self._transport().call(model, method, args, kwargs)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


def transport_for(settings: Settings) -> OdooTransport:
    """The transport for the configured Odoo and ``SUPPLYSTREAM_ODOO__API``."""
    odoo = settings.odoo
    url, secret = settings.odoo_url, odoo.password.get_secret_value()

    def build(api: str) -> OdooTransport:
        if api == "json2":
            return Json2Transport(url, odoo.database, secret, odoo.timeout_s)
        return JsonRpcTransport(url, odoo.database, odoo.login, secret, odoo.timeout_s)

    if odoo.api != "auto":
        return build(odoo.api)
    return DetectingTransport(url, odoo.timeout_s, lambda major: build(api_for(major)))
