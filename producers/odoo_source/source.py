"""The Odoo source's loop: read a page of changes, publish, wait for Kafka, then move the position.

Done stock moves are polled from a `(write_date, seen ids)` watermark kept in the compacted
positions topic. Records that cannot be mapped go to the quarantine topic with the reason, and
the source keeps going. Odoo being down is waited out with backoff and a clear log line; an
expired session is re-logged in by the client.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, Producer

from producers.odoo_source.mapping import Location, Unmappable, map_stock_move
from producers.odoo_source.positions import Position, load_positions, save_position
from producers.publisher import Delivery, Publisher
from supplystream.errors import OdooUnavailableError, PublishError
from supplystream.odoo.client import OdooClient, Watermark, advanced
from supplystream.odoo.operations import done_moves_since, many2one_id

log = logging.getLogger("supplystream.odoo_source")
QUARANTINE_TOPIC = "supplystream.quarantine"
Report = Callable[[str], None]


@dataclass
class Progress:
    """What the source has done since it started."""

    published: int = 0
    quarantined: int = 0
    pages: int = 0
    watermark: Watermark | None = None
    started: float = field(default_factory=time.monotonic)


def read_locations(client: OdooClient) -> dict[int, Location]:
    """Every stock location with its usage and warehouse code (by field, or by name prefix on old Odoo)."""
    warehouses = client.search_read("stock.warehouse", [], ["code", "view_location_id"])
    has_field = "warehouse_id" in client.fields("stock.location")
    fields = ["complete_name", "usage", *(["warehouse_id"] if has_field else [])]
    codes = {int(w["id"]): str(w["code"]) for w in warehouses}
    locations: dict[int, Location] = {}
    for page in client.pages("stock.location", [], fields):
        for row in page:
            name = str(row["complete_name"])
            if has_field:
                warehouse = codes.get(many2one_id(row.get("warehouse_id")) or 0)
            else:
                warehouse = next((c for c in codes.values() if name == c or name.startswith(f"{c}/")), None)
            locations[int(row["id"])] = Location(name, str(row["usage"]), warehouse)
    return locations


class OdooSource:
    """Publishes Odoo's done stock moves; see the module docstring."""

    def __init__(
        self,
        client: OdooClient,
        publisher: Publisher,
        producer: Producer,
        positions_consumer: Consumer,
        *,
        database: str,
        company: str,
        page_size: int = 500,
        report: Report = log.info,
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._producer = producer
        self._consumer = positions_consumer
        self._database = database
        self._company = company
        self._page_size = page_size
        self._report = report
        self._name = f"odoo:{database}"
        self._skus: dict[int, str] = {}
        self._locations: dict[int, Location] = {}
        self.progress = Progress()

    def drain(self, stop: threading.Event | None = None) -> Progress:
        """Publish everything changed since the stored position, page by page."""
        key = f"{self._name}|stock.move"
        stored = load_positions(self._consumer).get(key)
        watermark = stored.watermark if stored else None
        self.progress.watermark = watermark
        self._report(f"stock.move: starting from {watermark.write_date if watermark else 'the beginning'}")
        while stop is None or not stop.is_set():
            records = done_moves_since(self._client, watermark, limit=self._page_size)
            if not records:
                return self.progress
            self._publish_page(records)
            watermark = advanced(watermark, records)
            assert watermark is not None  # noqa: S101 - records is not empty
            save_position(self._producer, Position(self._name, "stock.move", watermark))
            self.progress.pages += 1
            self.progress.watermark = watermark
            elapsed = time.monotonic() - self.progress.started
            self._report(
                f"stock.move: {self.progress.published} published, {self.progress.quarantined} quarantined, "
                f"at {watermark.write_date} ({self.progress.published / max(elapsed, 1e-9):,.0f} events/s)"
            )
        return self.progress

    def run(self, stop: threading.Event, poll_interval_s: float = 5.0, max_backoff_s: float = 60.0) -> None:
        """Drain, wait, repeat until ``stop``; Odoo being down is retried with backoff."""
        backoff = poll_interval_s
        while not stop.is_set():
            try:
                self.drain(stop)
                backoff = poll_interval_s
            except OdooUnavailableError as exc:
                self._report(f"Odoo unavailable ({exc}); retrying in {backoff:.0f}s")
                backoff = min(max_backoff_s, backoff * 2)
            stop.wait(backoff)

    def _publish_page(self, records: list[dict[str, Any]]) -> None:
        self._learn(records)
        futures: list[Future[Delivery]] = []
        for record in records:
            mapped = map_stock_move(
                record,
                database=self._database,
                company=self._company,
                skus=self._skus,
                locations=self._locations,
            )
            if isinstance(mapped, Unmappable):
                self._quarantine(mapped, record)
            else:
                futures.append(self._publisher.publish(mapped))
        if self._publisher.flush(60) or self._producer.flush(60):
            raise PublishError(
                "Kafka did not acknowledge the page within 60s; the position stays where it was"
            )
        for future in futures:
            future.result(timeout=0)  # raises PublishError: the position is not moved
        self.progress.published += len(futures)

    def _learn(self, records: list[dict[str, Any]]) -> None:
        """Read the SKUs and locations this page refers to that are not known yet (batched)."""
        products = {many2one_id(r.get("product_id")) for r in records} - {None} - self._skus.keys()
        if products:
            rows = self._client.read("product.product", sorted(p for p in products if p), ["default_code"])
            self._skus.update({int(r["id"]): str(r["default_code"] or "") for r in rows})
        wanted = {many2one_id(r.get(f)) for r in records for f in ("location_id", "location_dest_id")}
        if wanted - {None} - self._locations.keys():
            self._locations = read_locations(self._client)

    def _quarantine(self, problem: Unmappable, record: dict[str, Any]) -> None:
        self.progress.quarantined += 1
        self._producer.produce(
            QUARANTINE_TOPIC,
            key=f"{self._name}|{problem.model}".encode(),
            value=json.dumps({"record": record, "reason": problem.reason}, default=str).encode(),
            headers=[("reason", problem.reason.encode()), ("record_id", str(problem.record_id).encode())],
        )
        log.warning("quarantined %s %s: %s", problem.model, problem.record_id, problem.reason)
