"""plan_topics: the pure diff between the resolved catalog and what a cluster reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

from supplystream.topics.catalog import TopicSpec
from supplystream.topics.plan import (
    AddPartitions,
    CreateTopic,
    DeleteTopic,
    ObservedTopic,
    Refusal,
    ResetConfig,
    SetConfig,
    TopicPlan,
    is_compacted,
    plan_topics,
)

#: Effective configs a broker reports for every topic, whether or not the topic sets them.
BROKER_DEFAULTS = {"segment.bytes": "1073741824", "max.message.bytes": "1048588"}


def spec(name: str = "orders", partitions: int = 6, rf: int = 3, **configs: str) -> TopicSpec:
    """A desired topic; config names use '_' for '.' (retention_ms -> retention.ms)."""
    return TopicSpec(name, partitions, rf, {k.replace("_", "."): v for k, v in configs.items()})


def observed(
    desired: TopicSpec,
    *,
    partitions: int | None = None,
    rf: int | None = None,
    configs: Mapping[str, str] | None = None,
    extra_overrides: Mapping[str, str] | None = None,
) -> ObservedTopic:
    """What a cluster reports for ``desired`` as created by `topics apply`, changed by the arguments.

    ``configs`` replaces the topic's own configs (its overrides); ``extra_overrides`` adds some.
    """
    own = dict(desired.configs if configs is None else configs)
    own.update(extra_overrides or {})
    return ObservedTopic(
        name=desired.name,
        partitions=desired.partitions if partitions is None else partitions,
        replication_factor=desired.replication_factor if rf is None else rf,
        configs={**BROKER_DEFAULTS, **own},
        overrides=frozenset(own),
    )


def not_internal(topic: str) -> bool:
    """A prune predicate: every topic except the broker's internal ones may be deleted."""
    return not topic.startswith("_")


def plan(
    desired: Sequence[TopicSpec],
    cluster: Sequence[ObservedTopic] = (),
    *,
    broker_count: int = 3,
    may_prune: Callable[[str], bool] = not_internal,
    prune: bool = False,
) -> TopicPlan:
    """plan_topics with the observed topics given as a list."""
    return plan_topics(
        desired,
        {topic.name: topic for topic in cluster},
        broker_count=broker_count,
        may_prune=may_prune,
        prune=prune,
    )


def cleanup_policy_changes(result: TopicPlan) -> list[SetConfig | ResetConfig]:
    """Every change in the plan that would touch cleanup.policy."""
    return [
        c for c in result.changes if isinstance(c, SetConfig | ResetConfig) and c.name == "cleanup.policy"
    ]


def test_matching_cluster_gives_an_empty_plan() -> None:
    desired = [
        spec("orders", retention_ms="2592000000", min_insync_replicas="2"),
        spec("atp", 12, cleanup_policy="compact", retention_ms="-1"),
    ]

    result = plan(desired, [observed(s) for s in desired])

    assert result.changes == ()
    assert result.refusals == ()
    assert result.is_empty


def test_missing_topic_is_created() -> None:
    desired = spec("orders", retention_ms="1000")

    result = plan([desired])

    assert result.changes == (CreateTopic(desired),)
    assert result.refusals == ()
    assert not result.is_empty


def test_more_partitions_are_added() -> None:
    desired = spec("orders", partitions=12)

    result = plan([desired], [observed(desired, partitions=6)])

    assert result.changes == (AddPartitions("orders", current=6, desired=12),)
    assert result.refusals == ()


def test_changed_config_is_set() -> None:
    desired = spec("orders", retention_ms="2592000000")

    result = plan([desired], [observed(desired, configs={"retention.ms": "1209600000"})])

    assert result.changes == (SetConfig("orders", "retention.ms", "1209600000", "2592000000"),)
    assert result.refusals == ()


def test_config_the_cluster_lacks_is_set_from_none() -> None:
    desired = spec("orders", min_insync_replicas="2")

    result = plan([desired], [observed(desired, configs={})])

    assert result.changes == (SetConfig("orders", "min.insync.replicas", None, "2"),)


def test_config_equal_to_an_inherited_broker_default_is_not_set() -> None:
    desired = spec("orders", segment_bytes=BROKER_DEFAULTS["segment.bytes"])

    result = plan([desired], [observed(desired, configs={})])

    assert result.is_empty


