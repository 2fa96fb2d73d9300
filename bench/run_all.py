"""Run every benchmark and write bench/RESULTS.md: each figure, its same-run reference, ratio and target.

Run: `make bench` (starts the local stack first), or `.venv/bin/python -m bench.run_all [--quick]`
against a running stack (the benches read the usual settings, so SUPPLYSTREAM_STACK__* reach them).
bench.atp brings a private stack of its own. ``--quick`` runs every bench with reduced sizes (a few
minutes in all; RESULTS.md says so); the full run takes about 20 minutes on 2 cores, mostly bench.atp.
Exit status 1 when a bench did not finish (it is listed in RESULTS.md); targets not met do not fail it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.report import Failure, Figure, machine, render

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

BenchMain = Callable[[Sequence[str] | None], list[Figure]]


@dataclass(frozen=True)
class Bench:
    """A bench module (``bench.<name>``, whose ``main(argv)`` returns figures) and its options."""

    name: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()


#: In the order they run; the long private-stack bench last.
BENCHES = (
    Bench("serde", quick=("--events", "2000", "--rounds", "3")),
    Bench("produce", quick=("--events", "5000", "--rounds", "3")),
    # The odoo section keeps its own (Odoo-sized) stream: smaller ones hide what batching saves.
    Bench("sinks", quick=("--events", "10000", "--rounds", "3")),
    Bench("odoo", quick=("--records", "50")),
    Bench(
        "atp",
        quick=("--events", "10000", "--rounds", "2", "--seconds", "5", "--scale-keys", "50000"),
    ),
)


def _progress(started: float, line: str) -> None:
    elapsed = time.monotonic() - started
    print(f"[run_all {time.strftime('%H:%M:%S')} +{elapsed / 60:4.1f} min] {line}", flush=True)


def run_bench(bench: Bench, quick: bool) -> list[Figure]:
    """Import ``bench.<name>`` and run its main with the full or quick options."""
    module = importlib.import_module(f"bench.{bench.name}")
    main: BenchMain = module.main
    return main(list(bench.quick if quick else bench.full))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benches, write the results file; 1 when a bench did not finish."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes: a few minutes in all")
    parser.add_argument("--only", choices=[b.name for b in BENCHES], action="append", help="these benches")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the markdown file to write")
    args = parser.parse_args(argv)
    selected = [b for b in BENCHES if not args.only or b.name in args.only]
    command = "python -m bench.run_all" + (" --quick" if args.quick else "")
    if args.only:
        command += "".join(f" --only {name}" for name in args.only)
    started = time.monotonic()
    figures: list[Figure] = []
    failures: list[Failure] = []
    durations: dict[str, float] = {}
    for n, bench in enumerate(selected, 1):
        options = " ".join(bench.quick if args.quick else bench.full)
        _progress(started, f"bench {n}/{len(selected)}: bench.{bench.name} {options}".rstrip())
        bench_started = time.monotonic()
        try:
            measured = run_bench(bench, args.quick)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - one bench failing must not lose the others
            failures.append(Failure(bench.name, f"{type(exc).__name__}: {exc}"))
            _progress(started, f"bench.{bench.name} did not finish: {type(exc).__name__}: {exc}")
            measured = []
        durations[bench.name] = time.monotonic() - bench_started
        figures += measured
        _progress(started, f"bench.{bench.name}: {len(measured)} figures in {durations[bench.name]:.0f}s")
    text = render(
        figures, machine(), quick=args.quick, command=command, failures=failures, durations=durations
    )
    args.output.write_text(text)
    _progress(started, f"wrote {args.output} ({len(figures)} figures, {len(failures)} benches failed)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
