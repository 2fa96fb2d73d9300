"""The stand-in's data: plain dicts in memory, persisted to one SQLite file.

Records live in ``tables[model][id]`` as plain dicts. Every RPC call runs as one transaction
(:meth:`Store.transaction`): calls are serialised by a lock, changes are journalled so a failing
call leaves no trace (as Odoo rolls back its cursor), and a successful call is written to SQLite
before the answer is sent, so the state survives a restart.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # odoo.tools.DEFAULT_SERVER_DATETIME_FORMAT

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (model TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,
                                    PRIMARY KEY (model, id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (uid INTEGER NOT NULL, kind TEXT NOT NULL, salt TEXT NOT NULL,
                                        digest TEXT NOT NULL);
"""


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), 1000).hex()


class Store:
    """In-memory tables backed by SQLite; one transaction at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._db.commit()
        self.lock = threading.RLock()
        self.tables: dict[str, dict[int, Record]] = {}
        self.meta: dict[str, Any] = {}
        self._journal: dict[tuple[str, int], Record | None] | None = None
        self._meta_before: dict[str, Any] = {}
        self._load()

    # -- loading and persistence -------------------------------------------------------------
    def _load(self) -> None:
        for model, record_id, data in self._db.execute("SELECT model, id, data FROM records"):
            self.tables.setdefault(model, {})[int(record_id)] = json.loads(data)
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            self.meta[key] = json.loads(value)

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @property
    def is_empty(self) -> bool:
        return not any(self.tables.values())

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block as one transaction: committed to SQLite on success, undone on error."""
        with self.lock:
            if self._journal is not None:  # nested: part of the enclosing transaction
                yield self
                return
            self._journal = {}
            self._meta_before = copy.deepcopy(self.meta)
            try:
                yield self
            except BaseException:
                self._rollback()
                raise
            else:
                self._commit()
            finally:
                self._journal = None

    def _rollback(self) -> None:
        for (model, record_id), original in (self._journal or {}).items():
            table = self.tables.setdefault(model, {})
            if original is None:
                table.pop(record_id, None)
            else:
                table[record_id] = original
        self.meta = self._meta_before

    def _commit(self) -> None:
        with self._db:
            for model, record_id in self._journal or {}:
                record = self.tables.get(model, {}).get(record_id)
                if record is None:
                    self._db.execute("DELETE FROM records WHERE model = ? AND id = ?", (model, record_id))
                else:
                    self._db.execute(
                        "INSERT OR REPLACE INTO records (model, id, data) VALUES (?, ?, ?)",
                        (model, record_id, json.dumps(record)),
                    )
            for key, value in self.meta.items():
                if self._meta_before.get(key) != value:
                    self._db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
                    )

    # -- record access ---------------------------------------------------------------------
    def table(self, model: str) -> dict[int, Record]:
        return self.tables.setdefault(model, {})

    def get(self, model: str, record_id: int) -> Record | None:
        return self.tables.get(model, {}).get(record_id)

    def touch(self, model: str, record_id: int) -> Record:
        """Return the record for modification, journalling its original value first."""
        record = self.table(model)[record_id]
        key = (model, record_id)
        if self._journal is not None and key not in self._journal:
            self._journal[key] = copy.deepcopy(record)
        return record

    def insert(self, model: str, record: Record) -> int:
        record_id = self.next_id(model)
        record["id"] = record_id
        if self._journal is not None:
            self._journal.setdefault((model, record_id), None)
        self.table(model)[record_id] = record
        return record_id

    def delete(self, model: str, record_id: int) -> None:
        if record_id in self.table(model):
            self.touch(model, record_id)
            del self.table(model)[record_id]

    def next_id(self, model: str) -> int:
        key = f"id:{model}"
        value = int(self.meta.get(key, 0)) + 1
        self.meta[key] = value
        return value

    # -- sequences and the clock -----------------------------------------------------------
    def next_sequence(self, code: str) -> int:
        key = f"seq:{code}"
        value = int(self.meta.get(key, 0)) + 1
        self.meta[key] = value
        return value

    def tick(self) -> str:
        """A transaction timestamp: UTC now to the second, as Odoo stamps create/write_date.

        Like Odoo, several transactions can share a second (watermarks must cope: see
        supplystream.odoo.client.Watermark). It never goes backwards, even across restarts.
        """
        now = datetime.now(UTC).replace(microsecond=0)
        last_raw = self.meta.get("clock")
        if last_raw:
            now = max(now, datetime.strptime(str(last_raw), DATETIME_FORMAT).replace(tzinfo=UTC))
        stamp = now.strftime(DATETIME_FORMAT)
        self.meta["clock"] = stamp
        return stamp

    # -- credentials -----------------------------------------------------------------------
    def set_secret(self, uid: int, kind: str, secret: str) -> None:
        salt = secrets.token_hex(8)
        with self._db:
            self._db.execute(
                "INSERT INTO credentials (uid, kind, salt, digest) VALUES (?, ?, ?, ?)",
                (uid, kind, salt, hash_secret(secret, salt)),
            )

    def check_secret(self, uid: int, secret: str, kinds: tuple[str, ...]) -> bool:
        rows = self._db.execute("SELECT kind, salt, digest FROM credentials WHERE uid = ?", (uid,)).fetchall()
        return any(
            kind in kinds and secrets.compare_digest(hash_secret(secret, salt), digest)
            for kind, salt, digest in rows
        )
