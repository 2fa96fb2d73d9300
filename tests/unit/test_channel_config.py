"""The channels file: validation, buffers, secrets from the environment or a file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sinks.channels.config import SecretSource, load_channels, parse_channels
from supplystream.atp import ChannelBuffer
from supplystream.errors import ConfigurationError
from supplystream.paths import project_root

MINIMAL = """
channels:
  - name: shop
    base_url: http://127.0.0.1:8091
    location_id: 1
    auth: {type: bearer, token: {env: SHOP_TOKEN}}
    warehouses: [WH-A]
"""


def test_the_example_file_is_valid() -> None:
    channels = load_channels(project_root() / "deploy" / "channels.example.yaml").channels
    assert [c.name for c in channels] == ["webshop", "marketplace-x"]
    assert channels[0].channel_buffer == ChannelBuffer(fixed=Decimal(2), share=Decimal("0.1"))
    assert channels[1].auth.type == "hmac"


def test_defaults_follow_shopify() -> None:
    channel = parse_channels(MINIMAL).channels[0]
    assert channel.api_version == "2024-07"
    assert (channel.rate_limit.requests_per_second, channel.rate_limit.burst) == (2.0, 40)
    assert channel.channel_buffer == ChannelBuffer()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("    warehouses: []\n", "shop.warehouses"),
        ("    buffer: {percent: 100}\n", "shop.buffer.percent"),
        ("    colour: red\n", "shop.colour"),
        ("    base_url: ftp://x\n", "shop.base_url"),
    ],
)
def test_mistakes_name_the_channel_and_field(change: str, message: str) -> None:
    key = change.strip().split(":")[0]
    lines = [line for line in MINIMAL.splitlines() if not line.strip().startswith(f"{key}:")]
    with pytest.raises(ConfigurationError, match=message.replace(".", r"\.")):
        parse_channels("\n".join(lines) + "\n" + change)


def test_duplicate_names_are_refused() -> None:
    text = MINIMAL + MINIMAL.split("channels:\n", 1)[1]
    with pytest.raises(ConfigurationError, match="unique: shop"):
        parse_channels(text)


def test_a_secret_comes_from_the_environment_and_never_prints() -> None:
    secret = SecretSource(env="SHOP_TOKEN").read({"SHOP_TOKEN": "shpat_123"})
    assert secret.get_secret_value() == "shpat_123"
    assert "shpat_123" not in repr(secret)
    assert "shpat_123" not in str(secret)
    with pytest.raises(ConfigurationError, match="SHOP_TOKEN is not set"):
        SecretSource(env="SHOP_TOKEN").read({})


def test_a_secret_comes_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    assert SecretSource(file=path).read().get_secret_value() == "s3cret"
    with pytest.raises(ConfigurationError, match="cannot read the secret file"):
        SecretSource(file=tmp_path / "missing").read()


def test_exactly_one_secret_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SecretSource()
    with pytest.raises(ValueError, match="exactly one"):
        SecretSource(env="A", file=Path("b"))
