"""The errors the stand-in raises, serialised the way Odoo serialises exceptions.

JSON-RPC (Odoo 17): HTTP 200 with Odoo's ``error`` object, ``data.name`` being the exception's module
and class; JSON-2 (Odoo 19): the exception's HTTP status with the bare object as the body. The exact
shapes and statuses are in the stand-in's README ("Errors").
"""

from __future__ import annotations

from typing import Any


class OdooError(Exception):
    """An error reported to the client as an Odoo exception named ``name``."""

    name = "odoo.exceptions.UserError"
    code = 200
    rpc_message = "Odoo Server Error"
    #: JSON-2's HTTP status for it (odoo/exceptions.py ``UserError.http_status``).
    http_status = 422

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if name is not None:
            self.name = name

    def debug(self) -> str:
        return (
            "Traceback (most recent call last):\n"
            '  File "supplystream_devkit/odoo_standin", line 0, in <stand-in>\n'
            f"{self.name}: {self.message}\n"
        )

    def serialize(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` member for this exception."""
        return {
            "code": self.code,
            "message": self.rpc_message,
            "data": {
                "name": self.name,
                "debug": self.debug(),
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        }

    def json2_body(self) -> dict[str, Any]:
        """The JSON-2 error body for this exception (odoo/http.py ``serialize_exception``)."""
        return {
            "name": self.name,
            "message": self.message,
            "arguments": [self.message],
            "context": {},
            "debug": self.debug(),
        }


class UserError(OdooError):
    name = "odoo.exceptions.UserError"


class ValidationError(OdooError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    name = "odoo.exceptions.AccessError"
    http_status = 403


class AccessDenied(OdooError):  # noqa: N818 - Odoo's class name
    """Odoo's AccessDenied defaults its message to 'Access Denied' (odoo/exceptions.py)."""

    name = "odoo.exceptions.AccessDenied"
    http_status = 403

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class MissingError(OdooError):
    name = "odoo.exceptions.MissingError"
    http_status = 404


class RawError(OdooError):
    """A non-Odoo exception (``builtins.TypeError``, ``psycopg2.errors.SerializationFailure`` ...):
    JSON-2 answers it with 500 Internal Server Error."""

    http_status = 500

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message, name=name)


class SessionExpired(OdooError):  # noqa: N818 - after odoo.http.SessionExpiredException
    """Odoo answers a session route without a valid session with code 100 (odoo/http.py)."""

    name = "odoo.http.SessionExpiredException"
    code = 100
    rpc_message = "Odoo Session Expired"
    http_status = 403

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__(message)


class HttpError(OdooError):
    """A werkzeug HTTP exception: JSON-2 answers its code, with its description as the message and
    ``[description, code]`` as the arguments."""

    def __init__(self, description: str) -> None:
        super().__init__(description)

    def json2_body(self) -> dict[str, Any]:
        return {**super().json2_body(), "arguments": [self.message, self.http_status]}


class NotFound(HttpError):  # noqa: N818 - werkzeug's class name
    """An unknown route requested with a JSON body: code 404, HTTP status 404 (odoo/http.py); over
    JSON-2 also an unknown model or method (addons/rpc/controllers/json2.py)."""

    name = "werkzeug.exceptions.NotFound"
    code = 404
    rpc_message = "404: Not Found"
    http_status = 404

    def __init__(self, description: str | None = None) -> None:
        super().__init__(
            description
            or "The requested URL was not found on the server. If you entered the URL manually please "
            "check your spelling and try again."
        )

    def serialize(self) -> dict[str, Any]:
        error = super().serialize()
        error["data"]["message"] = f"404 Not Found: {self.message}"  # str() of werkzeug's NotFound
        error["data"]["arguments"] = [error["data"]["message"]]
        return error


class Unauthorized(HttpError):  # noqa: N818 - werkzeug's class name
    """JSON-2 without a valid API key (base/models/ir_http.py ``_auth_method_bearer``)."""

    name = "werkzeug.exceptions.Unauthorized"
    http_status = 401


class UnprocessableEntity(HttpError):  # noqa: N818 - werkzeug's class name
    """JSON-2 arguments that do not fit the method, or ids given to an ``@api.model`` method."""

    name = "werkzeug.exceptions.UnprocessableEntity"
    http_status = 422


class BadRequest(HttpError):  # noqa: N818 - werkzeug's class name
    """A JSON-2 body that is not JSON (odoo/http.py ``Json2Dispatcher.dispatch``)."""

    name = "werkzeug.exceptions.BadRequest"
    http_status = 400


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
