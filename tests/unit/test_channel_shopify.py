"""The thin HTTP adapter's decisions (429 waits, error classes, auth, pages) and the stand-in's shop."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from sinks.channels.config import parse_channels
from sinks.channels.errors import (
    ChannelAuthError,
    ChannelRejectedError,
    ChannelThrottledError,
    ChannelUnavailableError,
)
from sinks.channels.ratelimit import TokenBucket
from sinks.channels.shopify import ShopifyRest, retry_after_seconds, signature
from sinks.channels.standin.shop import Shop

CHANNEL = parse_channels(
    """
channels:
  - name: shop
    base_url: http://shop.test
    location_id: 7
    auth: {type: bearer, token: {env: T}, header: X-Shopify-Access-Token, prefix: ""}
    warehouses: [WH-A]
    max_retry_after_s: 5
"""
).channels[0]


def client(handler: httpx.MockTransport, slept: list[float]) -> ShopifyRest:
    return ShopifyRest(CHANNEL, SecretStr("tok"), transport=handler, sleep=slept.append)


def test_a_429_is_waited_out_for_its_retry_after_with_the_same_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(429, headers={"Retry-After": "1.5"}, json={"errors": "Exceeded"})
        return httpx.Response(200, json={"inventory_level": {"available": 3}})

    slept: list[float] = []
    got = client(httpx.MockTransport(answer), slept).set_available(99, 3, "key-1")
    assert slept == [1.5, 1.5]
    assert got.throttled_s == 3.0
    assert {r.headers["Idempotency-Key"] for r in seen} == {"key-1"}
    assert seen[0].headers["X-Shopify-Access-Token"] == "tok"
    assert json.loads(seen[0].content) == {"available": 3, "inventory_item_id": 99, "location_id": 7}


def test_throttling_longer_than_allowed_is_a_transient_error() -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "2.0"})

    slept: list[float] = []
    with pytest.raises(ChannelThrottledError, match="over 5 s"):
        client(httpx.MockTransport(answer), slept).set_available(1, 1, "k")
    assert slept == [2.0, 2.0]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, ChannelUnavailableError),
        (503, ChannelUnavailableError),
        (401, ChannelAuthError),
        (422, ChannelRejectedError),
    ],
)
def test_answers_map_to_the_runtimes_error_classes(status: int, error: type[Exception]) -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(status, json={"errors": ["nope"]}))
    with pytest.raises(error):
        client(transport, []).set_available(1, 1, "k")


def test_a_refused_connection_means_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ChannelUnavailableError, match="did not answer"):
        client(httpx.MockTransport(refuse), []).set_available(1, 1, "k")


def test_products_are_read_page_by_page() -> None:
    shop = Shop()
    shop.add_products([f"SKU-{n}" for n in range(5)])

    def answer(request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params.items())
        query["limit"] = "2"
        status, body, link = shop.list_products(query, "http://shop.test/admin/api/2024-07/products.json")
        return httpx.Response(status, json=body, headers={"Link": link} if link else {})

    items = client(httpx.MockTransport(answer), []).inventory_items_by_sku()
    assert items == shop.items_by_sku


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("2.0") == 2.0
    assert retry_after_seconds(None) == 2.0
    assert retry_after_seconds("soon", default=1.0) == 1.0


def test_the_signature_covers_time_method_path_and_body() -> None:
    secret = SecretStr("k")
    base = signature(secret, "100", "POST", "/p", b"{}")
    assert base == signature(secret, "100", "post", "/p", b"{}")
    assert base != signature(secret, "101", "POST", "/p", b"{}")
    assert base != signature(secret, "100", "POST", "/p", b"{ }")


def test_the_token_bucket_waits_for_the_next_token() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0], sleep=sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.5]


def test_the_shop_fulfils_once_and_refuses_a_closed_fulfillment_order() -> None:
    shop = Shop()
    order = shop.add_orders(["#1"])["#1"]
    fo = shop.order_fulfillment_orders(order)[1]["fulfillment_orders"][0]["id"]
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo}],
            "tracking_info": {"number": "1Z"},
        }
    }
    assert shop.create_fulfillment(body, 0)[0] == 201
    status, answer = shop.create_fulfillment(body, 0)
    assert status == 422
    assert "unfulfillable status= closed" in answer["errors"][0]


def test_the_shop_remembers_idempotency_keys_and_refuses_reuse_with_other_data() -> None:
    shop = Shop()
    first = shop.fingerprint("POST", "inventory_levels/set.json", b'{"available": 1}')
    shop.remember("k", first, (200, {"ok": 1}))
    assert shop.remembered("k", first) == (200, {"ok": 1})
    other = shop.fingerprint("POST", "inventory_levels/set.json", b'{"available": 2}')
    assert shop.remembered("k", other) is not None
    assert shop.remembered("k", other)[0] == 422  # type: ignore[index]
