"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{raw body}"`` with the sender's secret.

Headers: ``X-SupplyStream-Timestamp`` (unix seconds) and ``X-SupplyStream-Signature``
(``sha256=<hex>``). The comparison is constant-time; a timestamp outside the tolerance window (either
direction) is refused as stale, which bounds how long a captured request can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac

from producers.webhooks.errors import SignatureError

TIMESTAMP_HEADER = "X-SupplyStream-Timestamp"
SIGNATURE_HEADER = "X-SupplyStream-Signature"
DELIVERY_HEADER = "X-SupplyStream-Delivery"
_PREFIX = "sha256="


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{_PREFIX}{digest}"


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float,
    tolerance_s: int,
) -> int:
    """The verified timestamp (unix seconds); SignatureError says why not.

    The signature is checked before the timestamp, so an unsigned caller learns nothing about the
    clock window.
    """
    if not timestamp or not signature:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not signature.startswith(_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} must be 'sha256=<hex>'")
    expected = sign(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("signature does not match")
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be unix seconds") from None
    if abs(now - sent) > tolerance_s:
        raise SignatureError(f"stale timestamp: {sent} is more than {tolerance_s}s from now")
    return sent
