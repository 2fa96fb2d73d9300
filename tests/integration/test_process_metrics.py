"""A real long-running process (`supplystream webhooks serve --metrics-port`) on the real broker and registry:
after one webhook, /metrics has the published-events and delivery-latency series with non-zero values,
/health and /ready answer 200, and readiness is exported as supplystream_ready."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import NewTopic

from producers.webhooks.signature import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from supplystream.clients import make_admin
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.paths import project_root
from supplystream.registry import SchemaRegistry
from supplystream.settings import Settings
from supplystream_devkit.ports import free_port

pytestmark = pytest.mark.integration

SECRET = "metrics-test-secret"  # noqa: S105 - a test fixture, not a credential


def request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - a local http URL
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of ``name`` with exactly these labels (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:{{(.*)}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


@pytest.fixture
def webhook_process(
    settings: Settings, topic_prefix: str, schema_registry: SchemaRegistry, tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    """The webhook source as a process, publishing to a private shipment.confirmed topic;
    yields (webhook base URL, health base URL, topic)."""
    topic = f"{topic_prefix}.shipment.confirmed"
    topics_file = tmp_path / "topics.yaml"
    topics_file.write_text(
        f"version: 1\ntopics:\n  - name: {topic}\n    description: metrics test topic\n    key: order_id\n"
        "    value_schemas: [shipment.confirmed]\n    owner: tests\n"
    )
    test_settings = settings.model_copy(update={"topics_file": topics_file})
    catalog, schemas = load_contracts(test_settings)
    register_all(schema_registry, value_subjects(catalog, schemas))
    admin = make_admin(settings)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    senders = {
        "senders": [
            {
                "name": "acme-wms",
                "system": "wms",
                "secret": SECRET,
                "kinds": ["shipment-confirmed"],
                "mappings": {
                    "shipment-confirmed": {
                        "fields": {
                            "shipment_id": "$.id",
                            "order_id": "$.order",
                            "warehouse": "$.site",
                            "carrier": "$.carrier",
                            "tracking_number": "$.tracking",
                            "shipped_at": "$.shipped_at",
                        },
                        "constants": {"company": "acme"},
                        "lines": {"path": "$.lines", "fields": {"sku": "$.item", "quantity": "$.qty"}},
                    }
                },
            }
        ]
    }
    config = tmp_path / "webhooks.yaml"
    config.write_text(yaml.safe_dump(senders))
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SUPPLYSTREAM_REGISTRY__URL": settings.registry_url,
        "SUPPLYSTREAM_TOPICS_FILE": str(topics_file),
    }
    with (tmp_path / "webhooks.log").open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "supplystream", "webhooks", "serve", "--config", str(config),
             "--port", str(port), "--metrics-port", str(metrics_port)],
            cwd=project_root(), env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}", topic
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_webhook_process_serves_metrics_and_health(webhook_process: tuple[str, str, str]) -> None:
    base, health, topic = webhook_process
    deadline = time.monotonic() + 60
    while request(f"{base}/health")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    body = json.dumps(
        {"id": "SHP-1", "order": "SO-1", "site": "WH1", "carrier": "dhl", "tracking": "T1",
         "shipped_at": "2026-05-01T10:00:00Z", "lines": [{"item": "SKU-1", "qty": 2}]}
    ).encode()  # fmt: skip
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(SECRET, ts, body),
        DELIVERY_HEADER: "delivery-1",
    }
    status, answer = request(f"{base}/webhooks/acme-wms/shipment-confirmed", body, headers)
    assert status == 202, answer

    status, metrics = request(f"{health}/metrics")
    assert status == 200
    assert sample(metrics, "supplystream_published_events_total", topic=topic) == 1.0
    assert sample(metrics, "supplystream_published_bytes_total", topic=topic) > 0
    assert sample(metrics, "supplystream_publish_delivery_seconds_count", topic=topic) == 1.0
    assert sample(metrics, "supplystream_ready", process="webhooks") == 1.0
    status, live = request(f"{health}/health")
    assert status == 200, live
    status, ready = request(f"{health}/ready")
    assert status == 200, ready
    assert json.loads(ready)["checks"]["kafka"]["ok"] is True


def test_processor_health_wiring_before_the_worker_runs(
    settings: Settings,
) -> None:
    """`processors run` with a metrics port: the ATP processor's families and readiness are served; until
    its faust worker has partitions (and its event loop ticks) it is neither ready nor live."""
    from processors.worker import build, serve_health  # noqa: PLC0415 - faust is heavy: only this test

    processor = build(
        "atp",
        settings.model_copy(
            update={"processors": settings.processors.model_copy(update={"store": "memory://"})}
        ),
    )
    server, sampler = serve_health(processor, settings, 0)
    try:
        status, metrics = request(f"{server.url}/metrics")
        assert status == 200
        assert "# TYPE supplystream_processor_events_total counter" in metrics
        assert "# TYPE supplystream_consumer_lag gauge" in metrics
        assert sample(metrics, "supplystream_ready", process="atp-processor") == 0.0
        status, ready = request(f"{server.url}/ready")
        assert status == 503
        assert "0 partitions" in json.loads(ready)["checks"]["consumer"]["detail"]
        assert request(f"{server.url}/health")[0] == 503
    finally:
        sampler.stop()
        server.close()
