"""The stand-in's shop: products, inventory levels, orders and fulfillments, as plain data.

Each Admin REST call is a method returning ``(status, body)`` shaped like Shopify's answers. The
server replays its journal through these same methods at start, so the shop survives a restart.
Idempotency (the ``Idempotency-Key`` header) is kept here too: a POST repeated with the same key gets
the first answer back and changes nothing; the same key with a different body is refused with 422.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, Any]]
NOT_FOUND: Answer = (404, {"errors": "Not Found"})
FULFILLABLE = frozenset({"open", "in_progress"})


def _now(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Shop:
    """One store with one or more locations (see the module docstring)."""

    locations: tuple[int, ...] = (655441491,)
    products: list[dict[str, Any]] = field(default_factory=list)
    items_by_sku: dict[str, int] = field(default_factory=dict)
    levels: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillments: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, tuple[str, Answer]] = field(default_factory=dict)
    _next_id: int = 1_000_000

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- seeding (the stand-in's own control API) ------------------------------------------
    def add_products(self, skus: list[str]) -> dict[str, int]:
        """A product with one variant per new SKU; SKU -> inventory item id."""
        for sku in skus:
            if sku in self.items_by_sku:
                continue
            product_id, variant_id, item_id = self._id(), self._id(), self._id()
            variant = {
                "id": variant_id,
                "product_id": product_id,
                "title": "Default Title",
                "sku": sku,
                "inventory_item_id": item_id,
                "inventory_management": "shopify",
                "admin_graphql_api_id": f"gid://shopify/ProductVariant/{variant_id}",
            }
            self.products.append(
                {
                    "id": product_id,
                    "title": sku,
                    "status": "active",
                    "variants": [variant],
                    "admin_graphql_api_id": f"gid://shopify/Product/{product_id}",
                }
            )
            self.items_by_sku[sku] = item_id
        return {sku: self.items_by_sku[sku] for sku in skus}

    def add_orders(self, names: list[str], location_id: int | None = None) -> dict[str, int]:
        """An unfulfilled order with one open fulfillment order per new name; name -> order id."""
        location = location_id or self.locations[0]
        ids: dict[str, int] = {}
        for name in names:
            existing = next((o["id"] for o in self.orders.values() if o["name"] == name), None)
            if existing is not None:
                ids[name] = existing
                continue
            order_id, fo_id = self._id(), self._id()
            self.orders[order_id] = {"id": order_id, "name": name, "fulfillment_status": None}
            self.fulfillment_orders[fo_id] = {
                "id": fo_id,
                "order_id": order_id,
                "assigned_location_id": location,
                "status": "open",
                "request_status": "unsubmitted",
                "line_items": [],
            }
            ids[name] = order_id
        return ids

    # -- the Admin REST API ----------------------------------------------------------------
    def shop(self) -> Answer:
        return 200, {
            "shop": {
                "id": 548380009,
                "name": "SupplyStream channel stand-in",
                "myshopify_domain": "supplystream-standin.myshopify.com",
                "plan_name": "standin",
            }
        }

    def list_products(self, query: dict[str, str], base_url: str) -> tuple[int, dict[str, Any], str | None]:
        """``GET products.json``: cursor pagination as Shopify does it (``page_info`` in ``Link``)."""
        limit = min(int(query.get("limit", "50")), 250)
        start = 0
        if "page_info" in query:
            try:
                start = int(base64.urlsafe_b64decode(query["page_info"].encode()).decode())
            except ValueError:
                return 400, {"errors": {"page_info": "Invalid value."}}, None
        page = self.products[start : start + limit]
        fields = [f for f in query.get("fields", "").split(",") if f]
        if fields:
            page = [{k: v for k, v in p.items() if k in fields} for p in page]
        link = None
        if start + limit < len(self.products):
            cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
            link = f'<{base_url}?limit={limit}&page_info={cursor}>; rel="next"'
        return 200, {"products": page}, link

    def set_level(self, body: dict[str, Any], at: float) -> Answer:
        """``POST inventory_levels/set.json``."""
        location_id, item_id, available = (
            body.get("location_id"),
            body.get("inventory_item_id"),
            body.get("available"),
        )
        if not isinstance(location_id, int) or not isinstance(item_id, int):
            return 400, {"errors": {"location_id": "Required parameter missing or invalid"}}
        if not isinstance(available, int) or isinstance(available, bool):
            return 422, {"errors": ["Available must be an integer"]}
        if location_id not in self.locations:
            return 422, {"errors": ["Location does not exist"]}
        if item_id not in self.items_by_sku.values():
            return 422, {"errors": ["Inventory item does not exist"]}
        level = {
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": available,
            "updated_at": _now(at),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
        }
        self.levels[(item_id, location_id)] = level
        return 200, {"inventory_level": level}

    def list_levels(self, query: dict[str, str]) -> Answer:
        """``GET inventory_levels.json?inventory_item_ids=..&location_ids=..``."""
        items = {int(i) for i in query.get("inventory_item_ids", "").split(",") if i}
        locations = {int(i) for i in query.get("location_ids", "").split(",") if i}
        if not items and not locations:
            return 422, {"errors": ["inventory_item_ids or location_ids is required"]}
        found = [
            level
            for (item, location), level in sorted(self.levels.items())
            if (not items or item in items) and (not locations or location in locations)
        ]
        return 200, {"inventory_levels": found}

    def list_orders(self, query: dict[str, str]) -> Answer:
        """``GET orders.json?name=..&status=any&fields=..``."""
        name = query.get("name")
        found = [o for o in self.orders.values() if name is None or o["name"] == name]
        fields = [f for f in query.get("fields", "").split(",") if f]
        if fields:
            found = [{k: v for k, v in o.items() if k in fields} for o in found]
        return 200, {"orders": found}

    def order_fulfillment_orders(self, order_id: int) -> Answer:
        if order_id not in self.orders:
            return NOT_FOUND
        found = [fo for fo in self.fulfillment_orders.values() if fo["order_id"] == order_id]
        return 200, {"fulfillment_orders": found}

    def order_fulfillments(self, order_id: int) -> Answer:
        if order_id not in self.orders:
            return NOT_FOUND
        return 200, {"fulfillments": [f for f in self.fulfillments if f["order_id"] == order_id]}

    def create_fulfillment(self, body: dict[str, Any], at: float) -> Answer:
        """``POST fulfillments.json`` with ``line_items_by_fulfillment_order`` and ``tracking_info``."""
        request = body.get("fulfillment")
        if not isinstance(request, dict):
            return 400, {"errors": {"fulfillment": "Required parameter missing or invalid"}}
        groups = request.get("line_items_by_fulfillment_order") or []
        ids = [g.get("fulfillment_order_id") for g in groups if isinstance(g, dict)]
        if not ids:
            return 422, {"errors": ["Line items by fulfillment order can't be blank"]}
        orders = []
        for fo_id in ids:
            fo = self.fulfillment_orders.get(fo_id) if isinstance(fo_id, int) else None
            if fo is None:
                return 422, {"errors": [f"Fulfillment order {fo_id} does not exist."]}
            if fo["status"] not in FULFILLABLE:
                return 422, {
                    "errors": [f"Fulfillment order {fo_id} has an unfulfillable status= {fo['status']}."]
                }
            orders.append(fo)
        if len({fo["order_id"] for fo in orders}) != 1:
            return 422, {"errors": ["All fulfillment orders must belong to the same order."]}
        tracking = request.get("tracking_info") or {}
        order = self.orders[orders[0]["order_id"]]
        count = sum(1 for f in self.fulfillments if f["order_id"] == order["id"])
        fulfillment_id = self._id()
        number = tracking.get("number")
        fulfillment = {
            "id": fulfillment_id,
            "order_id": order["id"],
            "name": f"{order['name']}.{count + 1}",
            "status": "success",
            "location_id": orders[0]["assigned_location_id"],
            "tracking_company": tracking.get("company"),
            "tracking_number": number,
            "tracking_numbers": [number] if number else [],
            "tracking_url": tracking.get("url"),
            "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
            "notify_customer": bool(request.get("notify_customer", False)),
            "created_at": _now(at),
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
        }
        self.fulfillments.append(fulfillment)
        for fo in orders:
            fo["status"] = "closed"
        if all(
            fo["status"] == "closed"
            for fo in self.fulfillment_orders.values()
            if fo["order_id"] == order["id"]
        ):
            order["fulfillment_status"] = "fulfilled"
        return 201, {"fulfillment": fulfillment}

    # -- idempotency -----------------------------------------------------------------------
    @staticmethod
    def fingerprint(method: str, path: str, body: bytes) -> str:
        try:
            canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
        except ValueError:
            canonical = body.decode("utf-8", "replace")
        return hashlib.sha256(f"{method} {path} {canonical}".encode()).hexdigest()

    def remembered(self, key: str, fingerprint: str) -> Answer | None:
        """The first answer to a request with this key, or 422 when the key came with other data."""
        known = self.idempotency.get(key)
        if known is None:
            return None
        first_fingerprint, answer = known
        if first_fingerprint != fingerprint:
            return 422, {
                "errors": [f"Idempotency-Key {key} was already used with a different request body or path."]
            }
        return answer

    def remember(self, key: str, fingerprint: str, answer: Answer) -> None:
        if answer[0] < 500:
            self.idempotency[key] = (fingerprint, answer)
