"""An ``execute_kw``-style call as the JSON-2 body Odoo 19 expects, and its result as execute_kw's.

The client calls ``model.method(*args, **kwargs)`` as over JSON-RPC, where a record method takes its
ids first and an ``@api.model`` method does not. JSON-2 takes every argument by name (the docs:
"there is no way in JSON-2 to call a function with positional arguments"): the ids go to ``ids``,
the context to ``context``, and the other positional arguments get the names Odoo 19 gives them in
its ORM (odoo/orm/models.py). A positional argument this table cannot name is refused here, with
the method to fix, rather than sent wrong.

Results differ in one place: ``create`` given one dict answers its id over JSON-RPC
(odoo/service/model.py ``call_kw``) but a list over JSON-2 (a recordset's ids); `execute_kw_result`
gives back the id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supplystream.errors import OdooError

#: ``@api.model`` methods the platform calls: no ids (JSON-2 answers 422 "cannot call ... with ids").
MODEL_METHODS = frozenset(
    {"search", "search_read", "search_count", "create", "fields_get", "name_search", "context_get"}
)
#: Names of the positional parameters after the ids, as Odoo 19's ORM declares them.
POSITIONAL: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "create": ("vals_list",),
    "fields_get": ("allfields", "attributes"),
    "name_search": ("name", "domain", "operator", "limit"),
    "read": ("fields", "load"),
    "write": ("vals",),
    "copy": ("default",),
}


def json2_params(model: str, method: str, args: list[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-2 body of ``model.method(*args, **kwargs)`` (execute_kw's positional convention)."""
    params: dict[str, Any] = dict(kwargs)
    rest = list(args)
    if method not in MODEL_METHODS and rest:
        ids = rest.pop(0)
        params["ids"] = [ids] if isinstance(ids, int) and not isinstance(ids, bool) else list(ids or [])
    names = POSITIONAL.get(method, ())
    if len(rest) > len(names):
        raise OdooError(
            f"{model}.{method}: JSON-2 takes arguments by name only, and SupplyStream does not know the "
            f"name of positional argument {len(names) + 1} of {method!r}: pass it as a keyword argument",
            model=model,
            method=method,
        )
    for name, value in zip(names, rest, strict=False):
        if name in params:
            raise OdooError(
                f"{model}.{method}: argument {name!r} given both by position and by name",
                model=model,
                method=method,
            )
        params[name] = value
    return params


def execute_kw_result(method: str, args: list[Any], result: Any) -> Any:
    """``result`` as JSON-RPC's execute_kw returns it: ``create`` of one dict gives its id."""
    if method == "create" and args and isinstance(args[0], Mapping) and isinstance(result, list):
        return result[0] if result else False
    return result
