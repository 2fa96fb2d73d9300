"""A deterministic simulated distribution business: the events its systems would publish.

`Simulation(seed, config)` is pure: no Kafka, no wall clock; every event id is a uuid5 of the seed and
the event's sequence number, so the same seed always gives the same events, ids included. With
``fulfilment = "external"`` it ships nothing (a warehouse system does) and its stock model books
demand instead of deliveries. The business it simulates: "Sources" in the README.
"""

from __future__ import annotations

import bisect
import datetime
import decimal
import heapq
import itertools
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from supplystream.events import (
    CancelledLine,
    Event,
    MoveKind,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PurchaseReceived,
    ReceivedLine,
    ShipmentConfirmed,
    ShippedLine,
    ShipTo,
    Source,
    StockMoved,
)

__all__ = [
    "EventMix",
    "ShipRegion",
    "Simulation",
    "SimulationConfig",
    "Warehouse",
    "event_id",
    "nearest_warehouse",
    "zipf_weights",
]

#: Namespace of the simulator's uuid5 event ids.
NAMESPACE = uuid.UUID("5b0c3c1e-0d4f-5f6a-9a39-7a3e51c0e6a1")
_MILLI = decimal.Decimal("0.001")
_MEAN_LINE_QUANTITY = 3.5
_BASE_EPOCH = datetime.datetime(2025, 1, 6, 8, 0, tzinfo=datetime.UTC)

