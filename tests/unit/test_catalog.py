"""topics.yaml: the project's own catalog, and the errors a malformed catalog produces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from supplystream.errors import CatalogError, ConfigurationError
from supplystream.paths import default_topics_file
from supplystream.topics.catalog import TopicCatalog, TopicSpec, load_catalog, parse_catalog

#: The consuming applications topics.yaml names, in order of first mention.
PROJECT_CONSUMERS = [
    "atp-processor",
    "odoo-sink",
    "planning-sink",
    "order-router",
    "wms-standin",
    "channel-sink",
]
FOURTEEN_DAYS_MS = "1209600000"
THIRTY_DAYS_MS = "2592000000"


def catalog_text(
    *,
    topic: Sequence[str] = (),
    top: Sequence[str] = (),
    without: str | None = None,
    second_topic: bool = False,
    environments: Sequence[str] = ("  local: {}",),
) -> str:
    """A minimal valid catalog, changed by the arguments.

    ``topic`` lines are added to the first topic entry (stock.moved), ``without`` drops one of its
    keys, ``second_topic`` appends order.placed, ``environments`` replaces the body of
    `environments:` (empty: no such key) and ``top`` lines are added at the top level.
    """
    entry = {
        "name": "stock.moved",
        "description": "Stock moved between locations.",
        "key": "sku|warehouse",
        "value_schemas": "[stock.moved]",
        "owner": "inventory",
        "consumers": "[atp-processor]",
    }
    lines = ["version: 1"]
    if environments:
        lines += ["environments:", *environments]
    lines.append("topics:")
    first = True
    for key, value in entry.items():
        if key == without:
            continue
        lines.append(f"{'  - ' if first else '    '}{key}: {value}")
        first = False
    lines.extend(f"    {line}" for line in topic)
    if second_topic:
        lines += [
            "  - name: order.placed",
            "    description: An order was placed.",
            "    key: order_id",
            "    value_schemas: [order.placed]",
            "    owner: order-management",
        ]
    lines.extend(top)
    return "\n".join(lines) + "\n"


def parse_error(text: str) -> str:
    """The message of the CatalogError that parsing ``text`` raises."""
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    return str(info.value)


def by_name(specs: Sequence[TopicSpec]) -> dict[str, TopicSpec]:
    """Resolved specs keyed by topic name (and no name twice)."""
    names = [spec.name for spec in specs]
    assert len(names) == len(set(names)), f"duplicate topics in {names}"
    return {spec.name: spec for spec in specs}


@pytest.fixture(scope="module")
def project_catalog() -> TopicCatalog:
    """The project's own topics.yaml."""
    return load_catalog(default_topics_file())


# --- the project's topics.yaml ------------------------------------------------------------------


def test_project_catalog_declares_the_event_topics(project_catalog: TopicCatalog) -> None:
    assert [entry.name for entry in project_catalog.topics] == [
        "stock.moved",
        "order.placed",
        "order.allocated",
        "order.backordered",
        "order.cancelled",
        "shipment.confirmed",
        "purchase.received",
        "atp.changed",
        "atp-processor.commands",
        "order-router.replies",
        "supplystream.source-positions",
        "supplystream.quarantine",
    ]
    assert project_catalog.consumers() == PROJECT_CONSUMERS
    assert [e.name for e in project_catalog.topics if e.value_format == "json"] == [
        "atp-processor.commands",
        "order-router.replies",
        "supplystream.source-positions",
        "supplystream.quarantine",
    ]


def test_project_value_subjects_follow_topic_name_strategy(project_catalog: TopicCatalog) -> None:
    for entry in (e for e in project_catalog.topics if e.value_format == "avro"):
        assert entry.value_schemas == [entry.name]
        assert entry.value_subject("io.supplystream.events.X") == f"{entry.name}-value"
        assert project_catalog.compatibility_of(entry) == "FULL_TRANSITIVE"


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        ("topic_name", "stock.moved-value"),
        ("record_name", "io.supplystream.events.StockMoved"),
        ("topic_record_name", "stock.moved-io.supplystream.events.StockMoved"),
    ],
)
def test_subject_strategies(strategy: str, subject: str) -> None:
    catalog = parse_catalog(catalog_text(topic=[f"subject_strategy: {strategy}"]))
    assert catalog.topics[0].value_subject("io.supplystream.events.StockMoved") == subject


def test_several_event_types_need_a_record_strategy() -> None:
    message = parse_error(catalog_text(without="value_schemas", topic=["value_schemas: [a.b, c.d]"]))
    assert "topic 'stock.moved'" in message
    assert "use record_name or topic_record_name" in message


