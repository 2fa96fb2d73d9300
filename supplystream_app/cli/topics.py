"""`supplystream topics plan | apply`: make the cluster match topics.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
import yaml

from supplystream.clients import make_admin
from supplystream.errors import UnsafeTopicChangeError
from supplystream.settings import Settings
from supplystream.topics.catalog import load_catalog
from supplystream.topics.cluster import apply_plan
from supplystream.topics.plan import TopicPlan
from supplystream.topics.strimzi import strimzi_resources
from supplystream.topics.sync import catalog_path, plan_catalog
from supplystream_app.cli.output import console, report, settings_of

app = typer.Typer(
    help="Plan and apply topics.yaml (topics, partitions, configs, dead-letter topics).",
    no_args_is_help=True,
)

FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        "-f",
        help="Topic catalog (default: the nearest topics.yaml at or above the working directory).",
        dir_okay=False,
    ),
]
PruneOption = Annotated[
    bool, typer.Option("--prune", help="Also plan deleting topics the file does not declare.")
]


def _plan(settings: Settings, file: Path | None, prune: bool) -> TopicPlan:
    plan = plan_catalog(settings, make_admin(settings), file, prune)
    console.print(
        f"catalog {catalog_path(settings, file)} (environment {settings.environment!r}) "
        f"vs {settings.bootstrap_servers}:",
        highlight=False,
    )
    if plan.is_empty:
        console.print("no changes: the cluster matches the catalog")
    for line in [c.describe() for c in plan.changes] + [r.describe() for r in plan.refusals]:
        colour = {"+": "green", "~": "yellow", "-": "red", "!": "bold red"}[line[0]]
        console.print(f"[{colour}]{line}[/]", markup=True, highlight=False, soft_wrap=True)
    if plan.changes or plan.refusals:
        console.print(f"{len(plan.changes)} change(s), {len(plan.refusals)} refused")
    return plan


@app.command()
def plan(ctx: typer.Context, file: FileOption = None, prune: PruneOption = False) -> None:
    """Print the difference between the catalog and the cluster.

    Exit 0 when everything in it can be applied, 2 for an invalid catalog, 3 when a change is
    refused as unsafe (fewer partitions, replication change, compact/delete flip).
    """
    result = _plan(settings_of(ctx), file, prune)
    if result.refusals:
        raise UnsafeTopicChangeError(
            f"{len(result.refusals)} unsafe change(s) refused; `topics apply` will not run until "
            "topics.yaml is fixed"
        )


@app.command()
def apply(
    ctx: typer.Context,
    file: FileOption = None,
    prune: PruneOption = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletions --prune plans.")] = False,
) -> None:
    """Make the cluster match the catalog. A second run is a no-op.

    Nothing is applied when any change is refused as unsafe (exit 3); deletions need --prune --yes.
    """
    settings = settings_of(ctx)
    result = _plan(settings, file, prune)
    if result.refusals:
        raise UnsafeTopicChangeError(
            f"nothing applied: {len(result.refusals)} unsafe change(s) refused (see the `!` lines)"
        )
    if result.deletions() and not yes:
        names = ", ".join(d.topic for d in result.deletions())
        raise UnsafeTopicChangeError(
            f"nothing applied: --prune would delete {names} and their data; re-run with --yes to confirm"
        )
    if result.revocations() and not yes:
        raise UnsafeTopicChangeError(
            f"nothing applied: --prune would revoke {len(result.revocations())} ACL binding(s) "
            "(see the `- revoke` lines); re-run with --yes to confirm"
        )
    if not result.changes:
        return
    apply_plan(make_admin(settings), result, report)
    console.print(f"applied {len(result.changes)} change(s)")


@app.command()
def export(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    export_format: Annotated[
        Literal["strimzi"], typer.Option("--format", help="strimzi: KafkaTopic and KafkaUser resources.")
    ] = "strimzi",
    file: FileOption = None,
    environment: Annotated[
        str | None,
        typer.Option("--environment", "-e", help="Environment of topics.yaml (default: the settings')."),
    ] = None,
    cluster: Annotated[
        str, typer.Option("--cluster", help="The Strimzi Kafka cluster (label strimzi.io/cluster).")
    ] = "supplystream",
    namespace: Annotated[str | None, typer.Option("--namespace", help="metadata.namespace.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Export topics.yaml as Kubernetes resources for the Strimzi operator (no cluster needed).

    One KafkaTopic per topic (dead-letter topics included) and, when topics.yaml declares acls, one
    KafkaUser per principal with its ACLs.
    """
    settings = settings_of(ctx)
    catalog = load_catalog(catalog_path(settings, file))
    resources = {"strimzi": strimzi_resources}[export_format](
        catalog, environment or settings.environment, cluster, namespace
    )
    text = yaml.safe_dump_all(resources, sort_keys=False)
    header = f"# Generated by `supplystream topics export --format {export_format}` from topics.yaml.\n"
    if output is not None:
        output.write_text(header + text)
        console.print(f"wrote {len(resources)} resource(s) to {output}")
        return
    console.print(header + text, markup=False, highlight=False, soft_wrap=True, end="")
