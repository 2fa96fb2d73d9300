"""The errors the stand-in raises, serialised the way Odoo 17 serialises exceptions.

Odoo 17 (odoo/http.py, ``serialize_exception`` and ``JsonRPCDispatcher.handle_error``) answers a
failed JSON-RPC call with HTTP 200 and::

    {"jsonrpc": "2.0", "id": <request id>,
     "error": {"code": 200, "message": "Odoo Server Error",
               "data": {"name": "<module>.<class>", "debug": "<traceback>", "message": "<str(exc)>",
                        "arguments": [<exc.args>], "context": {}}}}

``name`` is the exception's module and class name, e.g. ``odoo.exceptions.UserError`` or
``builtins.AttributeError``.
"""

from __future__ import annotations

from typing import Any


class OdooError(Exception):
    """An error reported to the client as an Odoo exception named ``name``."""

    name = "odoo.exceptions.UserError"
    code = 200
    rpc_message = "Odoo Server Error"

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if name is not None:
            self.name = name

    def serialize(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` member for this exception."""
        debug = (
            "Traceback (most recent call last):\n"
            '  File "supplystream/odoo/standin", line 0, in <stand-in>\n'
            f"{self.name}: {self.message}\n"
        )
        return {
            "code": self.code,
            "message": self.rpc_message,
            "data": {
                "name": self.name,
                "debug": debug,
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        }


class UserError(OdooError):
    name = "odoo.exceptions.UserError"


class ValidationError(OdooError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    name = "odoo.exceptions.AccessError"


class AccessDenied(OdooError):  # noqa: N818 - Odoo's class name
    """Odoo's AccessDenied defaults its message to 'Access Denied' (odoo/exceptions.py)."""

    name = "odoo.exceptions.AccessDenied"

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class MissingError(OdooError):
    name = "odoo.exceptions.MissingError"


class RawError(OdooError):
    """A non-Odoo exception (``builtins.TypeError``, ``psycopg2.errors.SerializationFailure`` ...)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message, name=name)


class SessionExpired(OdooError):  # noqa: N818 - after odoo.http.SessionExpiredException
    """Odoo answers a session route without a valid session with code 100 (odoo/http.py)."""

    name = "odoo.http.SessionExpiredException"
    code = 100
    rpc_message = "Odoo Session Expired"

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__(message)


class NotFound(OdooError):  # noqa: N818 - werkzeug's class name
    """An unknown route requested with a JSON body: code 404, HTTP status 404 (odoo/http.py)."""

    name = "werkzeug.exceptions.NotFound"
    code = 404
    rpc_message = "404: Not Found"

    def __init__(self) -> None:
        super().__init__(
            "404 Not Found: The requested URL was not found on the server. If you entered the URL "
            "manually please check your spelling and try again."
        )


ODOO_ERRORS: dict[str, type[OdooError]] = {
    cls.name: cls for cls in (UserError, ValidationError, AccessError, MissingError)
}

SERIALIZATION_FAILURE = "psycopg2.errors.SerializationFailure"
NUMERIC_VALUE_OUT_OF_RANGE = "psycopg2.errors.NumericValueOutOfRange"
#: PostgreSQL's int4, the column of every Integer and Many2one field (odoo/fields.py ``column_type``).
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1


def integer_out_of_range() -> RawError:
    """What Odoo 11 and 17 answer when a value does not fit an ``int4`` column: the ORM does not
    check ranges, PostgreSQL refuses the INSERT/UPDATE, and the psycopg2 error (a DataError, which
    odoo/service/model.py neither retries nor turns into a ValidationError) is serialised as is,
    ``str()`` being PostgreSQL's message with its newline."""
    return RawError(NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range\n")


def error_by_name(name: str, message: str | None = None) -> OdooError:
    """Build the error a fault injection asks for by its serialised name."""
    if name == AccessDenied.name:
        return AccessDenied(message or "Access Denied")
    if name in ODOO_ERRORS:
        return ODOO_ERRORS[name](message or f"Injected fault ({name.rsplit('.', 1)[-1]})")
    if name == SERIALIZATION_FAILURE:
        # odoo/service/model.py `retrying` re-raises the psycopg2 OperationalError once
        # MAX_TRIES_ON_CONCURRENCY_FAILURE (5) tries are used up; str() of it is PostgreSQL's message.
        return RawError(name, message or "could not serialize access due to concurrent update\n")
    if name == NUMERIC_VALUE_OUT_OF_RANGE and message is None:
        return integer_out_of_range()
    return RawError(name, message or f"Injected fault ({name})")