def test_project_catalog_resolves_for_local(project_catalog: TopicCatalog) -> None:
    specs = by_name(project_catalog.resolve("local"))

    atp = specs["atp.changed"]
    assert atp.partitions == 12
    assert atp.replication_factor == 1
    assert atp.configs["cleanup.policy"] == "compact"
    assert atp.configs["retention.ms"] == "-1"
    assert atp.configs["min.insync.replicas"] == "1"
    assert atp.configs["min.compaction.lag.ms"] == "60000"

    assert specs["stock.moved"].partitions == 12
    assert specs["stock.moved"].configs["retention.ms"] == FOURTEEN_DAYS_MS
    assert specs["order.placed"].partitions == 6
    assert specs["order.placed"].configs["retention.ms"] == THIRTY_DAYS_MS
    for spec in specs.values():
        assert spec.replication_factor == 1, spec.name
        assert spec.configs["min.insync.replicas"] == "1", spec.name
        assert spec.configs["compression.type"] == "producer", spec.name


def test_project_catalog_resolves_for_production(project_catalog: TopicCatalog) -> None:
    specs = by_name(project_catalog.resolve("production"))

    atp = specs["atp.changed"]
    assert (atp.partitions, atp.replication_factor) == (12, 3)
    assert atp.configs["cleanup.policy"] == "compact"
    for spec in specs.values():
        assert spec.replication_factor == 3, spec.name
        assert spec.configs["min.insync.replicas"] == "2", spec.name
    # Only atp.changed and the source positions are compacted; the rest keeps delete.
    compacted = {name for name, spec in specs.items() if spec.configs.get("cleanup.policy") == "compact"}
    assert compacted == {"atp.changed", "supplystream.source-positions"}


@pytest.mark.parametrize("environment", ["local", "production"])
def test_project_catalog_has_one_dead_letter_topic_per_consumer(
    project_catalog: TopicCatalog, environment: str
) -> None:
    specs = project_catalog.resolve(environment)
    declared = {entry.name for entry in project_catalog.topics}
    dead_letters = [spec for spec in specs if spec.name not in declared]

    assert [spec.name for spec in dead_letters] == [f"{c}.dlq" for c in PROJECT_CONSUMERS]
    expected_rf = {"local": 1, "production": 3}[environment]
    for spec in dead_letters:
        assert spec.partitions == 3, spec.name
        assert spec.replication_factor == expected_rf, spec.name
        assert spec.configs["retention.ms"] == THIRTY_DAYS_MS, spec.name
        assert "cleanup.policy" not in spec.configs, spec.name
    assert len(specs) == len(declared) + len(PROJECT_CONSUMERS)


def test_project_key_fields(project_catalog: TopicCatalog) -> None:
    assert project_catalog.topic("stock.moved").key_fields == ("sku", "warehouse")
    assert project_catalog.topic("atp.changed").key_fields == ("sku", "warehouse")
    assert project_catalog.topic("order.placed").key_fields == ("order_id",)


def test_topic_lookup_of_an_undeclared_name_raises_key_error(project_catalog: TopicCatalog) -> None:
    with pytest.raises(KeyError, match=r"no\.such\.topic"):
        project_catalog.topic("no.such.topic")


@pytest.mark.parametrize(
    "topic",
    [
        "__consumer_offsets",
        "_schemas",
        "atp-processor-atp-table-changelog",
        "atp-processor-stock.moved-repartition",
        "atp-processor-__assignor-__leader",
        "supplystream_devkit.roundtrip.3f2a",
    ],
)
def test_project_unmanaged_globs_match(project_catalog: TopicCatalog, topic: str) -> None:
    assert project_catalog.is_unmanaged(topic)


@pytest.mark.parametrize(
    "topic",
    ["stock.moved", "atp-processor.dlq", "changelog-archive", "supplystream_devkit.roundtrip", "x_schemas"],
)
def test_project_managed_topics_are_not_unmanaged(project_catalog: TopicCatalog, topic: str) -> None:
    assert not project_catalog.is_unmanaged(topic)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("stock.legacy", True),  # in scope, undeclared
        ("retired-app.dlq", True),
        ("billing.invoices", False),  # another team's topic: outside prune_scope
        ("order.router-table-changelog", False),  # in scope but unmanaged
        ("_schemas", False),
    ],
)
def test_project_may_prune(project_catalog: TopicCatalog, topic: str, expected: bool) -> None:
    assert project_catalog.may_prune(topic) is expected


# --- small catalogs -------------------------------------------------------------------------------


def test_minimal_catalog_resolves_with_defaults() -> None:
    catalog = parse_catalog(catalog_text())

    specs = catalog.resolve("local")

    assert specs == [
        TopicSpec("stock.moved", partitions=6, replication_factor=3, configs={}),
        TopicSpec("atp-processor.dlq", partitions=3, replication_factor=3, configs={}),
    ]


