"""The benchmarks' one result type and the markdown of bench/RESULTS.md (pure; `machine()` reads the host).

Every bench's ``main`` returns a list of :class:`Figure`; `bench.run_all` collects them and writes
:func:`render`'s markdown. A figure carries its target in words and whether this run met it.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Libraries whose versions decide the figures.
KEY_LIBRARIES = ("confluent-kafka", "fastavro", "faust-streaming", "psycopg", "pydantic", "httpx")


@dataclass(frozen=True)
class Figure:
    """One measured figure: ours, the reference measured in the same run (if any), the target."""

    bench: str
    name: str
    ours: float
    unit: str
    target: str
    met: bool | None
    reference: float | None = None
    reference_name: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / reference, None without a reference (or a zero one)."""
        if self.reference is None or self.reference == 0:
            return None
        return self.ours / self.reference


@dataclass(frozen=True)
class Failure:
    """A bench that did not finish: its name and why."""

    bench: str
    error: str


@dataclass(frozen=True)
class Machine:
    """Where the figures were measured."""

    cpu: str
    cores: int
    ram_bytes: int
    python: str
    libraries: Mapping[str, str] = field(default_factory=dict)
    date: str = ""


def number(value: float) -> str:
    """A figure's value: thousands separated, decimals only where they matter."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def ratio_text(ratio: float | None) -> str:
    """The ratio column: ``x`` for ratios at or above 1, percent below."""
    if ratio is None:
        return "—"
    return f"{ratio:.2f}x" if ratio >= 1 else f"{ratio:.0%}"


def verdict(met: bool | None) -> str:
    """The target column's verdict."""
    if met is None:
        return "(no target)"
    return "met" if met else "**NOT met**"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figures_table(figures: Sequence[Figure]) -> list[str]:
    """The markdown table: one row per figure, target and verdict next to it."""
    lines = [
        "| bench | figure | ours | reference (same run) | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        reference = "—" if f.reference is None else f"{f.reference_name} {number(f.reference)} {f.unit}"
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    f.bench,
                    f.name,
                    f"{number(f.ours)} {f.unit}",
                    reference.strip(),
                    ratio_text(f.ratio),
                    f.target or "none",
                    verdict(f.met),
                )
            )
            + " |"
        )
    return lines


def machine_section(machine: Machine) -> list[str]:
    """The machine the figures came from."""
    libraries = ", ".join(f"{name} {v}" for name, v in machine.libraries.items()) or "—"
    return [
        f"- CPU: {machine.cpu}, {machine.cores} cores",
        f"- RAM: {machine.ram_bytes / 2**30:.1f} GiB",
        f"- Python: {machine.python}",
        f"- libraries: {libraries}",
        f"- date: {machine.date}",
    ]


def render(
    figures: Sequence[Figure],
    machine: Machine,
    *,
    quick: bool,
    command: str,
    failures: Sequence[Failure] = (),
    durations: Mapping[str, float] | None = None,
) -> str:
    """bench/RESULTS.md: summary, the figures table, failures, the machine."""
    targeted = [f for f in figures if f.met is not None]
    met = sum(1 for f in targeted if f.met)
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` — do not edit by hand.",
        "",
    ]
    if quick:
        lines += [
            "**These figures come from `--quick`** (reduced sizes, a few minutes in all): indicative only;",
            "run `make bench` (full sizes) for the figures to quote.",
            "",
        ]
    lines += [
        f"{len(figures)} figures, {len(targeted)} with a target: {met} met, {len(targeted) - met} not met.",
        "The ratio is ours / the reference measured in the same run; the target says what it applies to.",
        "",
        *figures_table(figures),
        "",
    ]
    if failures:
        lines += ["## Benches that did not finish", ""]
        lines += [f"- `{f.bench}`: {_cell(f.error)}" for f in failures]
        lines.append("")
    if durations:
        lines += ["## Duration", ""]
        lines += [f"- `{name}`: {seconds:,.0f} s" for name, seconds in durations.items()]
        lines.append("")
    lines += ["## Machine", "", *machine_section(machine), ""]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _library_versions(names: Sequence[str]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def machine() -> Machine:
    """This host: CPU model, cores, RAM, Python, key library versions, now (UTC)."""
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        ram_bytes=_ram_bytes(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        libraries=_library_versions(KEY_LIBRARIES),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
