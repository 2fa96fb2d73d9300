"""A sink worker's /metrics, /health and /ready (supplystream.health), and its lag gauges."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry

from sinks.runtime import SinkRuntime
from supplystream.consumer_lag import LagSampler
from supplystream.health import HealthServer, recent
from supplystream.settings import Settings

#: A consume round longer than this means the loop is stuck: /health fails and the process is restarted.
LOOP_STALE_S = 120.0


def serve_sink_health(
    settings: Settings,
    runtime: SinkRuntime,
    port: int,
    *,
    registry: CollectorRegistry = REGISTRY,
    lag_interval_s: float = 15.0,
) -> tuple[HealthServer, LagSampler]:
    """Start the health server (live: the loop turns; ready: partitions assigned and circuit closed)
    and the sampler of the sink group's lag; the caller closes both."""
    name = runtime.adapter.name
    process = name if name.endswith("-sink") else f"{name}-sink"
    server = HealthServer(process, port, host=settings.metrics_host, registry=registry)
    server.live("loop", recent(lambda: runtime.last_step, LOOP_STALE_S, "last consume round"))
    server.ready("assigned", lambda: (runtime.joined, "joined the group" if runtime.joined else "not yet"))
    server.ready(
        "circuit", lambda: (not runtime.circuit.is_open, "open" if runtime.circuit.is_open else "closed")
    )
    sampler = LagSampler(settings, runtime.routes.group_id, runtime.routes.topics, registry, lag_interval_s)
    return server.start(), sampler.start()
