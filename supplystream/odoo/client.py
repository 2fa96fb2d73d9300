"""`OdooClient`: the one way SupplyStream reads from and writes to Odoo.

Login at first use and again after the session expired or Odoo came back; batched calls (`create`
with a list where the server takes one, grouped `write`s, `fields` on every read, paging by id or by
a `(write_date, id)` watermark); Odoo errors mapped to our types; concurrent-update failures retried
with backoff; every call counted and timed. The server's major version is known after login, so
version-specific operations (see `supplystream.odoo.operations`) can pick the right calls. Calls
travel over JSON-RPC (`transport.JsonRpcTransport`) or Odoo 19's JSON-2 (`json2.Json2Transport`),
chosen by `connect.transport_for`; each call is one transaction in Odoo over either.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from supplystream.backoff import Backoff
from supplystream.errors import (
    OdooAuthenticationError,
    OdooConcurrentUpdateError,
    OdooError,
    OdooUnavailableError,
)
from supplystream.odoo.connect import transport_for
from supplystream.odoo.metrics import OdooMetrics, process_metrics
from supplystream.odoo.transport import OdooTransport
from supplystream.settings import Settings

Record = dict[str, Any]
Domain = list[Any]
#: Odoo 12 made `create` accept a list of value dicts (api.model_create_multi).
CREATE_MULTI_SINCE = 12
#: Seconds a change must be old before `changed_since` returns it (see there).
SETTLE_S = 2.0
#: How Odoo's external API writes datetimes (UTC, to the second).
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Watermark:
    """A position in a model's change history: a ``write_date`` and the ids already seen at it.

    Odoo returns ``write_date`` to the second, but older versions store microseconds, so a
    ``write_date > w`` filter would return the same second again and again, and ``id`` does not
    order records within a second. The watermark therefore re-reads its own second and skips the
    ids it has already seen there: nothing is skipped, nothing repeats, and pages always progress.
    """

    write_date: str
    seen: frozenset[int] = frozenset()

    def advance(self, records: Sequence[Mapping[str, Any]]) -> Watermark:
        """The watermark after ``records`` (ordered by write_date) were processed."""
        return advanced(self, records) or self


def advanced(watermark: Watermark | None, records: Sequence[Mapping[str, Any]]) -> Watermark | None:
    """``watermark`` moved past ``records`` (each read with ``write_date`` and ``id``); None stays
    None only when there were no records."""
    for record in records:
        write_date, record_id = str(record["write_date"]), int(record["id"])
        if watermark is None or write_date > watermark.write_date:
            watermark = Watermark(write_date, frozenset({record_id}))
        elif write_date == watermark.write_date:
            watermark = Watermark(write_date, watermark.seen | {record_id})
    return watermark


def after(watermark: Watermark | None) -> Domain:
    """Domain for records changed in a later second, or in the watermark's second but not yet seen."""
    if watermark is None:
        return []
    stamp = dt.datetime.strptime(watermark.write_date, ODOO_DATETIME).replace(tzinfo=dt.UTC)
    next_second = (stamp + dt.timedelta(seconds=1)).strftime(ODOO_DATETIME)
    return [
        "|",
        ("write_date", ">=", next_second),
        "&",
        ("write_date", ">=", watermark.write_date),
        ("id", "not in", sorted(watermark.seen)),
    ]


def grouped_writes(updates: Mapping[int, Mapping[str, Any]]) -> list[tuple[list[int], dict[str, Any]]]:
    """Group record updates with identical values, so each group is one `write` call."""
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for record_id, values in updates.items():
        key = tuple(sorted((name, _hashable(value)) for name, value in values.items()))
        groups.setdefault(key, []).append(record_id)
    return [(sorted(ids), dict(updates[ids[0]])) for ids in groups.values()]


def _close(transport: OdooTransport) -> None:
    close = getattr(transport, "close", None)
    if callable(close):
        close()


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


#: Waits between retries of a concurrent update: ``min(2, 0.05 * 2**attempt)`` seconds, scaled by a
#: uniform 0.5 .. 1.5 (written as `Backoff`: nominal ``0.15 * 2**(attempt-1)`` capped at 3 s, the top
#: two thirds random).
CONCURRENCY_BACKOFF = Backoff(base_s=0.15, factor=2.0, max_s=3.0, jitter=2 / 3)


