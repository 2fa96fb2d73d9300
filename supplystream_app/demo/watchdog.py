"""The demo's watchdog: when the demo process dies (any signal, SIGKILL included), what it started stops.

It holds the read end of a pipe only the demo writes to: end of file without ``released`` means the
demo died, so it stops every worker from the PID files and then the stack. Run as
``python -m supplystream_app.demo.watchdog --fd N --home HOME [--keep-stack]``; see the README,
"The two commands".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from supplystream.settings import Settings
from supplystream_app.demo.workers import stop_leftovers
from supplystream_devkit.stack.local_stack import LocalStack

RELEASED = b"released"
#: Seconds a worker gets to finish its batch after SIGTERM when the demo is gone.
WORKER_GRACE_S = 15.0


def workers_dir(home: Path) -> Path:
    """Where the demo keeps its workers' logs and PID files."""
    return home / "workers"


def marker(home: Path) -> str:
    """The environment entry every process of the demo carries (see `stop_leftovers`)."""
    return f"SUPPLYSTREAM_STACK__HOME={home}"


@dataclass
class Watchdog:
    """The demo's side: the running watchdog and the write end of its pipe."""

    process: subprocess.Popen[bytes]
    write_fd: int
    log: Path

    @classmethod
    def start(cls, home: Path, env: dict[str, str], *, keep_stack: bool) -> Watchdog:
        """Start the watchdog of the demo whose stack lives in ``home``."""
        read_fd, write_fd = os.pipe()  # not inheritable: no other child holds the write end
        log = home / "watchdog.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "supplystream_app.demo.watchdog",
            "--fd",
            str(read_fd),
            "--home",
            str(home),
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*argv, *(["--keep-stack"] if keep_stack else [])],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(read_fd,),
                start_new_session=True,  # Ctrl-C and a closed terminal do not reach it
            )
        os.close(read_fd)
        return cls(process, write_fd, log)

    def release(self, timeout_s: float = 10.0) -> None:
        """The demo stopped everything itself: let the watchdog exit without doing anything."""
        if self.write_fd < 0:
            return
        try:
            os.write(self.write_fd, RELEASED)
        finally:
            os.close(self.write_fd)
            self.write_fd = -1
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_for_parent(fd: int) -> bool:
    """Block until the demo closes its end of the pipe; True when it released us."""
    received = b""
    while chunk := os.read(fd, 64):
        received += chunk
    return received == RELEASED


def clean_up(home: Path, *, keep_stack: bool) -> None:
    """Stop what a dead demo left running: its workers, then its stack."""
    stopped = stop_leftovers(workers_dir(home), marker(home), grace_s=WORKER_GRACE_S)
    _say(f"the demo is gone: stopped {len(stopped)} of its processes ({', '.join(map(str, stopped))})")
    if keep_stack:
        _say("stack kept (--keep-stack)")
        return
    LocalStack(Settings().stack).down(_say)
    _say("stack stopped")


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} watchdog: {line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fd", type=int, required=True, help="read end of the demo's pipe")
    parser.add_argument("--home", type=Path, required=True, help="the demo's stack home")
    parser.add_argument("--keep-stack", action="store_true", help="stop the workers only")
    args = parser.parse_args(argv)
    if wait_for_parent(args.fd):
        return 0
    clean_up(args.home, keep_stack=args.keep_stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
