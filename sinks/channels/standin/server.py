"""The stand-in's HTTP front (aiohttp): Shopify's Admin REST routes, auth, throttling, faults, journal.

Order of checks per Admin API request, as Shopify answers them: authentication (401), the leaky
bucket (429 + ``Retry-After``), then the call itself. Before all of these the fault injected through
``/_standin/faults`` applies (429, 500, or hang then answer). Every Admin API request is recorded —
queryable at ``GET /_standin/requests`` — and appended to the journal; at start the journal's applied
requests are replayed, so stopping and restarting the process keeps the shop's state.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from sinks.channels.standin.shop import NOT_FOUND, Answer, Shop

logger = logging.getLogger("supplystream.channel_standin")

Auth = Literal["bearer", "hmac"]
_ROUTE = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2})/(?P<rest>.+)$")
_ORDER_SUB = re.compile(r"^orders/(?P<id>\d+)/(?P<what>fulfillment_orders|fulfillments)\.json$")
#: Headers the request log keeps (never the token or signature themselves).
_LOGGED_HEADERS = ("Idempotency-Key", "Content-Type", "X-Key-Id")


@dataclass
class AuthConfig:
    """How API clients authenticate: a token in a header, or an HMAC signature of each request."""

    kind: Auth
    secret: str
    header: str = "X-Shopify-Access-Token"
    prefix: str = ""
    signature_header: str = "X-Signature"
    timestamp_header: str = "X-Signature-Timestamp"
    tolerance_s: float = 300.0

    def accepts(self, request_headers: Any, method: str, path: str, body: bytes, now: float) -> bool:
        if self.kind == "bearer":
            given = request_headers.get(self.header, "")
            return hmac.compare_digest(given.encode(), (self.prefix + self.secret).encode())
        timestamp = request_headers.get(self.timestamp_header, "")
        given = request_headers.get(self.signature_header, "")
        try:
            fresh = abs(now - int(timestamp)) <= self.tolerance_s
        except ValueError:
            return False
        message = f"{timestamp}.{method}.{path}.".encode() + body
        expected = "sha256=" + hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        return fresh and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class LeakyBucket:
    """Shopify's REST limit: a bucket of ``size`` requests leaking ``rate`` per second."""

    size: int = 40
    rate: float = 2.0
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> bool:
        self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 > self.size:
            return False
        self.level += 1
        return True

    def header(self) -> str:
        return f"{min(self.size, int(self.level + 0.999))}/{self.size}"


@dataclass
class Fault:
    """An injected misbehaviour: ``mode`` for the next ``count`` API requests (None: until cleared)."""

    mode: Literal["none", "429", "500", "hang"] = "none"
    count: int | None = None
    retry_after: float = 2.0
    hang_s: float = 30.0

    def take(self) -> Fault | None:
        """The fault for this request (a copy), counting it down."""
        if self.mode == "none":
            return None
        snapshot = replace(self)
        if self.count is not None:
            self.count -= 1
            if self.count <= 0:
                self.mode, self.count = "none", None
        return snapshot


