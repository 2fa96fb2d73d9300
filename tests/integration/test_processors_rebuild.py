"""The ATP rebuild after a configuration fix, against a real broker (a private stack of its own).

After two units of safety stock were configured everywhere, `supplystream processors rebuild atp`
publishes exactly one record per changed position with a higher version, the published figures equal
the recomputation under the new configuration, and workers restarted on the rebuilt table count later
events once and earlier ones not again. Its own module, so its stack carries no other test's groups.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from processors.config import load_processor_config
from producers.simulator import Simulation, SimulationConfig
from supplystream.kafka_io import record_count
from supplystream.paths import project_root
from supplystream.publisher import Publisher
from supplystream_devkit.processor_workers import Worker
from tests.conftest import supplystream_cli
from tests.integration.conftest import FreshStack
from tests.integration.test_processors import (
    _caught_up,
    _check_atp_equals_recomputation,
    _decoder,
    _latest,
)

pytestmark = pytest.mark.integration


def test_rebuild_after_a_configuration_fix(
    fresh_stack: FreshStack, workers: dict[str, Worker], tmp_path: Path
) -> None:
    settings = fresh_stack.settings
    simulation = Simulation(seed=23, config=SimulationConfig(sku_count=15, flows_per_second=0.5))
    with Publisher.from_settings(settings) as publisher:
        publisher.publish_all(itertools.islice(simulation, 1500), timeout_s=120)
    atp, router = workers["atp"], workers["router"]
    atp.start()
    router.start()
    _caught_up(settings, atp, router)
    assert atp.stop() == 0
    assert router.stop() == 0

    # The fix: two units of safety stock at every warehouse.
    fixed = yaml.safe_load((project_root() / "deploy" / "processors.yaml").read_text())
    for warehouse in fixed["warehouses"]:
        warehouse["safety_stock"] = 2
    config_file = tmp_path / "processors.yaml"
    config_file.write_text(yaml.safe_dump(fixed))
    env = {
        **fresh_stack.env,
        "SUPPLYSTREAM_PROCESSORS__CONFIG_FILE": str(config_file),
        "SUPPLYSTREAM_PROCESSORS__DATA_DIR": atp.env["SUPPLYSTREAM_PROCESSORS__DATA_DIR"],
    }
    decode, registry = _decoder(fresh_stack)
    try:
        before = _latest(settings, decode)
        records_before = record_count(settings, "atp.changed")
        dry = supplystream_cli("processors", "rebuild", "atp", "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert "dry run: nothing written" in dry.stdout
        assert record_count(settings, "atp.changed") == records_before

        done = supplystream_cli("processors", "rebuild", "atp", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not (Path(env["SUPPLYSTREAM_PROCESSORS__DATA_DIR"]) / "atp-processor").exists()
        after = _latest(settings, decode)
        config = load_processor_config(config_file)
        _check_atp_equals_recomputation(settings, decode, config)
        changed = [key for key in after if after[key][1] != before.get(key, (0, None))[1]]
        assert changed, "a safety stock of 2 changed no position"
        for key in changed:
            assert after[key][0] > before[key][0], f"{key}: the rebuild did not raise the version"
        assert record_count(settings, "atp.changed") - records_before == len(changed), (
            "the rebuild published something other than one final value per changed position"
        )

        # The workers resume on the rebuilt table: later events count once, earlier ones not again.
        atp.extra_env["SUPPLYSTREAM_PROCESSORS__CONFIG_FILE"] = str(config_file)
        router.extra_env["SUPPLYSTREAM_PROCESSORS__CONFIG_FILE"] = str(config_file)
        atp.start()
        router.start()
        with Publisher.from_settings(settings) as publisher:
            later = Simulation(seed=29, config=SimulationConfig(sku_count=15, flows_per_second=0.5))
            publisher.publish_all(itertools.islice(later, 500), timeout_s=120)
        _caught_up(settings, atp, router)
        _check_atp_equals_recomputation(settings, decode, config)
    finally:
        registry.close()
