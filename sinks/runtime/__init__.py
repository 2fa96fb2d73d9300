"""The one sink runtime: every sink is an adapter (sinks.base) run by `SinkRuntime` (`loop`).

One module per concern: `source` (which partitions), `decoding`, `applying` (retries, circuit),
`deferrals`, `offsets` (commits, rewinds), `dead_letters`, `counting` (summary and metrics).
"""

from sinks.runtime.counting import RunSummary
from sinks.runtime.decoding import ConsumedBatch
from sinks.runtime.errors import Position, SinkRuntimeError
from sinks.runtime.loop import SinkRuntime, stop_on_signals
from sinks.runtime.offsets import Offsets
from sinks.runtime.source import PartitionSource, Subscription

__all__ = [
    "ConsumedBatch",
    "Offsets",
    "PartitionSource",
    "Position",
    "RunSummary",
    "SinkRuntime",
    "SinkRuntimeError",
    "Subscription",
    "stop_on_signals",
]
