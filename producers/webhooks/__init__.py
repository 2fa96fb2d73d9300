"""The webhook source: WMS, carrier and marketplace webhooks in, acknowledged events out.

`signature` (HMAC verification), `mapping` (payload -> event) and `config` (per-sender settings)
are pure; `app.create_app` is the aiohttp shell that publishes through the one Publisher.
"""

from __future__ import annotations

from producers.webhooks.app import create_app
from producers.webhooks.config import WebhooksConfig, load_config

__all__ = ["WebhooksConfig", "create_app", "load_config"]