class OdooClient:
    """A logged-in, version-aware, instrumented connection to one Odoo database."""

    def __init__(
        self,
        transport: OdooTransport,
        *,
        concurrency_retries: int = 5,
        metrics: OdooMetrics | None = None,
        sleep: Callable[[float], None] = time.sleep,
        reconnect: Callable[[], OdooTransport] | None = None,
    ) -> None:
        self._transport = transport
        self._reconnect = reconnect
        self._retries = concurrency_retries
        self._metrics = metrics or process_metrics()
        self._sleep = sleep
        self._uid: int | None = None
        self._version: tuple[int, int] | None = None
        self._fields: dict[str, dict[str, str]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, metrics: OdooMetrics | None = None) -> OdooClient:
        """A client for the configured Odoo (the local stand-in by default), over the API that
        ``SUPPLYSTREAM_ODOO__API`` names or, by default, the one its version calls for
        (`supplystream.odoo.connect`)."""

        def connect() -> OdooTransport:
            return transport_for(settings)

        return cls(
            connect(),
            concurrency_retries=settings.odoo.concurrency_retries,
            metrics=metrics,
            reconnect=connect,
        )

    # -- session -------------------------------------------------------------------------------

    def login(self) -> int:
        """Read the server version and log in; the user id."""
        self._version = self._transport.server_version()
        self._uid = self._transport.authenticate()
        return self._uid

    @property
    def version(self) -> int:
        """The server's major version (11, 16, 17, ...), logging in if needed."""
        if self._version is None:
            self.login()
        assert self._version is not None  # noqa: S101 - set by login()
        return self._version[0]

    @property
    def api(self) -> str:
        """The external API the calls travel over (``JSON-2``, ``JSON-RPC``; ``auto`` before login)."""
        return str(getattr(self._transport, "api", type(self._transport).__name__))

    def close(self) -> None:
        """Close the transport's connections (a transport without any has nothing to close)."""
        _close(self._transport)

    @property
    def uid(self) -> int:
        """The logged-in user's id."""
        return self._uid if self._uid is not None else self.login()

    # -- the one call path ---------------------------------------------------------------------

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``model.method(*args, **kwargs)``: retried on concurrent updates, re-logged in once."""
        if self._uid is None:
            self.login()
        relogged = False
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                result = self._transport.call(model, method, list(args), kwargs)
            except OdooError as exc:
                self._count(model, method, started, exc)
                if isinstance(exc, OdooConcurrentUpdateError) and attempt < self._retries:
                    attempt += 1
                    self._sleep(CONCURRENCY_BACKOFF.delay(attempt, random.random()))  # noqa: S311 - jitter
                    continue
                if isinstance(exc, OdooAuthenticationError) and not relogged:
                    relogged = True  # the session expired or the password rotated: log in again, once
                    self.login()
                    continue
                if isinstance(exc, OdooUnavailableError):
                    self._forget_session()  # reconnect and log in again when Odoo is back
                raise
            self._count(model, method, started, None)
            return result

    def _count(self, model: str, method: str, started: float, error: OdooError | None) -> None:
        self._metrics.calls.labels(model, method).inc()
        self._metrics.latency.labels(model, method).observe(time.perf_counter() - started)
        if error is not None:
            self._metrics.errors.labels(model, method, type(error).__name__).inc()

    def _forget_session(self) -> None:
        self._uid = None
        if self._reconnect is not None:
            _close(self._transport)
            self._transport = self._reconnect()

    # -- reads ---------------------------------------------------------------------------------

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        order: str = "id asc",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Record]:
        """Records matching ``domain`` with exactly ``fields`` (never all fields)."""
        if not fields:
            raise ValueError("pass the fields to read: reading every field is slow and version-fragile")
        kwargs: dict[str, Any] = {"fields": list(fields), "order": order, "offset": offset}
        if limit is not None:
            kwargs["limit"] = limit
        result: list[Record] = self.call(model, "search_read", domain, **kwargs)
        return result

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str]) -> list[Record]:
        """``read`` of ``ids`` with exactly ``fields``."""
        if not ids:
            return []
        result: list[Record] = self.call(model, "read", list(ids), fields=list(fields))
        return result

    def search(
        self, model: str, domain: Domain, *, order: str = "id asc", limit: int | None = None
    ) -> list[int]:
        """Ids matching ``domain``."""
        kwargs: dict[str, Any] = {"order": order}
        if limit is not None:
            kwargs["limit"] = limit
        result: list[int] = self.call(model, "search", domain, **kwargs)
        return result

    def fields(self, model: str) -> dict[str, str]:
        """Field name -> type of ``model`` on this server (asked once; add-ons and versions differ)."""
        known = self._fields.get(model)
        if known is None:
            described = self.call(model, "fields_get", attributes=["type"])
            known = {name: str(spec.get("type", "")) for name, spec in described.items()}
            self._fields[model] = known
        return known

    def pages(
        self, model: str, domain: Domain, fields: Sequence[str], page_size: int = 500
    ) -> Iterator[list[Record]]:
        """All matching records in pages ordered by id (stable under concurrent inserts)."""
        last_id = 0
        while True:
            page = self.search_read(
                model, [*domain, ("id", ">", last_id)], [*fields, "id"], order="id asc", limit=page_size
            )
            if not page:
                return
            yield page
            last_id = int(page[-1]["id"])

    def changed_since(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        watermark: Watermark | None,
        *,
        limit: int = 500,
        settle_s: float = SETTLE_S,
    ) -> list[Record]:
        """Up to ``limit`` records changed after ``watermark``, oldest change first.

        Only changes older than ``settle_s`` seconds are returned: a second still being written
        could gain records after it was read, which a write_date watermark would then miss. This
        assumes Odoo's clock and ours agree within ``settle_s``.
        """
        wanted = list(dict.fromkeys([*fields, "write_date", "id"]))
        settled: Domain = []
        if settle_s > 0:
            cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settle_s)
            settled = [("write_date", "<", cutoff.strftime(ODOO_DATETIME))]
        return self.search_read(
            model, [*domain, *after(watermark), *settled], wanted, order="write_date asc, id asc", limit=limit
        )

    # -- writes --------------------------------------------------------------------------------

    def create(self, model: str, values: Sequence[Mapping[str, Any]]) -> list[int]:
        """Create records: one call with a list where the server accepts it (Odoo 12+)."""
        if not values:
            return []
        if self.version >= CREATE_MULTI_SINCE:
            created = self.call(model, "create", [dict(v) for v in values])
            return [int(i) for i in (created if isinstance(created, list) else [created])]
        return [int(self.call(model, "create", dict(v))) for v in values]

    def write(self, model: str, ids: Sequence[int], values: Mapping[str, Any]) -> None:
        """Write the same ``values`` to every record in ``ids`` (one call)."""
        if ids:
            self.call(model, "write", list(ids), dict(values))

    def write_grouped(self, model: str, updates: Mapping[int, Mapping[str, Any]]) -> int:
        """Write per-record values with one call per group of identical values; the call count."""
        groups = grouped_writes(updates)
        for ids, values in groups:
            self.write(model, ids, values)
        return len(groups)
