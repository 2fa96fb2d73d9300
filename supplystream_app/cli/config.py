"""`supplystream config show`: the effective settings, every secret masked."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import typer
import yaml

from supplystream.settings import Settings
from supplystream_app.cli.output import console, settings_of

app = typer.Typer(help="Inspect the effective settings (secrets masked).", no_args_is_help=True)

MASK = "**********"
#: librdkafka properties in ``kafka.extra`` whose values are secrets (sasl.password, ssl.key.password,
#: sasl.oauthbearer.client.secret, ssl.keystore.password, ...).
_SENSITIVE_PROPERTY = re.compile(r"(password|secret|token|jaas|\.pem$|key\.pem|credentials)", re.IGNORECASE)
#: ``scheme://user:password@host``: the password part of a URL.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def _mask_url(value: Any) -> Any:
    return _URL_PASSWORD.sub(rf"\1{MASK}@", value) if isinstance(value, str) else value


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret replaced by a mask, plus the resolved endpoints.

    `SecretStr` values dump masked by pydantic; secrets slipped into ``kafka.extra`` are masked by name.
    """
    data: dict[str, Any] = settings.model_dump(mode="json")
    extra = data["kafka"]["extra"]
    data["kafka"]["extra"] = {
        name: MASK if _SENSITIVE_PROPERTY.search(name) else value for name, value in extra.items()
    }
    data["registry"]["url"] = _mask_url(data["registry"]["url"])
    data["odoo"]["url"] = _mask_url(data["odoo"]["url"])
    data["effective"] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "registry_url": _mask_url(settings.registry_url),
        "odoo_url": _mask_url(settings.odoo_url),
        "postgres_dsn": MASK if settings.postgres.dsn is not None else settings.postgres_dsn,
    }
    return data


@app.command("show")
def show(
    ctx: typer.Context,
    output: Annotated[Literal["yaml", "json"], typer.Option("--output", "-o", help="yaml or json.")] = "yaml",
) -> None:
    """Print the settings this process would run with (environment, secret files, TOML); secrets masked."""
    data = masked_settings(settings_of(ctx))
    text = json.dumps(data, indent=2) if output == "json" else yaml.safe_dump(data, sort_keys=False)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
