"""The thin HTTP adapter: the subset of Shopify's Admin REST API the channel sink needs, on httpx.

Every request passes the channel's token bucket, a 429 is waited out for its ``Retry-After``, every
POST carries an ``Idempotency-Key``; failures map to the channel errors (unavailable, auth, rejected,
throttled). Secrets are only ever put into headers; nothing here logs them. The endpoints:
sinks/channels/standin/README.md; the error mapping: "Channel sink" in the README.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from sinks.channels.config import BearerAuth, Channel, HmacAuth
from sinks.channels.errors import (
    ChannelAuthError,
    ChannelRejectedError,
    ChannelThrottledError,
    ChannelUnavailableError,
)
from sinks.channels.ratelimit import TokenBucket

logger = logging.getLogger("supplystream.sinks.channels")

_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
#: Carrier codes of our events -> the tracking company names Shopify recognises.
TRACKING_COMPANIES: Mapping[str, str] = {
    "dhl": "DHL Express",
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dpd": "DPD",
    "gls": "GLS",
    "postnl": "PostNL",
}


@dataclass(frozen=True, slots=True)
class Response:
    """The parts of an answer the sink reads."""

    status: int
    body: dict[str, Any]
    headers: httpx.Headers
    #: Seconds spent waiting on 429s before this answer.
    throttled_s: float = 0.0


def retry_after_seconds(value: str | None, default: float = 2.0) -> float:
    """Shopify sends ``Retry-After: 2.0`` (seconds, possibly fractional); anything else -> default."""
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        return default
    return seconds if seconds >= 0 else default


def signature(secret: SecretStr, timestamp: str, method: str, path: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(secret, "{timestamp}.{METHOD}.{path}.{body}"))``."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


class ShopifyRest:
    """One channel's Admin REST API (see the module docstring)."""

    def __init__(
        self,
        channel: Channel,
        secret: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.channel = channel
        self._secret = secret
        self._sleep = sleep
        self._clock = clock
        self._bucket = TokenBucket(
            channel.rate_limit.requests_per_second, channel.rate_limit.burst, sleep=sleep
        )
        self._http = httpx.Client(
            base_url=channel.base_url.rstrip("/"),
            timeout=channel.timeout_s,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "supplystream-channel-sink"},
        )
        self._prefix = f"/admin/api/{channel.api_version}"
        #: Total seconds waited on 429 answers (for metrics and tests).
        self.throttled_s = 0.0

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    # -- the endpoints ---------------------------------------------------------------------
    def answers(self) -> bool:
        """Whether the shop answers with our credentials (the runtime's probe)."""
        try:
            self._call("GET", "/shop.json", honour_429=False)
        except (ChannelUnavailableError, ChannelAuthError, ChannelThrottledError, ChannelRejectedError):
            return False
        return True

    def inventory_items_by_sku(self) -> dict[str, int]:
        """Every variant's SKU -> inventory item id (variants without a SKU are skipped)."""
        items: dict[str, int] = {}
        path: str | None = "/products.json"
        params: dict[str, str] | None = {"fields": "id,variants", "limit": "250"}
        while path is not None:
            answer = self._call("GET", path, params=params)
            for product in answer.body.get("products", []):
                for variant in product.get("variants", []):
                    if variant.get("sku"):
                        items[str(variant["sku"])] = int(variant["inventory_item_id"])
            path, params = self._next_page(answer.headers.get("Link")), None
        return items

    def set_available(self, inventory_item_id: int, available: int, idempotency_key: str) -> Response:
        """Set the location's ``available`` quantity of an item (absolute)."""
        body = {
            "location_id": self.channel.location_id,
            "inventory_item_id": inventory_item_id,
            "available": available,
        }
        return self._call("POST", "/inventory_levels/set.json", body=body, idempotency_key=idempotency_key)

    def order_id_named(self, name: str) -> int | None:
        """The channel's id of the order named ``name``, if the channel has it."""
        answer = self._call(
            "GET", "/orders.json", params={"name": name, "status": "any", "fields": "id,name"}
        )
        for order in answer.body.get("orders", []):
            if order.get("name") == name:
                return int(order["id"])
        return None

    def fulfillments(self, order_id: int) -> list[dict[str, Any]]:
        """The order's fulfillments."""
        return list(self._call("GET", f"/orders/{order_id}/fulfillments.json").body.get("fulfillments", []))

    def fulfillment_orders(self, order_id: int) -> list[dict[str, Any]]:
        """The order's fulfillment orders."""
        answer = self._call("GET", f"/orders/{order_id}/fulfillment_orders.json")
        return list(answer.body.get("fulfillment_orders", []))

    def create_fulfillment(
        self, fulfillment_order_ids: list[int], carrier: str, tracking_number: str, idempotency_key: str
    ) -> Response:
        """Fulfil whole fulfillment orders with a tracking number."""
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": i} for i in fulfillment_order_ids
                ],
                "tracking_info": {
                    "number": tracking_number,
                    "company": TRACKING_COMPANIES.get(carrier.lower(), carrier),
                },
                "notify_customer": self.channel.notify_customer,
            }
        }
        return self._call("POST", "/fulfillments.json", body=body, idempotency_key=idempotency_key)

    # -- plumbing --------------------------------------------------------------------------
    def _next_page(self, link: str | None) -> str | None:
        match = _NEXT_LINK.search(link or "")
        if match is None:
            return None
        url = httpx.URL(match.group(1))
        path = url.raw_path.decode()
        return path.removeprefix(self._prefix) if path.startswith(self._prefix) else path

    def _auth_headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        auth: BearerAuth | HmacAuth = self.channel.auth
        if isinstance(auth, BearerAuth):
            return {auth.header: f"{auth.prefix}{self._secret.get_secret_value()}"}
        timestamp = str(int(self._clock()))
        headers = {
            auth.timestamp_header: timestamp,
            auth.signature_header: "sha256=" + signature(self._secret, timestamp, method, path, body),
        }
        if auth.key_id is not None:
            headers[auth.key_id_header] = auth.key_id
        return headers

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        honour_429: bool = True,
    ) -> Response:
        full_path = self._prefix + path
        content = (
            json.dumps(body, separators=(",", ":"), sort_keys=True).encode() if body is not None else b""
        )
        waited = 0.0
        while True:
            self._bucket.acquire()
            headers = self._auth_headers(method, full_path, content)
            if body is not None:
                headers["Content-Type"] = "application/json"
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            try:
                answer = self._http.request(
                    method, full_path, params=params, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                raise ChannelUnavailableError(
                    f"channel {self.channel.name} ({self.channel.base_url}) did not answer {method} "
                    f"{full_path}: {type(exc).__name__}; the sink pauses and retries until it does"
                ) from exc
            if answer.status_code == 429 and honour_429:
                pause = retry_after_seconds(answer.headers.get("Retry-After"))
                if waited + pause > self.channel.max_retry_after_s:
                    raise ChannelThrottledError(
                        f"channel {self.channel.name} throttled {method} {full_path} for over "
                        f"{self.channel.max_retry_after_s:g} s (Retry-After {pause:g} s); retried later — "
                        "lower rate_limit.requests_per_second if this repeats"
                    )
                logger.info(
                    "channel throttled, waiting Retry-After",
                    extra={"channel": self.channel.name, "path": full_path, "retry_after_s": pause},
                )
                self._sleep(pause)
                waited += pause
                self.throttled_s += pause
                continue
            return self._classify(method, full_path, answer, waited)

    def _classify(self, method: str, path: str, answer: httpx.Response, waited: float) -> Response:
        status = answer.status_code
        try:
            parsed = answer.json() if answer.content else {}
        except ValueError:
            parsed = {"errors": answer.text[:200]}
        body: dict[str, Any] = parsed if isinstance(parsed, dict) else {"errors": parsed}
        where = f"channel {self.channel.name}: {method} {path} -> {status}"
        if status >= 500 or status == 429:
            raise ChannelUnavailableError(f"{where}; the sink pauses and retries until the channel recovers")
        if status in {401, 403}:
            raise ChannelAuthError(
                f"{where} {body.get('errors')!r}: check the channel's credentials in the channels file "
                "(the sink stays paused until they work)"
            )
        if status >= 400:
            raise ChannelRejectedError(f"{where} {body.get('errors')!r}")
        return Response(status, body, answer.headers, waited)
