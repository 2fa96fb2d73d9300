"""The demo's terminal view (rich): a `Snapshot` drawn as panels, and the reconciliation report."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from supplystream_app.demo.reconcile import Report
from supplystream_app.demo.watch import Snapshot


def _stages(snapshot: Snapshot) -> Table:
    table = Table(title="events per stage", expand=True)
    table.add_column("stage")
    table.add_column("records", justify="right")
    table.add_column("per second", justify="right")
    for stage, (records, rate) in snapshot.stages.items():
        table.add_row(stage, f"{records:,}", f"{rate:,.0f}")
    return table


def _lag(snapshot: Snapshot) -> Table:
    table = Table(title="consumer lag", expand=True)
    table.add_column("group")
    table.add_column("records behind", justify="right")
    table.add_column("seconds behind", justify="right")
    table.add_column("restarts", justify="right")
    for group, (records, seconds) in sorted(snapshot.lag.items()):
        table.add_row(
            group,
            f"{records:,}",
            "-" if seconds is None else f"{seconds:.1f}",
            str(snapshot.restarts.get(group, 0)),
        )
    return table


def _atp(snapshot: Snapshot) -> Table:
    table = Table(title="ATP of the busiest SKUs", expand=True)
    table.add_column("sku")
    for warehouse in snapshot.warehouses:
        table.add_column(warehouse, justify="right")
    for sku, per_warehouse in snapshot.top_atp.items():
        table.add_row(
            sku, *(f"{per_warehouse.get(w, 0):,.3f}".rstrip("0").rstrip(".") for w in snapshot.warehouses)
        )
    return table


def _routing(snapshot: Snapshot) -> Table:
    table = Table(title="routing decisions", expand=True)
    table.add_column("outcome")
    table.add_column("orders", justify="right")
    for outcome, count in sorted(snapshot.routing.items()):
        table.add_row(outcome, f"{count:,}")
    latency = snapshot.allocation_latency_ms
    table.add_row(
        "placed -> allocated",
        "-" if latency is None else f"p50 {latency[0]:,.0f} ms, p99 {latency[1]:,.0f} ms",
    )
    for decision in snapshot.recent_decisions:
        table.add_row(f"[dim]{decision}[/]", "")
    return table


def _dead_letters(snapshot: Snapshot) -> Table:
    table = Table(title="dead letters", expand=True)
    table.add_column("topic")
    table.add_column("records", justify="right")
    for topic, count in sorted(snapshot.dead_letters.items()):
        table.add_row(topic, f"[red]{count:,}[/]" if count else "0")
    return table


def render(snapshot: Snapshot, title: str) -> RenderableType:
    top = Table.grid(expand=True)
    top.add_column(ratio=1)
    top.add_column(ratio=1)
    top.add_row(_stages(snapshot), _lag(snapshot))
    top.add_row(_atp(snapshot), _routing(snapshot))
    parts: list[RenderableType] = [top, _dead_letters(snapshot)]
    parts.extend(f"[yellow]{note}[/]" for note in snapshot.notes[-6:])
    return Panel(Group(*parts), title=f"{title} — {snapshot.elapsed_s:,.0f} s")


def report_table(report: Report) -> RenderableType:
    table = Table(title="reconciliation", expand=True, show_lines=False)
    table.add_column("check")
    table.add_column("", width=4)
    table.add_column("detail")
    for check in report.checks:
        table.add_row(check.name, "[green]OK[/]" if check.ok else "[red]FAIL[/]", check.detail)
    parts: list[RenderableType] = []
    if report.events:
        events = Table(title="what happened during the run", expand=True)
        events.add_column("event")
        for line in report.events:
            events.add_row(line)
        parts.append(events)
    parts.append(table)
    verdict = "[green]reconciliation holds[/]" if report.ok else "[red]reconciliation FAILED[/]"
    parts.append(verdict)
    return Group(*parts)
