"""The ATP processor (one faust worker, RocksDB table) against a raw confluent-kafka passthrough, same run.

Run: `.venv/bin/python -m bench.atp` (it starts a PRIVATE stack under .stack/bench-atp on free ports,
wiped first, and stops it at the end; the default stack is not touched). About 16 minutes on 2 cores.
Sections throughput, latency and scale (--only, --scale-keys); what each measures and its target:
"Benchmarks" in the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from bench.report import Figure
from processors.atp_processor import APP_ID
from processors.config import load_processor_config
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.events import MoveKind, Source, StockMoved
from supplystream.kafka_io import flush_or_raise, produce_with_backpressure
from supplystream.paths import project_root
from supplystream.publisher import EventEncoder
from supplystream.settings import Settings, load_settings
from supplystream_devkit.processor_workers import Worker
from supplystream_devkit.stack.private import PrivateStack, start_private_stack, stop_private_stack

THROUGHPUT_TARGET = 0.30
LATENCY_TARGET_MS = 50.0
RSS_TARGET = 1024**3
RECOVERY_TARGET_S = 60.0
HOME = project_root() / ".stack" / "bench-atp"
MOVES = "stock.moved"
CHANGES = "atp.changed"
COPY_IN = "bench.passthrough.in"
COPY_OUT = "bench.passthrough.out"
PASSTHROUGH_GROUP = "bench-passthrough"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
#: faust reads its settings from the environment too; PRODUCER_LINGER (seconds) reaches the worker.
FAUST_LINGER = (
    f"{os.environ['PRODUCER_LINGER']}s (PRODUCER_LINGER)"
    if "PRODUCER_LINGER" in os.environ
    else "0 (default)"
)

Headers = list[tuple[str, str | bytes | None]]
Record = tuple[bytes, bytes, Headers]


def progress(line: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {line}", flush=True)


# -- the events --------------------------------------------------------------------------------


class Moves:
    """Pre-encoded stock.moved records: key ``sku|warehouse``, Avro value, the publisher's headers."""

    def __init__(self, settings: Settings, warehouses: Sequence[str]) -> None:
        self.encoder = EventEncoder.from_settings(settings)
        self.warehouses = list(warehouses)
        template = StockMoved(
            event_id=uuid.uuid4(),
            event_type=StockMoved.EVENT_TYPE,
            occurred_at=NOW,
            source=Source(system="bench", adapter="bench-atp"),
            correlation_id="bench",
            company="ACME",
            sku="SKU",
            warehouse=self.warehouses[0],
            from_location="Partners/Vendors",
            from_warehouse=None,
            to_location=f"{self.warehouses[0]}/Stock",
            to_warehouse=self.warehouses[0],
            quantity=Decimal(1),
            uom="Units",
            move_kind=MoveKind.RECEIPT,
            odoo_move_id=1,
        )
        self.serialize = self.encoder.route_of(template).serialize
        self.template = template.to_record()

    def record(self, key_index: int, sku_prefix: str, correlation_id: str, serial: int = 0) -> Record:
        """A move of key ``key_index`` (sku = prefix + index / warehouses); every 4th serial a delivery."""
        warehouse = self.warehouses[key_index % len(self.warehouses)]
        sku = f"{sku_prefix}{key_index // len(self.warehouses):07d}"
        receipt = serial % 4 != 3
        value = dict(self.template)
        value.update(
            event_id=uuid.uuid4(),
            correlation_id=correlation_id,
            sku=sku,
            warehouse=warehouse,
            from_location="Partners/Vendors" if receipt else f"{warehouse}/Stock",
            from_warehouse=None if receipt else warehouse,
            to_location=f"{warehouse}/Stock" if receipt else "Partners/Customers",
            to_warehouse=warehouse if receipt else None,
            quantity=Decimal(3) if receipt else Decimal(1),
            move_kind=MoveKind.RECEIPT.value if receipt else MoveKind.DELIVERY.value,
        )
        headers: Headers = [("event_type", b"stock.moved"), ("correlation_id", correlation_id.encode())]
        return f"{sku}|{warehouse}".encode(), self.serialize(value), headers

    def close(self) -> None:
        self.encoder.close()


