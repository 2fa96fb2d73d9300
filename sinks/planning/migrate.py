"""The planning schema's migrations: numbered ``migrations/NNNN_name.sql`` files, applied in order, once.

Applied versions are recorded in ``<schema>.schema_migrations``; the missing files run in one
transaction (all or none) with ``search_path`` set to the schema, under an advisory lock so two sinks
starting at once do not race. Never edit an applied file: add the next number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
#: pg_advisory_xact_lock key: "planning" in ASCII.
_LOCK_KEY = 0x706C616E6E696E67


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    path: Path


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files, in version order; a misnamed file or a repeated number is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"migration {path.name} is not named NNNN_lower_case_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"migrations {found[version].path.name} and {path.name} share version {version}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def migrate(conn: psycopg.Connection[Any], schema: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply the migrations ``schema`` lacks; the ones applied now."""
    target = sql.Identifier(schema)
    applied_now: list[Migration] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(target))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(target)
        )
        done = {
            int(row[0])
            for row in conn.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(target))
        }
        for migration in migrations(directory):
            if migration.version in done:
                continue
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(target))
            conn.execute(migration.path.read_bytes())
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migrations (version, name) VALUES (%s, %s)").format(target),
                (migration.version, migration.name),
            )
            applied_now.append(migration)
    return applied_now
