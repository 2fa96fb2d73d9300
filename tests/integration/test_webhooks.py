"""The webhook source end to end: aiohttp's test server, a real Publisher, the real broker and registry.

Each test gets its own one-partition `shipment.confirmed` topic. "No event" is proven by ordering:
after the refused requests a good "sentinel" delivery is sent; once it is consumed, everything that
was produced before it has been seen too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka import Message
from confluent_kafka.admin import NewTopic

from producers.webhooks import create_app
from producers.webhooks.config import WebhooksConfig, parse_config
from producers.webhooks.mapping import event_id_for
from producers.webhooks.signature import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.contracts.registration import register_all, value_subjects
from supplystream.contracts.schemas import EventSchema, load_event_schemas
from supplystream.events import ShipmentConfirmed
from supplystream.paths import schemas_dir
from supplystream.publisher import Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog, parse_catalog

pytestmark = pytest.mark.integration

SENDER = "acme-wms"
SECRET = "integration-secret"  # noqa: S105 - a test fixture, not a credential
URL = f"/webhooks/{SENDER}/shipment-confirmed"
MAX_BODY = 4096


def webhooks_config(**overrides: Any) -> WebhooksConfig:
    data: dict[str, Any] = {
        "senders": [
            {
                "name": SENDER,
                "system": "wms",
                "secret": SECRET,
                "kinds": ["shipment-confirmed"],
                "max_body_bytes": MAX_BODY,
                "mappings": {
                    "shipment-confirmed": {
                        "fields": {
                            "shipment_id": "$.shipment.id",
                            "order_id": "$.shipment.order_ref",
                            "warehouse": "$.shipment.site",
                            "carrier": "$.shipment.carrier",
                            "tracking_number": "$.shipment.tracking",
                            "shipped_at": "$.shipment.shipped_at",
                        },
                        "constants": {"company": "acme"},
                        "lines": {
                            "path": "$.shipment.lines",
                            "fields": {"sku": "$.item", "quantity": "$.qty"},
                        },
                    }
                },
            }
        ],
        **overrides,
    }
    return parse_config(data)


def shipment(order: str = "SO-42") -> bytes:
    return json.dumps(
        {
            "shipment": {
                "id": f"SHP-{order}",
                "order_ref": order,
                "site": "WH1",
                "carrier": "dhl",
                "tracking": "JD0001",
                "shipped_at": "2024-05-01T10:00:00Z",
                "lines": [{"item": "SKU-1", "qty": 2.5}, {"item": "SKU-2", "qty": 1}],
            }
        }
    ).encode()


def signed(
    body: bytes, delivery: str, *, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
        DELIVERY_HEADER: delivery,
    }


@dataclass(frozen=True)
class Contracts:
    topic: str
    catalog: TopicCatalog
    schemas: dict[str, EventSchema]


@pytest.fixture
def contracts(settings: Settings, topic_prefix: str, schema_registry: SchemaRegistry) -> Contracts:
    """A catalog with one one-partition shipment.confirmed topic of this test, created and registered."""
    topic = f"{topic_prefix}.shipment.confirmed"
    catalog = parse_catalog(
        f"""
version: 1
topics:
  - name: {topic}
    description: webhook test topic
    key: order_id
    value_schemas: [shipment.confirmed]
    owner: tests