def test_environment_is_applied_last() -> None:
    catalog = parse_catalog(
        catalog_text(
            topic=["replication_factor: 2", "configs:", "  min.insync.replicas: 2"],
            top=[
                "defaults:",
                "  replication_factor: 3",
                "  configs:",
                "    retention.ms: 1000",
            ],
            environments=[
                "  local:",
                "    replication_factor: 1",
                "    configs:",
                "      min.insync.replicas: 1",
                "  production: {}",
            ],
        )
    )

    local = by_name(catalog.resolve("local"))
    production = by_name(catalog.resolve("production"))

    assert local["stock.moved"].replication_factor == 1
    assert local["stock.moved"].configs == {"retention.ms": "1000", "min.insync.replicas": "1"}
    assert production["stock.moved"].replication_factor == 2  # the topic's own, above defaults
    assert production["stock.moved"].configs == {"retention.ms": "1000", "min.insync.replicas": "2"}
    assert production["atp-processor.dlq"].replication_factor == 3


def test_config_values_are_rendered_as_kafka_reports_them() -> None:
    catalog = parse_catalog(
        catalog_text(
            topic=[
                "configs:",
                "  unclean.leader.election.enable: false",
                "  retention.ms: 86400000",
                "  cleanup.policy: compact, delete",
            ]
        )
    )

    assert catalog.topic("stock.moved").configs == {
        "unclean.leader.election.enable": "false",
        "retention.ms": "86400000",
        "cleanup.policy": "compact,delete",
    }


def test_custom_dead_letter_rule() -> None:
    catalog = parse_catalog(catalog_text(top=["dead_letters:", "  name: dlq.{consumer}", "  partitions: 1"]))

    dead_letter = by_name(catalog.resolve("local"))["dlq.atp-processor"]

    assert dead_letter.partitions == 1


def test_key_fields_split_and_strip() -> None:
    catalog = parse_catalog(catalog_text().replace("key: sku|warehouse", "key: ' sku | warehouse '"))

    assert catalog.topic("stock.moved").key_fields == ("sku", "warehouse")


def test_unmanaged_defaults_to_internal_topics() -> None:
    catalog = parse_catalog(catalog_text())

    assert catalog.is_unmanaged("__consumer_offsets")
    assert not catalog.is_unmanaged("stock.moved")


def test_unmanaged_globs_are_case_sensitive() -> None:
    catalog = parse_catalog(catalog_text(top=["unmanaged:", "  - 'Legacy.*'"]))

    assert catalog.is_unmanaged("Legacy.orders")
    assert not catalog.is_unmanaged("legacy.orders")
    assert not catalog.is_unmanaged("_schemas")  # the list replaces the default


# --- malformed catalogs ---------------------------------------------------------------------------


def test_catalog_error_is_a_configuration_error_with_exit_code_2() -> None:
    assert CatalogError.exit_code == 2
    assert issubclass(CatalogError, ConfigurationError)
    with pytest.raises(CatalogError) as info:
        parse_catalog(catalog_text(topic=["partitions: six"]))
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            catalog_text(topic=["partitions: six"]),
            ["topic 'stock.moved'", "field 'partitions'", "'six'"],
            id="wrong-type",
        ),
        pytest.param(
            catalog_text(topic=["partitons: 6"]),
            ["topic 'stock.moved'", "field 'partitons'", "unknown key"],
            id="misspelt-key",
        ),
        pytest.param(
            catalog_text(topic=["configs:", "  retention.msec: 1000"]),
            ["topic 'stock.moved'", "field 'configs'", "'retention.msec'", "did you mean 'retention.ms'"],
            id="bad-config-name",
        ),
        pytest.param(
            catalog_text(topic=["configs:", "  cleanup.policy: forever"]),
            ["topic 'stock.moved'", "field 'configs'", "cleanup.policy", "'forever'"],
            id="bad-cleanup-policy",
        ),
        pytest.param(
            catalog_text(topic=["configs:", "  retention.ms: two weeks"]),
            ["topic 'stock.moved'", "field 'configs'", "retention.ms must be an integer"],
            id="non-integer-config",
        ),
        pytest.param(
            catalog_text(without="owner"),
            ["topic 'stock.moved'", "field 'owner'", "required key is missing"],
            id="missing-key",
        ),
        pytest.param(
            catalog_text(topic=["partitions: 0"]),
            ["topic 'stock.moved'", "field 'partitions'", "(got 0)"],
            id="zero-partitions",
        ),
        pytest.param(
            catalog_text(without="consumers", topic=["consumers: [ATP_Processor]"]),
            ["topic 'stock.moved'", "field 'consumers'", "'ATP_Processor'"],
            id="bad-consumer-name",
        ),
        pytest.param(
            catalog_text(without="key", topic=["key: sku||warehouse"]),
            ["topic 'stock.moved'", "field 'key'", "'sku||warehouse'"],
            id="empty-key-field",
        ),
        pytest.param(
            catalog_text(top=["dead_letters:", "  name: dead-letters"]),
            ["field 'dead_letters.name'", "{consumer}", "'dead-letters'"],
            id="dead-letter-name-without-placeholder",
        ),
        pytest.param(
            catalog_text(top=["defaults:", "  configs:", "    retention.msec: 1"]),
            ["field 'defaults.configs'", "did you mean 'retention.ms'"],
            id="bad-config-name-in-defaults",
        ),
        pytest.param(
            catalog_text().replace("version: 1", "version: 2"),
            ["field 'version'", "(got 2)"],
            id="unsupported-version",
        ),
    ],
)
def test_malformed_catalog_names_topic_and_field(text: str, fragments: list[str]) -> None:
    message = parse_error(text)

    for fragment in fragments:
        assert fragment in message


