"""`supplystream simulate`: a distribution business generating events, published at a target rate."""

from __future__ import annotations

import contextlib
import enum
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Annotated

import typer

from producers.simulator import Simulation, SimulationConfig
from supplystream.errors import PublishError, SupplyStreamError
from supplystream.events import Event
from supplystream.publisher import Delivery, Publisher
from supplystream_app.cli.output import console, report, settings_of


class Fulfilment(enum.StrEnum):
    """Who ships the simulated orders (`SimulationConfig.fulfilment`)."""

    SIMULATED = "simulated"
    EXTERNAL = "external"


#: Pacing tick: events go out in batches of rate x TICK_S, then the loop sleeps to the schedule.
TICK_S = 0.02


@dataclass
class RunResult:
    """What a simulation run published and what Kafka acknowledged."""

    published: int = 0
    acknowledged: int = 0
    failed: int = 0
    seconds: float = 0.0
    per_type: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def unacknowledged(self) -> int:
        """Published events Kafka did not confirm (failed or still outstanding)."""
        return self.published - self.acknowledged

    @property
    def rate(self) -> float:
        """Achieved events per second, publish start to last acknowledgement."""
        return self.published / self.seconds if self.seconds > 0 else 0.0


def planned_events(rate: int, duration: float, events: int | None) -> int:
    """How many events a run publishes: ``events`` if given, else ``rate`` x ``duration``."""
    return events if events is not None else max(1, round(rate * duration))


def publish_paced(
    publisher: Publisher,
    events: Iterable[Event],
    rate: int,
    progress: Callable[[RunResult, float], None] | None = None,
    flush_timeout_s: float = 60.0,
) -> RunResult:
    """Publish ``events`` at about ``rate`` per second in small batches; wait for acknowledgements."""
    result = RunResult()
    batch = max(1, round(rate * TICK_S))

    def on_done(future: Future[Delivery]) -> None:
        if future.exception() is None:
            result.acknowledged += 1
        else:
            result.failed += 1
            if len(result.errors) < 5:
                result.errors.append(str(future.exception()))

    started = time.perf_counter()
    next_progress = started + 1.0
    iterator = iter(events)
    while True:
        chunk = list(itertools.islice(iterator, batch))
        if not chunk:
            break
        for event in chunk:
            publisher.publish(event).add_done_callback(on_done)
            result.per_type[event.event_type] += 1
        result.published += len(chunk)
        publisher.poll(0)
        now = time.perf_counter()
        if progress is not None and now >= next_progress:
            progress(result, now - started)
            next_progress += 1.0
        # Sleep until this many events are due on the schedule (never per event).
        delay = started + result.published / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    publisher.flush(flush_timeout_s)
    result.seconds = time.perf_counter() - started
    return result


def _progress(result: RunResult, elapsed: float) -> None:
    types = ", ".join(f"{name} {count}" for name, count in sorted(result.per_type.items()))
    report(
        f"{elapsed:5.1f}s  {result.published:,} published ({result.published / elapsed:,.0f}/s), "
        f"{result.acknowledged:,} acknowledged; {types}"
    )


def _print_counts(counts: Counter[str]) -> None:
    width = max((len(name) for name in counts), default=0)
    for name, count in sorted(counts.items()):
        console.print(f"  {name:<{width}}  {count:>9,}")


def simulate(
    ctx: typer.Context,
    *,
    rate: Annotated[int, typer.Option("--rate", help="Target events per second.", min=1)] = 200,
    duration: Annotated[
        float, typer.Option("--duration", help="Seconds to run: publishes rate x duration events.", min=0.01)
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same events (ids included).")] = 1,
    events: Annotated[
        int | None,
        typer.Option("--events", help="Stop after this many events instead of the duration.", min=1),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print counts per event type and a sample; no Kafka.")
    ] = False,
    fulfilment: Annotated[
        Fulfilment,
        typer.Option(
            "--fulfilment",
            help="Who ships orders: the simulator (simulated) or a warehouse system shipping what the "
            "router allocated, e.g. `supplystream fulfil` (external: the simulator ships nothing).",
        ),
    ] = Fulfilment.SIMULATED,
) -> None:
    """Publish a simulated distribution business's events."""
    total = planned_events(rate, duration, events)
    config = SimulationConfig(fulfilment=fulfilment.value)
    stream = itertools.islice(Simulation(seed, config), total)
    if dry_run:
        generated = list(stream)
        counts = Counter(event.event_type for event in generated)
        console.print(f"{len(generated):,} events for seed {seed} (dry run, nothing published):")
        _print_counts(counts)
        console.rule("sample")
        seen: set[str] = set()
        for event in generated:
            if event.event_type not in seen:
                seen.add(event.event_type)
                console.print(repr(event), markup=False, soft_wrap=True)
        return
    settings = settings_of(ctx)
    report(
        f"publishing {total:,} events of seed {seed} at {rate:,}/s to {settings.bootstrap_servers} "
        f"(fulfilment {fulfilment.value})"
    )
    publisher = Publisher.from_settings(settings)
    try:
        result = publish_paced(publisher, stream, rate, _progress)
    finally:
        # Unacknowledged events are counted in the result and reported below.
        with contextlib.suppress(PublishError):
            publisher.close(timeout_s=5.0)
    console.print(
        f"published {result.published:,}, acknowledged {result.acknowledged:,}, failed {result.failed:,} "
        f"in {result.seconds:.2f}s: {result.rate:,.0f} events/s (target {rate:,}/s)"
    )
    _print_counts(result.per_type)
    if result.unacknowledged:
        for message in result.errors:
            report(message)
        raise SupplyStreamError(f"{result.unacknowledged:,} events were not acknowledged by Kafka")
    console.print("[green]all events acknowledged[/]")
