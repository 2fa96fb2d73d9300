"""`supplystream tail TOPIC`: follow a topic, decoded and pretty-printed, for event subscribers."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated

import typer
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, TopicPartition

from supplystream.clients import make_consumer
from supplystream.consumer_lag import partitions_of
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.tail import decode_value, matches, parse_where
from supplystream_app.cli.output import console, settings_of


def tail(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="The topic to follow.", show_default=False)],
    key: Annotated[str | None, typer.Option("--key", help="Only records with this key.")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Only records whose field has this value: field=value (repeatable; "
            "dotted paths reach nested fields, e.g. lines.0.sku=SKU-1).",
        ),
    ] = None,
    from_beginning: Annotated[
        bool,
        typer.Option("--from-beginning", help="Start at the oldest retained record (default: new ones)."),
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after this many records.", min=1)] = None,
) -> None:
    """Print the topic's records as they arrive (Avro decoded through the schema registry, JSON as is),
    with partition, offset, key and timestamp. Joins no consumer group; commits nothing. Ctrl-C stops."""
    settings = settings_of(ctx)
    filters = parse_where(where or [])
    registry = SchemaRegistry.from_settings(settings)
    decode = AvroDeserializer(registry)
    consumer = make_consumer(
        settings, f"supplystream.tail.{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": False}
    )
    start = OFFSET_BEGINNING if from_beginning else OFFSET_END
    shown = 0
    try:
        consumer.assign([TopicPartition(t, p, start) for t, p in partitions_of(consumer, [topic])])
        while limit is None or shown < limit:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            raw_key = message.key()
            record_key = raw_key.decode("utf-8", "replace") if raw_key is not None else None
            decoded = decode_value(message.value(), decode)
            if not matches(record_key, decoded.value, key, filters):
                continue
            shown += 1
            stamp = dt.datetime.fromtimestamp(message.timestamp()[1] / 1000, dt.UTC).isoformat()
            console.print(
                f"[bold]{message.topic()}[/bold][{message.partition()}]@{message.offset()}  "
                f"key [cyan]{record_key}[/cyan]  {stamp}  ({decoded.format})",
                highlight=False,
            )
            if decoded.format in {"avro", "json"}:
                console.print_json(json.dumps(decoded.value, default=str))
            else:
                console.print(str(decoded.value), highlight=False, markup=False)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
        registry.close()