def test_error_in_a_later_topic_names_that_topic() -> None:
    text = catalog_text(second_topic=True) + "    partitions: six\n"

    message = parse_error(text)

    assert "topic 'order.placed' (topics[1])" in message
    assert "field 'partitions'" in message
    assert "stock.moved" not in message


def test_error_names_the_source_file() -> None:
    with pytest.raises(CatalogError, match=r"^deploy/prod-topics\.yaml is invalid"):
        parse_catalog(catalog_text(topic=["partitions: six"]), source="deploy/prod-topics.yaml")


def test_every_problem_is_reported_at_once() -> None:
    message = parse_error(catalog_text(topic=["partitions: six", "partitons: 6"]))

    assert "field 'partitions'" in message
    assert "field 'partitons'" in message


def test_duplicate_topic_name() -> None:
    text = catalog_text(second_topic=True).replace("name: order.placed", "name: stock.moved")

    message = parse_error(text)

    assert "topic 'stock.moved' (topics[1]), field 'name': duplicate topic" in message
    assert "already declared as topics[0]" in message


def test_declared_topic_clashing_with_a_dead_letter_topic() -> None:
    text = catalog_text(second_topic=True).replace("name: order.placed", "name: atp-processor.dlq")

    message = parse_error(text)

    assert "'atp-processor.dlq'" in message
    assert "'atp-processor'" in message


def test_duplicate_yaml_mapping_key_names_key_and_line() -> None:
    text = catalog_text(topic=["owner: someone-else"])
    line = text.splitlines().index("    owner: someone-else") + 1

    message = parse_error(text)

    assert "duplicate key 'owner'" in message
    assert f"line {line}" in message


def test_duplicate_top_level_key() -> None:
    message = parse_error(catalog_text(top=["version: 1"]))

    assert "duplicate key 'version'" in message


def test_unhashable_yaml_key_is_a_catalog_error() -> None:
    # Valid YAML (a complex mapping key) that no catalog can contain: still a CatalogError, not a
    # TypeError escaping the duplicate-key check.
    with pytest.raises(CatalogError):
        parse_catalog(catalog_text(top=["? [a, b]", ": 1"]))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("topics: [\n", "not valid YAML", id="invalid-yaml"),
        pytest.param("- version: 1\n", "must be a mapping", id="not-a-mapping"),
        pytest.param("", "must be a mapping", id="empty"),
    ],
)
def test_unusable_text(text: str, fragment: str) -> None:
    assert fragment in parse_error(text)


def test_unknown_environment() -> None:
    catalog = parse_catalog(catalog_text())

    with pytest.raises(CatalogError) as info:
        catalog.resolve("staging")

    message = str(info.value)
    assert "'staging'" in message
    assert "declared: local" in message
    assert info.value.exit_code == 2


def test_unknown_environment_without_any_declared() -> None:
    catalog = parse_catalog(catalog_text(environments=()))

    with pytest.raises(CatalogError, match=r"declared: none"):
        catalog.resolve("local")


def test_load_catalog_of_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "topics.yaml"

    with pytest.raises(CatalogError, match=r"cannot read topic catalog") as info:
        load_catalog(missing)

    assert str(missing) in str(info.value)


def test_load_catalog_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(catalog_text(topic=["partitons: 6"]))

    with pytest.raises(CatalogError) as info:
        load_catalog(path)

    assert str(info.value).startswith(f"{path} is invalid")
