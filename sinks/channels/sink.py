"""The channel sink: ``atp.changed`` -> each channel's available-to-sell, ``shipment.confirmed`` -> tracking.

`ChannelSink` is a `sinks.base.SinkAdapter`; the sink runtime consumes, retries, pauses and
dead-letters. Per batch it sends one absolute level per channel and SKU touched (unless this process
already set that quantity) and each tracking notice to the channel holding the order. What it does
per case: "Channel sink" in the README.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from sinks.base import Rejected, SinkRecord
from sinks.channels.availability import channel_level
from sinks.channels.config import Channel, ChannelsFile, load_channels
from sinks.channels.errors import ChannelRejectedError
from sinks.channels.plan import LevelSet, TrackingNotice, level_key, plan_batch
from sinks.channels.shopify import ShopifyRest
from supplystream.atp_view import AtpFollower, SharedAtpView
from supplystream.contracts.registration import load_contracts
from supplystream.paths import project_root
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings

logger = logging.getLogger("supplystream.sinks.channels")

SINK_NAME = "channel-sink"
DEFAULT_CHANNELS_FILE = Path("deploy/channels.example.yaml")
#: Fulfilment states of a Shopify fulfillment order that can still be fulfilled.
OPEN_STATES = frozenset({"open", "in_progress"})


@dataclass
class ChannelStats:
    """What the sink did since it started (tests and `sinks run` read it)."""

    levels_sent: int = 0
    levels_unchanged: int = 0
    unknown_skus: int = 0
    tracking_sent: int = 0
    tracking_already_there: int = 0
    orders_not_on_any_channel: int = 0


class ChannelSink:
    """See the module docstring."""

    name = SINK_NAME

    def __init__(
        self,
        channels: Sequence[Channel],
        clients: Mapping[str, ShopifyRest],
        shared: SharedAtpView,
        *,
        follower: AtpFollower | None = None,
        registry: SchemaRegistry | None = None,
        catalog_refresh_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        remember: int = 100_000,
    ) -> None:
        self.channels = tuple(channels)
        self._clients = dict(clients)
        self._shared = shared
        self._follower = follower
        self._registry = registry
        self._catalog_refresh_s = catalog_refresh_s
        self._clock = clock
        self._remember = remember
        self._items: dict[str, dict[str, int]] = {}
        self._items_read_at: dict[str, float] = {}
        self._sent: dict[tuple[str, str], int] = {}
        self._tracked: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self.stats = ChannelStats()

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelSink:
        """The sink for the configured channels file, its view bootstrapped from the catalog's topic."""
        catalog, schemas = load_contracts(settings)
        atp_topic = next(
            e.name for e in catalog.topics if "atp.changed" in e.value_schemas and SINK_NAME in e.consumers
        )
        return cls.start(
            settings, load_channels(channels_file(settings)), atp_topic, schemas["atp.changed"].schema
        )

    @classmethod
    def start(
        cls, settings: Settings, config: ChannelsFile, atp_topic: str, reader_schema: object | None = None
    ) -> ChannelSink:
        """Clients for every channel (secrets read now), the ATP view bootstrapped from ``atp_topic``."""
        clients = {c.name: ShopifyRest(c, _secret_of(c)) for c in config.channels}
        registry = SchemaRegistry.from_settings(settings)
        decode = AvroDeserializer(registry, reader_schema)  # type: ignore[arg-type]
        shared = SharedAtpView()
        follower = AtpFollower(settings, atp_topic, decode, shared)
        try:
            follower.start()
        except BaseException:
            follower.close()
            registry.close()
            raise
        return cls(config.channels, clients, shared, follower=follower, registry=registry)

    # -- SinkAdapter -----------------------------------------------------------------------
    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        """Send what the batch asks of the channels; return the records the channels refused."""
        with self._shared.lock:
            plan = plan_batch(batch, self._shared.view, self.channels)
            pending = self._shared.take_pending()
            levels = list(plan.levels)
            planned = {(ls.level.channel, ls.level.sku) for ls in levels}
            for channel in self.channels:
                for sku in sorted(pending):
                    level = channel_level(self._shared.view, channel, sku)
                    if level.basis and (channel.name, sku) not in planned:
                        levels.append(LevelSet(level, level_key(channel, level), ()))
        rejected = list(plan.rejected)
        try:
            for level_set in levels:
                try:
                    self._send_level(level_set)
                except ChannelRejectedError as exc:
                    rejected.extend(Rejected(record, exc) for record in level_set.records)
            for notice in plan.notices:
                try:
                    self._send_tracking(notice)
                except ChannelRejectedError as exc:
                    rejected.append(Rejected(notice.record, exc))
        except BaseException:
            with self._shared.lock:  # not sent yet: the next write takes them again
                self._shared.return_pending(pending)
            raise
        return rejected

    def probe(self) -> bool:
        """Every channel answers with our credentials."""
        return all(client.answers() for client in self._clients.values())

    def close(self) -> None:
        """Stop the view's follower and close the HTTP clients."""
        if self._follower is not None:
            self._follower.close()
        if self._registry is not None:
            self._registry.close()
        for client in self._clients.values():
            client.close()

    # -- levels ----------------------------------------------------------------------------
    def _send_level(self, level_set: LevelSet) -> None:
        level = level_set.level
        key = (level.channel, level.sku)
        if self._sent.get(key) == level.available:
            self.stats.levels_unchanged += 1
            return
        client = self._clients[level.channel]
        item = self._inventory_item(client, level.sku)
        if item is None:
            self.stats.unknown_skus += 1
            return
        client.set_available(item, level.available, level_set.idempotency_key)
        self._sent[key] = level.available
        self.stats.levels_sent += 1

    def _inventory_item(self, client: ShopifyRest, sku: str) -> int | None:
        name = client.channel.name
        items = self._items.get(name)
        stale = self._clock() - self._items_read_at.get(name, float("-inf")) > self._catalog_refresh_s
        if items is None or (sku not in items and stale):
            items = client.inventory_items_by_sku()
            self._items[name] = items
            self._items_read_at[name] = self._clock()
        return items.get(sku)

    # -- tracking --------------------------------------------------------------------------
    def _send_tracking(self, notice: TrackingNotice) -> None:
        found = False
        for name in notice.channels:
            done = (name, notice.shipment_id, notice.tracking_number)
            if done in self._tracked:
                found = True
                continue
            client = self._clients[name]
            order_id = client.order_id_named(notice.order_id)
            if order_id is None:
                continue
            found = True
            self._fulfil(client, order_id, notice)
            self._tracked[done] = None
            if len(self._tracked) > self._remember:
                self._tracked.popitem(last=False)
        if not found:
            self.stats.orders_not_on_any_channel += 1

    def _fulfil(self, client: ShopifyRest, order_id: int, notice: TrackingNotice) -> None:
        existing = client.fulfillments(order_id)
        if any(_has_tracking(f, notice.tracking_number) for f in existing):
            self.stats.tracking_already_there += 1
            return
        open_orders = [
            int(fo["id"])
            for fo in client.fulfillment_orders(order_id)
            if fo.get("status") in OPEN_STATES
            and fo.get("assigned_location_id") in (None, client.channel.location_id)
        ]
        if not open_orders:
            numbers = sorted({n for f in existing for n in f.get("tracking_numbers") or []})
            raise ChannelRejectedError(
                f"channel {client.channel.name}: order {notice.order_id} has nothing left to fulfil "
                f"(tracking already sent: {', '.join(numbers) or 'none'}), so shipment {notice.shipment_id} "
                f"with tracking {notice.tracking_number} conflicts; check the order in the channel and "
                "in the WMS, then re-drive or discard the dead letter"
            )
        client.create_fulfillment(
            open_orders, notice.carrier, notice.tracking_number, notice.idempotency_key(client.channel.name)
        )
        self.stats.tracking_sent += 1


def _has_tracking(fulfillment: Mapping[str, object], number: str) -> bool:
    numbers = fulfillment.get("tracking_numbers")
    return fulfillment.get("tracking_number") == number or (isinstance(numbers, list) and number in numbers)


def channels_file(settings: Settings) -> Path:
    """``SUPPLYSTREAM_SINKS__CHANNELS_FILE``, else the project's deploy/channels.example.yaml."""
    return settings.sinks.channels_file or project_root() / DEFAULT_CHANNELS_FILE


def _secret_of(channel: Channel) -> SecretStr:
    auth = channel.auth
    return auth.token.read() if auth.type == "bearer" else auth.secret.read()