def produce_all(producer: Producer, topic: str, records: Sequence[Record]) -> None:
    """Produce every record and wait for their acknowledgements."""
    for key, value, headers in records:
        produce_with_backpressure(producer, topic, value, key=key, headers=headers)
    flush_or_raise(producer, 300, what=f"bench records on {topic}")


# -- watching Kafka ----------------------------------------------------------------------------


def ends(consumer: Consumer, topic: str) -> dict[int, int]:
    """High watermark per partition of ``topic``."""
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
        for p in partitions
    }


class Committed:
    """How far a group has committed on a topic, read without joining the group."""

    def __init__(self, settings: Settings, group: str, topic: str) -> None:
        self.consumer = make_consumer(settings, group)
        self.topic = topic

    def wait_for(self, targets: dict[int, int], timeout_s: float, alive: Callable[[], bool]) -> float:
        """Poll until every partition's committed offset reaches ``targets``; when it did (monotonic)."""
        partitions = [TopicPartition(self.topic, p) for p in targets]
        deadline = time.monotonic() + timeout_s
        last_report = time.monotonic()
        while time.monotonic() < deadline:
            committed = self.consumer.committed(partitions, timeout=10)
            behind = sum(max(0, targets[tp.partition] - max(tp.offset, 0)) for tp in committed)
            if behind == 0:
                return time.monotonic()
            if not alive():
                raise SystemExit(f"the consumer of {self.topic} died: see the logs under {HOME}")
            if time.monotonic() - last_report > 20:
                progress(f"{behind:,} records of {self.topic} not committed yet")
                last_report = time.monotonic()
            time.sleep(0.1)
        raise SystemExit(f"{self.topic} was not committed to its end within {timeout_s:.0f}s")

    def close(self) -> None:
        self.consumer.close()


class Arrivals:
    """A consumer at the end of an output topic, noting when each correlation id's record arrives."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.consumer = make_consumer(
            settings,
            f"bench-arrivals-{uuid.uuid4().hex[:8]}",
            **{
                "fetch.wait.max.ms": 10,
            },
        )
        self.consumer.assign(
            [TopicPartition(topic, p, high) for p, high in ends(self.consumer, topic).items()]
        )
        self.seen: dict[str, float] = {}

    def poll(self, timeout_s: float) -> None:
        for message in self.consumer.consume(1000, timeout=max(timeout_s, 0)):
            arrived = time.perf_counter()
            if message.error() is not None:
                continue
            headers: Any = message.headers() or []
            for name, value in headers:
                if name == "correlation_id":
                    self.seen.setdefault(bytes(value).decode(), arrived)

    def wait_for(self, correlation_id: str, timeout_s: float) -> float | None:
        """When the record with ``correlation_id`` arrived (perf_counter), None after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while correlation_id not in self.seen and time.monotonic() < deadline:
            self.poll(0.05)
        return self.seen.get(correlation_id)

    def close(self) -> None:
        self.consumer.close()


# -- the processes -----------------------------------------------------------------------------


