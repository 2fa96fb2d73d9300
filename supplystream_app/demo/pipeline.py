"""The demo pipeline on the embedded local stack: start, feed, watch, drain, reconcile.

`Pipeline` owns a stack of its own under ``.stack/demo`` (state wiped at every start, free ports, so a
default stack or a CI run on the usual ports is never touched) and, as separate processes: the Odoo
stand-in (or the real Odoo 11 with ``with_odoo``) and the channel stand-in, the ATP processor, the
order router, the planning, channel and Odoo sinks, the stand-in WMS and the simulator.

`run` drives it: faults (the reliability suite's) are callables fired at given seconds of the run;
workers that exit unasked are restarted (and counted), like a process manager would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from confluent_kafka import KafkaException
from rich.console import Console
from rich.live import Live

from producers.simulator import Simulation
from sinks.channels.config import Channel, load_channels
from supplystream.consumer_lag import LagReader
from supplystream.contracts.registration import load_contracts
from supplystream.errors import SupplyStreamError
from supplystream.paths import project_root
from supplystream.settings import Settings, StackSettings
from supplystream.topics.catalog import TopicCatalog
from supplystream_app.catalog_seed import simulation_products
from supplystream_app.demo.evidence import gather
from supplystream_app.demo.reconcile import Report, reconcile
from supplystream_app.demo.view import render
from supplystream_app.demo.watch import Watch
from supplystream_app.demo.watchdog import Watchdog
from supplystream_app.demo.workers import Worker, Workers, stop_leftovers
from supplystream_devkit.ports import free_port
from supplystream_devkit.stack.local_stack import LocalStack
from supplystream_devkit.stack.odoo11 import DATABASE as ODOO11_DATABASE
from supplystream_devkit.stack.private import STATE_DIRS, prepare_contracts

#: The consumer groups that must be caught up before the report is read.
GROUPS = ("atp-processor", "order-router", "wms-standin", "planning-sink", "channel-sink", "odoo-sink")
CHANNEL = "webshop"
CHANNEL_LOCATION = 1001
TOKEN_VARIABLE = "SUPPLYSTREAM_DEMO_CHANNEL_TOKEN"  # noqa: S105 - the name of a variable, not a secret


class DemoError(SupplyStreamError):
    """The demo could not run to its report (the message says which step and where its log is)."""


@dataclass(frozen=True)
class DemoOptions:
    duration_s: float = 60.0
    rate: int = 50
    seed: int = 1
    with_odoo: bool = False
    home: Path = field(default_factory=lambda: project_root() / ".stack" / "demo")
    keep_stack: bool = False
    #: Seconds the WMS stand-in waits after an allocation before shipping it.
    ship_delay_s: float = 1.0
    drain_timeout_s: float = 600.0


#: A fault of the reliability suite: does something to the pipeline, returns what it did.
Fault = Callable[["Pipeline"], str]


class Pipeline:
    def __init__(self, options: DemoOptions, console: Console) -> None:
        self.options = options
        self.console = console
        home = options.home
        self.stack_settings = StackSettings(
            home=home,
            kafka_port=free_port(),
            controller_port=free_port(),
            registry_port=free_port(),
            registry_management_port=free_port(),
            postgres_port=free_port(),
            odoo_standin_port=free_port(),
            odoo_port=free_port(),
        )
        self.stack = LocalStack(self.stack_settings, with_odoo=options.with_odoo)
        self.channel_port = free_port()
        self.channel_url = f"http://127.0.0.1:{self.channel_port}"
        self.env = self._environment()
        self.settings = Settings(**_nested(self.env))  # type: ignore[arg-type]
        self.workers = Workers()
        self.events: list[str] = []
        self.expected_dead_letters: dict[str, int] = {}
        self._started = time.monotonic()
        self.watchdog: Watchdog | None = None

    # -- set-up --------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        s, home = self.stack_settings, self.options.home
        env = {
            "SUPPLYSTREAM_STACK__HOME": str(home),
            "SUPPLYSTREAM_STACK__KAFKA_PORT": str(s.kafka_port),
            "SUPPLYSTREAM_STACK__CONTROLLER_PORT": str(s.controller_port),
            "SUPPLYSTREAM_STACK__REGISTRY_PORT": str(s.registry_port),
            "SUPPLYSTREAM_STACK__REGISTRY_MANAGEMENT_PORT": str(s.registry_management_port),
            "SUPPLYSTREAM_STACK__POSTGRES_PORT": str(s.postgres_port),
            "SUPPLYSTREAM_STACK__ODOO_STANDIN_PORT": str(s.odoo_standin_port),
            "SUPPLYSTREAM_STACK__ODOO_PORT": str(s.odoo_port),
            "SUPPLYSTREAM_SINKS__CHANNELS_FILE": str(home / "channels.yaml"),
            "SUPPLYSTREAM_PROCESSORS__DATA_DIR": str(home / "processors"),
            "SUPPLYSTREAM_PROCESSORS__COMMIT_INTERVAL_S": "0.5",
            # Records waiting for another topic's record (an allocation before its order reached Odoo)
            # may wait out a 30 s outage of Odoo.
            "SUPPLYSTREAM_SINKS__DEFER_TIMEOUT_S": "300",
            TOKEN_VARIABLE: "demo-token",
            "CHANNEL_STANDIN_SECRET": "demo-token",
        }
        if self.options.with_odoo:
            env["SUPPLYSTREAM_ODOO__URL"] = f"http://127.0.0.1:{s.odoo_port}"
            env["SUPPLYSTREAM_ODOO__DATABASE"] = ODOO11_DATABASE
        return env

    def say(self, line: str) -> None:
        # A terminal that is gone (SIGHUP) must not stop the shutdown: the workers and the stack must stop.
        with suppress(OSError):
            self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {line}")

    def start_stack(self) -> None:
        """Stop a previous demo stack, wipe its state, start a fresh one (`supplystream stack up`).

        First of all, the watchdog: whatever kills this process from here on, what it started stops."""
        self.watchdog = Watchdog.start(
            self.options.home, {**os.environ, **self.env}, keep_stack=self.options.keep_stack
        )
        leftovers = stop_leftovers(
            self.options.home / "workers", f"SUPPLYSTREAM_STACK__HOME={self.options.home}"
        )
        if leftovers:
            self.say(f"stopped {len(leftovers)} worker(s) a killed earlier run left behind")
        self._stack_cli("down")
        for state in (*STATE_DIRS, "odoo-standin", "processors", "channel", "workers"):
            shutil.rmtree(self.options.home / state, ignore_errors=True)
        up = self._stack_cli("up", *(["--with-odoo"] if self.options.with_odoo else []))
        if up != 0:
            raise DemoError(f"`supplystream stack up` failed (exit {up}): see the lines above")
        if self.options.with_odoo:
            self.say("Odoo 11: fresh database from the template")
            self.stack.odoo11.reset_database(self.say)

    def restart_stack_components(self) -> None:
        """Start whatever part of the stack is not running (`stack up` is idempotent)."""
        if self._stack_cli("up") != 0:
            raise DemoError("`supplystream stack up` could not start the stopped components again")

    def rewind_group(self, group: str) -> None:
        """Move a stopped consumer group back to the start of every topic it reads."""
        rewind = self._cli(
            f"rewind-{group}", ["offsets", "reset", group, "--to-datetime", "2000-01-01", "--execute"]
        )
        if rewind.wait_stopped(120) != 0:
            raise DemoError(f"could not rewind {group}: see {rewind.log}")

    def _stack_cli(self, *args: str) -> int:
        """`supplystream stack <args>` on the demo's home, its output shown line by line."""
        with subprocess.Popen(
            [sys.executable, "-m", "supplystream", "stack", *args],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            # A PID file like the workers': if this process dies meanwhile, the watchdog stops it too.
            pid_file = self.options.home / "workers" / "stack-cli.pid"
            pid_file.parent.mkdir(parents=True, exist_ok=True)
            pid_file.write_text(f"{process.pid}\n")
            for line in process.stdout or ():
                if args[0] == "up":
                    self.say(line.rstrip())
            code = process.wait()
            pid_file.unlink(missing_ok=True)
            return code

    def prepare(self) -> None:
        """Topics and schemas, the channel stand-in and its products, the Odoo catalog."""
        prepare_contracts(self.settings)
        self.say("topics.yaml applied, schemas registered")
        self._write_channels_file()
        standin = self.workers.add(
            self._worker(
                "channel-standin",
                [
                    "sinks.channels.standin",
                    "--port",
                    str(self.channel_port),
                    "--data",
                    str(self.options.home / "channel"),
                    "--location",
                    str(CHANNEL_LOCATION),
                    "--secret-env",
                    "CHANNEL_STANDIN_SECRET",
                    "--bucket-size",
                    "1000",
                    "--leak-rate",
                    "500",
                ],
            )
        )
        standin.start()
        skus = [product.sku for product in simulation_products(Simulation(self.options.seed))]
        _wait_http(f"{self.channel_url}/_standin/levels", 60, "the channel stand-in")
        httpx.post(
            f"{self.channel_url}/_standin/products", json={"skus": skus}, timeout=30
        ).raise_for_status()
        self.say(f"channel stand-in on {self.channel_url}: {len(skus)} products")
        seed = self._cli("odoo-seed", ["odoo", "seed", "--seed", str(self.options.seed)])
        if seed.wait_stopped(600) != 0:
            raise DemoError(f"`supplystream odoo seed` failed: see {seed.log}")
        self.say("Odoo: the simulation's products and warehouses exist")

    def _write_channels_file(self) -> None:
        warehouses = [w.code for w in Simulation(self.options.seed).config.warehouses]
        channels = {
            "version": 1,
            "channels": [
                {
                    "name": CHANNEL,
                    "api": "shopify-rest",
                    "base_url": self.channel_url,
                    "location_id": CHANNEL_LOCATION,
                    "auth": {
                        "type": "bearer",
                        "header": "X-Shopify-Access-Token",
                        "prefix": "",
                        "token": {"env": TOKEN_VARIABLE},
                    },
                    "warehouses": warehouses,
                    "buffer": {"percent": 10},
                    "safety_stock": 2,
                    "rate_limit": {"requests_per_second": 400, "burst": 800},
                }
            ],
        }
        path = self.options.home / "channels.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(channels, sort_keys=False))

    @property
    def channel(self) -> Channel:
        return load_channels(self.options.home / "channels.yaml").channels[0]

    def _worker(self, name: str, args: Sequence[str]) -> Worker:
        return Worker(name, args, self.env, self.options.home / "workers" / f"{name}.log")

    def _cli(self, name: str, args: Sequence[str]) -> Worker:
        worker = self._worker(name, ["supplystream", *args])
        worker.start()
        return worker

    def start_workers(self) -> None:
        seed = str(self.options.seed)
        for name, args in (
            ("atp-processor", ["processors", "run", "atp"]),
            ("order-router", ["processors", "run", "router"]),
            ("planning-sink", ["sinks", "run", "planning"]),
            ("channel-sink", ["sinks", "run", "channel"]),
            ("odoo-sink", ["sinks", "run", "odoo"]),
            ("wms-standin", ["fulfil", "--seed", seed, "--delay-s", str(self.options.ship_delay_s)]),
        ):
            self.workers.add(self._worker(name, ["supplystream", *args])).start()
        self.say("workers started: " + ", ".join(GROUPS))

    def start_simulator(self) -> Worker:
        simulator = self._worker(
            "simulator",
            [
                "supplystream",
                "simulate",
                "--rate",
                str(self.options.rate),
                "--duration",
                str(self.options.duration_s),
                "--seed",
                str(self.options.seed),
                "--fulfilment",
                "external",
            ],
        )
        simulator.start()
        return simulator

    # -- running ---------------------------------------------------------------------------------

    def note(self, line: str) -> None:
        stamp = f"{time.monotonic() - self._started:6.1f} s"
        self.events.append(f"{stamp}  {line}")
        self.say(line)

    def run(self, faults: Sequence[tuple[float, Fault]] = (), live: bool = True) -> None:
        """Feed the pipeline for the run's duration (or until Ctrl-C), firing ``faults`` on time."""
        catalog, _ = load_contracts(self.settings)
        watch = Watch(self.settings, catalog, GROUPS).start()
        simulator = self.start_simulator()
        begun = time.monotonic()
        pending = sorted(faults, key=lambda f: f[0])
        interrupted = False
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            view_context: AbstractContextManager[Live | None] = (
                Live(console=self.console, refresh_per_second=1) if live else nullcontext()
            )
            with view_context as view:
                while simulator.alive or pending:
                    now = time.monotonic() - begun
                    while pending and pending[0][0] <= now:
                        _, fault = pending.pop(0)
                        self.note(fault(self))
                    for name in self.workers.supervise():
                        self.note(f"{name} exited on its own: restarted (see {self.workers[name].log})")
                    if view is not None:
                        self._refresh(view, watch)
                    time.sleep(1.0)
        except KeyboardInterrupt:
            interrupted = True
            self.note("Ctrl-C: stopping the simulator, then draining")
            simulator.stop()
        finally:
            signal.signal(signal.SIGINT, previous)
            watch.stop()
        if not interrupted and simulator.process is not None and simulator.process.returncode != 0:
            raise DemoError(
                f"the simulator failed (exit {simulator.process.returncode}): see {simulator.log}"
            )

    def _refresh(self, view: Live, watch: Watch) -> None:
        """Draw a new sample; a sample Kafka could not answer (a broker restart) keeps the last one."""
        restarts = {w.name: w.starts - 1 for w in self.workers}
        try:
            snapshot = watch.snapshot(restarts, self.events)
        except (SupplyStreamError, KafkaException):
            return
        view.update(render(snapshot, "SupplyStream demo"))

    def drain(self) -> None:
        """Wait until every group has consumed everything (three readings in a row, 2 s apart)."""
        catalog, _ = load_contracts(self.settings)
        deadline = time.monotonic() + self.options.drain_timeout_s
        quiet = 0
        behind: dict[str, int] = {}
        self.say("draining: waiting for every consumer group to catch up")
        begun = last_shown = time.monotonic()
        with LagReader(self.settings) as reader:
            while time.monotonic() < deadline:
                for name in self.workers.supervise():
                    self.note(f"{name} exited on its own: restarted (see {self.workers[name].log})")
                behind = _groups_behind(reader, catalog)
                quiet = quiet + 1 if not behind else 0
                if quiet >= 3:
                    self.say(f"drained: every group caught up in {time.monotonic() - begun:.0f} s")
                    return
                if behind and time.monotonic() - last_shown >= 10:
                    last_shown = time.monotonic()
                    waiting = ", ".join(f"{group} {records:,}" for group, records in behind.items())
                    self.say(f"draining, {last_shown - begun:.0f} s: records behind: {waiting}")
                time.sleep(2.0)
        raise DemoError(f"not drained after {self.options.drain_timeout_s:.0f} s: records behind {behind}")

    def reconcile(self) -> Report:
        self.say("reconciling")
        evidence = gather(
            self.settings, self.channel, with_odoo_sink=True, expected_dead_letters=self.expected_dead_letters
        )
        return reconcile(evidence, self.events)

    def close(self) -> None:
        """Stop every worker (SIGTERM), and the stack unless it is kept."""
        codes = self.workers.stop_all()
        failed = {name: code for name, code in codes.items() if code not in (0, None, -signal.SIGTERM)}
        if failed:
            self.say(f"[yellow]workers that did not exit cleanly: {failed}[/]")
        if not self.options.keep_stack:
            self._stack_cli("down")
            self.say("stack stopped")
        else:
            exports = " ".join(f"{k}={v}" for k, v in self.env.items() if k.startswith("SUPPLYSTREAM_STACK"))
            self.say(f"stack kept running; to reach it: export {exports}")
        if self.watchdog is not None:
            self.watchdog.release()


def _groups_behind(reader: LagReader, catalog: TopicCatalog) -> dict[str, int]:
    """Records each of the pipeline's groups still has to consume (-1: its offsets could not be read)."""
    behind: dict[str, int] = {}
    for group in GROUPS:
        topics = [t.name for t in catalog.topics if group in t.consumers]
        try:
            total = sum(x.lag for x in reader.group_lag(group, topics, with_time_lag=False))
        except (SupplyStreamError, KafkaException):
            behind[group] = -1
            continue
        if total:
            behind[group] = total
    return behind


def _nested(env: dict[str, str]) -> dict[str, object]:
    """SUPPLYSTREAM_A__B=value pairs as Settings keyword arguments (only the sections we set)."""
    result: dict[str, dict[str, str]] = {}
    for key, value in env.items():
        if not key.startswith("SUPPLYSTREAM_") or "__" not in key:
            continue
        section, name = key.removeprefix("SUPPLYSTREAM_").lower().split("__", 1)
        result.setdefault(section, {})[name] = value
    return dict(result)


def _wait_http(url: str, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)
        else:
            return
    raise DemoError(f"{what} did not answer on {url} within {timeout_s:.0f} s")
