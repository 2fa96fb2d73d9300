"""The difference between topics.yaml and a cluster, as plain data. No Kafka in here.

`plan_topics` compares the catalog resolved for an environment with what the cluster reports and
returns the changes to make, plus the changes it refuses because Kafka cannot make them safely:
fewer partitions, a different replication factor, or flipping a topic between compact and delete.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from supplystream.topics.acls import CreateAcl, DeleteAcl
from supplystream.topics.catalog import TopicSpec

#: What the broker applies to a topic without its own cleanup.policy (log.cleanup.policy default).
DEFAULT_CLEANUP_POLICY = "delete"


@dataclass(frozen=True)
class ObservedTopic:
    """A topic as the cluster reports it."""

    name: str
    partitions: int
    replication_factor: int
    #: Effective value of every topic config.
    configs: Mapping[str, str]
    #: The configs set on this topic itself (source DYNAMIC_TOPIC_CONFIG), not inherited.
    overrides: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CreateTopic:
    """A declared topic the cluster does not have."""

    spec: TopicSpec

    def describe(self) -> str:
        """One line for the plan output."""
        configs = ", ".join(f"{k}={v}" for k, v in sorted(self.spec.configs.items()))
        return (
            f"+ create {self.spec.name}: {self.spec.partitions} partitions, "
            f"replication factor {self.spec.replication_factor}" + (f", {configs}" if configs else "")
        )


@dataclass(frozen=True)
class AddPartitions:
    """More partitions for an existing topic (keys move to new partitions from then on)."""

    topic: str
    current: int
    desired: int

    def describe(self) -> str:
        """One line for the plan output."""
        return f"~ {self.topic}: partitions {self.current} -> {self.desired}"


@dataclass(frozen=True)
class SetConfig:
    """A topic config whose value differs from the catalog's."""

    topic: str
    name: str
    current: str | None
    desired: str

    def describe(self) -> str:
        """One line for the plan output."""
        return f"~ {self.topic}: {self.name} {self.current} -> {self.desired}"


@dataclass(frozen=True)
class ResetConfig:
    """A config set on the topic but absent from the catalog: back to the broker default."""

    topic: str
    name: str
    current: str

    def describe(self) -> str:
        """One line for the plan output."""
        return f"~ {self.topic}: {self.name} {self.current} -> (broker default; not in topics.yaml)"


@dataclass(frozen=True)
class DeleteTopic:
    """A topic on the cluster that the catalog does not declare (only with --prune)."""

    topic: str

    def describe(self) -> str:
        """One line for the plan output."""
        return f"- delete {self.topic} (not in topics.yaml)"


@dataclass(frozen=True)
class Refusal:
    """A change the catalog asks for that Kafka cannot make safely."""

    topic: str
    reason: str

    def describe(self) -> str:
        """One line for the plan output."""
        return f"! {self.topic}: {self.reason}"


Change = CreateTopic | AddPartitions | SetConfig | ResetConfig | DeleteTopic | CreateAcl | DeleteAcl


@dataclass(frozen=True)
class TopicPlan:
    """Everything `topics apply` would do, and what it refuses to do."""

    changes: tuple[Change, ...]
    refusals: tuple[Refusal, ...]

    @property
    def is_empty(self) -> bool:
        """True when the cluster already matches the catalog."""
        return not self.changes and not self.refusals

    def deletions(self) -> tuple[DeleteTopic, ...]:
        """The topics this plan deletes."""
        return tuple(c for c in self.changes if isinstance(c, DeleteTopic))

    def revocations(self) -> tuple[DeleteAcl, ...]:
        """The ACL bindings this plan deletes."""
        return tuple(c for c in self.changes if isinstance(c, DeleteAcl))


def is_compacted(cleanup_policy: str) -> bool:
    """True when a cleanup.policy value includes compaction."""
    return "compact" in cleanup_policy.replace(" ", "").split(",")


def plan_topics(
    desired: Sequence[TopicSpec],
    observed: Mapping[str, ObservedTopic],
    *,
    broker_count: int,
    may_prune: Callable[[str], bool],
    prune: bool = False,
) -> TopicPlan:
    """Compare the resolved catalog with the cluster; pure, deterministic (sorted by topic)."""
    changes: list[Change] = []
    refusals: list[Refusal] = []
    for spec in sorted(desired, key=lambda s: s.name):
        if spec.replication_factor > broker_count:
            refusals.append(
                Refusal(
                    spec.name,
                    f"replication factor {spec.replication_factor} needs {spec.replication_factor} "
                    f"brokers but the cluster has {broker_count}: pick an environment whose "
                    "replication_factor fits (SUPPLYSTREAM_ENVIRONMENT, `environments:` in topics.yaml)",
                )
            )
            continue
        current = observed.get(spec.name)
        if current is None:
            changes.append(CreateTopic(spec))
            continue
        topic_changes, topic_refusals = _plan_existing(spec, current)
        changes.extend(topic_changes)
        refusals.extend(topic_refusals)
    if prune:
        declared = {spec.name for spec in desired}
        changes.extend(
            DeleteTopic(name) for name in sorted(observed) if name not in declared and may_prune(name)
        )
    return TopicPlan(tuple(changes), tuple(refusals))


def _plan_existing(spec: TopicSpec, current: ObservedTopic) -> tuple[list[Change], list[Refusal]]:
    changes: list[Change] = []
    refusals: list[Refusal] = []
    if spec.partitions < current.partitions:
        refusals.append(
            Refusal(
                spec.name,
                f"topics.yaml asks for {spec.partitions} partitions but the topic has "
                f"{current.partitions}: Kafka cannot remove partitions. Restore {current.partitions} "
                "in topics.yaml, or create a new topic and migrate to it.",
            )
        )
    elif spec.partitions > current.partitions:
        changes.append(AddPartitions(spec.name, current.partitions, spec.partitions))
    if spec.replication_factor != current.replication_factor:
        refusals.append(
            Refusal(
                spec.name,
                f"topics.yaml asks for replication factor {spec.replication_factor} but the topic has "
                f"{current.replication_factor}: that is a partition reassignment "
                "(kafka-reassign-partitions), which `topics apply` does not do.",
            )
        )
    desired_policy = spec.configs.get("cleanup.policy", DEFAULT_CLEANUP_POLICY)
    current_policy = current.configs.get("cleanup.policy", DEFAULT_CLEANUP_POLICY)
    flips = is_compacted(desired_policy) != is_compacted(current_policy)
    if flips:
        refusals.append(
            Refusal(
                spec.name,
                f"cleanup.policy {current_policy} -> {desired_policy} flips the topic between "
                "compaction and deletion, which changes what consumers can replay. Create a new "
                "topic with the new policy and migrate to it.",
            )
        )
    for name, value in sorted(spec.configs.items()):
        if name == "cleanup.policy" and flips:
            continue
        if current.configs.get(name) != value:
            changes.append(SetConfig(spec.name, name, current.configs.get(name), value))
    changes.extend(
        ResetConfig(spec.name, name, current.configs.get(name, ""))
        for name in sorted(current.overrides - spec.configs.keys())
        if not (name == "cleanup.policy" and flips)  # the refusal above already covers it
    )
    return changes, refusals
