"""The webhook HTTP service: a thin aiohttp shell around `signature`, `mapping` and the Publisher.

``POST /webhooks/{sender}/{kind}`` answers 202 only once Kafka acknowledged the event (503 with
``Retry-After`` otherwise): never a 2xx for something not stored. Deduplication across restarts relies
on the event id, ``uuid5(sender, delivery id)``, being the same on every retry. The status codes in
the order checked: "Sources" (Webhook source) in the README.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import Any, get_args

from aiohttp import web

from producers.webhooks.config import Kind, SenderConfig, WebhooksConfig
from producers.webhooks.errors import MappingError, SignatureError
from producers.webhooks.mapping import map_payload
from producers.webhooks.signature import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from supplystream.errors import SerializationError, SupplyStreamError
from supplystream.publisher import Delivery, Publisher

logger = logging.getLogger("supplystream.webhooks")

KINDS: frozenset[str] = frozenset(get_args(Kind))
_CHUNK = 64 * 1024


class DeliveryLog:
    """A bounded LRU of (sender, delivery id) pairs Kafka already acknowledged."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], str] = OrderedDict()

    def get(self, sender: str, delivery_id: str) -> str | None:
        """The event id of an acknowledged delivery, refreshing its place; None if not seen."""
        key = (sender, delivery_id)
        event_id = self._seen.get(key)
        if event_id is not None:
            self._seen.move_to_end(key)
        return event_id

    def add(self, sender: str, delivery_id: str, event_id: str) -> None:
        """Remember an acknowledged delivery, forgetting the oldest beyond the capacity."""
        self._seen[(sender, delivery_id)] = event_id
        self._seen.move_to_end((sender, delivery_id))
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