def test_override_absent_from_the_catalog_is_reset() -> None:
    desired = spec("orders", retention_ms="1000")

    result = plan([desired], [observed(desired, extra_overrides={"segment.ms": "3600000"})])

    assert result.changes == (ResetConfig("orders", "segment.ms", "3600000"),)
    assert result.refusals == ()


def test_inherited_configs_are_not_reset() -> None:
    desired = spec("orders")
    current = observed(desired)
    assert "segment.bytes" in current.configs  # reported, but not set on the topic itself

    assert plan([desired], [current]).is_empty


def test_fewer_partitions_are_refused() -> None:
    desired = spec("orders", partitions=6)

    result = plan([desired], [observed(desired, partitions=12)])

    assert result.changes == ()
    assert len(result.refusals) == 1
    refusal = result.refusals[0]
    assert refusal.topic == "orders"
    assert "6 partitions" in refusal.reason
    assert "12" in refusal.reason
    assert "cannot remove partitions" in refusal.reason


def test_replication_factor_change_is_refused() -> None:
    desired = spec("orders", rf=3)

    result = plan([desired], [observed(desired, rf=2)])

    assert result.changes == ()
    assert [r.topic for r in result.refusals] == ["orders"]
    assert "replication factor 3" in result.refusals[0].reason
    assert "has 2" in result.refusals[0].reason


@pytest.mark.parametrize(
    "cluster_policy",
    [
        pytest.param(None, id="broker-default-delete"),
        pytest.param("delete", id="explicit-delete"),
    ],
)
def test_delete_to_compact_flip_is_refused(cluster_policy: str | None) -> None:
    desired = spec("atp", cleanup_policy="compact", retention_ms="-1")
    own = {"retention.ms": "-1"} | ({} if cluster_policy is None else {"cleanup.policy": cluster_policy})

    result = plan([desired], [observed(desired, configs=own)])

    assert [r.topic for r in result.refusals] == ["atp"]
    assert "compaction and deletion" in result.refusals[0].reason
    assert cleanup_policy_changes(result) == []
    assert result.changes == ()


def test_compact_to_delete_flip_is_refused() -> None:
    desired = spec("atp", cleanup_policy="delete")

    result = plan([desired], [observed(desired, configs={"cleanup.policy": "compact"})])

    assert [r.topic for r in result.refusals] == ["atp"]
    assert "cleanup.policy compact -> delete" in result.refusals[0].reason
    assert cleanup_policy_changes(result) == []
    assert result.changes == ()


def test_dropping_cleanup_policy_from_a_compacted_topic_is_refused_without_reset() -> None:
    # The catalog no longer says `compact`, so the topic would fall back to the broker's delete:
    # the same flip as above. The plan must refuse it and not reset cleanup.policy either, or the
    # plan contains the very change it refuses.
    desired = spec("atp", retention_ms="1000")

    result = plan(
        [desired],
        [observed(desired, configs={"retention.ms": "1000", "cleanup.policy": "compact"})],
    )

    assert [r.topic for r in result.refusals] == ["atp"]
    assert cleanup_policy_changes(result) == []
    assert result.changes == ()


def test_adding_delete_to_a_compacted_topic_is_not_a_flip() -> None:
    desired = spec("atp", cleanup_policy="compact,delete")

    result = plan([desired], [observed(desired, configs={"cleanup.policy": "compact"})])

    assert result.refusals == ()
    assert result.changes == (SetConfig("atp", "cleanup.policy", "compact", "compact,delete"),)


@pytest.mark.parametrize(
    ("policy", "compacted"),
    [("compact", True), ("delete", False), ("compact,delete", True), ("delete, compact", True)],
)
def test_is_compacted(policy: str, compacted: bool) -> None:
    assert is_compacted(policy) is compacted


def test_replication_factor_above_broker_count_is_refused_not_created() -> None:
    desired = spec("orders", rf=3)

    result = plan([desired], broker_count=1)

    assert result.changes == ()
    assert [r.topic for r in result.refusals] == ["orders"]
    assert "needs 3 brokers" in result.refusals[0].reason
    assert "has 1" in result.refusals[0].reason


def test_replication_factor_equal_to_broker_count_is_fine() -> None:
    desired = spec("orders", rf=1)

    assert plan([desired], broker_count=1).changes == (CreateTopic(desired),)


