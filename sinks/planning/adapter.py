"""The planning sink: events → the planning engine's PostgreSQL tables (psycopg 3).

A batch is mapped to rows (`sinks.planning.rows`), COPY'd into per-session staging tables and merged
with one ``INSERT ... SELECT DISTINCT ON ... ON CONFLICT ... DO UPDATE ... WHERE <newer>`` per table,
all in one transaction: the batch applies entirely or not at all, and only forward
(`sinks.planning.tables` documents each table's per-key version). The schema is migrated on the
first connection (`sinks.planning.migrate`).

Errors: connection refused/lost → `TargetUnavailableError` (the runtime pauses and probes);
serialization failures, deadlocks, lock timeouts → `TransientSinkError`; data PostgreSQL refuses
→ `PermanentSinkError` (the runtime then isolates the record); an event that does not map → `Rejected`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from sinks.base import PermanentSinkError, Rejected, SinkRecord, TargetUnavailableError, TransientSinkError
from sinks.planning.migrate import migrate
from sinks.planning.rows import Row, UnmappableEvent, rows_of
from sinks.planning.tables import COLUMN_TYPES_SQL, TABLES, Table, copy_sql, merge_sql, staging_sql
from supplystream.settings import Settings

log = logging.getLogger("supplystream.sinks.planning")

#: Errors after which the same transaction may well succeed.
_TRANSIENT = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
    pg_errors.QueryCanceled,
    pg_errors.TooManyConnections,
)
#: Errors that say the data is wrong, not the database.
_PERMANENT = (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError)

DEFAULT_SCHEMA = "planning"


class PlanningSink:
    """Writes events into the planning schema; see the module docstring."""

    name = "planning-sink"

    def __init__(self, dsn: str, *, schema: str = DEFAULT_SCHEMA, connect_timeout_s: int = 5) -> None:
        self._dsn = dsn
        self.schema = schema
        self._connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None
        self._migrated = False
        #: Per table: the type oid of each column, in row order (for binary COPY).
        self._types: dict[str, list[int]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> PlanningSink:
        """The planning sink on the configured PostgreSQL (the local stack's ``planning`` database)."""
        return cls(settings.postgres_dsn)

    # -- the adapter contract ------------------------------------------------------------------

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        """Apply ``batch`` in one transaction; events that do not map are returned as rejected."""
        rejected: list[Rejected] = []
        staged: dict[Table, list[Row]] = {}
        for record in batch:
            try:
                table, rows = rows_of(record.event)
            except UnmappableEvent as exc:
                rejected.append(Rejected(record, PermanentSinkError(str(exc))))
                continue
            staged.setdefault(table, []).extend(rows)
        if staged:
            self._apply(staged)
        return rejected

    def probe(self) -> bool:
        """Whether PostgreSQL accepts a connection and answers a query."""
        try:
            with psycopg.connect(self._dsn, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- the database ---------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply missing migrations now (on a connection of its own); their file names."""
        try:
            with psycopg.connect(self._dsn, connect_timeout=self._connect_timeout_s) as conn:
                return [m.path.name for m in self._migrate(conn)]
        except psycopg.OperationalError as exc:
            raise TargetUnavailableError(
                f"PostgreSQL does not answer ({_first_line(exc)}): check SUPPLYSTREAM_POSTGRES__DSN, "
                "or start the local stack with `supplystream stack up`"
            ) from exc

    def _migrate(self, conn: psycopg.Connection[Any]) -> list[Any]:
        applied = migrate(conn, self.schema)
        for migration in applied:
            log.info("planning schema %s: applied migration %s", self.schema, migration.path.name)
        self._migrated = True
        return applied

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._conn = None
        try:
            conn = psycopg.connect(self._dsn, connect_timeout=self._connect_timeout_s)
            if not self._migrated:
                self._migrate(conn)
            with conn.transaction():
                for table in TABLES:
                    conn.execute(staging_sql(table, self.schema))
                    oids = {
                        str(name): int(oid)
                        for name, oid in conn.execute(COLUMN_TYPES_SQL, (f"pg_temp.{table.staging}",))
                    }
                    self._types[table.name] = [oids[column] for column in table.columns]
        except psycopg.OperationalError as exc:
            raise TargetUnavailableError(f"PostgreSQL does not answer ({_first_line(exc)})") from exc
        self._conn = conn
        return conn

    def _apply(self, staged: dict[Table, list[Row]]) -> None:
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                for table, rows in staged.items():
                    with cursor.copy(copy_sql(table)) as copy:
                        copy.set_types(self._types[table.name])
                        for row in rows:
                            copy.write_row(row)
                    cursor.execute(merge_sql(table, self.schema))
        except _TRANSIENT as exc:
            raise TransientSinkError(f"PostgreSQL: {_first_line(exc)}") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise TargetUnavailableError(f"PostgreSQL connection lost ({_first_line(exc)})") from exc
        except _PERMANENT as exc:
            raise PermanentSinkError(f"PostgreSQL refused the data: {_first_line(exc)}") from exc


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
