"""Fault injection for tests (not part of Odoo's API), driven through ``/supplystream/faults``.

* ``ok``: normal service.
* ``down``: every Odoo route answers HTTP 503, as a reverse proxy in front of a dead Odoo does.
* ``limited``: every Odoo route answers HTTP 429 Too Many Requests with ``Retry-After:
  retry_after_s``, as a rate-limiting proxy in front of Odoo does (Odoo itself does not limit).
* ``slow``: every Odoo route sleeps ``delay_s`` seconds before answering.
* ``error``: the next ``count`` object calls (``/jsonrpc`` service ``object``, ``call_kw``, JSON-2) fail
  with ``error_name``; ``psycopg2.errors.SerializationFailure`` is reported as Odoo 17 reports a
  serialization failure that used up its retries (odoo/service/model.py ``retrying``: after
  MAX_TRIES_ON_CONCURRENCY_FAILURE = 5 tries the psycopg2 error is re-raised as is).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from supplystream_devkit.odoo_standin.errors import OdooError, UserError, error_by_name

MODES = ("ok", "down", "limited", "slow", "error")


@dataclass
class FaultState:
    mode: str = "ok"
    delay_s: float = 0.0
    error_name: str = "odoo.exceptions.UserError"
    error_message: str | None = None
    count: int = 0
    retry_after_s: int = 0


class Faults:
    """The current fault, shared by the request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = FaultState()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._state)

    def configure(self, payload: dict[str, Any]) -> dict[str, Any]:
        mode = payload.get("mode", "ok")
        if mode not in MODES:
            raise UserError(f"Unknown fault mode {mode!r}; expected one of {', '.join(MODES)}")
        state = FaultState(mode=str(mode))
        if mode == "limited":
            state.retry_after_s = int(payload.get("retry_after_s", 1))
        if mode == "slow":
            state.delay_s = float(payload.get("delay_s", 2.0))
        if mode == "error":
            state.error_name = str(payload.get("error_name", "odoo.exceptions.UserError"))
            state.error_message = payload.get("message")
            state.count = int(payload.get("count", 1))
            state.delay_s = float(payload.get("delay_s", 0.0))
        with self._lock:
            self._state = state
        return self.snapshot()

    @property
    def down(self) -> bool:
        with self._lock:
            return self._state.mode == "down"

    @property
    def retry_after(self) -> int | None:
        """Seconds a rate-limited client is told to wait; None when not limiting."""
        with self._lock:
            return self._state.retry_after_s if self._state.mode == "limited" else None

    @property
    def delay(self) -> float:
        with self._lock:
            return self._state.delay_s if self._state.mode == "slow" else 0.0

    def take_error(self) -> OdooError | None:
        """The error the next object call must fail with, if any (consumes one of ``count``)."""
        with self._lock:
            state = self._state
            if state.mode != "error" or state.count <= 0:
                return None
            state.count -= 1
            if state.count == 0:
                self._state = FaultState()
            return error_by_name(state.error_name, state.error_message)
