"""The ATP processor: a faust app keeping a `Ledger` per ``sku|warehouse`` and publishing atp.changed.

Agents (all thin: decode, call the pure core, write the table, send):

- ``stock.moved`` (already keyed ``sku|warehouse``) -> the ATP table;
- ``order.allocated``, ``order.cancelled``, ``shipment.confirmed``, ``purchase.received`` ->
  commands re-keyed ``sku|warehouse`` on ``atp-processor.commands`` (`processors.commands`);
- ``atp-processor.commands`` (those, and the router's reservation requests) -> the ATP table,
  answering reservations on ``order-router.replies``.

The table (``atp``, changelog ``atp-processor-atp-changelog``) is co-partitioned with stock.moved and
the commands topic (same key, same partition count, murmur2 partitioner everywhere).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from processors.commands import Keyed, Origin, commands_for, decode, encode, keyed, split_key
from processors.config import ProcessorConfig
from processors.input_order import InputOrder
from processors.ledger import Figures, Ledger, Step, apply, from_json, to_json
from processors.metrics import ProcessorMetrics
from processors.streams import (
    BAD_MESSAGE,
    BAD_RECORD,
    Codecs,
    Output,
    clock_us,
    dead_letter,
    ensure_changelog,
    make_app,
    now,
    raw_topic,
    send_event,
    stop_worker_on_error,
    table_schema,
)
from processors.wire import encode_reply
from supplystream.errors import DeserializationError
from supplystream.events import AtpChanged, Source
from supplystream.settings import Settings

log = logging.getLogger(__name__)

APP_ID = "atp-processor"
TABLE = "atp"
COMMANDS = "atp-processor.commands"
REPLIES = "order-router.replies"
TRANSLATED = ("order.allocated", "order.cancelled", "shipment.confirmed", "purchase.received")
SOURCE = Source(system="supplystream", adapter=APP_ID)


def atp_changed_event(key: str, ledger: Ledger, figures: Figures, item: Keyed, company: str) -> AtpChanged:
    """The atp.changed event for a ledger's published figures."""
    sku, warehouse = split_key(key)
    moment = now()
    return AtpChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"supplystream:atp:{key}:{ledger.version}"),
        event_type=AtpChanged.EVENT_TYPE,
        occurred_at=moment,
        source=SOURCE,
        correlation_id=item.correlation_id or key,
        causation_id=item.event_id or None,
        company=company,
        sku=sku,
        warehouse=warehouse,
        on_hand=figures.on_hand,
        reserved=figures.reserved,
        inbound=figures.inbound,
        safety_stock=figures.safety_stock,
        atp=figures.atp,
        version=ledger.version,
        as_of=moment,
    )


