"""The RPC services: ``common`` (version, login, authenticate) and ``object`` (execute, execute_kw).

Mirrors odoo/service/common.py and odoo/service/model.py (Odoo 17):

* ``common.login`` answers the uid, or ``False`` for a bad login/password;
  ``common.authenticate`` raises AccessDenied instead.
* ``object.execute``/``execute_kw`` check the credentials first (AccessDenied), refuse private
  methods (AccessError), answer ``UserError("Object <model> doesn't exist")`` for an unknown model
  and ``AttributeError("The method '<m>' does not exist on the model '<model>'")`` for an unknown
  method (odoo/api.py ``call_kw``).
* Each call is one transaction; API keys are accepted in place of the password for RPC only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from supplystream_devkit.odoo_standin import release, sale, stock
from supplystream_devkit.odoo_standin import warehouse as _warehouse  # noqa: F401 - registers the create hooks
from supplystream_devkit.odoo_standin.errors import AccessDenied, AccessError, RawError, UserError
from supplystream_devkit.odoo_standin.mail import message_post_on
from supplystream_devkit.odoo_standin.orm import Env
from supplystream_devkit.odoo_standin.schema import MODELS
from supplystream_devkit.odoo_standin.store import Store

Method = Callable[..., Any]


def _context_get(env: Env, ids: list[int] | None = None) -> dict[str, Any]:  # noqa: ARG001 - Odoo signature
    user = env.get("res.users", env.uid) or {}
    return {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or False, "uid": env.uid}


def _check_access_rights(env: Env, operation: str, raise_exception: bool = True) -> bool:  # noqa: ARG001
    """The stand-in's user may do everything (it is the admin)."""
    return True


def _check_access_rule(env: Env, ids: list[int], operation: str) -> None:  # noqa: ARG001
    return None


def _model_methods(model: str) -> dict[str, tuple[bool, Method]]:
    """Method name -> (takes ids first?, implementation(env, *args, **kwargs))."""

    def generic(name: str) -> Method:
        def call(env: Env, *args: Any, **kwargs: Any) -> Any:
            return getattr(env, name)(model, *args, **kwargs)

        call.__signature__ = _signature_without_model(getattr(Env, name))  # type: ignore[attr-defined]
        return call

    methods: dict[str, tuple[bool, Method]] = {
        name: (False, generic(name))
        for name in (
            "search",
            "search_read",
            "search_count",
            "create",
            "fields_get",
            "name_search",
            "default_get",
        )
    }
    methods.update({name: (True, generic(name)) for name in ("read", "write", "unlink")})
    methods["exists"] = (True, lambda env, ids: [r["id"] for r in env.browse(model, ids)])
    methods["check_access_rights"] = (False, _check_access_rights)
    methods["check_access_rule"] = (True, _check_access_rule)
    business: dict[str, dict[str, Method]] = {
        "res.users": {"context_get": _context_get},
        "stock.picking": {
            "action_confirm": stock.action_confirm,
            "action_assign": stock.action_assign,
            "button_validate": stock.button_validate,
            "action_cancel": stock.action_cancel,
            "do_unreserve": stock.do_unreserve,
        },
        "stock.quant": {
            "action_apply_inventory": stock.apply_inventory,
            "action_set_inventory_quantity_to_zero": stock.set_inventory_quantity_to_zero,
        },
        "stock.backorder.confirmation": {
            "process": lambda env, ids: stock.backorder_process(env, ids, cancel=False),
            "process_cancel_backorder": lambda env, ids: stock.backorder_process(env, ids, cancel=True),
        },
        "sale.order": {
            "action_confirm": sale.action_confirm,
            "action_cancel": sale.action_cancel,
            "action_draft": sale.action_draft,
            "action_quotation_sent": sale.action_quotation_sent,
            "message_post": message_post_on("sale.order"),
        },
    }
    for name, function in business.get(model, {}).items():
        methods[name] = (True, function)
    return methods


def _signature_without_model(function: Method) -> inspect.Signature:
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    return signature.replace(parameters=[parameters[0], *parameters[2:]])


METHODS: dict[str, dict[str, tuple[bool, Method]]] = {model: _model_methods(model) for model in MODELS}
# res.users.context_get is an @api.model method: called without ids
METHODS["res.users"]["context_get"] = (False, _context_get)


