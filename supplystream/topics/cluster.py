"""The thin Kafka side of topic management: observe the cluster, apply a plan. Decisions live in plan.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from supplystream.errors import ClusterError
from supplystream.topics.acls import AclSpec, CreateAcl, DeleteAcl, Operation, ResourceKind
from supplystream.topics.plan import (
    AddPartitions,
    CreateTopic,
    DeleteTopic,
    ObservedTopic,
    ResetConfig,
    SetConfig,
    TopicPlan,
)

TIMEOUT_S = 30.0
Report = Callable[[str], None]


def broker_count(admin: AdminClient) -> int:
    """How many brokers the cluster reports."""
    return len(_metadata(admin).brokers)


def observe_topics(admin: AdminClient, include_internal: bool = False) -> dict[str, ObservedTopic]:
    """Every topic with its partitions, replication factor and configs (one describe for all)."""
    metadata = _metadata(admin)
    names = sorted(n for n in metadata.topics if include_internal or not n.startswith("__"))
    if not names:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
    futures = admin.describe_configs(resources, request_timeout=TIMEOUT_S)
    observed: dict[str, ObservedTopic] = {}
    for resource, future in futures.items():
        entries: Mapping[str, Any] = _result(future, f"describing configs of {resource.name}")
        topic = metadata.topics[resource.name]
        first = topic.partitions.get(0)
        observed[resource.name] = ObservedTopic(
            name=resource.name,
            partitions=len(topic.partitions),
            replication_factor=len(first.replicas) if first is not None else 0,
            configs={name: entry.value for name, entry in entries.items() if entry.value is not None},
            overrides=frozenset(
                name
                for name, entry in entries.items()
                if ConfigSource(entry.source) == ConfigSource.DYNAMIC_TOPIC_CONFIG
            ),
        )
    return observed


def apply_plan(admin: AdminClient, plan: TopicPlan, report: Report) -> None:
    """Make the changes of ``plan``: creates, then partitions, then configs, then deletions."""
    creates = [c for c in plan.changes if isinstance(c, CreateTopic)]
    if creates:
        new_topics = [
            NewTopic(
                c.spec.name,
                c.spec.partitions,
                c.spec.replication_factor,
                config=dict(c.spec.configs),
            )
            for c in creates
        ]
        _wait_all(admin.create_topics(new_topics, operation_timeout=TIMEOUT_S), "creating", report)
        _await_visible(admin, {c.spec.name for c in creates})
    grows = [c for c in plan.changes if isinstance(c, AddPartitions)]
    if grows:
        requests = [NewPartitions(c.topic, c.desired) for c in grows]
        _wait_all(
            admin.create_partitions(requests, operation_timeout=TIMEOUT_S),
            "adding partitions to",
            report,
        )
    alters = _config_requests(c for c in plan.changes if isinstance(c, SetConfig | ResetConfig))
    if alters:
        futures = admin.incremental_alter_configs(alters, request_timeout=TIMEOUT_S)
        _wait_all({r.name: f for r, f in futures.items()}, "changing configs of", report)
    deletes = [c.topic for c in plan.changes if isinstance(c, DeleteTopic)]
    if deletes:
        _wait_all(admin.delete_topics(deletes, operation_timeout=TIMEOUT_S), "deleting", report)
    grants = [acl_binding(c.acl) for c in plan.changes if isinstance(c, CreateAcl)]
    if grants:
        granted = admin.create_acls(grants, request_timeout=TIMEOUT_S)
        _wait_all({_describe_binding(b): f for b, f in granted.items()}, "granting", report)
    revokes = [acl_filter(c.acl) for c in plan.changes if isinstance(c, DeleteAcl)]
    if revokes:
        revoked = admin.delete_acls(revokes, request_timeout=TIMEOUT_S)
        _wait_all({_describe_binding(b): f for b, f in revoked.items()}, "revoking", report)


_RESOURCE_TYPES: dict[ResourceKind, ResourceType] = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_OPERATIONS: dict[Operation, AclOperation] = {
    "READ": AclOperation.READ,
    "WRITE": AclOperation.WRITE,
    "DESCRIBE": AclOperation.DESCRIBE,
}
#: "Match anything" in a filter; the stubs say str, librdkafka takes None.
_ANY: Any = None


def acl_binding(acl: AclSpec) -> AclBinding:
    """The admin client's binding of one catalog ACL (an ALLOW on a literal name)."""
    return AclBinding(
        _RESOURCE_TYPES[acl.resource], acl.name, ResourcePatternType.LITERAL, acl.principal, acl.host,
        _OPERATIONS[acl.operation], AclPermissionType.ALLOW,
    )  # fmt: skip