@dataclass
class Passthrough:
    """The reference: `python -m bench.atp --passthrough IN OUT` in a process of its own."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.atp", "--passthrough", COPY_IN, COPY_OUT],
                cwd=project_root(),
                env={**os.environ, **self.env},
                stdout=handle,
                stderr=subprocess.STDOUT,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive and self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


def passthrough(source: str, target: str) -> None:
    """Consume ``source``, produce each record unchanged to ``target``; flush and commit per interval."""
    settings = load_settings()
    interval = settings.processors.commit_interval_s
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    consumer = make_consumer(settings, PASSTHROUGH_GROUP)
    producer = make_producer(settings)
    consumer.subscribe([source])
    dirty, last_commit = False, time.monotonic()
    while not stopping:
        for message in consumer.consume(500, timeout=0.005):
            if message.error() is not None:
                continue
            produce_with_backpressure(
                producer, target, message.value(), key=message.key(), headers=message.headers(), poll_s=0.01
            )
            dirty = True
        producer.poll(0)
        if dirty and time.monotonic() - last_commit >= interval:
            producer.flush(60)
            consumer.commit(asynchronous=False)
            dirty, last_commit = False, time.monotonic()
    producer.flush(60)
    if dirty:
        consumer.commit(asynchronous=False)
    consumer.close()


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) * 1024
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def worker_pid(worker: Worker) -> int:
    if worker.process is None:
        raise SystemExit(f"the {worker.name} worker was never started")
    return worker.process.pid


# -- the sections ------------------------------------------------------------------------------


@dataclass
class Bench:
    stack: PrivateStack
    args: argparse.Namespace
    worker: Worker
    reference: Passthrough
    moves: Moves
    producer: Producer
    peak_rss: int = 0

    @property
    def settings(self) -> Settings:
        return self.stack.settings

    def sample_rss(self) -> None:
        if self.worker.alive:
            self.peak_rss = max(self.peak_rss, rss(worker_pid(self.worker))[0])

    def _round(
        self, topic: str, committed: Committed, records: Sequence[Record], alive: Callable[[], bool]
    ) -> float:
        started = time.monotonic()
        produce_all(self.producer, topic, records)
        produced = time.monotonic() - started
        targets = ends(committed.consumer, topic)
        finished = committed.wait_for(targets, 900, alive)
        rate = len(records) / (finished - started)
        progress(f"{topic}: {len(records):,} produced in {produced:.1f}s, committed at {rate:,.0f} events/s")
        return rate

    def throughput(self) -> tuple[list[str], list[Figure]]:
        args = self.args
        keys = args.keys
        progress(f"encoding {args.events:,} x {args.rounds + 1} stock.moved events over {keys:,} keys")
        batches = [
            [self.moves.record(n % keys, "SKU-", f"t-{r}-{n}", n // keys) for n in range(args.events)]
            for r in range(args.rounds)
        ]
        warm = [self.moves.record(k, "SKU-", f"warm-{k}") for k in range(keys)]
        ours = Committed(self.settings, APP_ID, MOVES)
        theirs = Committed(self.settings, PASSTHROUGH_GROUP, COPY_IN)
        try:
            progress("warm-up: one event per key through each side (not timed)")
            self._round(MOVES, ours, warm, lambda: self.worker.alive)
            self._round(COPY_IN, theirs, warm, lambda: self.reference.alive)
            ours_rates, theirs_rates = [], []
            for records in batches:
                ours_rates.append(self._round(MOVES, ours, records, lambda: self.worker.alive))
                self.sample_rss()
                theirs_rates.append(self._round(COPY_IN, theirs, records, lambda: self.reference.alive))
        finally:
            ours.close()
            theirs.close()
        ours_median, theirs_median = statistics.median(ours_rates), statistics.median(theirs_rates)
        ratio = ours_median / theirs_median
        verdict = "met" if ratio >= THROUGHPUT_TARGET else "NOT met"
        figure = Figure(
            bench="atp",
            name=(
                f"ATP processor (1 worker, RocksDB), median of {args.rounds} x {args.events:,} "
                f"over {keys:,} keys"
            ),
            ours=ours_median,
            unit="events/s",
            reference=theirs_median,
            reference_name="raw confluent-kafka consume->produce",
            target=f">= {THROUGHPUT_TARGET:.0%} of the reference",
            met=ratio >= THROUGHPUT_TARGET,
        )
        lines = [
            (
                f"{args.rounds} rounds x {args.events:,} stock.moved events over {keys:,} keys, "
                f"commit interval {self.settings.processors.commit_interval_s:g}s, median"
            ),
            f"ATP processor (1 worker, RocksDB):          {ours_median:>10,.0f} events/s",
            f"raw confluent-kafka consume->produce:       {theirs_median:>10,.0f} events/s",
            f"ratio {ratio:.0%} (target >= {THROUGHPUT_TARGET:.0%}: {verdict})",
            (
                f"rounds ours: {', '.join(f'{r:,.0f}' for r in ours_rates)}; "
                f"passthrough: {', '.join(f'{r:,.0f}' for r in theirs_rates)}"
            ),
        ]
        return lines, [figure]

    def _latencies(
        self, topic: str, output: str, alive: Callable[[], bool], rate: int, seconds: float
    ) -> list[float]:
        args = self.args
        producer = make_producer(self.settings, **{"linger.ms": 0})
        arrivals = Arrivals(self.settings, output)
        count = int(rate * seconds)
        sent: dict[str, float] = {}
        run = uuid.uuid4().hex[:6]
        records = [self.moves.record(n % args.keys, "SKU-", f"l-{run}-{n}", n) for n in range(count)]
        progress(f"{topic}: {rate:,} events/s for {seconds:g}s")
        try:
            started = time.perf_counter()
            for n, (key, value, headers) in enumerate(records):
                due = started + n / rate
                while (wait := due - time.perf_counter()) > 0:
                    arrivals.poll(min(wait, 0.05))
                sent[f"l-{run}-{n}"] = time.perf_counter()
                producer.produce(topic, key=key, value=value, headers=headers)
                producer.poll(0)
            producer.flush(30)
            deadline = time.monotonic() + 30
            while len(arrivals.seen.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline:
                arrivals.poll(0.1)
            if not alive():
                raise SystemExit(f"the consumer of {topic} died during the latency run: see {HOME}")
        finally:
            arrivals.close()
        missing = len(sent) - len(arrivals.seen.keys() & sent.keys())
        if missing:
            progress(f"{missing:,} of {len(sent):,} events had no output within 30 s (left out)")
        return sorted(
            (arrivals.seen[cid] - sent_at) * 1000 for cid, sent_at in sent.items() if cid in arrivals.seen
        )

    def latency(self) -> tuple[list[str], list[Figure]]:
        args = self.args
        ours = self._latencies(MOVES, CHANGES, lambda: self.worker.alive, args.rate, args.seconds)
        self.sample_rss()
        theirs = self._latencies(COPY_IN, COPY_OUT, lambda: self.reference.alive, args.rate, args.seconds)
        # The same at a rate far below the worker's capacity: its own latency, without queueing.
        low = self._latencies(MOVES, CHANGES, lambda: self.worker.alive, args.low_rate, 10)
        p99 = percentile(ours, 99)
        verdict = "met" if p99 <= LATENCY_TARGET_MS else "NOT met"
        figures = [
            Figure(
                bench="atp",
                name=f"stock.moved -> atp.changed p99 at {args.rate:,} events/s for {args.seconds:g}s",
                ours=p99,
                unit="ms",
                reference=percentile(theirs, 99),
                reference_name="passthrough copy.in -> copy.out p99",
                target=f"p99 <= {LATENCY_TARGET_MS:.0f} ms",
                met=p99 <= LATENCY_TARGET_MS,
            ),
            Figure(
                bench="atp",
                name=f"diagnostic: stock.moved -> atp.changed p99 at {args.low_rate:,} events/s for 10s",
                ours=percentile(low, 99),
                unit="ms",
                target="none (diagnostic, no queueing)",
                met=None,
            ),
        ]
        lines = [
            (
                f"{self.args.rate:,} events/s for {self.args.seconds:g}s; produce call (linger.ms=0) -> "
                f"output record consumed; faust producer linger: {FAUST_LINGER}"
            ),
            (
                f"ATP processor  stock.moved -> atp.changed: p50 {percentile(ours, 50):6.1f} ms  "
                f"p99 {p99:6.1f} ms  max {ours[-1]:6.1f} ms  ({len(ours):,} events)"
            ),
            (
                f"passthrough    copy.in -> copy.out:        p50 {percentile(theirs, 50):6.1f} ms  "
                f"p99 {percentile(theirs, 99):6.1f} ms  max {theirs[-1]:6.1f} ms  ({len(theirs):,} events)"
            ),
            f"p99 target <= {LATENCY_TARGET_MS:.0f} ms: {verdict}",
            (
                f"diagnostic, ATP processor at {args.low_rate:,} events/s for 10s: "
                f"p50 {percentile(low, 50):6.1f} ms  p99 {percentile(low, 99):6.1f} ms  max {low[-1]:6.1f} ms"
            ),
        ]
        return lines, figures

    def _probe_after_start(self, label: str) -> float:
        """Start the worker, produce a probe at once; seconds until its atp.changed arrives."""
        arrivals = Arrivals(self.settings, CHANGES)
        probe = f"probe-{label}-{uuid.uuid4().hex[:6]}"
        record = self.moves.record(7, "C-", probe)
        try:
            started = time.perf_counter()
            self.worker.start()
            produce_all(self.producer, MOVES, [record])
            peak = 0
            deadline = time.monotonic() + 600
            while probe not in arrivals.seen and time.monotonic() < deadline:
                arrivals.poll(0.25)
                if not self.worker.alive:
                    raise SystemExit(f"the worker died while recovering: see {self.worker.log}")
                peak = max(peak, rss(worker_pid(self.worker))[0])
            if probe not in arrivals.seen:
                raise SystemExit(
                    f"no atp.changed for the probe within 600 s ({label}): see {self.worker.log}"
                )
            seconds = arrivals.seen[probe] - started
            self.peak_rss = max(self.peak_rss, peak)
            progress(
                f"restart ({label}): probe answered after {seconds:.1f}s, RSS peak {peak / 2**20:,.0f} MiB"
            )
            return seconds
        finally:
            arrivals.close()

    def scale(self) -> tuple[list[str], list[Figure]]:
        args = self.args
        count = args.scale_keys
        progress(f"encoding {count:,} stock.moved events, one per distinct key")
        started = time.monotonic()
        records = [self.moves.record(k, "C-", f"c-{k}") for k in range(count)]
        progress(f"encoded in {time.monotonic() - started:.0f}s; producing")
        committed = Committed(self.settings, APP_ID, MOVES)
        try:
            started = time.monotonic()
            produce_all(self.producer, MOVES, records)
            progress(f"produced in {time.monotonic() - started:.0f}s; the worker is processing")
            del records
            targets = ends(committed.consumer, MOVES)
            pid = worker_pid(self.worker)
            partitions = [TopicPartition(MOVES, p) for p in targets]
            last_report = time.monotonic()
            while True:
                self.peak_rss = max(self.peak_rss, rss(pid)[0])
                offsets = committed.consumer.committed(partitions, timeout=10)
                behind = sum(max(0, targets[tp.partition] - max(tp.offset, 0)) for tp in offsets)
                if behind == 0:
                    break
                if not self.worker.alive:
                    raise SystemExit(f"the worker died with {behind:,} records left: see {self.worker.log}")
                if time.monotonic() - last_report > 30:
                    progress(f"{behind:,} left, RSS {rss(pid)[0] / 2**20:,.0f} MiB")
                    last_report = time.monotonic()
                time.sleep(0.5)
            processed_s = time.monotonic() - started
            now_rss, hwm = rss(pid)
            progress(f"all committed after {processed_s:.0f}s; RSS {now_rss / 2**20:,.0f} MiB")
        finally:
            committed.close()
        peak = max(self.peak_rss, hwm)
        stopped = time.monotonic()
        self.worker.stop()
        stop_s = time.monotonic() - stopped
        kept = self._probe_after_start("data dir kept")
        self.worker.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        wiped = self._probe_after_start("data dir wiped")
        recovered_rss, recovered_hwm = rss(worker_pid(self.worker))
        rss_verdict = "met" if peak <= RSS_TARGET else "NOT met"
        worst = max(kept, wiped)
        recovery_verdict = "met" if worst <= RECOVERY_TARGET_S else "NOT met"
        recovery_target = f"<= {RECOVERY_TARGET_S:.0f} s"
        figures = [
            Figure(
                bench="atp",
                name=f"worker RSS peak with {count:,} distinct keys (RocksDB)",
                ours=peak / 2**20,
                unit="MiB",
                target=f"<= {RSS_TARGET / 2**20:,.0f} MiB (1 GiB)",
                met=peak <= RSS_TARGET,
            ),
            Figure(
                bench="atp",
                name=f"restart to the probe's atp.changed, {count:,} keys, data dir kept",
                ours=kept,
                unit="s",
                target=recovery_target,
                met=kept <= RECOVERY_TARGET_S,
            ),
            Figure(
                bench="atp",
                name=f"restart to the probe's atp.changed, {count:,} keys, data dir wiped (changelog)",
                ours=wiped,
                unit="s",
                target=recovery_target,
                met=wiped <= RECOVERY_TARGET_S,
            ),
        ]
        lines = [
            f"{count:,} distinct keys (plus the throughput/latency keys) in one worker, RocksDB",
            f"processing them: {processed_s:,.0f}s ({count / processed_s:,.0f} events/s, produce included)",
            (
                f"worker RSS peak: {peak / 2**20:,.0f} MiB (sampled VmRSS {self.peak_rss / 2**20:,.0f} MiB, "
                f"VmHWM {hwm / 2**20:,.0f} MiB) (target <= {RSS_TARGET / 2**30:.0f} GiB: {rss_verdict})"
            ),
            (
                f"after recovery from the changelog: RSS {recovered_rss / 2**20:,.0f} MiB, "
                f"VmHWM {recovered_hwm / 2**20:,.0f} MiB"
            ),
            f"SIGTERM to exit: {stop_s:.1f}s",
            f"restart, data dir kept:  {kept:6.1f}s to the probe's atp.changed",
            f"restart, data dir wiped: {wiped:6.1f}s to the probe's atp.changed (changelog recovery)",
            f"recovery target <= {RECOVERY_TARGET_S:.0f}s: {recovery_verdict}",
        ]
        return lines, figures

    @property
    def data_dir(self) -> Path:
        return HOME / "processors" / APP_ID


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(0, min(len(values) - 1, round(pct / 100 * len(values) + 0.5) - 1))
    return values[rank]


def create_copy_topics(settings: Settings) -> None:
    """The passthrough's input and output, partitioned like stock.moved."""
    admin = make_admin(settings)
    consumer = make_consumer(settings, "bench-metadata")
    try:
        partitions = len(consumer.list_topics(MOVES, timeout=10).topics[MOVES].partitions)
    finally:
        consumer.close()
    futures = admin.create_topics([NewTopic(name, partitions, 1) for name in (COPY_IN, COPY_OUT)])
    for future in futures.values():
        future.result(timeout=30)


