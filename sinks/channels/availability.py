"""Available-to-sell per channel and SKU, from the latest ATP per SKU and warehouse. Pure.

`supplystream.atp_view.AtpView` holds the latest `atp.changed` value per ``sku|warehouse``. A channel's
available-to-sell for a SKU is `supplystream.atp.available_to_sell` of the network ATP over the
channel's warehouses, minus the channel's buffer and safety stock, floored to whole units (marketplaces
count pieces). The warehouses' versions it was computed from form its `Basis`: the same basis always
gives the same quantity, so it identifies a level uniquely (it goes into the idempotency key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR

from sinks.channels.config import Channel
from supplystream.atp import available_to_sell, network_atp
from supplystream.atp_view import AtpView

#: ``((warehouse, version), ...)`` in warehouse order: what a channel level was computed from.
Basis = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ChannelLevel:
    """What one channel should show for one SKU, and what it was computed from."""

    channel: str
    sku: str
    available: int
    basis: Basis


def channel_level(view: AtpView, channel: Channel, sku: str) -> ChannelLevel:
    """The channel's available-to-sell for ``sku`` (warehouses without a value count as zero)."""
    per_sku = view.of_sku(sku)
    known = [(w, per_sku[w]) for w in sorted(channel.warehouses) if w in per_sku]
    network = network_atp(value.atp for _, value in known)
    sellable = available_to_sell(network, channel.channel_buffer)
    whole = int(sellable.to_integral_value(rounding=ROUND_FLOOR))
    return ChannelLevel(channel.name, sku, whole, tuple((w, v.version) for w, v in known))


def channels_fed_by(channels: Iterable[Channel], warehouse: str) -> list[Channel]:
    """The channels whose available-to-sell includes ``warehouse``."""
    return [c for c in channels if warehouse in c.warehouses]
