"""A deliberately small JSON path subset for payload mappings.

Supported: ``$`` (the document), ``.name`` and ``['name']`` (object members), ``[n]`` (list items,
negative from the end). No wildcards, filters or recursion: a mapping names exactly one value.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")

Step = str | int


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What `lookup` returns when the path does not exist in the document.
MISSING: Final = _Missing()


@cache
def parse_path(path: str) -> tuple[Step, ...]:
    """The steps of ``path``; ValueError if it is not in the supported subset."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with '$'")
    steps: list[Step] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"JSON path {path!r}: cannot parse from {path[position:]!r}")
        name, index, single, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(next(part for part in (name, single, double) if part is not None))
        position = match.end()
    return tuple(steps)


def lookup(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or `MISSING` when any step does not exist."""
    value = document
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return MISSING
            value = value[step]
    return value