Flow = Literal["order", "transfer", "adjustment", "scrap"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Warehouse(_Model):
    """A warehouse and where it is."""

    code: str
    region: str
    country: str = "US"
    latitude: float
    longitude: float


class ShipRegion(_Model):
    """A customer region (US state) orders ship to, with its share of the orders."""

    country: str = "US"
    region: str
    zip3: str
    latitude: float
    longitude: float
    weight: float = Field(default=1.0, gt=0)


class EventMix(_Model):
    """Relative frequency of the business flows started by the simulation."""

    order: float = Field(default=0.86, ge=0)
    transfer: float = Field(default=0.04, ge=0)
    adjustment: float = Field(default=0.06, ge=0)
    scrap: float = Field(default=0.04, ge=0)


def _default_warehouses() -> list[Warehouse]:
    return [
        Warehouse(code="WH-EAST", region="us-east", latitude=40.52, longitude=-74.41),
        Warehouse(code="WH-CENTRAL", region="us-central", latitude=35.15, longitude=-90.05),
        Warehouse(code="WH-WEST", region="us-west", latitude=39.53, longitude=-119.81),
    ]


def _default_regions() -> list[ShipRegion]:
    rows = [
        ("NY", "100", 40.7, -74.0, 6.0),
        ("MA", "021", 42.4, -71.1, 2.5),
        ("PA", "191", 40.0, -75.2, 3.0),
        ("FL", "331", 25.8, -80.2, 4.5),
        ("GA", "303", 33.7, -84.4, 2.5),
        ("IL", "606", 41.9, -87.6, 3.5),
        ("TX", "770", 29.8, -95.4, 6.0),
        ("OH", "432", 40.0, -83.0, 2.0),
        ("MN", "554", 44.9, -93.3, 1.5),
        ("CO", "802", 39.7, -105.0, 1.5),
        ("CA", "900", 34.1, -118.2, 8.0),
        ("WA", "981", 47.6, -122.3, 2.5),
        ("OR", "972", 45.5, -122.7, 1.5),
        ("AZ", "850", 33.4, -112.1, 2.0),
    ]
    return [
        ShipRegion(region=code, zip3=zip3, latitude=lat, longitude=lon, weight=weight)
        for code, zip3, lat, lon, weight in rows
    ]


class SimulationConfig(_Model):
    """The simulated business; the defaults are a mid-sized US distributor."""

    company: str = "ACME"
    #: Start of the simulated clock; None derives a fixed one from the seed.
    start: datetime.datetime | None = None
    warehouses: list[Warehouse] = Field(default_factory=_default_warehouses, min_length=1)
    ship_regions: list[ShipRegion] = Field(default_factory=_default_regions, min_length=1)
    sku_count: int = Field(default=200, ge=1)
    #: Share of SKUs sold by weight (kg, three decimals); the others are sold in whole units.
    weighed_share: float = Field(default=0.15, ge=0, le=1)
    channels: dict[str, float] = Field(
        default_factory=lambda: {"shop": 0.5, "marketplace": 0.3, "odoo": 0.2}, min_length=1
    )
    mix: EventMix = Field(default_factory=EventMix)
    zipf_exponent: float = Field(default=1.1, gt=0)
    #: Business flows started per simulated second (order arrivals are a Poisson process).
    flows_per_second: float = Field(default=0.05, gt=0)
    max_lines: int = Field(default=5, ge=1)
    allow_partial_share: float = Field(default=0.3, ge=0, le=1)
    cancel_share: float = Field(default=0.07, ge=0, le=1)
    #: Shipments follow their order after this many simulated minutes (uniform range).
    ship_delay_minutes: tuple[float, float] = (20.0, 240.0)
    #: Replenishment lead time in simulated hours (uniform range).
    lead_time_hours: tuple[float, float] = (24.0, 96.0)
    carriers: dict[str, float] = Field(
        default_factory=lambda: {"ups": 0.4, "fedex": 0.35, "usps": 0.15, "dhl": 0.1}, min_length=1
    )
    #: Stock (in days of expected demand) a warehouse opens with and reorders up to.
    stock_days: float = Field(default=14.0, gt=0)
    #: Who ships orders: "simulated" (the simulator, from the nearest warehouse) or "external"
    #: (a warehouse system shipping what the router allocated; the simulator schedules no shipments).
    fulfilment: Literal["simulated", "external"] = "simulated"


# -- small pure pieces of business logic ---------------------------------------------------------


def event_id(seed: int, sequence: int) -> uuid.UUID:
    """The id of the ``sequence``-th event created by the simulation of ``seed``."""
    return uuid.uuid5(NAMESPACE, f"{seed}:{sequence}")


def start_of(seed: int, config: SimulationConfig) -> datetime.datetime:
    """The simulated clock's start: the configured one, else a Monday morning chosen by the seed."""
    if config.start is not None:
        return config.start.astimezone(datetime.UTC)
    return _BASE_EPOCH + datetime.timedelta(weeks=seed % 104)


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Zipf popularity of ranks 1..count: rank r gets 1/r**exponent (normalised to sum 1)."""
    raw = [1.0 / (rank**exponent) for rank in range(1, count + 1)]
    total = sum(raw)
    return [weight / total for weight in raw]


def nearest_warehouse(ship_to: ShipRegion, warehouses: Sequence[Warehouse]) -> Warehouse:
    """The warehouse closest to the ship-to region (equirectangular distance is enough here)."""

    def distance(warehouse: Warehouse) -> float:
        dlat = warehouse.latitude - ship_to.latitude
        dlon = (warehouse.longitude - ship_to.longitude) * 0.8
        return dlat * dlat + dlon * dlon

    return min(warehouses, key=distance)


def quantity(value: float, weighed: bool) -> decimal.Decimal:
    """A positive quantity: kilograms with three decimals, or whole units."""
    if weighed:
        return max(decimal.Decimal(repr(value)).quantize(_MILLI), _MILLI)
    return decimal.Decimal(max(1, round(value)))


def stock_location(warehouse: str) -> str:
    """Odoo's name of a warehouse's stock location."""
    return f"{warehouse}/Stock"


def _millis(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` truncated to milliseconds: the precision of Avro timestamp-millis."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# -- the simulation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sku:
    code: str
    weighed: bool
    uom: str
    #: Share of order lines this SKU gets.
    demand: float


class _Envelope(TypedDict):
    event_id: uuid.UUID
    occurred_at: datetime.datetime
    source: Source
    correlation_id: str
    causation_id: str | None
    company: str


@dataclass(order=True)
class _Pending:
    at: datetime.datetime
    sequence: int
    event: Event = field(compare=False)


class Simulation:
    """Deterministic event stream of a distribution business; iterate for events in time order."""

    def __init__(self, seed: int, config: SimulationConfig | None = None) -> None:
        self.seed = seed
        self.config = config or SimulationConfig()
        self._rng = random.Random(seed)  # noqa: S311 - reproducible simulation, not security
        self._source = Source(system="simulator", adapter="distribution-simulator")
        self._sequence = itertools.count()
        self._clock = start_of(seed, self.config)
        self._pending: list[_Pending] = []
        self._order_number = itertools.count(1)
        self._receipt_number = itertools.count(1)
        self._move_number = itertools.count(1)
        self._skus = self._catalog()
        self._sku_cumulative = list(itertools.accumulate(sku.demand for sku in self._skus))
        self._region_cumulative = list(itertools.accumulate(r.weight for r in self.config.ship_regions))
        self._on_hand: dict[tuple[str, str], decimal.Decimal] = {}
        self._on_order: set[tuple[str, str]] = set()
        self._target: dict[tuple[str, str], decimal.Decimal] = {}

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    def units_of_measure(self) -> dict[str, str]:
        """SKU -> its unit of measure in this simulation's catalogue ("kg" or "Units")."""
        return {sku.code: sku.uom for sku in self._skus}

    # -- setup --------------------------------------------------------------------------------

    def _catalog(self) -> list[_Sku]:
        """SKUs with Zipf demand; popularity is shuffled so the best sellers are not SKU-00001.."""
        config = self.config
        weights = zipf_weights(config.sku_count, config.zipf_exponent)
        ranks = list(range(config.sku_count))
        self._rng.shuffle(ranks)
        skus = []
        for index, rank in enumerate(ranks):
            weighed = self._rng.random() < config.weighed_share
            skus.append(
                _Sku(
                    code=f"SKU-{index + 1:05d}",
                    weighed=weighed,
                    uom="kg" if weighed else "Units",
                    demand=weights[rank],
                )
            )
        return skus

    def _expected_daily_demand(self, sku: _Sku, warehouse: Warehouse) -> float:
        """Units of ``sku`` a day the warehouse ships, from order rate, line count and region mix."""
        config = self.config
        orders_per_day = config.flows_per_second * 86_400 * self._share(config.mix, "order")
        lines_per_order = (1 + config.max_lines) / 2
        served = sum(
            region.weight
            for region in config.ship_regions
            if nearest_warehouse(region, config.warehouses).code == warehouse.code
        ) / sum(region.weight for region in config.ship_regions)
        return orders_per_day * lines_per_order * sku.demand * served * _MEAN_LINE_QUANTITY

    @staticmethod
    def _share(mix: EventMix, flow: Flow) -> float:
        values: dict[str, float] = mix.model_dump()
        return values[flow] / sum(values.values())

    # -- event construction -------------------------------------------------------------------

    def _envelope(self, at: datetime.datetime, correlation_id: str, causation: Event | None) -> _Envelope:
        return {
            "event_id": event_id(self.seed, next(self._sequence)),
            "occurred_at": _millis(at),
            "source": self._source,
            "correlation_id": correlation_id,
            "causation_id": None if causation is None else str(causation.event_id),
            "company": self.config.company,
        }

    def _schedule(self, event: Event) -> None:
        heapq.heappush(self._pending, _Pending(event.occurred_at, next(self._sequence), event))

    def _move(
        self,
        at: datetime.datetime,
        sku: _Sku,
        warehouse: str,
        qty: decimal.Decimal,
        kind: MoveKind,
        *,
        from_location: str,
        to_location: str,
        from_warehouse: str | None,
        to_warehouse: str | None,
        correlation_id: str,
        causation: Event | None,
        reference: str,
    ) -> StockMoved:
        key = (sku.code, warehouse)
        delta = qty if to_warehouse == warehouse else -qty
        self._on_hand[key] = self._on_hand.get(key, decimal.Decimal(0)) + delta
        return StockMoved(
            **self._envelope(at, correlation_id, causation),
            event_type=StockMoved.EVENT_TYPE,
            sku=sku.code,
            warehouse=warehouse,
            from_location=from_location,
            from_warehouse=from_warehouse,
            to_location=to_location,
            to_warehouse=to_warehouse,
            quantity=qty,
            uom=sku.uom,
            move_kind=kind,
            reference=reference,
        )

    def _receipt(
        self, at: datetime.datetime, warehouse: str, lines: list[tuple[_Sku, decimal.Decimal]], opening: bool
    ) -> list[Event]:
        """A purchase receipt and the stock moves it makes, all at ``at``."""
        number = next(self._receipt_number)
        receipt_id = f"{warehouse}/IN/{number:05d}"
        received_lines = []
        for sku, qty in lines:
            short = not opening and self._rng.random() < 0.05
            received = quantity(float(qty) * self._rng.uniform(0.8, 0.99), sku.weighed) if short else qty
            received_lines.append((sku, qty, received))
        receipt = PurchaseReceived(
            **self._envelope(at, receipt_id, None),
            event_type=PurchaseReceived.EVENT_TYPE,
            receipt_id=receipt_id,
            purchase_order_id=f"PO-{self.seed}-{number:05d}",
            supplier="Opening balance" if opening else self._rng.choice(["Northwind", "Globex", "Initech"]),
            asn_reference=None if opening else f"ASN-{number:06d}",
            lines=tuple(
                ReceivedLine(
                    sku=sku.code, warehouse=warehouse, expected_quantity=qty, received_quantity=received
                )
                for sku, qty, received in received_lines
            ),
        )
        events: list[Event] = [receipt]
        for sku, _qty, received in received_lines:
            self._on_order.discard((sku.code, warehouse))
            events.append(
                self._move(
                    at,
                    sku,
                    warehouse,
                    received,
                    MoveKind.RECEIPT,
                    from_location="Partners/Vendors",
                    to_location=stock_location(warehouse),
                    from_warehouse=None,
                    to_warehouse=warehouse,
                    correlation_id=receipt_id,
                    causation=receipt,
                    reference=receipt_id,
                )
            )
        return events

    def _opening_stock(self) -> list[Event]:
        events: list[Event] = []
        for warehouse in self.config.warehouses:
            lines = []
            for sku in self._skus:
                target = quantity(
                    max(5.0, self._expected_daily_demand(sku, warehouse) * self.config.stock_days),
                    sku.weighed,
                )
                self._target[(sku.code, warehouse.code)] = target
                lines.append((sku, target))
            events.extend(self._receipt(self._clock, warehouse.code, lines, opening=True))
        return events

    def _pick_sku(self) -> _Sku:
        point = self._rng.random() * self._sku_cumulative[-1]
        return self._skus[min(bisect.bisect_right(self._sku_cumulative, point), len(self._skus) - 1)]

    def _pick_region(self) -> ShipRegion:
        point = self._rng.random() * self._region_cumulative[-1]
        index = min(bisect.bisect_right(self._region_cumulative, point), len(self.config.ship_regions) - 1)
        return self.config.ship_regions[index]

    def _weighted(self, choices: dict[str, float]) -> str:
        names = list(choices)
        return self._rng.choices(names, weights=[choices[name] for name in names])[0]

    def _order(self, at: datetime.datetime) -> list[Event]:
        """An order, and later either its cancellation or its shipment (scheduled)."""
        config = self.config
        rng = self._rng
        order_id = f"SO-{self.seed}-{next(self._order_number):07d}"
        region = self._pick_region()
        line_count = min(config.max_lines, 1 + int(rng.expovariate(0.7)))
        skus: dict[str, _Sku] = {}
        while len(skus) < min(line_count, len(self._skus)):
            sku = self._pick_sku()
            skus.setdefault(sku.code, sku)
        lines = tuple(
            OrderLine(
                line_id=f"{number}",
                sku=sku.code,
                quantity=quantity(
                    rng.uniform(0.2, 12.0) if sku.weighed else rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 12]),
                    sku.weighed,
                ),
                requested_date=None
                if rng.random() < 0.7
                else (at + datetime.timedelta(days=rng.randint(2, 10))).date(),
            )
            for number, sku in enumerate(skus.values(), start=1)
        )
        channel = self._weighted(config.channels)
        placed = OrderPlaced(
            **self._envelope(at, order_id, None),
            event_type=OrderPlaced.EVENT_TYPE,
            order_id=order_id,
            channel=channel,
            customer_ref=f"{channel.upper()[:3]}-{rng.randrange(10**6, 10**7)}",
            ship_to=ShipTo(
                country=region.country,
                region=region.region,
                postcode=f"{region.zip3}{rng.randrange(100):02d}",
            ),
            lines=lines,
            priority=1 if rng.random() < 0.1 else 0,
            allow_partial=rng.random() < config.allow_partial_share,
        )
        low, high = config.ship_delay_minutes
        delay = datetime.timedelta(minutes=rng.uniform(low, high))
        if rng.random() < config.cancel_share:
            self._schedule(self._cancellation(at + delay * rng.uniform(0.05, 0.9), placed))
        else:
            warehouse = nearest_warehouse(region, config.warehouses).code
            if config.fulfilment == "external":
                self._book_demand(at + delay, placed, warehouse, skus)
            else:
                for event in self._shipment(at + delay, placed, warehouse, skus):
                    self._schedule(event)
        return [placed]

    def _book_demand(
        self, at: datetime.datetime, placed: OrderPlaced, warehouse: str, skus: dict[str, _Sku]
    ) -> None:
        """External fulfilment: count the order's lines as leaving ``warehouse`` (no events), and
        reorder as a delivery would have made it."""
        for line in placed.lines:
            key = (line.sku, warehouse)
            self._on_hand[key] = self._on_hand.get(key, decimal.Decimal(0)) - line.quantity
            self._maybe_reorder(at, skus[line.sku], warehouse)

    def _cancellation(self, at: datetime.datetime, placed: OrderPlaced) -> OrderCancelled:
        return OrderCancelled(
            **self._envelope(at, placed.order_id, placed),
            event_type=OrderCancelled.EVENT_TYPE,
            order_id=placed.order_id,
            reason=self._rng.choice(["customer request", "payment failed", "duplicate order", "fraud check"]),
            lines=tuple(
                CancelledLine(line_id=line.line_id, sku=line.sku, warehouse=None, quantity=line.quantity)
                for line in placed.lines
            ),
        )

    def _shipment(
        self, at: datetime.datetime, placed: OrderPlaced, warehouse: str, skus: dict[str, _Sku]
    ) -> list[Event]:
        """The shipment of an order and a DELIVERY move per line, at ``at``."""
        carrier = self._weighted(self.config.carriers)
        shipment_id = f"{warehouse}/OUT/{next(self._move_number):06d}"
        shipped = ShipmentConfirmed(
            **self._envelope(at, placed.order_id, placed),
            event_type=ShipmentConfirmed.EVENT_TYPE,
            shipment_id=shipment_id,
            warehouse=warehouse,
            order_id=placed.order_id,
            lines=tuple(
                ShippedLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity)
                for line in placed.lines
            ),
            carrier=carrier,
            tracking_number=tracking_number(carrier, self._rng),
            shipped_at=_millis(at),
        )
        events: list[Event] = [shipped]
        for line in placed.lines:
            events.append(
                self._move(
                    at,
                    skus[line.sku],
                    warehouse,
                    line.quantity,
                    MoveKind.DELIVERY,
                    from_location=stock_location(warehouse),
                    to_location="Partners/Customers",
                    from_warehouse=warehouse,
                    to_warehouse=None,
                    correlation_id=placed.order_id,
                    causation=shipped,
                    reference=shipment_id,
                )
            )
            self._maybe_reorder(at, skus[line.sku], warehouse)
        return events

    def _maybe_reorder(self, at: datetime.datetime, sku: _Sku, warehouse: str) -> None:
        """Schedule a replenishment receipt when stock fell below a third of its target."""
        key = (sku.code, warehouse)
        target = self._target[key]
        if key in self._on_order or self._on_hand[key] >= target / 3:
            return
        self._on_order.add(key)
        low, high = self.config.lead_time_hours
        arrival = at + datetime.timedelta(hours=self._rng.uniform(low, high))
        for event in self._receipt(arrival, warehouse, [(sku, target)], opening=False):
            self._schedule(event)

    def _pick_stock(self, minimum: decimal.Decimal) -> tuple[_Sku, Warehouse] | None:
        """A random SKU and warehouse with at least ``minimum`` on hand, if one turns up."""
        for _ in range(5):
            sku = self._pick_sku()
            warehouse = self._rng.choice(self.config.warehouses)
            if self._on_hand.get((sku.code, warehouse.code), decimal.Decimal(0)) >= minimum:
                return sku, warehouse
        return None

    def _transfer(self, at: datetime.datetime) -> list[Event]:
        """Rebalance: stock leaves one warehouse now and arrives at another hours later."""
        if len(self.config.warehouses) < 2:
            return []
        picked = self._pick_stock(decimal.Decimal(10))
        if picked is None:
            return []
        sku, source = picked
        destination = self._rng.choice([w for w in self.config.warehouses if w.code != source.code])
        on_hand = self._on_hand[(sku.code, source.code)]
        qty = quantity(float(on_hand) * self._rng.uniform(0.05, 0.2), sku.weighed)
        reference = f"{source.code}/INT/{next(self._move_number):06d}"
        transit = f"Virtual Locations/Transit/{destination.code}"
        out = self._move(
            at,
            sku,
            source.code,
            qty,
            MoveKind.INTERNAL_TRANSFER,
            from_location=stock_location(source.code),
            to_location=transit,
            from_warehouse=source.code,
            to_warehouse=None,
            correlation_id=reference,
            causation=None,
            reference=reference,
        )
        arrival = at + datetime.timedelta(hours=self._rng.uniform(6, 48))
        self._schedule(
            self._move(
                arrival,
                sku,
                destination.code,
                qty,
                MoveKind.INTERNAL_TRANSFER,
                from_location=transit,
                to_location=stock_location(destination.code),
                from_warehouse=None,
                to_warehouse=destination.code,
                correlation_id=reference,
                causation=out,
                reference=reference,
            )
        )
        return [out]

    def _adjustment(self, at: datetime.datetime, scrap: bool) -> list[Event]:
        """A cycle-count adjustment (either way) or scrapped damaged goods."""
        picked = self._pick_stock(decimal.Decimal(3))
        if picked is None:
            return []
        sku, warehouse = picked
        qty = quantity(self._rng.uniform(0.3, 3.0), sku.weighed)
        reference = f"{warehouse.code}/{'SCRAP' if scrap else 'ADJ'}/{next(self._move_number):06d}"
        stock = stock_location(warehouse.code)
        if scrap:
            kind, origin, target = MoveKind.SCRAP, stock, "Virtual Locations/Scrap"
        elif self._rng.random() < 0.5:
            kind, origin, target = MoveKind.ADJUSTMENT, "Virtual Locations/Inventory adjustment", stock
        else:
            kind, origin, target = MoveKind.ADJUSTMENT, stock, "Virtual Locations/Inventory adjustment"
        return [
            self._move(
                at,
                sku,
                warehouse.code,
                qty,
                kind,
                from_location=origin,
                to_location=target,
                from_warehouse=warehouse.code if origin == stock else None,
                to_warehouse=warehouse.code if target == stock else None,
                correlation_id=reference,
                causation=None,
                reference=reference,
            )
        ]

    def _flow(self, at: datetime.datetime) -> list[Event]:
        mix: dict[str, float] = self.config.mix.model_dump()
        flow = self._weighted(mix)
        if flow == "order":
            return self._order(at)
        if flow == "transfer":
            return self._transfer(at)
        return self._adjustment(at, scrap=flow == "scrap")

    # -- the stream ---------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Every event, in ``occurred_at`` order, forever (take what you need)."""
        yield from self._opening_stock()
        rate = self.config.flows_per_second
        while True:
            self._clock += datetime.timedelta(seconds=self._rng.expovariate(rate))
            while self._pending and self._pending[0].at <= self._clock:
                yield heapq.heappop(self._pending).event
            yield from self._flow(self._clock)


def tracking_number(carrier: str, rng: random.Random) -> str:
    """A carrier-looking tracking number."""
    if carrier == "ups":
        return f"1Z{rng.randrange(16**6):06X}{rng.randrange(10**10):010d}"
    if carrier == "fedex":
        return f"{rng.randrange(10**12):012d}"
    if carrier == "usps":
        return f"9400{rng.randrange(10**18):018d}"
    return f"{rng.randrange(10**10):010d}"
