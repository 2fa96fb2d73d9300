"""Stock positions recomputed from business events alone, with the same pure functions. No Kafka.

Used to check the ATP processor (its table must equal this after any crash) and by
`supplystream processors rebuild atp`. Reservation holds are not business events: they exist only
while the router is routing an order, so a recomputation has none (a rebuild keeps the live ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from processors.commands import Allocate, Command, DropHold, Expect, Move, Release, Reserve, commands_for
from processors.config import ProcessorConfig
from processors.ledger import Figures, figures_of
from supplystream.atp import StockPosition


def changed(position: StockPosition, command: Command) -> StockPosition:
    """A business command applied to a position (reservation traffic leaves it as it is)."""
    if isinstance(command, Move):
        return position.moved(command.delta)
    if isinstance(command, Allocate):
        return position.allocated(command.order_id, command.quantity)
    if isinstance(command, Release):
        return position.released(command.order_id, command.quantity)
    if isinstance(command, Expect):
        return position.expecting(command.receipt_id, command.outstanding, command.due)
    if isinstance(command, Reserve | DropHold):
        return position
    raise TypeError(f"unknown command {command!r}")


def positions_from(
    events: Iterable[tuple[str, Mapping[str, Any]]], warehouses: list[str]
) -> dict[str, StockPosition]:
    """Fold (event type, decoded record) pairs into positions per ``sku|warehouse``."""
    positions: dict[str, StockPosition] = {}
    for event_type, record in events:
        for key, command in commands_for(event_type, record, warehouses):
            positions[key] = changed(positions.get(key, StockPosition()), command)
    return positions


def figures_from(
    positions: Mapping[str, StockPosition], config: ProcessorConfig, now: dt.datetime
) -> dict[str, Figures]:
    """The figures atp.changed would say for each position."""
    return {key: figures_of(position, config.policy_for(key), now) for key, position in positions.items()}
