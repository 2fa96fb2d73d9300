"""Webhook signatures: HMAC-SHA256 over "{timestamp}.{body}", constant-time, with a freshness window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from producers.webhooks.errors import SignatureError
from producers.webhooks.signature import sign, verify

SECRET = "s3cret"  # noqa: S105 - a test fixture, not a credential
BODY = b'{"order": {"id": "SO-1"}}'
NOW = 1_700_000_000


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"


def test_a_good_signature_verifies_and_returns_the_timestamp() -> None:
    assert verify(SECRET, BODY, str(NOW), sign(SECRET, NOW, BODY), now=NOW + 10, tolerance_s=300) == NOW


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, sign(SECRET, NOW, BODY)),
        (str(NOW), None),
        ("", ""),
        (str(NOW), sign("other-secret", NOW, BODY)),
        (str(NOW), sign(SECRET, NOW, BODY + b" ")),
        (str(NOW), sign(SECRET, NOW + 1, BODY)),
        (str(NOW), sign(SECRET, NOW, BODY).removeprefix("sha256=")),
        (str(NOW), "sha1=" + sign(SECRET, NOW, BODY).removeprefix("sha256=")),
        (str(NOW), "sha256=zz"),
    ],
    ids=[
        "no-timestamp",
        "no-signature",
        "empty",
        "wrong-secret",
        "body-changed",
        "timestamp-changed",
        "no-prefix",
        "wrong-algorithm",
        "garbage",
    ],
)
def test_bad_or_missing_signatures_are_refused(timestamp: str | None, signature: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, BODY, timestamp, signature, now=NOW, tolerance_s=300)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_timestamps_outside_the_tolerance_are_stale(skew: int) -> None:
    sent = NOW - skew
    with pytest.raises(SignatureError, match="stale"):
        verify(SECRET, BODY, str(sent), sign(SECRET, sent, BODY), now=NOW, tolerance_s=300)


@pytest.mark.parametrize("skew", [0, 300, -300])
def test_timestamps_inside_the_tolerance_pass(skew: int) -> None:
    sent = NOW - skew
    assert verify(SECRET, BODY, str(sent), sign(SECRET, sent, BODY), now=NOW, tolerance_s=300) == sent


def test_a_non_numeric_timestamp_is_refused_even_when_signed() -> None:
    with pytest.raises(SignatureError, match="unix seconds"):
        verify(SECRET, BODY, "yesterday", sign(SECRET, "yesterday", BODY), now=NOW, tolerance_s=300)


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verify(SECRET, BODY, str(NOW), sign(SECRET, NOW, BODY), now=NOW, tolerance_s=300)
    assert len(calls) == 1