SECTIONS = ["throughput", "latency", "scale"]


def run(args: argparse.Namespace) -> list[Figure]:
    """The sections on a private stack: print their lines, return their figures."""
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(
        f"bench/atp on {python}, {os.cpu_count()} CPUs, faust-streaming {version('faust-streaming')}, "
        f"confluent-kafka {version('confluent-kafka')}",
        flush=True,
    )
    progress(f"starting a private stack under {HOME} (wiped first)")
    started = time.monotonic()
    stack = start_private_stack(HOME)
    progress(f"stack up in {time.monotonic() - started:.0f}s: {stack.settings.bootstrap_servers}")
    worker: Worker | None = None
    reference: Passthrough | None = None
    moves: Moves | None = None
    figures: list[Figure] = []
    try:
        settings = stack.settings
        create_copy_topics(settings)
        shutil.rmtree(HOME / "processors", ignore_errors=True)
        env = {
            **stack.env,
            "SUPPLYSTREAM_PROCESSORS__STORE": "rocksdb://",
            "SUPPLYSTREAM_PROCESSORS__DATA_DIR": str(HOME / "processors"),
        }
        worker = Worker("atp", env, HOME / "atp-worker.log")
        reference = Passthrough(env, HOME / "passthrough.log")
        worker.start()
        reference.start()
        moves = Moves(settings, load_processor_config().warehouse_codes)
        bench = Bench(stack, args, worker, reference, moves, make_producer(settings))
        for name in SECTIONS:
            if args.only and name not in args.only:
                continue
            print(f"\n== {name}", flush=True)
            section: Callable[[], tuple[list[str], list[Figure]]] = getattr(bench, name)
            lines, section_figures = section()
            for line in lines:
                print(line, flush=True)
            figures += section_figures
        bench.producer.flush(30)
    finally:
        if worker is not None:
            worker.stop()
        if reference is not None:
            reference.stop()
        if moves is not None:
            moves.close()
        progress("stopping the private stack")
        stop_private_stack(stack)
    return figures


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Run the bench (or, with --passthrough, the reference process); the figures measured."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=SECTIONS, action="append")
    parser.add_argument("--events", type=int, default=50_000, help="events per throughput round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys", type=int, default=3000, help="sku|warehouse keys in throughput/latency")
    parser.add_argument("--rate", type=int, default=1000, help="latency: events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="latency: how long")
    parser.add_argument("--low-rate", type=int, default=100, help="latency diagnostic: a low rate")
    parser.add_argument("--scale-keys", type=int, default=1_000_000, help="distinct keys for RSS/recovery")
    parser.add_argument("--passthrough", nargs=2, metavar=("SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.passthrough:
        passthrough(*args.passthrough)
        return []
    return run(args)


if __name__ == "__main__":
    main()
