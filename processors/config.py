"""The processors' business configuration file (deploy/processors.yaml), checked at start-up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from processors.routing import RoutingPolicy, Site
from supplystream.atp import AtpPolicy
from supplystream.paths import project_root
from supplystream.yaml_files import load_yaml_model

DEFAULT_FILE = Path("deploy/processors.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseConfig(_Model):
    """A warehouse: its cut-off (UTC, "HH:MM") and how it promises."""

    code: str = Field(min_length=1)
    cutoff: dt.time | None = None

    @field_validator("cutoff", mode="before")
    @classmethod
    def _cutoff_as_written(cls, value: object) -> object:
        if value is None or isinstance(value, dt.time):
            return value
        if not isinstance(value, str):
            unquoted = 'write the cut-off in quotes, e.g. "20:00" (YAML reads 20:00 unquoted as a number)'
            raise ValueError(unquoted)  # noqa: TRY004 - pydantic reports ValueErrors as the field's error
        parsed = dt.time.fromisoformat(value)
        if parsed.tzinfo is not None:
            raise ValueError('cut-offs are UTC: write them without a zone, e.g. "20:00"')
        return parsed

    safety_stock: Decimal = Field(default=Decimal(0), ge=0)
    count_inbound: bool = False
    inbound_horizon_days: float = Field(default=7.0, gt=0)


class ProcessorConfig(_Model):
    """The whole file."""

    version: int = 1
    #: The company named in the events the processors publish.
    company: str = "ACME"
    warehouses: list[WarehouseConfig] = Field(min_length=1)
    #: ``sku|warehouse`` -> safety stock, overriding the warehouse's default.
    safety_stock: dict[str, Decimal] = Field(default_factory=dict)
    express_priority: int = 1
    distances: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("warehouses")
    @classmethod
    def _unique(cls, warehouses: list[WarehouseConfig]) -> list[WarehouseConfig]:
        codes = [w.code for w in warehouses]
        if len(set(codes)) != len(codes):
            raise ValueError(f"warehouse codes must be unique, got {codes}")
        return warehouses

    @property
    def warehouse_codes(self) -> list[str]:
        return [w.code for w in self.warehouses]

    def policy_for(self, key: str) -> AtpPolicy:
        """The ATP policy of ``sku|warehouse``."""
        _, _, code = key.rpartition("|")
        warehouse = next((w for w in self.warehouses if w.code == code), None)
        if warehouse is None:
            return AtpPolicy(safety_stock=self.safety_stock.get(key, Decimal(0)))
        return AtpPolicy(
            safety_stock=self.safety_stock.get(key, warehouse.safety_stock),
            count_inbound=warehouse.count_inbound,
            inbound_horizon=dt.timedelta(days=warehouse.inbound_horizon_days),
        )

    def routing_policy(self) -> RoutingPolicy:
        """The routing policy these warehouses and distances make."""
        return RoutingPolicy(
            sites=tuple(Site(w.code, w.cutoff) for w in self.warehouses),
            distances=self.distances,
            express_priority=self.express_priority,
        )


def load_processor_config(path: Path | None = None) -> ProcessorConfig:
    """Read and check the file (default: the project's deploy/processors.yaml)."""
    return load_yaml_model(
        path or project_root() / DEFAULT_FILE,
        ProcessorConfig,
        "the processors' configuration",
        hint="set SUPPLYSTREAM_PROCESSORS__CONFIG_FILE to an existing file",
    )
