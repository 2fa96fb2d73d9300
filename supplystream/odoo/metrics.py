"""Prometheus metrics of Odoo calls: count, errors and latency per model and method."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram


@dataclass(frozen=True)
class OdooMetrics:
    """The three metric families the client updates on every call."""

    calls: Counter
    errors: Counter
    latency: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> OdooMetrics:
        """Register the families in ``registry`` (tests pass their own)."""
        labels = ("model", "method")
        return cls(
            calls=Counter("supplystream_odoo_calls", "Calls made to Odoo.", labels, registry=registry),
            errors=Counter(
                "supplystream_odoo_errors",
                "Odoo calls that failed, by error type.",
                (*labels, "error"),
                registry=registry,
            ),
            latency=Histogram(
                "supplystream_odoo_call_seconds",
                "Odoo call latency.",
                labels,
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            ),
        )


@cache
def process_metrics() -> OdooMetrics:
    """The process-wide metrics, registered once in the default registry that /metrics serves."""
    return OdooMetrics.create(REGISTRY)