class AtpProcessor:
    """Builds the faust app and holds what its agents share."""

    def __init__(
        self, settings: Settings, config: ProcessorConfig, metrics: ProcessorMetrics | None = None
    ) -> None:
        self.settings = settings
        self.config = config
        self.codecs = Codecs.from_settings(settings)
        self.metrics = metrics or ProcessorMetrics.create()
        self.app = make_app(settings, APP_ID)
        app = self.app
        self.moves = raw_topic(app, "stock.moved")
        self.sources = raw_topic(app, *TRANSLATED)
        self.commands = raw_topic(app, COMMANDS)
        self.command_out = Output.of(app, COMMANDS, self.metrics.events_out)
        self.replies = Output.of(app, REPLIES, self.metrics.events_out)
        self.atp_changed = Output.of(app, "atp.changed", self.metrics.events_out)
        self.dlq = Output.of(app, self.codecs.catalog.dead_letters.topic_for(APP_ID), self.metrics.events_out)
        self.table = app.Table(
            TABLE,
            partitions=self.codecs.catalog.partitions_of("stock.moved"),
            schema=table_schema(),
        )
        self.metrics.attach(app, {TABLE: self.table})
        self._applying = asyncio.Lock()
        self.input_order = InputOrder(app)
        guarded = functools.partial(stop_worker_on_error, app, self.input_order)
        app.agent(self.moves, name="apply-moves")(guarded(self._apply_moves))
        app.agent(self.commands, name="apply-commands")(guarded(self._apply_commands))
        app.agent(self.sources, name="translate")(guarded(self._translate))

    async def _apply(self, item: Keyed) -> None:
        # Two agents (moves, commands) apply to the same keys: read, decide and hand the outputs to the
        # producer as one step, so atp.changed records enter each partition in version order (a compacted
        # topic keeps the last record per key, which must be the newest version).
        async with self._applying:
            await self._apply_now(item)

    async def _apply_now(self, item: Keyed) -> None:
        key = item.key
        raw = self.table.get(key)
        ledger = from_json(raw) if raw else Ledger()
        step: Step = apply(ledger, item, self.config.policy_for(item.key), now(), clock_us())
        if step.duplicate:
            self.metrics.redeliveries.inc()
        elif step.ledger is not ledger:
            self.table[key] = to_json(step.ledger)
        if step.publish is not None:
            event = atp_changed_event(item.key, step.ledger, step.publish, item, self.config.company)
            await send_event(self.atp_changed, self.codecs, event)
            self.metrics.published.inc()
        if step.reply is not None:
            await self.replies.send(step.reply.order_id.encode(), encode_reply(step.reply))
            if not step.duplicate:
                (self.metrics.grants if step.reply.granted > 0 else self.metrics.refusals).inc()

    def _commands_of(self, message: Any) -> tuple[Mapping[str, Any], list[Keyed]]:
        """Decode a business event and derive its commands (raises what a bad record raises)."""
        record = self.codecs.decode(message.topic, message.value)
        pairs = commands_for(self.codecs.event_type_of(message.topic), record, self.config.warehouse_codes)
        origin = Origin(message.topic, message.partition, message.offset)
        correlation, event_id = str(record.get("correlation_id", "")), str(record.get("event_id", ""))
        return record, keyed(origin, pairs, correlation, event_id)

    async def _reject(self, agent: str, message: Any, error: BaseException) -> None:
        await dead_letter(self.dlq, APP_ID, message, error)
        self.metrics.dead_letters.labels(agent).inc()

    async def _apply_moves(self, stream: Any) -> None:
        agent = "apply-moves"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                record, items = self._commands_of(message)
            except BAD_RECORD as exc:
                await self._reject(agent, message, exc)
                continue
            if any(item.key.encode() != message.key for item in items):
                # Applied here it would land in a partition of the table that does not own the key.
                wrong_key = DeserializationError(
                    f"stock.moved key {message.key!r} is not the event's sku|warehouse; "
                    "the producer must key by sku|warehouse (topics.yaml)"
                )
                await self._reject(agent, message, wrong_key)
                continue
            for item in items:
                await self._apply(item)
            self.metrics.processed(agent, message.topic, started, record)

    async def _apply_commands(self, stream: Any) -> None:
        agent = "apply-commands"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                item = decode(message.key.decode(), message.value)
            except BAD_MESSAGE as exc:
                await self._reject(agent, message, exc)
                continue
            await self._apply(item)
            self.metrics.processed(agent, message.topic, started, None)

    async def _translate(self, stream: Any) -> None:
        agent = "translate"
        async for event in self.input_order.events(stream):
            message = event.message
            started = self.metrics.started()
            try:
                record, items = self._commands_of(message)
            except BAD_RECORD as exc:
                await self._reject(agent, message, exc)
                continue
            for item in items:
                await self.command_out.send(item.key.encode(), encode(item))
            self.metrics.processed(agent, message.topic, started, record)

    def prepare(self) -> None:
        """Make sure the table's changelog exists before the worker starts."""
        ensure_changelog(self.settings, APP_ID, TABLE, self.codecs.catalog.partitions_of("stock.moved"))