class _Poller:
    """Serves the producer's delivery callbacks on a thread, so acknowledgements arrive promptly."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks-kafka-poll", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._publisher.poll(0.1)
            except Exception:  # a failing callback must not stop acknowledgements
                logger.exception("delivery callback failed")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


CONFIG_KEY = web.AppKey("webhooks_config", WebhooksConfig)
PUBLISHER_KEY = web.AppKey("webhooks_publisher", Publisher)
DELIVERIES_KEY = web.AppKey("webhooks_deliveries", DeliveryLog)
CLOCK_KEY: web.AppKey[Callable[[], float]] = web.AppKey("webhooks_clock")


class _Outcome:
    """One request's log fields, filled in as the handler learns them."""

    def __init__(self, sender: str, kind: str, delivery_id: str | None) -> None:
        self.fields: dict[str, Any] = {
            "sender": sender,
            "kind": kind,
            "delivery_id": delivery_id,
            "event_id": None,
        }

    def respond(
        self, status: int, outcome: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> web.Response:
        record = {**self.fields, "outcome": outcome, "status": status}
        level = logging.WARNING if status >= 500 else logging.INFO
        logger.log(level, "webhook %s", json.dumps(record, default=str))
        return web.json_response({"outcome": outcome, **body}, status=status, headers=headers)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes (declared or actually sent)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _await_ack(future: Future[Delivery], timeout_s: float) -> Delivery | None:
    """Kafka's acknowledgement without blocking the loop; None if not acknowledged in time."""
    waiter = asyncio.wrap_future(future)
    done, _ = await asyncio.wait({waiter}, timeout=timeout_s)
    if not done:
        # Not cancelled (the delivery callback still completes it later): retrieve its outcome then.
        waiter.add_done_callback(lambda f: None if f.cancelled() else f.exception())
        return None
    return waiter.result()


async def _publish(
    request: web.Request,
    *,
    sender: SenderConfig,
    kind: str,
    delivery_id: str,
    timestamp: int,
    body: bytes,
    out: _Outcome,
) -> web.Response:
    config = request.app[CONFIG_KEY]
    retry = {"Retry-After": str(config.retry_after_s)}
    try:
        event = map_payload(sender, kind, body, delivery_id=delivery_id, timestamp=timestamp)
    except MappingError as exc:
        return out.respond(422, "invalid-payload", {"error": str(exc), "fields": exc.fields})
    out.fields["event_id"] = str(event.event_id)
    publisher = request.app[PUBLISHER_KEY]
    loop = asyncio.get_running_loop()
    try:
        # publish() may wait for room in a full producer queue (backpressure): off the loop.
        future = await asyncio.wait_for(
            loop.run_in_executor(None, publisher.publish, event), config.ack_timeout_s
        )
        delivery = await _await_ack(future, config.ack_timeout_s)
    except SerializationError as exc:
        return out.respond(422, "invalid-payload", {"error": str(exc), "fields": []})
    except TimeoutError:
        delivery = None
    except SupplyStreamError as exc:
        logger.warning("publish failed: %s", exc)
        return out.respond(503, "kafka-unavailable", {"error": str(exc)}, retry)
    if delivery is None:
        return out.respond(
            503,
            "kafka-timeout",
            {"error": f"Kafka did not acknowledge within {config.ack_timeout_s:g}s; retry"},
            retry,
        )
    request.app[DELIVERIES_KEY].add(sender.name, delivery_id, delivery.event_id)
    return out.respond(
        202,
        "published",
        {
            "event_id": delivery.event_id,
            "topic": delivery.topic,
            "partition": delivery.partition,
            "offset": delivery.offset,
        },
    )


async def receive(request: web.Request) -> web.Response:  # noqa: PLR0911 - one return per answer
    """``POST /webhooks/{sender}/{kind}``; see the module docstring for the answers."""
    name, kind = request.match_info["sender"], request.match_info["kind"]
    delivery_id = request.headers.get(DELIVERY_HEADER, "").strip() or None
    out = _Outcome(name, kind, delivery_id)
    config = request.app[CONFIG_KEY]
    sender = config.sender(name)
    if sender is None:
        return out.respond(404, "unknown-sender", {"error": f"no sender {name!r}"})
    if kind not in KINDS:
        return out.respond(404, "unknown-kind", {"error": f"kind must be one of {', '.join(sorted(KINDS))}"})
    if kind not in sender.kinds:
        return out.respond(403, "kind-not-allowed", {"error": f"{name} may not send {kind}"})
    body = await _read_limited(request, sender.max_body_bytes)
    if body is None:
        return out.respond(413, "too-large", {"error": f"body larger than {sender.max_body_bytes} bytes"})
    try:
        timestamp = verify(
            sender.secret.get_secret_value(),
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            now=request.app[CLOCK_KEY](),
            tolerance_s=sender.timestamp_tolerance_s,
        )
    except SignatureError as exc:
        outcome = "stale" if str(exc).startswith("stale") else "bad-signature"
        return out.respond(401, outcome, {"error": str(exc)})
    if delivery_id is None:
        return out.respond(400, "no-delivery-id", {"error": f"missing {DELIVERY_HEADER} header"})
    seen = request.app[DELIVERIES_KEY].get(sender.name, delivery_id)
    if seen is not None:
        out.fields["event_id"] = seen
        return out.respond(202, "duplicate", {"event_id": seen})
    return await _publish(
        request, sender=sender, kind=kind, delivery_id=delivery_id, timestamp=timestamp, body=body, out=out
    )


async def health(_: web.Request) -> web.Response:
    """``GET /health``: the process is up and serving."""
    return web.json_response({"status": "ok"})


def create_app(
    config: WebhooksConfig, publisher: Publisher, *, clock: Callable[[], float] = time.time
) -> web.Application:
    """The webhook service; ``publisher`` stays the caller's to close."""
    # Per-sender limits are enforced while reading; this is the outer bound for anything else.
    app = web.Application(client_max_size=max(sender.max_body_bytes for sender in config.senders) + 1)
    app[CONFIG_KEY] = config
    app[PUBLISHER_KEY] = publisher
    app[DELIVERIES_KEY] = DeliveryLog(config.dedupe_capacity)
    app[CLOCK_KEY] = clock

    async def poll_deliveries(_: web.Application) -> AsyncIterator[None]:
        poller = _Poller(publisher)
        poller.start()
        yield
        await asyncio.get_running_loop().run_in_executor(None, poller.stop)

    app.cleanup_ctx.append(poll_deliveries)
    app.router.add_post("/webhooks/{sender}/{kind}", receive)
    app.router.add_get("/health", health)
    return app
