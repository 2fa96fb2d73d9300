"""deploy/monitoring: promtool accepts the rules and the scrape config, the rules test passes, and every
series the alerts and the dashboard query is one the code exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from processors.metrics import ProcessorMetrics
from sinks.metrics import SinkMetrics
from supplystream.consumer_lag import LagMetrics
from supplystream.health import HealthServer
from supplystream.odoo.metrics import OdooMetrics
from supplystream.paths import project_root
from supplystream.publisher import PublisherMetrics

MONITORING = project_root() / "deploy" / "monitoring"
#: Series Prometheus itself provides.
PROMETHEUS_OWN = {"up"}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: run deploy/local/bootstrap.sh (Debian package `prometheus`)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=False, timeout=60)


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", str(MONITORING / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_promtool_rules_unit_tests() -> None:
    result = promtool("test", "rules", str(MONITORING / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_scrape_config() -> None:
    result = promtool("check", "config", str(MONITORING / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_the_issue_asks_for() -> None:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"][0]["rules"]
    names = {rule["alert"] for rule in rules}
    assert names == {
        "SupplyStreamConsumerLagGrowing",
        "SupplyStreamFreshnessSLOBreached",
        "SupplyStreamDeadLettersPresent",
        "SupplyStreamCircuitOpen",
        "SupplyStreamProcessNotReady",
    }


def exported_series() -> set[str]:
    """Every sample name the processes' metric families can produce."""
    registry = CollectorRegistry()
    for family in (SinkMetrics, PublisherMetrics, OdooMetrics, LagMetrics):
        family.create(registry)
    ProcessorMetrics.create(registry)
    server = HealthServer("test", 0, registry=registry)
    server.close()
    names = {"supplystream_ready"}
    for metric in registry.collect():
        for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created"):
            names.add(metric.name + suffix)
    return names


def queried_series(text: str) -> set[str]:
    return set(re.findall(r"\b(supplystream_[a-z_]+|up)\b(?=[{\[ )]|$)", text, re.MULTILINE))


def test_alerts_and_dashboard_query_only_exported_series() -> None:
    exported = exported_series() | PROMETHEUS_OWN
    alerts = queried_series((MONITORING / "alerts.yml").read_text())
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = "\n".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    queried = queried_series(exprs)
    assert alerts, "no series found in the alerts"
    assert queried - exported == set()
    assert alerts - exported == set()
    assert {"supplystream_consumer_lag", "supplystream_consumer_time_lag_seconds"} <= queried


def test_scrape_config_covers_every_process() -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    processes = {
        target["labels"]["process"] for job in config["scrape_configs"] for target in job["static_configs"]
    }
    sinks = {"planning-sink", "odoo-sink", "channels-sink"}
    assert processes == {"webhooks", "odoo-source", "atp-processor", "order-router", *sinks}
    assert Path(MONITORING / config["rule_files"][0]).exists()
