"""The Odoo source against the stand-in: a 10k backlog, the source killed mid-way and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from confluent_kafka import TopicPartition

from producers.odoo_source.mapping import event_id
from producers.odoo_source.positions import POSITIONS_TOPIC, Position, load_positions
from supplystream.clients import make_admin, make_consumer
from supplystream.odoo.client import OdooClient
from supplystream.odoo.transport import JsonRpcTransport
from supplystream.settings import Settings
from tests.integration.test_odoo_contract_standin import StandinProcess

pytestmark = pytest.mark.integration
BACKLOG_ROUNDS = 1000  # x 10 quants = 10,000 done moves


def build_backlog(client: OdooClient) -> None:
    """10,000 done moves: inventory adjustments on 5 products x 2 warehouses, 1,000 times."""
    warehouses = client.search_read("stock.warehouse", [], ["lot_stock_id"])
    products = client.search("product.product", [("default_code", "like", "SKU-")])
    quants = [
        client.call(
            "stock.quant",
            "create",
            {"product_id": p, "location_id": w["lot_stock_id"][0], "inventory_quantity": 1},
        )
        for p in products
        for w in warehouses
    ]
    for n in range(BACKLOG_ROUNDS):
        client.write("stock.quant", quants, {"inventory_quantity": 2 + n % 2})
        client.call("stock.quant", "action_apply_inventory", quants)


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = make_consumer(settings, group_id=f"offsets.{uuid.uuid4().hex[:6]}")
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        }
    finally:
        consumer.close()


def published_ids(settings: Settings, since: dict[int, int]) -> list[str]:
    """event_id headers of stock.moved records after ``since``, duplicates included."""
    until = end_offsets(settings, "stock.moved")
    consumer = make_consumer(settings, group_id=f"reader.{uuid.uuid4().hex[:6]}")
    consumer.assign([TopicPartition("stock.moved", p, o) for p, o in since.items() if until[p] > o])
    pending = {p for p, o in since.items() if until[p] > o}
    ids: list[str] = []
    try:
        while pending:
            for message in consumer.consume(1000, timeout=2.0):
                headers = {h[0]: h[1] for h in message.headers() or []}
                value = headers["event_id"]
                ids.append(value.decode() if isinstance(value, bytes) else str(value))
                if (message.offset() or 0) + 1 >= until[message.partition() or 0]:
                    pending.discard(message.partition() or 0)
    finally:
        consumer.close()
    return ids


def test_backlog_killed_and_restarted_publishes_every_move(
    contracts_ready: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-source"))
    database = f"backlog_{uuid.uuid4().hex[:8]}"
    try:
        client = OdooClient(JsonRpcTransport(standin.url, database, "admin", "admin", timeout_s=60))
        build_backlog(client)
        moves = client.search_read("stock.move", [("state", "=", "done")], ["write_date"], order="id asc")
        assert len(moves) >= 10_000
        time.sleep(3)  # let the last second settle (the source only reads settled seconds)
        since = end_offsets(contracts_ready, "stock.moved")
        env = {
            **os.environ,
            "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": contracts_ready.bootstrap_servers,
            "SUPPLYSTREAM_REGISTRY__URL": contracts_ready.registry_url,
            "SUPPLYSTREAM_ODOO__URL": standin.url,
            "SUPPLYSTREAM_ODOO__DATABASE": database,
            "COLUMNS": "200",
        }
        command = [sys.executable, "-m", "supplystream", "source", "odoo", "--once", "--page-size", "500"]
        first = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert first.stdout is not None
        for line in first.stdout:
            if " published," in line and int(line.split("stock.move: ")[1].split(" published")[0]) >= 3000:
                first.send_signal(signal.SIGKILL)  # mid-backlog, without any chance to clean up
                break
        first.wait(timeout=60)
        first.stdout.close()
        assert first.returncode == -signal.SIGKILL

        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "starting from 20" in second.stdout  # resumed from the stored position, not the beginning

        ids = published_ids(contracts_ready, since)
        expected = {str(event_id(database, "stock.move", int(m["id"]), "done")) for m in moves}
        mine = [i for i in ids if i in expected]
        assert set(mine) == expected  # every move published...
        assert len(mine) - len(expected) <= 500  # ...repeats bounded by the page the kill interrupted

        consumer = make_consumer(contracts_ready, group_id=f"positions.{uuid.uuid4().hex[:6]}")
        try:
            position: Position = load_positions(consumer)[f"odoo:{database}|stock.move"]
        finally:
            consumer.close()
        last = max(str(m["write_date"]) for m in moves)
        assert position.watermark.write_date == last
        assert {int(m["id"]) for m in moves if m["write_date"] == last} <= position.watermark.seen
    finally:
        standin.kill()
    assert POSITIONS_TOPIC in make_admin(contracts_ready).list_topics(timeout=10).topics
