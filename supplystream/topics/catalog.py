"""topics.yaml: the single source of truth for topics, keys, subjects, owners and consumers.

`load_catalog` validates the file with pydantic and turns every problem into a `CatalogError` that
names the topic and the field. `TopicCatalog.resolve` gives the concrete topics for one environment,
dead-letter topics included.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from supplystream.errors import CatalogError
from supplystream.topics.acls import AclRule, AclSpec, bindings_for
from supplystream.yaml_files import load_yaml_model, parse_yaml_model

#: Topic-level configuration names Kafka 4.x accepts (org.apache.kafka.common.config.TopicConfig).
KAFKA_TOPIC_CONFIGS = frozenset(
    {
        "cleanup.policy", "compression.type", "compression.gzip.level", "compression.lz4.level",
        "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
        "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
        "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
        "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.after.max.ms",
        "message.timestamp.before.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio",
        "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "remote.storage.enable",
        "remote.log.copy.disable", "remote.log.delete.on.disable", "retention.bytes",
        "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
        "unclean.leader.election.enable",
    }
)  # fmt: skip
_CLEANUP_POLICIES = frozenset({"delete", "compact", "compact,delete", "delete,compact"})
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_CONSUMER_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def _normalise_configs(value: object) -> object:
    """Check names against Kafka's topic configs; render values the way Kafka reports them."""
    if not isinstance(value, dict):
        return value  # the dict[str, str] type check reports it
    configs: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(raw, str | int | float | bool):
            # pydantic turns ValueError (not TypeError) into a validation error with a location.
            raise ValueError(f"{name}: a config value is a string, number or boolean")  # noqa: TRY004
        if name not in KAFKA_TOPIC_CONFIGS:
            close = difflib.get_close_matches(name, sorted(KAFKA_TOPIC_CONFIGS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown Kafka topic config {name!r}{hint}")
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if name == "cleanup.policy" and text.replace(" ", "") not in _CLEANUP_POLICIES:
            raise ValueError(f"cleanup.policy must be delete, compact or compact,delete, not {text!r}")
        if name.endswith((".ms", ".bytes", ".messages", ".replicas")) and not name.endswith(
            "throttled.replicas"
        ):
            try:
                int(text)
            except ValueError:
                raise ValueError(f"{name} must be an integer, not {text!r}") from None
        configs[name] = text.replace(" ", "") if name == "cleanup.policy" else text
    return configs


SubjectStrategy = Literal["topic_name", "record_name", "topic_record_name"]
Compatibility = Literal[
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
]

#: Kafka topic configs: names checked, values rendered as Kafka reports them (strings).
KafkaConfigs = Annotated[dict[str, str], BeforeValidator(_normalise_configs)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    """Applied to every topic unless the topic says otherwise."""

    #: Compatibility level of value subjects. FULL_TRANSITIVE by default: subscribers upgrade
    #: independently, and a replay reads data of every age.
    compatibility: Compatibility = "FULL_TRANSITIVE"
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=3, ge=1)
    configs: KafkaConfigs = Field(default_factory=dict)


class Environment(_Strict):
    """Overrides for one deployment (``local``, ``production``, ...), applied last."""

    replication_factor: int | None = Field(default=None, ge=1)
    configs: KafkaConfigs = Field(default_factory=dict)
    #: Apply the catalog's `acls:` here; false for clusters without an authorizer (the local stack).
    acls: bool = True


class DeadLetterRule(_Strict):
    """How dead-letter topics are named and shaped: one per consuming application."""

    name: str = "{consumer}.dlq"
    partitions: int = Field(default=3, ge=1)
    configs: KafkaConfigs = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{consumer}" not in value:
            raise ValueError("must contain the placeholder {consumer}")
        return value

    def topic_for(self, consumer: str) -> str:
        """The dead-letter topic of ``consumer``."""
        return self.name.format(consumer=consumer)


class TopicEntry(_Strict):
    """One topic as declared in topics.yaml."""

    name: str
    description: str
    #: Payload fields joined by ``|`` that form the record key, e.g. ``sku|warehouse``.
    key: str
    #: Event types carried as values: each is ``schemas/<event type>.avsc``.
    value_schemas: list[str] = Field(default_factory=list)
    #: ``avro`` (Confluent wire format, the default) or ``json`` for the platform's own
    #: bookkeeping topics (source positions, quarantine), which carry no business event.
    value_format: Literal["avro", "json"] = "avro"
    #: How value subjects are named (Confluent's strategies): ``topic_name`` gives
    #: ``<topic>-value``; topics carrying several event types use ``record_name``
    #: (``<record full name>``) or ``topic_record_name`` (``<topic>-<record full name>``).
    subject_strategy: SubjectStrategy = "topic_name"
    #: Compatibility level of the value subjects; the catalog's default when unset.
    compatibility: Compatibility | None = None
    owner: str
    consumers: list[str] = Field(default_factory=list)
    partitions: int | None = Field(default=None, ge=1)
    replication_factor: int | None = Field(default=None, ge=1)
    configs: KafkaConfigs = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _legal_topic_name(cls, value: str) -> str:
        if not _TOPIC_NAME.match(value) or value in {".", ".."}:
            raise ValueError("a topic name is 1-249 characters of letters, digits, '.', '_' and '-'")
        return value

    @field_validator("key")
    @classmethod
    def _key_fields(cls, value: str) -> str:
        if not all(part.strip() for part in value.split("|")):
            raise ValueError("must name payload fields joined by '|', e.g. 'sku|warehouse'")
        return value

    @field_validator("consumers")
    @classmethod
    def _consumer_names(cls, value: list[str]) -> list[str]:
        for consumer in value:
            if not _CONSUMER_NAME.match(consumer):
                raise ValueError(f"consumer {consumer!r} must be lower-case letters, digits and '-'")
        return value

    @model_validator(mode="after")
    def _avro_topics_name_their_schemas(self) -> TopicEntry:
        if self.value_format == "avro" and not self.value_schemas:
            raise ValueError("an avro topic lists its event types in value_schemas")
        if self.value_format == "json" and self.value_schemas:
            raise ValueError("a json topic carries no Avro value_schemas")
        return self

    @model_validator(mode="after")
    def _one_schema_per_topic_name_subject(self) -> TopicEntry:
        if self.subject_strategy == "topic_name" and len(self.value_schemas) > 1:
            raise ValueError(
                "subject_strategy topic_name gives one subject per topic, but value_schemas lists "
                f"{len(self.value_schemas)} event types: use record_name or topic_record_name"
            )
        return self

    def value_subject(self, record_full_name: str) -> str:
        """The registry subject for values of this topic written with ``record_full_name``."""
        if self.subject_strategy == "topic_name":
            return f"{self.name}-value"
        if self.subject_strategy == "record_name":
            return record_full_name
        return f"{self.name}-{record_full_name}"

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The payload fields that make up the key, in order."""
        return tuple(part.strip() for part in self.key.split("|"))


@dataclass(frozen=True)
class TopicSpec:
    """A topic as it should exist on one cluster: the catalog resolved for an environment."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]


class TopicCatalog(_Strict):
    """The whole of topics.yaml."""

    version: int = Field(ge=1, le=1)
    defaults: Defaults = Defaults()
    environments: dict[str, Environment] = Field(default_factory=dict)
    dead_letters: DeadLetterRule = DeadLetterRule()
    #: Glob patterns of topics the catalog never touches (internal, framework-managed).
    unmanaged: list[str] = Field(default_factory=lambda: ["_*"])
    #: Glob patterns of topics this catalog owns: `--prune` deletes only undeclared topics that
    #: match one, so other teams' topics on a shared cluster are never candidates.
    prune_scope: list[str] = Field(default_factory=lambda: ["*"])
    topics: list[TopicEntry]
    #: Who may produce to and consume from which topic (optional; applied by `topics apply`).
    acls: list[AclRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _acls_name_known_topics(self) -> TopicCatalog:
        known = {entry.name for entry in self.topics}
        known |= {self.dead_letters.topic_for(consumer) for consumer in self.consumers()}
        for rule in self.acls:
            unknown = sorted(set(rule.consume + rule.produce) - known)
            if unknown:
                raise ValueError(
                    f"acls entry {rule.principal!r} names undeclared topic(s) {', '.join(unknown)}: "
                    "declare them under `topics:` or fix the names"
                )
        return self

    def acl_bindings(self, environment: str) -> list[AclSpec]:
        """The ACL bindings to apply in ``environment`` (none where the environment sets ``acls: false``)."""
        env = self.environments.get(environment)
        if env is not None and not env.acls:
            return []
        return bindings_for(self.acls)

    @model_validator(mode="after")
    def _unique_names(self) -> TopicCatalog:
        seen: set[str] = set()
        for entry in self.topics:
            if entry.name in seen:
                raise ValueError(f"duplicate topic {entry.name!r}: each topic is declared once")
            seen.add(entry.name)
        for consumer in self.consumers():
            dlq = self.dead_letters.topic_for(consumer)
            if dlq in seen:
                raise ValueError(f"dead-letter topic {dlq!r} of {consumer!r} clashes with a declared topic")
        return self

    def topic(self, name: str) -> TopicEntry:
        """The declared topic called ``name``."""
        for entry in self.topics:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def partitions_of(self, name: str) -> int:
        """The partition count topics.yaml gives ``name`` (its own, else the default)."""
        return self.topic(name).partitions or self.defaults.partitions

    def compatibility_of(self, entry: TopicEntry) -> Compatibility:
        """The compatibility level of ``entry``'s value subjects."""
        return entry.compatibility or self.defaults.compatibility

    def consumers(self) -> list[str]:
        """Every consuming application named in the catalog, in order of first mention."""
        return list(dict.fromkeys(c for entry in self.topics for c in entry.consumers))

    def is_unmanaged(self, topic: str) -> bool:
        """True for topics the catalog never creates, changes or prunes."""
        return any(fnmatch.fnmatchcase(topic, pattern) for pattern in self.unmanaged)

    def may_prune(self, topic: str) -> bool:
        """True for an undeclared topic that `--prune` may delete: in scope and managed."""
        in_scope = any(fnmatch.fnmatchcase(topic, pattern) for pattern in self.prune_scope)
        return in_scope and not self.is_unmanaged(topic)

    def resolve(self, environment: str) -> list[TopicSpec]:
        """Concrete topics for ``environment``: declared ones, then one dead-letter topic per consumer."""
        if environment not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise CatalogError(
                f"environment {environment!r} is not declared in topics.yaml (declared: {known}); "
                "set SUPPLYSTREAM_ENVIRONMENT or add it under `environments:`"
            )
        env = self.environments[environment]
        default_rf = env.replication_factor or self.defaults.replication_factor
        specs = [
            TopicSpec(
                name=entry.name,
                partitions=entry.partitions or self.defaults.partitions,
                replication_factor=env.replication_factor or entry.replication_factor or default_rf,
                configs={**self.defaults.configs, **entry.configs, **env.configs},
            )
            for entry in self.topics
        ]
        specs.extend(
            TopicSpec(
                name=self.dead_letters.topic_for(consumer),
                partitions=self.dead_letters.partitions,
                replication_factor=default_rf,
                configs={**self.defaults.configs, **self.dead_letters.configs, **env.configs},
            )
            for consumer in self.consumers()
        )
        return specs


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                raise CatalogError(
                    f"line {key_node.start_mark.line + 1}: mapping keys must be plain names, not {key!r}"
                )
            if key in seen:
                raise CatalogError(
                    f"duplicate key {key!r} at line {key_node.start_mark.line + 1}: each key appears once"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_catalog(text: str, source: str = "topics.yaml") -> TopicCatalog:
    """Validate catalog text; every problem names the topic and the field."""
    return parse_yaml_model(
        text,
        TopicCatalog,
        source,
        error=CatalogError,
        describe=_describe,
        bulleted=True,
        loader=_UniqueKeyLoader,
        check=_catalog_check(source),
    )


def _catalog_check(source: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        if not isinstance(data, dict):
            raise CatalogError(f"{source} must be a mapping with `version` and `topics`", source=source)
        _refuse_duplicate_topics(data, source)

    return check


def _refuse_duplicate_topics(data: dict[str, Any], source: str) -> None:
    """Name the second declaration of a topic by its index (the model check cannot)."""
    first_index: dict[str, int] = {}
    topics = data.get("topics")
    for index, raw in enumerate(topics if isinstance(topics, list) else []):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            continue
        if name in first_index:
            raise CatalogError(
                f"{source} is invalid:\n  - topic {name!r} (topics[{index}]), field 'name': duplicate "
                f"topic, already declared as topics[{first_index[name]}]; declare each topic once"
            )
        first_index[name] = index


def load_catalog(path: Path) -> TopicCatalog:
    """Read and validate a topics.yaml file."""
    return load_yaml_model(
        path,
        TopicCatalog,
        "topic catalog",
        error=CatalogError,
        describe=_describe,
        bulleted=True,
        loader=_UniqueKeyLoader,
        check=_catalog_check(str(path)),
    )


def _describe(error: Any, data: dict[str, Any]) -> str:
    """Render one pydantic error as 'topic X, field Y: problem'."""
    loc = list(error["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "topics" and isinstance(loc[1], int):
        topics = data.get("topics") or []
        raw = topics[loc[1]] if loc[1] < len(topics) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"topic {name!r} (topics[{loc[1]}])" if name else f"topics[{loc[1]}]"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling against topics.yaml's documented keys)"
    elif error["type"] == "missing":
        message = "required key is missing"
    got = error.get("input")
    if error["type"] not in {"missing", "extra_forbidden"} and not isinstance(got, dict | list):
        message += f" (got {got!r})"
    parts = [part for part in (where, f"field {field!r}" if field else "") if part]
    return f"{', '.join(parts) or 'file'}: {message}"
