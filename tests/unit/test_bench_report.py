"""bench/report.py: figures → the markdown of bench/RESULTS.md (target and ratio columns, met / NOT met)."""

from __future__ import annotations

from bench.report import Failure, Figure, Machine, figures_table, ratio_text, render

MACHINE = Machine(
    cpu="AMD EPYC 7B13",
    cores=2,
    ram_bytes=8 * 2**30,
    python="CPython 3.11.7",
    libraries={"confluent-kafka": "2.16.1", "fastavro": "1.13.1"},
    date="2026-11-25 03:00 UTC",
)

SERDE = Figure(
    bench="serde",
    name="stock.moved encode+decode",
    ours=52_089.4,
    unit="events/s",
    reference=25_469.0,
    reference_name="confluent-kafka",
    target=">= 3x the reference",
    met=False,
)
PLANNING = Figure(
    bench="sinks/planning",
    name="planning sink",
    ours=66_598.0,
    unit="events/s",
    target=">= 50,000 events/s",
    met=True,
)
REPLAY = Figure(
    bench="sinks/planning", name="replay", ours=72_036.0, unit="events/s", target="none", met=None
)
PRODUCE = Figure(
    bench="produce",
    name="publisher",
    ours=30_903.0,
    unit="events/s",
    reference=745_560.0,
    reference_name="raw | confluent-kafka",
    target=">= 50% of the reference",
    met=False,
)


def _row(table: list[str], name: str) -> list[str]:
    (row,) = [line for line in table if f"| {name} |" in line]
    return [cell.strip() for cell in row.strip("|").split(" | ")]


def test_table_has_target_and_ratio_columns() -> None:
    header = [cell.strip() for cell in figures_table([SERDE])[0].strip("|").split("|")]
    assert header == ["bench", "figure", "ours", "reference (same run)", "ratio", "target", "verdict"]


def test_a_figure_with_a_reference_shows_both_values_the_ratio_and_the_target() -> None:
    row = _row(figures_table([SERDE, PLANNING]), "stock.moved encode+decode")
    assert row == [
        "serde",
        "stock.moved encode+decode",
        "52,089 events/s",
        "confluent-kafka 25,469 events/s",
        "2.05x",
        ">= 3x the reference",
        "**NOT met**",
    ]


def test_a_ratio_below_one_is_a_percentage_and_pipes_in_names_are_escaped() -> None:
    table = figures_table([PRODUCE])
    assert "raw \\| confluent-kafka 745,560 events/s" in table[2]
    assert "| 4% |" in table[2]


def test_a_figure_without_reference_has_no_ratio_and_a_met_target() -> None:
    row = _row(figures_table([PLANNING]), "planning sink")
    assert row[3:] == ["—", "—", ">= 50,000 events/s", "met"]


def test_a_figure_without_target_says_so() -> None:
    row = _row(figures_table([REPLAY]), "replay")
    assert row[-2:] == ["none", "(no target)"]


def test_ratio_text() -> None:
    assert ratio_text(None) == "—"
    assert ratio_text(1.0) == "1.00x"
    assert ratio_text(0.304) == "30%"


def test_render_counts_verdicts_and_describes_the_machine() -> None:
    text = render([SERDE, PLANNING, REPLAY], MACHINE, quick=False, command="python -m bench.run_all")
    assert "`python -m bench.run_all`" in text
    assert "3 figures, 2 with a target: 1 met, 1 not met." in text
    assert "--quick" not in text
    for expected in (
        "- CPU: AMD EPYC 7B13, 2 cores",
        "- RAM: 8.0 GiB",
        "- Python: CPython 3.11.7",
        "- libraries: confluent-kafka 2.16.1, fastavro 1.13.1",
        "- date: 2026-11-25 03:00 UTC",
    ):
        assert expected in text.splitlines()


def test_render_marks_quick_figures_and_lists_failed_benches() -> None:
    text = render(
        [PLANNING],
        MACHINE,
        quick=True,
        command="python -m bench.run_all --quick",
        failures=[Failure("atp", "SystemExit: the worker died")],
        durations={"sinks": 12.4},
    )
    assert "**These figures come from `--quick`**" in text
    assert "- `atp`: SystemExit: the worker died" in text
    assert "- `sinks`: 12 s" in text
