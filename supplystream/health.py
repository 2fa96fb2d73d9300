"""The one way every long-running process serves its metrics and health, on 127.0.0.1.

``GET /metrics`` (Prometheus), ``/health`` (liveness) and ``/ready`` (readiness), both JSON, 200 or 503.
A check returns ``True``/``False`` or ``(ok, detail)``; one that raises counts as failing. Checks run
on the server's thread: keep them cheap and thread-safe (read a flag or a timestamp the worker loop
keeps up to date).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from confluent_kafka.admin import AdminClient
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

Check = Callable[[], "bool | tuple[bool, str]"]


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """All checks of one kind (liveness or readiness): ok only when every one passed."""

    results: Mapping[str, CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "checks": {name: {"ok": r.ok, "detail": r.detail} for name, r in self.results.items()},
        }


def run_check(check: Check) -> CheckResult:
    """Run one check; an exception is a failure whose detail is the exception."""
    try:
        outcome = check()
    except Exception as exc:  # noqa: BLE001 - a check that cannot tell is failing, and says why
        return CheckResult(False, f"{type(exc).__name__}: {exc}")
    if isinstance(outcome, tuple):
        return CheckResult(bool(outcome[0]), outcome[1])
    return CheckResult(bool(outcome))


def evaluate(checks: Mapping[str, Check]) -> Verdict:
    """Run every check (no check at all: ok)."""
    return Verdict({name: run_check(check) for name, check in checks.items()})


def recent(last: Callable[[], float | None], within_s: float, what: str) -> Check:
    """A check passing while ``last()`` (a time.monotonic() stamp) is at most ``within_s`` old."""

    def check() -> tuple[bool, str]:
        stamp = last()
        if stamp is None:
            return False, f"{what}: not yet"
        age = time.monotonic() - stamp
        return age <= within_s, f"{what} {age:.1f}s ago (limit {within_s:.0f}s)"

    return check


def kafka_reachable(admin: AdminClient, timeout_s: float = 2.0) -> Check:
    """A check passing while the cluster answers a metadata request."""

    def check() -> tuple[bool, str]:
        metadata = admin.list_topics(timeout=timeout_s)
        return bool(metadata.brokers), f"{len(metadata.brokers)} broker(s) answer"

    return check


def main_thread_alive() -> tuple[bool, str]:
    """Liveness of a process whose work runs on its main thread."""
    alive = threading.main_thread().is_alive()
    return alive, "main thread running" if alive else "main thread ended"


class _ReadyCollector(Collector):
    def __init__(self, process: str, checks: Mapping[str, Check]) -> None:
        self._process = process
        self._checks = checks

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "supplystream_ready", "1 while every readiness check of the process passes.", labels=["process"]
        )
        family.add_metric([self._process], 1.0 if evaluate(self._checks).ok else 0.0)
        yield family


class HealthServer:
    """``/metrics``, ``/health`` and ``/ready`` of one process, on a daemon thread.

    ``port=0`` binds a free port (tests); `port` tells which one.
    """

    def __init__(
        self,
        process: str,
        port: int,
        *,
        registry: CollectorRegistry = REGISTRY,
        host: str = "127.0.0.1",
    ) -> None:
        self.process = process
        self.registry = registry
        self.liveness: dict[str, Check] = {}
        self.readiness: dict[str, Check] = {}
        self._collector = _ReadyCollector(process, self.readiness)
        registry.register(self._collector)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def live(self, name: str, check: Check) -> HealthServer:
        """Add a liveness check."""
        self.liveness[name] = check
        return self

    def ready(self, name: str, check: Check) -> HealthServer:
        """Add a readiness check."""
        self.readiness[name] = check
        return self

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self.registry.unregister(self._collector)

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(server.registry))
            elif path in {"/health", "/ready"}:
                verdict = evaluate(server.liveness if path == "/health" else server.readiness)
                body = json.dumps({"process": server.process, **verdict.as_json()}).encode()
                self._send(200 if verdict.ok else 503, "application/json", body)
            else:
                self._send(404, "text/plain", b"not found: try /metrics, /health or /ready\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - overrides the stdlib's name
            """Scrapes every few seconds would drown the logs."""

    return Handler
