"""Publisher throughput vs raw confluent-kafka producing the same pre-serialized bytes, same run.

Run: `supplystream stack up && supplystream topics apply && supplystream schemas register`, then
`.venv/bin/python -m bench.produce`. Both sides use the same durable producer settings (idempotent,
acks=all, zstd, linger) from `supplystream.clients`, the same broker and topic (stock.moved), the
same keys; ours also builds the record from the model, Avro-encodes it through the serde and adds
the headers. Figures: events acknowledged per second, median of alternating rounds. Target: >= 50%.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from bench.report import Figure
from supplystream.clients import make_producer
from supplystream.kafka_io import flush_or_raise, produce_with_backpressure
from supplystream.publisher import Publisher
from supplystream.settings import load_settings
from supplystream_devkit.roundtrip import sample_event

TARGET = 0.5


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Print events/s for both producers and their ratio; return them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    settings = load_settings()
    events = [sample_event(n) for n in range(args.events)]
    with Publisher.from_settings(settings) as publisher:
        # The raw side sends exactly what ours sends: same keys, same Avro bytes.
        route = publisher.route_of(events[0])
        prepared = [(f"{e.sku}|{e.warehouse}".encode(), route.serialize(e.to_record())) for e in events]
        raw = make_producer(settings)
        ours_rates, raw_rates = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for event in events:
                publisher.publish(event)
            if publisher.flush(120):
                raise SystemExit("our publisher left events unacknowledged")
            ours_rates.append(args.events / (time.perf_counter() - started))

            started = time.perf_counter()
            for key, value in prepared:
                produce_with_backpressure(raw, route.topic.name, value, key=key)
            flush_or_raise(raw, 120, what="events of the raw producer")
            raw_rates.append(args.events / (time.perf_counter() - started))
    ours, theirs = statistics.median(ours_rates), statistics.median(raw_rates)
    ratio = ours / theirs
    print(f"{args.rounds} rounds x {args.events} stock.moved events to {route.topic.name}, median")
    print(f"publisher (model -> Avro serde -> headers -> acks=all): {ours:>10,.0f} events/s")
    print(f"raw confluent-kafka, same bytes and settings:          {theirs:>10,.0f} events/s")
    print(f"ratio {ratio:.0%} (target >= {TARGET:.0%}: {'met' if ratio >= TARGET else 'NOT met'})")
    return [
        Figure(
            bench="produce",
            name=f"publisher, stock.moved acknowledged, median of {args.rounds} x {args.events:,}",
            ours=ours,
            unit="events/s",
            reference=theirs,
            reference_name="raw confluent-kafka, same bytes and settings",
            target=f">= {TARGET:.0%} of the reference",
            met=ratio >= TARGET,
        )
    ]


if __name__ == "__main__":
    main()
