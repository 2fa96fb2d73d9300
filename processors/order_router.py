"""The order router: a faust app taking each placed order through reservations to allocated/backordered.

Agents (thin; the decisions are `processors.router`'s):

- ``order.placed`` -> plan (`route_order` over the ATP view) -> `Reserve` requests on
  ``atp-processor.commands`` keyed ``sku|warehouse``;
- ``order-router.replies`` -> record the answer; when a round is complete: ``order.allocated``,
  another round, or ``order.backordered``.

The router's table (``orders``) is co-partitioned with order.placed and the replies topic (keyed by
order id). Its view of ATP follows the whole of atp.changed (every partition) in a thread, the same
follower the channel sink uses; it only guides planning, the ATP partitions decide.
"""

from __future__ import annotations

import functools
import logging
import uuid
from decimal import Decimal
from typing import Any

from processors.commands import Keyed, Origin, Reserve, encode, keyed
from processors.config import ProcessorConfig
from processors.input_order import InputOrder
from processors.metrics import ProcessorMetrics
from processors.router import Outcome, Request, Routing, answered, cancelled, settled, start
from processors.routing import Line, OrderToRoute
from processors.streams import (
    BAD_RECORD,
    Codecs,
    Output,
    dead_letter,
    ensure_changelog,
    make_app,
    now,
    raw_topic,
    send_event,
    stop_worker_on_error,
    table_schema,
)
from processors.wire import decode_reply, routing_from_json, routing_to_json
from supplystream.atp_view import AtpFollower, SharedAtpView
from supplystream.errors import DeserializationError
from supplystream.events import (
    Allocation,
    Backorder,
    BackorderReason,
    OrderAllocated,
    OrderBackordered,
    OrderCancelled,
    OrderPlaced,
    Source,
)
from supplystream.settings import Settings

log = logging.getLogger(__name__)

APP_ID = "order-router"
TABLE = "orders"
COMMANDS = "atp-processor.commands"
REPLIES = "order-router.replies"
SOURCE = Source(system="supplystream", adapter=APP_ID)
#: What routing assumes of a position the ATP view has no value for yet.
UNKNOWN_AVAILABILITY = Decimal(10) ** 12


def order_to_route(placed: OrderPlaced) -> OrderToRoute:
    """What routing needs from an order.placed event."""
    return OrderToRoute(
        order_id=placed.order_id,
        region=placed.ship_to.region or placed.ship_to.country,
        lines=tuple(Line(line.line_id, line.sku, line.quantity) for line in placed.lines),
        placed_at=placed.occurred_at,
        priority=placed.priority,
        allow_partial=placed.allow_partial,
    )


def _envelope(state: Routing, kind: str, company: str) -> dict[str, Any]:
    """The envelope of the router's events; the id is deterministic, so a re-sent copy is recognisable."""
    return {
        "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"supplystream:{kind}:{state.order.order_id}"),
        "occurred_at": now(),
        "source": SOURCE,
        "correlation_id": state.correlation_id,
        "company": company,
        "order_id": state.order.order_id,
    }


def allocated_event(state: Routing, lines: tuple[Request, ...], company: str) -> OrderAllocated:
    """order.allocated of a finished order."""
    return OrderAllocated(
        **_envelope(state, "order-allocated", company),
        event_type=OrderAllocated.EVENT_TYPE,
        lines=tuple(
            Allocation(line_id=r.line_id, sku=r.sku, warehouse=r.warehouse, quantity=r.quantity)
            for r in sorted(lines, key=lambda r: (r.line_id, r.warehouse))
        ),
    )


def backordered_event(state: Routing, outcome: Outcome, company: str) -> OrderBackordered:
    """order.backordered of a finished order."""
    return OrderBackordered(
        **_envelope(state, "order-backordered", company),
        event_type=OrderBackordered.EVENT_TYPE,
        lines=tuple(
            Backorder(
                line_id=s.line_id,
                sku=s.sku,
                quantity=s.quantity,
                reason=BackorderReason(s.reason),
                detail=s.detail or None,
            )
            for s in outcome.backordered
        ),
    )


