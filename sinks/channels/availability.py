"""Available-to-sell per channel and SKU, from the latest ATP per SKU and warehouse. Pure.

`AtpView` holds the latest `atp.changed` value per ``sku|warehouse`` with its version: a value only
replaces an older version, so duplicates and out-of-order versions change nothing. A channel's
available-to-sell for a SKU is `processors.atp.available_to_sell` of the network ATP over the
channel's warehouses, minus the channel's buffer and safety stock, floored to whole units (marketplaces
count pieces). The warehouses' versions it was computed from form its `Basis`: the same basis always
gives the same quantity, so it identifies a level uniquely (it goes into the idempotency key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from processors.atp import available_to_sell, network_atp
from sinks.channels.config import Channel

#: ``((warehouse, version), ...)`` in warehouse order: what a channel level was computed from.
Basis = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class WarehouseAtp:
    """The latest ATP known for one SKU at one warehouse."""

    atp: Decimal
    version: int


@dataclass(frozen=True, slots=True)
class ChannelLevel:
    """What one channel should show for one SKU, and what it was computed from."""

    channel: str
    sku: str
    available: int
    basis: Basis


class AtpView:
    """The latest ATP per SKU and warehouse (not thread-safe: the caller serialises access)."""

    def __init__(self) -> None:
        self._latest: dict[str, dict[str, WarehouseAtp]] = {}

    def __len__(self) -> int:
        return sum(len(per_sku) for per_sku in self._latest.values())

    def apply(self, sku: str, warehouse: str, atp: Decimal, version: int) -> bool:
        """Record a value; True when it is the latest known (newer, or the same version again).

        The same version counts as latest so that replaying a topic re-announces the current values
        (a new consumer group must still set every level once); an older version is ignored.
        """
        per_sku = self._latest.setdefault(sku, {})
        known = per_sku.get(warehouse)
        if known is not None and version < known.version:
            return False
        if known is None or version > known.version:
            per_sku[warehouse] = WarehouseAtp(atp, version)
        return True

    def get(self, sku: str, warehouse: str) -> WarehouseAtp | None:
        """The latest value, if any."""
        return self._latest.get(sku, {}).get(warehouse)

    def skus(self) -> list[str]:
        """Every SKU with at least one warehouse value."""
        return sorted(self._latest)

    def level(self, channel: Channel, sku: str) -> ChannelLevel:
        """The channel's available-to-sell for ``sku`` (warehouses without a value count as zero)."""
        per_sku = self._latest.get(sku, {})
        known = [(w, per_sku[w]) for w in sorted(channel.warehouses) if w in per_sku]
        network = network_atp(value.atp for _, value in known)
        sellable = available_to_sell(network, channel.channel_buffer)
        whole = int(sellable.to_integral_value(rounding=ROUND_FLOOR))
        return ChannelLevel(channel.name, sku, whole, tuple((w, v.version) for w, v in known))


def channels_fed_by(channels: Iterable[Channel], warehouse: str) -> list[Channel]:
    """The channels whose available-to-sell includes ``warehouse``."""
    return [c for c in channels if warehouse in c.warehouses]