class Standin:
    """The application state: the shop, the request log, the journal file."""

    def __init__(
        self, shop: Shop, auth: AuthConfig, bucket: LeakyBucket, api_version: str, journal: Path | None
    ) -> None:
        self.shop = shop
        self.auth = auth
        self.bucket = bucket
        self.api_version = api_version
        self.fault = Fault()
        self.requests: list[dict[str, Any]] = []
        self._journal_path = journal
        self._journal = None
        if journal is not None:
            self._replay(journal)
            self._journal = journal.open("a", encoding="utf-8")

    # -- journal ---------------------------------------------------------------------------
    def _replay(self, path: Path) -> None:
        if not path.is_file():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["kind"] == "seed-products":
                self.shop.add_products(entry["skus"])
            elif entry["kind"] == "seed-orders":
                self.shop.add_orders(entry["names"], entry.get("location_id"))
            elif entry["kind"] == "api":
                self.requests.append(entry["request"])
                if entry["request"]["applied"]:
                    self._apply(
                        entry["request"]["method"],
                        entry["request"]["rest"],
                        entry["request"]["query"],
                        entry["body"].encode(),
                        entry["request"]["idempotency_key"],
                        entry["request"]["at"],
                    )
        logger.info("journal replayed: %d API requests", len(self.requests))

    def journal(self, entry: dict[str, Any]) -> None:
        if self._journal is not None:
            self._journal.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._journal.flush()

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()

    # -- the API ---------------------------------------------------------------------------
    def _apply(  # noqa: PLR0917 - the parts of a recorded request, replayed from the journal too
        self, method: str, rest: str, query: dict[str, str], body: bytes, key: str | None, at: float
    ) -> tuple[Answer, bool]:
        """Run one API call (idempotent for POSTs with a key); the answer and whether it was a replay."""
        fingerprint = Shop.fingerprint(method, rest, body)
        if method == "POST" and key:
            remembered = self.shop.remembered(key, fingerprint)
            if remembered is not None:
                return remembered, self.shop.idempotency[key][0] == fingerprint
        answer = self._dispatch(method, rest, query, body, at)
        if method == "POST" and key:
            self.shop.remember(key, fingerprint, answer)
        return answer, False

    def _dispatch(  # noqa: PLR0911 - one return per route
        self, method: str, rest: str, query: dict[str, str], body: bytes, at: float
    ) -> Answer:
        shop = self.shop
        if method == "GET" and rest == "shop.json":
            return shop.shop()
        if method == "GET" and rest == "inventory_levels.json":
            return shop.list_levels(query)
        if method == "GET" and rest == "orders.json":
            return shop.list_orders(query)
        if method == "GET" and (match := _ORDER_SUB.match(rest)):
            order_id = int(match["id"])
            if match["what"] == "fulfillments":
                return shop.order_fulfillments(order_id)
            return shop.order_fulfillment_orders(order_id)
        if method == "POST" and rest in {"inventory_levels/set.json", "fulfillments.json"}:
            try:
                parsed = json.loads(body or b"null")
            except ValueError:
                return 400, {"errors": "Unable to parse the request body as JSON"}
            if not isinstance(parsed, dict):
                return 400, {"errors": "Required parameter missing or invalid"}
            if rest == "fulfillments.json":
                return shop.create_fulfillment(parsed, at)
            return shop.set_level(parsed, at)
        return NOT_FOUND

    async def handle_api(  # noqa: PLR0911 - Shopify's checks in order, each may answer
        self, request: web.Request
    ) -> web.Response:
        match = _ROUTE.match(request.path)
        if match is None or match["version"] != self.api_version:
            return _json(*NOT_FOUND)
        body = await request.read()
        method = request.method
        now = time.time()
        entry: dict[str, Any] = {
            "seq": len(self.requests) + 1,
            "at": now,
            "method": method,
            "path": request.path,
            "rest": match["rest"],
            "query": dict(request.query),
            "headers": {h: request.headers[h] for h in _LOGGED_HEADERS if h in request.headers},
            "idempotency_key": request.headers.get("Idempotency-Key"),
            "body": _parsed(body),
            "status": 0,
            "applied": False,
            "replayed": False,
            "fault": "none",
        }
        self.requests.append(entry)
        fault = self.fault.take()
        entry["fault"] = fault.mode if fault else "none"
        headers: dict[str, str] = {}
        try:
            if fault is not None and fault.mode == "hang":
                await asyncio.sleep(fault.hang_s)
            elif fault is not None and fault.mode == "429":
                headers["Retry-After"] = f"{fault.retry_after:.1f}"
                return self._answer(entry, 429, _THROTTLED, headers)
            elif fault is not None and fault.mode == "500":
                return self._answer(entry, 500, {"errors": "Internal Server Error"}, headers)
            if not self.auth.accepts(request.headers, method, request.path, body, now):
                return self._answer(entry, 401, _UNAUTHORIZED, headers)
            if match["rest"] != "shop.json" and not self.bucket.take(time.monotonic()):
                headers["Retry-After"] = "2.0"
                headers["X-Shopify-Shop-Api-Call-Limit"] = self.bucket.header()
                return self._answer(entry, 429, _THROTTLED, headers)
            headers["X-Shopify-Shop-Api-Call-Limit"] = self.bucket.header()
            if method == "GET" and match["rest"] == "products.json":
                base = f"{request.scheme}://{request.host}{request.path}"
                status, payload, link = self.shop.list_products(dict(request.query), base)
                if link:
                    headers["Link"] = link
                return self._answer(entry, status, payload, headers)
            key = entry["idempotency_key"]
            (status, payload), replayed = self._apply(method, match["rest"], entry["query"], body, key, now)
            entry["replayed"] = replayed
            entry["applied"] = method == "POST" and status < 300 and not replayed
            if method == "POST" and status < 500:
                headers["X-Request-Id"] = entry["idempotency_key"] or str(entry["seq"])
            return self._answer(entry, status, payload, headers, body=body)
        except asyncio.CancelledError:
            entry["status"] = -1  # the client went away while we hung
            raise

    def _answer(
        self,
        entry: dict[str, Any],
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str],
        body: bytes = b"",
    ) -> web.Response:
        entry["status"] = status
        self.journal({"kind": "api", "request": entry, "body": body.decode("utf-8", "replace")})
        logger.info(
            "%s %s -> %s%s",
            entry["method"],
            entry["path"],
            status,
            " (replayed)" if entry["replayed"] else "",
        )
        return _json(status, payload, headers)

    # -- the stand-in's own control API ----------------------------------------------------
    async def get_requests(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        rest = request.query.get("rest")
        found = [r for r in self.requests if r["seq"] > since and (rest is None or r["rest"] == rest)]
        return web.json_response({"requests": found})

    async def get_levels(self, _request: web.Request) -> web.Response:
        sku_of = {item: sku for sku, item in self.shop.items_by_sku.items()}
        levels = [
            {"sku": sku_of.get(item), **level}
            for (item, _location), level in sorted(self.shop.levels.items())
        ]
        return web.json_response({"levels": levels})

    async def get_fulfillments(self, _request: web.Request) -> web.Response:
        names = {o["id"]: o["name"] for o in self.shop.orders.values()}
        found = [{"order_name": names.get(f["order_id"]), **f} for f in self.shop.fulfillments]
        return web.json_response({"fulfillments": found})

    async def post_products(self, request: web.Request) -> web.Response:
        skus = [str(s) for s in (await request.json())["skus"]]
        self.journal({"kind": "seed-products", "skus": skus})
        return web.json_response({"inventory_items": self.shop.add_products(skus)})

    async def post_orders(self, request: web.Request) -> web.Response:
        data = await request.json()
        names = [str(n) for n in data["names"]]
        location = data.get("location_id")
        self.journal({"kind": "seed-orders", "names": names, "location_id": location})
        return web.json_response({"orders": self.shop.add_orders(names, location)})

    async def get_faults(self, _request: web.Request) -> web.Response:
        f = self.fault
        return web.json_response(
            {"mode": f.mode, "count": f.count, "retry_after": f.retry_after, "hang_s": f.hang_s}
        )

    async def post_faults(self, request: web.Request) -> web.Response:
        data = await request.json()
        mode = data.get("mode", "none")
        if mode not in {"none", "429", "500", "hang"}:
            return web.json_response({"errors": "mode is one of none, 429, 500, hang"}, status=422)
        self.fault = Fault(
            mode, data.get("count"), float(data.get("retry_after", 2.0)), float(data.get("hang_s", 30.0))
        )
        return await self.get_faults(request)


_THROTTLED = {
    "errors": "Exceeded 2 calls per second for api client. "
    "Reduce request rates to resume uninterrupted service."
}
_UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def _parsed(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(payload, status=status, headers=headers)


def make_app(standin: Standin) -> web.Application:
    """The aiohttp application: the Admin API under /admin/api/, the control API under /_standin/."""
    app = web.Application()
    app.router.add_get("/_standin/requests", standin.get_requests)
    app.router.add_get("/_standin/levels", standin.get_levels)
    app.router.add_get("/_standin/fulfillments", standin.get_fulfillments)
    app.router.add_post("/_standin/products", standin.post_products)
    app.router.add_post("/_standin/orders", standin.post_orders)
    app.router.add_get("/_standin/faults", standin.get_faults)
    app.router.add_post("/_standin/faults", standin.post_faults)
    app.router.add_route("*", "/admin/api/{tail:.*}", standin.handle_api)
    return app
