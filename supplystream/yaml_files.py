"""The one YAML -> pydantic model -> error path of the settings files (topics.yaml, processors.yaml,
the channels file, the webhooks config).

Every problem is a `ConfigFileError` (or the subclass a caller passes in) naming the file: unreadable,
not YAML, or not fitting the model, then with each pydantic error's location.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from supplystream.errors import ConfigFileError

M = TypeVar("M", bound=BaseModel)

#: Renders one pydantic error (with the parsed data, to name what is at fault) as one line.
Describe = Callable[[ErrorDetails, Any], str]


def dotted_location(error: ErrorDetails, _data: Any) -> str:
    """``warehouses.0.code: <message>`` (``(top)`` for the whole document)."""
    return f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"


def validate_model(
    data: Any,
    model: type[M],
    source: str,
    *,
    error: type[ConfigFileError] = ConfigFileError,
    describe: Describe = dotted_location,
    bulleted: bool = False,
) -> M:
    """``model`` validated from already-parsed ``data``; ``error`` lists every problem (``; ``-separated,
    or one ``  - `` line each when ``bulleted``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [describe(detail, data) for detail in exc.errors()]
        listed = "\n" + "\n".join(f"  - {p}" for p in problems) if bulleted else " " + "; ".join(problems)
        locations = tuple(tuple(detail["loc"]) for detail in exc.errors())
        raise error(f"{source} is invalid:{listed}", source=source, locations=locations) from exc


def parse_yaml_model(
    text: str,
    model: type[M],
    source: str,
    *,
    error: type[ConfigFileError] = ConfigFileError,
    describe: Describe = dotted_location,
    bulleted: bool = False,
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
    check: Callable[[Any], None] | None = None,
) -> M:
    """YAML ``text`` (read with ``loader``), checked by ``check`` (which raises), validated as ``model``."""
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader (or a subclass)
    except yaml.YAMLError as exc:
        raise error(f"{source} is not valid YAML: {exc}", source=source) from exc
    except ConfigFileError as exc:  # the loader's own refusal (a duplicate key)
        raise error(f"{source}: {exc}", source=source) from exc
    if check is not None:
        check(data)
    return validate_model(data, model, source, error=error, describe=describe, bulleted=bulleted)


def load_yaml_model(
    path: Path,
    model: type[M],
    what: str,
    *,
    hint: str = "",
    error: type[ConfigFileError] = ConfigFileError,
    describe: Describe = dotted_location,
    bulleted: bool = False,
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
    check: Callable[[Any], None] | None = None,
) -> M:
    """The YAML file at ``path`` as ``model``. ``what`` names the file for the operator ("the channels
    file"), ``hint`` says what to do when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        advice = f": {hint}" if hint else ""
        raise error(f"cannot read {what} {path} ({exc.strerror or exc}){advice}", source=str(path)) from exc
    return parse_yaml_model(
        text, model, str(path), error=error, describe=describe, bulleted=bulleted, loader=loader, check=check
    )