def test_undeclared_topics_are_kept_without_prune() -> None:
    desired = spec("orders")
    legacy = observed(spec("legacy"))

    result = plan([desired], [observed(desired), legacy])

    assert result.is_empty
    assert result.deletions() == ()


def test_prune_deletes_undeclared_topics_only() -> None:
    desired = spec("orders")
    cluster = [observed(desired), observed(spec("legacy")), observed(spec("archive"))]

    result = plan([desired], cluster, prune=True)

    assert result.changes == (DeleteTopic("archive"), DeleteTopic("legacy"))
    assert result.deletions() == (DeleteTopic("archive"), DeleteTopic("legacy"))
    assert result.refusals == ()


def test_prune_never_deletes_what_may_not_be_pruned() -> None:
    desired = spec("orders")
    cluster = [
        observed(desired),
        observed(spec("__consumer_offsets", partitions=50)),
        observed(spec("_schemas", partitions=1)),
        observed(spec("legacy")),
    ]
    asked: list[str] = []

    def may_prune(topic: str) -> bool:
        asked.append(topic)
        return not_internal(topic)

    result = plan([desired], cluster, prune=True, may_prune=may_prune)

    assert result.deletions() == (DeleteTopic("legacy"),)
    assert "orders" not in asked  # declared topics are never candidates


def test_prune_with_nothing_prunable() -> None:
    desired = spec("orders")

    result = plan(
        [desired], [observed(desired), observed(spec("legacy"))], prune=True, may_prune=lambda _: False
    )

    assert result.is_empty


def test_plan_is_sorted_by_topic_name() -> None:
    desired = [spec("c.topic"), spec("a.topic"), spec("b.topic", partitions=12)]
    cluster = [observed(spec("b.topic"))]

    result = plan(desired, cluster)

    assert result.changes == (
        CreateTopic(desired[1]),
        AddPartitions("b.topic", 6, 12),
        CreateTopic(desired[0]),
    )


def test_refusals_and_deletions_are_sorted_by_topic_name() -> None:
    desired = [spec("z.topic", partitions=1), spec("m.topic", partitions=1)]
    cluster = [
        observed(desired[0], partitions=2),
        observed(desired[1], partitions=2),
        observed(spec("y.old")),
        observed(spec("b.old")),
    ]

    result = plan(desired, cluster, prune=True)

    assert [r.topic for r in result.refusals] == ["m.topic", "z.topic"]
    assert result.deletions() == (DeleteTopic("b.old"), DeleteTopic("y.old"))


def test_plan_does_not_depend_on_input_order() -> None:
    desired = [spec("b", 12, retention_ms="1"), spec("a", rf=2), spec("c")]
    cluster = [observed(spec("b")), observed(spec("a")), observed(spec("old"))]

    forward = plan(desired, cluster, prune=True)
    backward = plan(desired[::-1], cluster[::-1], prune=True)

    assert forward == backward
    assert not forward.is_empty


@pytest.mark.parametrize(
    ("item", "prefix", "text"),
    [
        (CreateTopic(spec("orders", 6, 3, retention_ms="1000")), "+", "create orders"),
        (AddPartitions("orders", 6, 12), "~", "partitions 6 -> 12"),
        (SetConfig("orders", "retention.ms", "1", "2"), "~", "retention.ms 1 -> 2"),
        (ResetConfig("orders", "segment.ms", "3600000"), "~", "segment.ms 3600000 -> (broker default"),
        (DeleteTopic("orders"), "-", "delete orders"),
        (Refusal("orders", "no can do"), "!", "orders: no can do"),
    ],
)
def test_describe_lines(
    item: CreateTopic | AddPartitions | SetConfig | ResetConfig | DeleteTopic | Refusal,
    prefix: str,
    text: str,
) -> None:
    line = item.describe()

    assert line.startswith(f"{prefix} ")
    assert text in line
    assert "\n" not in line


def test_create_describe_lists_partitions_replication_and_sorted_configs() -> None:
    item = CreateTopic(spec("atp", 12, 3, segment_ms="3600000", cleanup_policy="compact"))

    assert item.describe() == (
        "+ create atp: 12 partitions, replication factor 3, cleanup.policy=compact, segment.ms=3600000"
    )