def acl_filter(acl: AclSpec) -> AclBindingFilter:
    """A filter matching exactly one catalog ACL (for deletion)."""
    return AclBindingFilter(
        _RESOURCE_TYPES[acl.resource], acl.name, ResourcePatternType.LITERAL, acl.principal, acl.host,
        _OPERATIONS[acl.operation], AclPermissionType.ALLOW,
    )  # fmt: skip


def observe_acls(admin: AdminClient) -> list[AclSpec]:
    """The cluster's literal ALLOW bindings on topics and groups for READ, WRITE and DESCRIBE.

    Raises ClusterError when the cluster has no authorizer (nothing to apply ACLs to).
    """
    match_all = AclBindingFilter(
        ResourceType.ANY, _ANY, ResourcePatternType.ANY, _ANY, _ANY, AclOperation.ANY, AclPermissionType.ANY
    )
    try:
        bindings = admin.describe_acls(match_all, request_timeout=TIMEOUT_S).result(timeout=TIMEOUT_S)
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if isinstance(error, KafkaError) and error.code() == KafkaError.SECURITY_DISABLED:
            raise ClusterError(
                "topics.yaml declares acls but the cluster has no authorizer (SECURITY_DISABLED): "
                "enable one on the brokers, or set `acls: false` for this environment in topics.yaml"
            ) from exc
        raise ClusterError(f"describing ACLs failed: {exc}") from exc
    kinds = {value: key for key, value in _RESOURCE_TYPES.items()}
    operations = {value: key for key, value in _OPERATIONS.items()}
    found: list[AclSpec] = []
    for b in bindings:
        kind = kinds.get(b.restype)
        operation = operations.get(b.operation)
        literal_allow = (
            b.resource_pattern_type == ResourcePatternType.LITERAL
            and b.permission_type == AclPermissionType.ALLOW
        )
        if kind is not None and operation is not None and literal_allow:
            found.append(AclSpec(b.principal, b.host, kind, b.name, operation))
    return found


def _describe_binding(binding: AclBinding | AclBindingFilter) -> str:
    return f"{binding.principal} {binding.operation} on {binding.restype} {binding.name}"


def _config_requests(changes: Iterable[SetConfig | ResetConfig]) -> list[ConfigResource]:
    by_topic: dict[str, list[ConfigEntry]] = {}
    for change in changes:
        if isinstance(change, SetConfig):
            entry = ConfigEntry(change.name, change.desired, incremental_operation=AlterConfigOpType.SET)
        else:
            entry = ConfigEntry(change.name, None, incremental_operation=AlterConfigOpType.DELETE)
        by_topic.setdefault(change.topic, []).append(entry)
    return [
        ConfigResource(ResourceType.TOPIC, topic, incremental_configs=entries)
        for topic, entries in by_topic.items()
    ]


def _wait_all(futures: Mapping[str, Future[Any]], action: str, report: Report) -> None:
    failures: list[str] = []
    for topic, future in futures.items():
        try:
            future.result(timeout=TIMEOUT_S)
            report(f"{action} {topic}: done")
        except KafkaException as exc:
            failures.append(f"{action} {topic}: {exc.args[0].str() if exc.args else exc}")
    if failures:
        raise ClusterError("the cluster refused part of the plan:\n  " + "\n  ".join(failures))


def _await_visible(admin: AdminClient, names: set[str]) -> None:
    """Wait until new topics appear in metadata, so an immediate re-plan sees them."""
    deadline = time.monotonic() + TIMEOUT_S
    while not names <= set(_metadata(admin).topics):
        if time.monotonic() > deadline:
            raise ClusterError(f"created topics did not appear in metadata: {sorted(names)}")
        time.sleep(0.2)


def _metadata(admin: AdminClient) -> Any:
    try:
        return admin.list_topics(timeout=TIMEOUT_S)
    except KafkaException as exc:
        raise ClusterError(
            f"cannot read cluster metadata ({exc}): is the broker up (`supplystream stack status`) "
            "and are the Kafka settings right?"
        ) from exc


def _result(future: Future[Any], what: str) -> Any:
    try:
        return future.result(timeout=TIMEOUT_S)
    except KafkaException as exc:
        raise ClusterError(f"{what} failed: {exc}") from exc
