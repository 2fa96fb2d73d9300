"""Processor workers as real processes, and reading back what they wrote (for the processors' tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaException

from processors.atp_processor import COMMANDS, TRANSLATED
from processors.order_router import REPLIES
from supplystream.consumer_lag import partition_lags
from supplystream.kafka_io import header_map, read_to_end
from supplystream.paths import project_root
from supplystream.settings import Settings
from supplystream_devkit.ports import free_port

#: Each application's input topics: it has caught up when its group's lag on them is zero.
INPUTS = {
    "atp-processor": ["stock.moved", COMMANDS, *TRANSLATED],
    "order-router": ["order.placed", "order.cancelled", REPLIES],
}


@dataclass
class Worker:
    """`supplystream processors run <name>` in a process of its own."""

    name: str
    env: Mapping[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.starts += 1
        env = {
            **os.environ,
            **self.env,
            **self.extra_env,
            "SUPPLYSTREAM_PROCESSORS__WEB_PORT": str(free_port()),
        }
        with self.log.open("ab") as handle:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supplystream", "processors", "run", self.name, "--loglevel", "info"],
                stdin=subprocess.DEVNULL,
                cwd=project_root(),
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no commit, no flush, no goodbye."""
        if self.process is None:
            raise RuntimeError(f"the {self.name} worker was never started")
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM and wait: faust commits what it processed, then exits."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=30)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


#: What the last `caught_up` call saw per group (lagging partitions, or the error): for failure messages.
LAST_SEEN: dict[str, str] = {}


def caught_up(settings: Settings, group: str) -> bool:
    """Whether ``group`` committed the end of every input partition."""
    try:
        lag = partition_lags(settings, group, INPUTS[group])
    except KafkaException as exc:  # a young cluster's group coordinator may not be ready yet: ask again
        LAST_SEEN[group] = f"lag not readable: {exc}"
        return False
    behind = {f"{topic}[{partition}]": n for (topic, partition), n in sorted(lag.items()) if n}
    LAST_SEEN[group] = f"behind on {behind}" if behind else "caught up"
    return not behind


def log_tail(worker: Worker, lines: int = 25) -> str:
    """The end of a worker's log, for failure messages."""
    if not worker.log.exists():
        return f"({worker.log} missing)"
    tail = worker.log.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {worker.name} ({worker.log}):\n" + "\n".join(tail)


@dataclass(frozen=True)
class Stored:
    """A record read back, in partition/offset order."""

    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, bytes]


def read_topic(settings: Settings, topic: str) -> list[Stored]:
    """Every record of ``topic`` up to its end offsets now, in offset order per partition."""
    found = [
        Stored(m.partition() or 0, m.offset() or 0, m.key() or b"", m.value() or b"", header_map(m))
        for m in read_to_end(settings, topic, f"reader.{time.monotonic_ns()}", timeout_s=120)
    ]
    return sorted(found, key=lambda r: (r.partition, r.offset))
