"""The processors' configuration file (deploy/processors.yaml): loading, mistakes named, policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from processors.config import ProcessorConfig, load_processor_config
from processors.routing import Line, OrderToRoute, route_order
from supplystream.atp import AtpPolicy
from supplystream.errors import ConfigurationError
from supplystream.paths import project_root

MINIMAL = """\
warehouses:
  - code: WH-A
    cutoff: "18:30"
    safety_stock: 2
  - code: WH-B
    count_inbound: true
    inbound_horizon_days: 3
safety_stock:
  SKU-1|WH-A: 5
  SKU-1|WH-NOWHERE: 1
distances:
  NY: {WH-A: 10, WH-B: 20}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "processors.yaml"
    path.write_text(text)
    return path


def test_the_project_file_loads() -> None:
    config = load_processor_config()
    assert config == load_processor_config(project_root() / "deploy" / "processors.yaml")
    assert config.warehouse_codes == ["WH-EAST", "WH-CENTRAL", "WH-WEST"]
    assert config.warehouses[0].cutoff == dt.time(20, 0)
    assert config.express_priority == 1


def test_the_project_files_distances_cover_every_warehouse() -> None:
    config = load_processor_config()
    for region, table in config.distances.items():
        assert set(table) == set(config.warehouse_codes), region


def test_the_project_file_routes_to_the_nearest_warehouse() -> None:
    policy = load_processor_config().routing_policy()
    at = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    stock = {("SKU-1", code): Decimal(9) for code in ("WH-EAST", "WH-CENTRAL", "WH-WEST")}
    for region, nearest in [("NY", "WH-EAST"), ("TX", "WH-CENTRAL"), ("CA", "WH-WEST")]:
        order = OrderToRoute("SO-1", region, (Line("L1", "SKU-1", Decimal(1)),), at)
        assert [a.warehouse for a in route_order(order, stock, policy).assignments] == [nearest]


def test_a_minimal_file_and_its_defaults(tmp_path: Path) -> None:
    config = load_processor_config(write(tmp_path, MINIMAL))
    assert (config.version, config.company, config.express_priority) == (1, "ACME", 1)
    policy = config.routing_policy()
    assert [(s.code, s.cutoff) for s in policy.sites] == [("WH-A", dt.time(18, 30)), ("WH-B", None)]
    assert policy.distance("NY", "WH-B") == 20
    assert policy.express_priority == 1


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("SKU-1|WH-A", AtpPolicy(safety_stock=Decimal(5)), id="override-wins"),
        pytest.param("SKU-2|WH-A", AtpPolicy(safety_stock=Decimal(2)), id="warehouse-default"),
        pytest.param(
            "SKU-2|WH-B",
            AtpPolicy(count_inbound=True, inbound_horizon=dt.timedelta(days=3)),
            id="inbound-counted-within-the-horizon",
        ),
        pytest.param("SKU-1|WH-NOWHERE", AtpPolicy(safety_stock=Decimal(1)), id="unknown-warehouse-override"),
        pytest.param("SKU-2|WH-NOWHERE", AtpPolicy(), id="unknown-warehouse"),
        pytest.param("A|B|WH-A", AtpPolicy(safety_stock=Decimal(2)), id="bar-in-the-sku"),
    ],
)
def test_policy_for(tmp_path: Path, key: str, expected: AtpPolicy) -> None:
    assert load_processor_config(write(tmp_path, MINIMAL)).policy_for(key) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param("warehouses:\n  - code: A\n  - code: A\n", "warehouses", id="duplicate-codes"),
        pytest.param(
            "warehouses:\n  - code: A\n    colour: red\n", "warehouses.0.colour", id="unknown-field"
        ),
        pytest.param("warehouses:\n  - code: A\ncolour: red\n", "colour", id="unknown-top-level-field"),
        pytest.param("warehouses: []\n", "warehouses", id="no-warehouses"),
        pytest.param("company: ACME\n", "warehouses", id="warehouses-missing"),
        pytest.param("warehouses:\n  - code: ''\n", "warehouses.0.code", id="empty-code"),
        pytest.param(
            "warehouses:\n  - code: A\n    cutoff: '25:00'\n", "warehouses.0.cutoff", id="bad-cutoff"
        ),
        pytest.param(
            "warehouses:\n  - code: A\n    safety_stock: -1\n",
            "warehouses.0.safety_stock",
            id="negative-safety",
        ),
        pytest.param(
            "warehouses:\n  - code: A\n    inbound_horizon_days: 0\n",
            "warehouses.0.inbound_horizon_days",
            id="no-horizon",
        ),
        pytest.param(
            "warehouses:\n  - code: A\nsafety_stock: {SKU|A: lots}\n", "safety_stock.SKU|A", id="bad-override"
        ),
        pytest.param(
            "warehouses:\n  - code: A\ndistances: {NY: {A: far}}\n", "distances.NY.A", id="bad-distance"
        ),
    ],
)
def test_mistakes_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as raised:
        load_processor_config(path)
    message = str(raised.value)
    assert f"{field}:" in message
    assert str(path) in message


def test_duplicate_codes_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"warehouse codes must be unique.*'A', 'A'"):
        load_processor_config(write(tmp_path, "warehouses:\n  - code: A\n  - code: A\n"))


def test_a_missing_file_says_how_to_point_at_another(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SUPPLYSTREAM_PROCESSORS__CONFIG_FILE"):
        load_processor_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("warehouses: [\n", id="invalid-yaml"),
        pytest.param("", id="empty"),
        pytest.param("- 1\n", id="list"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigurationError, match=r"processors\.yaml"):
        load_processor_config(write(tmp_path, text))


def test_the_model_is_frozen() -> None:
    config = ProcessorConfig.model_validate({"warehouses": [{"code": "A"}]})
    with pytest.raises(ValueError, match="frozen"):
        config.company = "OTHER"  # type: ignore[misc]


# -- defects found in processors/ (these fail until it is fixed; see the helper's report) ---------


@pytest.mark.parametrize(
    "cutoff",
    [
        pytest.param("20:00", id="unquoted"),  # YAML 1.1 reads 20:00 as the sexagesimal integer 1200
        pytest.param('"20:00Z"', id="with-a-time-zone"),
    ],
)
def test_a_cutoff_is_read_as_written_or_refused(tmp_path: Path, cutoff: str) -> None:
    path = write(tmp_path, f"warehouses:\n  - code: A\n    cutoff: {cutoff}\n")
    try:
        config = load_processor_config(path)
    except ConfigurationError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "warehouses.0.cutoff:" in refusal
        return
    assert config.warehouses[0].cutoff == dt.time(20, 0)
    # Routing compares it with the naive UTC time of day of the order.
    order = OrderToRoute(
        "SO-1", "NY", (Line("L1", "S", Decimal(1)),), dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    )
    assert route_order(order, {("S", "A"): Decimal(1)}, config.routing_policy()).assignments
