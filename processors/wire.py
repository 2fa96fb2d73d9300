"""JSON forms of the router's table value and of reservation replies (internal, not business events)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from processors.commands import quantity
from processors.ledger import Reply
from processors.router import Request, Routing
from processors.routing import Line, OrderToRoute, Shortfall


def encode_reply(reply: Reply) -> bytes:
    """A reply's value on ``order-router.replies`` (keyed by the order)."""
    return json.dumps(
        {
            "request_id": reply.request_id,
            "order_id": reply.order_id,
            "line_id": reply.line_id,
            "key": reply.key,
            "requested": str(reply.requested),
            "granted": str(reply.granted),
        },
        separators=(",", ":"),
    ).encode()


def decode_reply(value: bytes) -> Reply:
    """Inverse of `encode_reply`; ValueError/KeyError when malformed."""
    body = json.loads(value)
    return Reply(
        body["request_id"],
        body["order_id"],
        body["line_id"],
        body["key"],
        quantity(body["requested"]),
        quantity(body["granted"]),
    )


def _request(r: Request) -> list[str]:
    return [r.request_id, r.line_id, r.sku, r.warehouse, str(r.quantity)]


def _unrequest(row: list[str]) -> Request:
    return Request(row[0], row[1], row[2], row[3], Decimal(row[4]))


def routing_to_json(state: Routing) -> dict[str, Any]:
    """The router table's value."""
    order = state.order
    return {
        "order": {
            "id": order.order_id,
            "region": order.region,
            "lines": [[line.line_id, line.sku, str(line.quantity)] for line in order.lines],
            "placed_at": order.placed_at.isoformat(),
            "priority": order.priority,
            "allow_partial": order.allow_partial,
        },
        "correlation_id": state.correlation_id,
        "round": state.round,
        "outstanding": [_request(r) for r in state.outstanding.values()],
        "granted": [_request(r) for r in state.granted.values()],
        "excluded": {line: sorted(codes) for line, codes in state.excluded.items()},
        "status": state.status,
        "backordered": [[b.line_id, b.sku, str(b.quantity), b.reason, b.detail] for b in state.backordered],
        "dropped": [_request(r) for r in state.dropped],
    }


def routing_from_json(data: dict[str, Any]) -> Routing:
    """Inverse of `routing_to_json`."""
    order = data["order"]
    outstanding = [_unrequest(row) for row in data["outstanding"]]
    granted = [_unrequest(row) for row in data["granted"]]
    return Routing(
        order=OrderToRoute(
            order_id=order["id"],
            region=order["region"],
            lines=tuple(Line(lid, sku, Decimal(q)) for lid, sku, q in order["lines"]),
            placed_at=dt.datetime.fromisoformat(order["placed_at"]),
            priority=int(order["priority"]),
            allow_partial=bool(order["allow_partial"]),
        ),
        correlation_id=data["correlation_id"],
        round=int(data["round"]),
        outstanding={r.request_id: r for r in outstanding},
        granted={r.request_id: r for r in granted},
        excluded={line: frozenset(codes) for line, codes in data["excluded"].items()},
        status=data["status"],
        backordered=tuple(
            Shortfall(lid, sku, Decimal(q), reason, detail)
            for lid, sku, q, reason, detail in data.get("backordered", ())
        ),
        dropped=tuple(_unrequest(row) for row in data.get("dropped", ())),
    )