"""
    )
    schemas = load_event_schemas(schemas_dir())
    register_all(schema_registry, value_subjects(catalog, schemas))
    admin = make_admin(settings)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    return Contracts(topic, catalog, schemas)


@pytest.fixture
def publisher(settings: Settings, contracts: Contracts) -> Iterator[Publisher]:
    with Publisher(
        make_producer(settings), contracts.catalog, contracts.schemas, SchemaRegistry.from_settings(settings)
    ) as publisher:
        yield publisher


Scenario = Callable[[TestClient[web.Request, web.Application]], Awaitable[None]]


def drive(app: web.Application, scenario: Scenario) -> None:
    """Run ``scenario`` against ``app`` on a test server, in a fresh event loop."""

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            await scenario(client)

    asyncio.run(main())


def consume_until(settings: Settings, topic: str, sentinel: str, timeout_s: float = 30) -> list[Message]:
    """Every message of ``topic`` up to and including the one with event id ``sentinel``."""
    consumer = make_consumer(settings, group_id=f"{topic}.reader")
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            messages.extend(m for m in consumer.consume(100, timeout=0.5) if m.error() is None)
            if sentinel in {event_id(m) for m in messages}:
                return messages
    finally:
        consumer.close()
    pytest.fail(f"the sentinel {sentinel} never arrived on {topic}")


def event_id(message: Message) -> str | None:
    headers = dict(message.headers() or [])
    value = headers.get("event_id")
    return value.decode() if isinstance(value, bytes) else None


async def post_sentinel(client: TestClient[web.Request, web.Application]) -> None:
    body = shipment("SENTINEL")
    response = await client.post(URL, data=body, headers=signed(body, "sentinel"))
    assert response.status == 202, await response.text()


SENTINEL_ID = str(event_id_for(SENDER, "sentinel"))


def test_a_good_delivery_is_acknowledged_after_kafka_stored_exactly_one_event(
    settings: Settings,
    contracts: Contracts,
    publisher: Publisher,
    schema_registry: SchemaRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers: list[dict[str, Any]] = []

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        assert (await (await client.get("/health")).json()) == {"status": "ok"}
        body = shipment()
        response = await client.post(URL, data=body, headers=signed(body, "d-1"))
        assert response.status == 202
        answers.append(await response.json())

    with caplog.at_level(logging.INFO, logger="supplystream.webhooks"):
        drive(create_app(webhooks_config(), publisher), scenario)

    expected_id = str(event_id_for(SENDER, "d-1"))
    assert answers[0]["event_id"] == expected_id
    assert answers[0]["topic"] == contracts.topic
    messages = consume_until(settings, contracts.topic, expected_id)
    assert [event_id(m) for m in messages] == [expected_id]
    value = messages[0].value()
    assert value is not None
    event = ShipmentConfirmed.from_record(AvroDeserializer(schema_registry)(value))
    assert str(event.event_id) == expected_id
    assert (event.order_id, event.shipment_id, event.warehouse) == ("SO-42", "SHP-SO-42", "WH1")
    assert (event.carrier, event.tracking_number, event.company) == ("dhl", "JD0001", "acme")
    assert [(line.sku, str(line.quantity)) for line in event.lines] == [
        ("SKU-1", "2.500"),
        ("SKU-2", "1.000"),
    ]
    assert (event.source.system, event.source.adapter) == ("wms", "webhook-source")
    assert messages[0].key() == b"SO-42"

    logged = [json.loads(r.getMessage().removeprefix("webhook ")) for r in caplog.records]
    assert {
        "sender": SENDER,
        "kind": "shipment-confirmed",
        "delivery_id": "d-1",
        "event_id": expected_id,
        "outcome": "published",
        "status": 202,
    } in logged


def test_a_bad_or_missing_signature_is_401_and_publishes_nothing(
    settings: Settings, contracts: Contracts, publisher: Publisher
) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        body = shipment()
        wrong = await client.post(URL, data=body, headers=signed(body, "bad-1", secret="guessed"))  # noqa: S106
        assert wrong.status == 401
        assert (await wrong.json())["outcome"] == "bad-signature"
        headers = signed(body, "bad-2")
        del headers[SIGNATURE_HEADER]
        assert (await client.post(URL, data=body, headers=headers)).status == 401
        tampered = signed(body, "bad-3")
        assert (await client.post(URL, data=body + b" ", headers=tampered)).status == 401
        await post_sentinel(client)

    drive(create_app(webhooks_config(), publisher), scenario)
    assert [event_id(m) for m in consume_until(settings, contracts.topic, SENTINEL_ID)] == [SENTINEL_ID]


def test_a_stale_timestamp_is_401(settings: Settings, contracts: Contracts, publisher: Publisher) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        body = shipment()
        for skew in (-301, 3600):
            response = await client.post(
                URL, data=body, headers=signed(body, f"stale{skew}", timestamp=int(time.time()) - skew)
            )
            assert response.status == 401
            assert (await response.json())["outcome"] == "stale"
        await post_sentinel(client)

    drive(create_app(webhooks_config(), publisher), scenario)
    assert [event_id(m) for m in consume_until(settings, contracts.topic, SENTINEL_ID)] == [SENTINEL_ID]


def test_unknown_senders_and_kinds_are_404(publisher: Publisher) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        body = shipment()
        assert (await client.post("/webhooks/nobody/shipment-confirmed", data=body)).status == 404
        assert (await client.post(f"/webhooks/{SENDER}/refund", data=body)).status == 404
        forbidden = await client.post(
            f"/webhooks/{SENDER}/order-placed", data=body, headers=signed(body, "x")
        )
        assert forbidden.status == 403

    drive(create_app(webhooks_config(), publisher), scenario)


def test_an_oversize_body_is_413(settings: Settings, contracts: Contracts, publisher: Publisher) -> None:
    big = b'{"padding": "' + b"x" * MAX_BODY + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        # Declared by Content-Length ...
        declared = await client.post(URL, data=big, headers=signed(big, "big-1"))
        assert declared.status == 413
        # ... and found while reading a chunked body that declares no length.
        streamed = await client.post(URL, data=chunks(), headers=signed(big, "big-2"))
        assert streamed.status == 413
        await post_sentinel(client)

    drive(create_app(webhooks_config(), publisher), scenario)
    assert [event_id(m) for m in consume_until(settings, contracts.topic, SENTINEL_ID)] == [SENTINEL_ID]


def test_an_invalid_payload_is_422_listing_the_fields(
    settings: Settings, contracts: Contracts, publisher: Publisher
) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        not_json = b"{oops"
        response = await client.post(URL, data=not_json, headers=signed(not_json, "inv-1"))
        assert response.status == 422
        assert [f["field"] for f in (await response.json())["fields"]] == ["$"]

        payload = json.loads(shipment())
        del payload["shipment"]["order_ref"]
        payload["shipment"]["lines"][1]["qty"] = "many"
        body = json.dumps(payload).encode()
        response = await client.post(URL, data=body, headers=signed(body, "inv-2"))
        assert response.status == 422
        answer = await response.json()
        assert {f["field"] for f in answer["fields"]} == {"order_id", "lines[1].quantity"}
        assert {f.get("path") for f in answer["fields"]} == {
            "$.shipment.order_ref",
            "$.shipment.lines[1].qty",
        }
        await post_sentinel(client)

    drive(create_app(webhooks_config(), publisher), scenario)
    assert [event_id(m) for m in consume_until(settings, contracts.topic, SENTINEL_ID)] == [SENTINEL_ID]


def test_a_duplicate_delivery_is_202_without_a_second_event(
    settings: Settings, contracts: Contracts, publisher: Publisher
) -> None:
    outcomes: list[str] = []

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        body = shipment()
        for _ in range(3):  # a sender's retries: freshly signed, same delivery id
            response = await client.post(URL, data=body, headers=signed(body, "dup-1"))
            assert response.status == 202
            outcomes.append((await response.json())["outcome"])
        await post_sentinel(client)

    drive(create_app(webhooks_config(), publisher), scenario)
    assert outcomes == ["published", "duplicate", "duplicate"]
    ids = [event_id(m) for m in consume_until(settings, contracts.topic, SENTINEL_ID)]
    assert ids.count(str(event_id_for(SENDER, "dup-1"))) == 1
    assert len(ids) == 2


@pytest.mark.parametrize(("ack_timeout_s", "outcome"), [(1.0, "kafka-timeout"), (6.0, "kafka-unavailable")])
def test_kafka_down_is_503_with_retry_after_and_never_2xx(
    settings: Settings, contracts: Contracts, ack_timeout_s: float, outcome: str
) -> None:
    down = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"bootstrap_servers": "127.0.0.1:1"})}
    )
    statuses: list[int] = []

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        body = shipment()
        for _ in range(2):  # the retry is not taken for a duplicate: nothing was acknowledged
            response = await client.post(URL, data=body, headers=signed(body, "down-1"))
            statuses.append(response.status)
            assert response.headers["Retry-After"] == "7"
            assert (await response.json())["outcome"] == outcome

    with Publisher(
        make_producer(down, **{"message.timeout.ms": 2000}),
        contracts.catalog,
        contracts.schemas,
        SchemaRegistry.from_settings(settings),
    ) as publisher:
        app = create_app(webhooks_config(ack_timeout_s=ack_timeout_s, retry_after_s=7), publisher)
        drive(app, scenario)
    assert statuses == [503, 503]
