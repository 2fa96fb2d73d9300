"""The reliability suite: a demo-sized run with faults injected, then the demo's reconciliation.

During one run of the demo pipeline (its own stack, every worker a process): poison records on three
input topics, each worker SIGKILLed once and restarted, PostgreSQL (the planning database and the
registry's storage) stopped for 30 s, the Odoo stand-in stopped for 30 s, two sinks fed everything
again from the start (duplicate deliveries), and the broker restarted. Then the reconciliation must
hold: nothing lost, nothing applied twice, and exactly the poison records in the dead-letter topics
(each counted once per original record: dead-lettering is at least once).

Run alone: ``make reliability`` (``pytest -m reliability``); ~6-9 minutes. It is part of ``make test``.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from supplystream.clients import make_producer
from supplystream.contracts.registration import load_contracts
from supplystream.paths import project_root
from supplystream_app.demo.pipeline import DemoOptions, Fault, Pipeline
from supplystream_app.demo.view import report_table

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: Topic -> a record no consumer can decode.
POISON = {
    "stock.moved": b"not avro at all",
    "order.allocated": b"\x00\x00\x0f\x42\x3f{}",  # framed, but schema id 999999 is unknown
    "shipment.confirmed": b"\x00",
}
#: Long enough for every client to see the component gone (sessions, retries, the sinks' circuits).
OUTAGE_S = 30.0


def poison(pipeline: Pipeline) -> str:
    producer = make_producer(pipeline.settings)
    catalog, _ = load_contracts(pipeline.settings)
    for topic, value in POISON.items():
        producer.produce(topic, key=b"poison", value=value)
        for consumer in catalog.topic(topic).consumers:
            dead_letters = catalog.dead_letters.topic_for(consumer)
            pipeline.expected_dead_letters[dead_letters] = (
                pipeline.expected_dead_letters.get(dead_letters, 0) + 1
            )
    if producer.flush(30) != 0:
        raise AssertionError("the poison records were not acknowledged")
    return f"poison records published to {', '.join(POISON)}"


def sigkill(name: str) -> Fault:
    def fault(pipeline: Pipeline) -> str:
        worker = pipeline.workers[name]
        worker.kill()
        worker.start()
        return f"SIGKILL {name}, restarted"

    return fault


def stop(component: str) -> Fault:
    def fault(pipeline: Pipeline) -> str:
        getattr(pipeline.stack, component).stop()
        return f"{component} stopped"

    return fault


def start_again(component: str) -> Fault:
    def fault(pipeline: Pipeline) -> str:
        pipeline.restart_stack_components()
        return f"{component} started again"

    return fault


def redeliver(name: str) -> Fault:
    """Stop a sink, move its group back to the start of every topic, start it: all delivered again."""

    def fault(pipeline: Pipeline) -> str:
        worker = pipeline.workers[name]
        worker.stop()
        pipeline.rewind_group(name)
        worker.start()
        # The poison records are delivered again too and dead-lettered again with the same origin
        # headers: the reconciliation counts a dead letter once per original record.
        return f"{name}: every record delivered again (group rewound to the start)"

    return fault


def restart_broker(pipeline: Pipeline) -> str:
    pipeline.stack.kafka.stop()
    pipeline.restart_stack_components()
    return "Kafka broker stopped and started again"


def schedule() -> list[tuple[float, Fault]]:
    kills: list[tuple[float, Fault]] = [
        (10.0 + 6 * i, sigkill(name))
        for i, name in enumerate(
            ("atp-processor", "order-router", "wms-standin", "planning-sink", "channel-sink", "odoo-sink")
        )
    ]
    return [
        (5.0, poison),
        *kills,
        (50.0, stop("postgres")),
        (50.0 + OUTAGE_S, start_again("postgres")),
        (90.0, stop("odoo_standin")),
        (90.0 + OUTAGE_S, start_again("odoo_standin")),
        (125.0, redeliver("planning-sink")),
        (130.0, redeliver("odoo-sink")),
        (140.0, restart_broker),
    ]


def test_faults_lose_nothing_and_apply_nothing_twice(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console(width=200, force_terminal=False)
    options = DemoOptions(
        duration_s=160,
        rate=30,
        seed=7,
        home=project_root() / ".stack" / "reliability-tests",
        ship_delay_s=1.0,
    )
    pipeline = Pipeline(options, console)
    report = None
    try:
        pipeline.start_stack()
        pipeline.prepare()
        pipeline.start_workers()
        pipeline.run(schedule(), live=False)
        pipeline.drain()
        report = pipeline.reconcile()
    finally:
        pipeline.close()
    assert report is not None
    faults = [line for line in report.events if "exited on its own" not in line]
    assert len(faults) == len(schedule()), f"not every fault was injected: {report.events}"
    failed = report.failed()
    assert not failed, "reconciliation failed: " + "; ".join(f"{c.name}: {c.detail}" for c in failed)
    assert sum(pipeline.expected_dead_letters.values()) > 0
    with capsys.disabled():
        Console(width=200).print(report_table(report))