class OrderRouter:
    """Builds the faust app and holds what its agents share."""

    def __init__(
        self, settings: Settings, config: ProcessorConfig, metrics: ProcessorMetrics | None = None
    ) -> None:
        self.settings = settings
        self.config = config
        self.policy = config.routing_policy()
        self.codecs = Codecs.from_settings(settings)
        self.metrics = metrics or ProcessorMetrics.create()
        self.app = make_app(settings, APP_ID, web_port=settings.processors.web_port + 1)
        app = self.app
        self.input_order = InputOrder(app)
        guarded = functools.partial(stop_worker_on_error, app, self.input_order)
        self.placed = raw_topic(app, "order.placed")
        self.replies = raw_topic(app, REPLIES)
        self.cancellations = raw_topic(app, "order.cancelled")
        self.command_out = Output.of(app, COMMANDS, self.metrics.events_out)
        self.allocated = Output.of(app, "order.allocated", self.metrics.events_out)
        self.backordered = Output.of(app, "order.backordered", self.metrics.events_out)
        self.dlq = Output.of(app, self.codecs.catalog.dead_letters.topic_for(APP_ID), self.metrics.events_out)
        self.table = app.Table(
            TABLE,
            partitions=self.codecs.catalog.partitions_of("order.placed"),
            schema=table_schema(),
        )
        self.view = SharedAtpView()
        self.follower = AtpFollower(
            settings, "atp.changed", lambda value: self.codecs.decode("atp.changed", value), self.view
        )
        self.metrics.attach(app, {TABLE: self.table})
        app.agent(self.placed, name="route-orders")(guarded(self._route_orders))
        app.agent(self.replies, name="take-replies")(guarded(self._take_replies))
        app.agent(self.cancellations, name="take-cancellations")(guarded(self._take_cancellations))

    def prepare(self) -> None:
        """Create the table's changelog; read atp.changed to its end before the first order is planned."""
        ensure_changelog(self.settings, APP_ID, TABLE, self.codecs.catalog.partitions_of("order.placed"))
        self.follower.start()

    def availability(self, skus: set[str]) -> dict[tuple[str, str], Decimal]:
        """Promisable stock per (sku, warehouse) for these SKUs, as the view knows it now.

        A position the view has never heard of counts as available: asking costs one refusal, while
        assuming nothing would backorder every order of a SKU whose atp.changed has not arrived yet.
        """
        with self.view.lock:
            result: dict[tuple[str, str], Decimal] = {}
            for sku in skus:
                for code in self.config.warehouse_codes:
                    known = self.view.view.get(sku, code)
                    result[(sku, code)] = UNKNOWN_AVAILABILITY if known is None else known.atp
            return result

    def _state(self, order_id: str) -> Routing | None:
        raw = self.table.get(order_id)
        return routing_from_json(raw) if raw else None

    async def _handle(self, key: str, outcome: Outcome, message: Any) -> None:
        state = outcome.state
        if state is None:
            return
        self.table[key] = routing_to_json(state)
        sends: list[tuple[str, Any]] = [*outcome.reserve, *outcome.drop]
        items: list[Keyed] = keyed(
            Origin(message.topic, message.partition, message.offset), sends, state.correlation_id, ""
        )
        for item in items:
            await self.command_out.send(item.key.encode(), encode(item))
        company = self.config.company
        if outcome.allocated:
            await send_event(self.allocated, self.codecs, allocated_event(state, outcome.allocated, company))
            self.metrics.allocations.inc()
        if outcome.backordered:
            await send_event(self.backordered, self.codecs, backordered_event(state, outcome, company))
            self.metrics.backorders.inc()

    async def _route_orders(self, stream: Any) -> None:
        agent = "route-orders"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                record = self.codecs.decode(message.topic, message.value)
                placed = OrderPlaced.from_record(record)
            except BAD_RECORD as exc:
                await dead_letter(self.dlq, APP_ID, message, exc)
                self.metrics.dead_letters.labels(agent).inc()
                continue
            key = placed.order_id
            if key.encode() != message.key:
                await dead_letter(
                    self.dlq,
                    APP_ID,
                    message,
                    DeserializationError(
                        f"order.placed key {message.key!r} is not the order id {placed.order_id!r}"
                    ),
                )
                self.metrics.dead_letters.labels(agent).inc()
                continue
            state = self._state(placed.order_id)
            if state is None:
                order = order_to_route(placed)
                outcome = start(
                    order,
                    placed.correlation_id,
                    self.availability({line.sku for line in order.lines}),
                    self.policy,
                )
                await self._handle(key, outcome, message)
            elif state.finished:
                # Seen again after a restart: the table may be ahead of what was sent.
                await self._handle(key, settled(state), message)
            else:
                # Seen again after a restart while still routing: ask again (the ATP side recognises the
                # requests by their origin and answers them again).
                reserve = tuple(
                    (f"{r.sku}|{r.warehouse}", _reserve(state, r)) for r in state.outstanding.values()
                )
                await self._handle(key, Outcome(state, reserve=reserve), message)
            self.metrics.processed(agent, message.topic, started, record)

    async def _take_replies(self, stream: Any) -> None:
        agent = "take-replies"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                reply = decode_reply(message.value)
            except BAD_RECORD as exc:
                await dead_letter(self.dlq, APP_ID, message, exc)
                self.metrics.dead_letters.labels(agent).inc()
                continue
            state = self._state(reply.order_id)
            skus = {line.sku for line in state.order.lines} if state else set()
            outcome = answered(state, reply, self.availability(skus), self.policy)
            if outcome.state is None:
                # A reply for an order this router never saw: only give a grant back.
                items = keyed(
                    Origin(message.topic, message.partition, message.offset), list(outcome.drop), "", ""
                )
                for item in items:
                    await self.command_out.send(item.key.encode(), encode(item))
            else:
                await self._handle(reply.order_id, outcome, message)
            self.metrics.processed(agent, message.topic, started, None)

    async def _take_cancellations(self, stream: Any) -> None:
        agent = "take-cancellations"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                record = self.codecs.decode(message.topic, message.value)
                cancellation = OrderCancelled.from_record(record)
            except BAD_RECORD as exc:
                await dead_letter(self.dlq, APP_ID, message, exc)
                self.metrics.dead_letters.labels(agent).inc()
                continue
            lines: dict[str, Decimal] = {}
            for line in cancellation.lines:
                lines[line.line_id] = lines.get(line.line_id, Decimal(0)) + line.quantity
            state = self._state(cancellation.order_id)
            skus = {line.sku for line in state.order.lines} if state else set()
            outcome = cancelled(state, cancellation.order_id, lines, self.availability(skus), self.policy)
            if outcome.state is not state:
                await self._handle(cancellation.order_id, outcome, message)
            self.metrics.processed(agent, message.topic, started, record)


def _reserve(state: Routing, request: Request) -> Reserve:
    return Reserve(
        request.request_id, state.order.order_id, request.line_id, request.quantity, state.order.allow_partial
    )
