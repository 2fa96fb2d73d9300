"""Plan topics.yaml against the configured cluster: the one entry point the CLI and the demo share."""

from __future__ import annotations

from pathlib import Path

from confluent_kafka.admin import AdminClient

from supplystream.paths import default_topics_file
from supplystream.settings import Settings
from supplystream.topics.acls import plan_acls
from supplystream.topics.catalog import load_catalog
from supplystream.topics.cluster import broker_count, observe_acls, observe_topics
from supplystream.topics.plan import TopicPlan, plan_topics


def catalog_path(settings: Settings, file: Path | None = None) -> Path:
    """The catalog in use: an explicit file, else settings.topics_file, else the project's own."""
    return file or settings.topics_file or default_topics_file()


def plan_catalog(
    settings: Settings, admin: AdminClient, file: Path | None = None, prune: bool = False
) -> TopicPlan:
    """Load and validate the catalog, resolve it for the environment, diff it with the cluster.

    ACLs are planned after topics, and only when the catalog declares some for this environment.
    """
    catalog = load_catalog(catalog_path(settings, file))
    plan = plan_topics(
        catalog.resolve(settings.environment),
        observe_topics(admin),
        broker_count=broker_count(admin),
        may_prune=catalog.may_prune,
        prune=prune,
    )
    desired_acls = catalog.acl_bindings(settings.environment)
    if not desired_acls:
        return plan
    acl_changes = plan_acls(desired_acls, observe_acls(admin), prune)
    return TopicPlan(plan.changes + tuple(acl_changes), plan.refusals)
