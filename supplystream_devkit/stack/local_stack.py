"""`stack up | down | status`: the components in dependency order, under one lock.

PostgreSQL, Kafka, the schema registry and the Odoo 17 stand-in always; with ``with_odoo`` a real
Odoo 11 (supplystream_devkit/stack/odoo11.py) is started after them.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from supplystream.settings import StackSettings
from supplystream_devkit.stack.kafka_broker import KafkaBroker
from supplystream_devkit.stack.layout import Component, ComponentStatus, Report, StackLayout
from supplystream_devkit.stack.odoo11 import Odoo11
from supplystream_devkit.stack.odoo_standin import OdooStandin
from supplystream_devkit.stack.postgres import PostgresCluster
from supplystream_devkit.stack.registry import SchemaRegistry


class LocalStack:
    """PostgreSQL, Kafka, the registry (its storage is PostgreSQL), the Odoo stand-in; stopped in reverse.

    ``with_odoo`` adds Odoo 11 last (it needs PostgreSQL). `down` stops Odoo 11 whenever it runs,
    and `status` shows it once installed, whether or not this stack was made ``with_odoo``.
    """

    def __init__(self, settings: StackSettings, *, with_odoo: bool = False) -> None:
        self.settings = settings
        self.layout = StackLayout(settings.root)
        self.postgres = PostgresCluster(settings, self.layout)
        self.kafka = KafkaBroker(settings, self.layout)
        self.registry = SchemaRegistry(settings, self.layout)
        self.odoo_standin = OdooStandin(settings, self.layout)
        self.odoo11 = Odoo11(settings, self.layout)
        self.components: tuple[Component, ...] = (self.postgres, self.kafka, self.registry, self.odoo_standin)
        if with_odoo:
            self.components = (*self.components, self.odoo11)

    def up(self, report: Report) -> list[ComponentStatus]:
        """Start what is not running and wait until every component answers. Idempotent."""
        with self._lock():
            for component in self.components:
                started = component.start(report)
                component.wait_ready(self.settings.start_timeout_s)
                report(f"{component.name}: {'started' if started else 'already running'}")
            return self.status()

    def down(self, report: Report) -> None:
        """Stop exactly the processes this stack started."""
        with self._lock():
            for component in reversed(self._known()):
                stopped = component.stop()
                report(f"{component.name}: {'stopped' if stopped else 'was not running'}")

    def status(self) -> list[ComponentStatus]:
        """Probe every component (and Odoo 11 once installed)."""
        return [component.status() for component in self._known()]

    def is_up(self) -> bool:
        """True when every component this stack starts runs and answers."""
        return all(component.status().state == "running" for component in self.components)

    def _known(self) -> tuple[Component, ...]:
        """The components plus Odoo 11 when it is installed or running but not one of them."""
        if self.odoo11 not in self.components and self.odoo11.present():
            return (*self.components, self.odoo11)
        return self.components

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One `up` or `down` at a time per stack home (a second caller waits)."""
        self.layout.home.mkdir(parents=True, exist_ok=True)
        with (self.layout.home / "stack.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