class Services:
    """Authentication plus the ``common`` and ``object`` services over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- authentication --------------------------------------------------------------------
    def _uid_for_login(self, login: str) -> int | None:
        for user in self.store.table("res.users").values():
            if user.get("login") == login and user.get("active", True):
                return int(user["id"])
        return None

    def uid_for_api_key(self, key: str) -> int | None:
        """The active user owning API key ``key`` (res.users.apikeys ``_check_credentials``)."""
        with self.store.lock:
            for user in self.store.table("res.users").values():
                if user.get("active", True) and self.store.check_secret(int(user["id"]), key, ("apikey",)):
                    return int(user["id"])
        return None

    def check_password(self, uid: int, password: str, *, interactive: bool) -> bool:
        kinds = ("password",) if interactive else ("password", "apikey")
        with self.store.lock:
            return isinstance(uid, int) and self.store.check_secret(uid, str(password), kinds)

    def authenticate(self, login: str, password: str, *, interactive: bool = False) -> int:
        uid = self._uid_for_login(str(login))
        if uid is None or not self.check_password(uid, password, interactive=interactive):
            raise AccessDenied()
        return uid

    def check(self, uid: Any, password: Any) -> int:
        """odoo/service/security.py ``check``: AccessDenied unless uid/password match."""
        try:
            uid_int = int(uid)
        except (TypeError, ValueError):
            raise AccessDenied() from None
        user = self.store.get("res.users", uid_int)
        if (
            user is None
            or not user.get("active", True)
            or not self.check_password(uid_int, str(password), interactive=False)
        ):
            raise AccessDenied()
        return uid_int

    # -- services --------------------------------------------------------------------------
    def common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return release.current().common_version()
        if method == "login":
            _db, login, password = _positional(args, 3, "exp_login")[:3]
            try:
                return self.authenticate(login, password)
            except AccessDenied:
                return False
        if method == "authenticate":
            _db, login, password = _positional(args, 4, "exp_authenticate")[:3]
            return self.authenticate(login, password)
        if method == "about":
            return "See http://openerp.com"
        raise RawError("builtins.Exception", f"Method not found: {method}")

    def object(self, method: str, args: list[Any]) -> Any:
        if method not in ("execute", "execute_kw"):
            raise RawError("builtins.NameError", f"Method not available {method}")
        if len(args) < 5:
            raise RawError("builtins.IndexError", "tuple index out of range")
        _db, uid, password, model, name = args[:5]
        uid = self.check(uid, password)
        if method == "execute":
            call_args, call_kwargs = list(args[5:]), {}
        else:
            call_args = list(args[5]) if len(args) > 5 and args[5] else []
            call_kwargs = dict(args[6]) if len(args) > 6 and args[6] else {}
        return self.call(uid, model, name, call_args, call_kwargs)

    def call(self, uid: int, model: str, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """odoo/api.py ``call_kw`` inside one transaction."""
        if name.startswith("_") or name == "init":
            raise AccessError(f"Private methods (such as {name}) cannot be called remotely.")
        if model not in MODELS:
            raise UserError(f"Object {model} doesn't exist")
        entry = METHODS[model].get(name)
        if entry is None:
            raise RawError(
                "builtins.AttributeError", f"The method '{name}' does not exist on the model '{model}'"
            )
        takes_ids, function = entry
        context = kwargs.pop("context", None) or {}
        if takes_ids:
            if not args:
                raise RawError("builtins.IndexError", "tuple index out of range")
            ids, *args = args
            args = [_normalize_ids(ids), *args]
        try:
            inspect.signature(function).bind(None, *args, **kwargs)
        except TypeError as exc:
            raise RawError("builtins.TypeError", f"{model}.{name}() {exc}") from None
        with self.store.transaction():
            env = Env(self.store, uid, context if isinstance(context, dict) else {})
            return function(env, *args, **kwargs)


def _normalize_ids(ids: Any) -> list[int]:
    if ids in (None, False):
        return []
    if isinstance(ids, int):
        return [ids]
    return [int(i) for i in ids]


def _positional(args: list[Any], count: int, function: str) -> list[Any]:
    if len(args) < count:
        raise RawError(
            "builtins.TypeError", f"{function}() missing {count - len(args)} required positional argument(s)"
        )
    return list(args[:count]) + list(args[count:])
