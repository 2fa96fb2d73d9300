"""What an error Odoo reports means, decided from its shape alone (pure functions, no I/O).

JSON-RPC errors (HTTP 200 with ``error.data.name``) and JSON-2 errors (an HTTP status with Odoo's
error object; `json2_error_for`) go through the same table. Each error is classified by its
**cause**: only `Cause.UNAVAILABLE` and `Cause.CONCURRENCY` are transient; everything else fails the
same way every time. The table and how the sink reacts: "Errors" in sinks/odoo/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import psycopg.errors

from supplystream.errors import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooConcurrentUpdateError,
    OdooDataError,
    OdooError,
    OdooMissingRecordError,
    OdooUnavailableError,
    OdooValidationError,
)


class Cause(StrEnum):
    """Why Odoo refused or failed a call."""

    #: Odoo or its database cannot serve now (down, restarting, overloaded, out of connections,
    #: a statement timeout, a read-only replica): transient.
    UNAVAILABLE = "unavailable"
    #: A concurrent transaction (serialization failure, deadlock, a lock not available): transient.
    CONCURRENCY = "concurrency"
    #: The login, password or API key is refused, or the session expired.
    AUTHENTICATION = "authentication"
    #: The user may not do this to this model or record (AccessError, insufficient privilege).
    ACCESS = "access"
    #: The record does not exist (any more).
    MISSING = "missing"
    #: Odoo's business rules refuse the values (ValidationError, UserError, integrity constraints).
    VALIDATION = "validation"
    #: The database refuses a value: out of range, too long, malformed (SQLSTATE class 22).
    DATA = "data"
    #: The call itself is wrong for this server: unknown method, field or model, wrong arguments,
    #: or a bug in Odoo's code (``builtins.*``).
    REQUEST = "request"

    @property
    def transient(self) -> bool:
        """Whether the same call can succeed later without anybody changing anything."""
        return self in (Cause.UNAVAILABLE, Cause.CONCURRENCY)


#: The OdooError type raised for each cause.
ERROR_TYPES: dict[Cause, type[OdooError]] = {
    Cause.UNAVAILABLE: OdooUnavailableError,
    Cause.CONCURRENCY: OdooConcurrentUpdateError,
    Cause.AUTHENTICATION: OdooAuthenticationError,
    Cause.ACCESS: OdooAccessError,
    Cause.MISSING: OdooMissingRecordError,
    Cause.VALIDATION: OdooValidationError,
    Cause.DATA: OdooDataError,
    Cause.REQUEST: OdooError,
}


@dataclass(frozen=True)
class ServerError:
    """An error as Odoo serialises it: ``error.code`` and ``error.data.name`` / ``.message``."""

    #: The exception's module and class, e.g. ``odoo.exceptions.ValidationError``.
    name: str
    #: ``str(exception)``: for a PostgreSQL error, its message (``integer out of range\\n``).
    message: str
    #: JSON-RPC error code: 200 (server error), 100 (session expired or invalid), 404.
    code: int = 200


#: Odoo's own exceptions (odoo/exceptions.py, odoo/http.py) and werkzeug's, by ``data.name``.
_BY_NAME: dict[str, Cause] = {
    "odoo.exceptions.AccessDenied": Cause.AUTHENTICATION,
    "odoo.http.SessionExpiredException": Cause.AUTHENTICATION,
    "odoo.http.AuthenticationError": Cause.AUTHENTICATION,
    "odoo.exceptions.AccessError": Cause.ACCESS,
    "odoo.exceptions.MissingError": Cause.MISSING,
    "odoo.exceptions.ValidationError": Cause.VALIDATION,
    "odoo.exceptions.UserError": Cause.VALIDATION,
    "odoo.exceptions.Warning": Cause.VALIDATION,
    "odoo.exceptions.RedirectWarning": Cause.VALIDATION,
    "odoo.exceptions.except_orm": Cause.VALIDATION,
    # Odoo 18+: records could not be locked (409); a concurrent transaction holds them.
    "odoo.exceptions.LockError": Cause.CONCURRENCY,
    "odoo.exceptions.ConcurrencyError": Cause.CONCURRENCY,
    # JSON-2: no or a wrong API key (401); arguments that do not fit the method, ids given to an
    # @api.model method (422); a body that is not JSON (400); a rate limiter (429).
    "werkzeug.exceptions.Unauthorized": Cause.AUTHENTICATION,
    "werkzeug.exceptions.UnprocessableEntity": Cause.REQUEST,
    "werkzeug.exceptions.BadRequest": Cause.REQUEST,
    "werkzeug.exceptions.TooManyRequests": Cause.UNAVAILABLE,
    # /jsonrpc itself is not there: not Odoo at this address (a proxy path), or an Odoo without it.
    "werkzeug.exceptions.NotFound": Cause.UNAVAILABLE,
    "werkzeug.exceptions.ServiceUnavailable": Cause.UNAVAILABLE,
    # psycopg2's DB-API classes (the names before psycopg2 2.8, and psycopg2.errors' bases).
    "psycopg2.DataError": Cause.DATA,
    "psycopg2.IntegrityError": Cause.VALIDATION,
    "psycopg2.OperationalError": Cause.UNAVAILABLE,
    "psycopg2.InterfaceError": Cause.UNAVAILABLE,
    "psycopg2.extensions.TransactionRollbackError": Cause.CONCURRENCY,
    "psycopg2.extensions.QueryCanceledError": Cause.UNAVAILABLE,
    "psycopg2.pool.PoolError": Cause.UNAVAILABLE,
    "psycopg2.InternalError": Cause.REQUEST,
    "psycopg2.ProgrammingError": Cause.REQUEST,
    "psycopg2.NotSupportedError": Cause.REQUEST,
}

#: PostgreSQL error codes (SQLSTATE) whose cause is not their class's.
_BY_SQLSTATE: dict[str, Cause] = {
    "55P03": Cause.CONCURRENCY,  # lock_not_available: the row is locked ("database locked")
    "55006": Cause.CONCURRENCY,  # object_in_use
    "25006": Cause.UNAVAILABLE,  # read_only_sql_transaction: a read-only replica, a failover
    "42501": Cause.ACCESS,  # insufficient_privilege
}

#: PostgreSQL error classes (the first two characters of SQLSTATE; PostgreSQL's Appendix A).
_BY_SQLSTATE_CLASS: dict[str, Cause] = {
    "08": Cause.UNAVAILABLE,  # connection exception
    "22": Cause.DATA,  # data exception: out of range, too long, invalid text, division by zero
    "23": Cause.VALIDATION,  # integrity constraint violation (Odoo reports most as ValidationError)
    "40": Cause.CONCURRENCY,  # transaction rollback: serialization failure, deadlock
    "53": Cause.UNAVAILABLE,  # insufficient resources: too many connections, disk full, out of memory
    "57": Cause.UNAVAILABLE,  # operator intervention: statement timeout, shutdown, cannot connect now
    "58": Cause.UNAVAILABLE,  # system error: I/O error
}

#: Messages that tell more than the class name does.
_BY_MESSAGE: tuple[tuple[str, Cause], ...] = (
    # odoo/service/model.py: a database still loading its modules (after a restart or an upgrade).
    ("this database is not fully loaded", Cause.UNAVAILABLE),
    # PostgreSQL's serialization failure under any name (older psycopg2, a wrapped error).
    ("could not serialize access", Cause.CONCURRENCY),
)

_PSYCOPG2_ERRORS = "psycopg2.errors."
#: Odoo's JSON-RPC error code for an expired or invalid session (odoo/http.py).
SESSION_INVALID = 100
HTTP_SERVER_ERROR = 500
#: Unauthorized, Forbidden: something in front of Odoo refuses our credentials, not a record.
_HTTP_REFUSED = frozenset({401, 403})
#: Not Found, Method Not Allowed (not Odoo's JSON-RPC at this address), Request Timeout, Too Many Requests.
_HTTP_NOT_NOW = frozenset({404, 405, 408, 429})
#: What a rate limiter in front of Odoo answers (Odoo itself does not limit).
TOO_MANY_REQUESTS = 429


def sqlstate_of(name: str) -> str | None:
    """The PostgreSQL error code of a ``psycopg2.errors.<Class>`` name (psycopg 3 has the same classes
    under the same names, with their SQLSTATE); None for any other name."""
    if not name.startswith(_PSYCOPG2_ERRORS):
        return None
    found = getattr(psycopg.errors, name.removeprefix(_PSYCOPG2_ERRORS), None)
    sqlstate = getattr(found, "sqlstate", None)
    return sqlstate if isinstance(found, type) and isinstance(sqlstate, str) else None


def classify(error: ServerError) -> Cause:
    """The cause of an error Odoo reported through its API."""
    if error.code == SESSION_INVALID:
        return Cause.AUTHENTICATION
    message = error.message.lower()
    for fragment, cause in _BY_MESSAGE:
        if fragment in message:
            return cause
    if error.name in _BY_NAME:
        return _BY_NAME[error.name]
    sqlstate = sqlstate_of(error.name)
    if sqlstate is not None:
        return _BY_SQLSTATE.get(sqlstate) or _BY_SQLSTATE_CLASS.get(sqlstate[:2], Cause.REQUEST)
    return Cause.REQUEST


def classify_http_status(status: int) -> Cause:
    """The cause of an HTTP error answered instead of a JSON-RPC response (Odoo answers its own
    errors with 200 and a JSON body; other statuses come from a proxy, or from no Odoo at all)."""
    if status in _HTTP_REFUSED:
        return Cause.AUTHENTICATION
    if status in _HTTP_NOT_NOW or status >= HTTP_SERVER_ERROR:
        return Cause.UNAVAILABLE
    return Cause.REQUEST


#: JSON-2 names whose cause is not the one JSON-RPC gives them: JSON-2's own 404 says the model or
#: method does not exist on this database (the call is wrong for this server), where JSON-RPC's
#: NotFound says ``/jsonrpc`` itself is missing at this address.
_JSON2_BY_NAME: dict[str, Cause] = {"werkzeug.exceptions.NotFound": Cause.REQUEST}


def classify_json2(error: ServerError) -> Cause:
    """The cause of an error body JSON-2 answered (its status adds nothing the name does not say)."""
    return _JSON2_BY_NAME.get(error.name) or classify(error)


def json2_server_error(body: object) -> ServerError | None:
    """The error in a JSON-2 error body (``{name, message, arguments, context, debug}``); None when the
    body is not Odoo's (a proxy's page, an empty body)."""
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        return None
    message = body.get("message")
    return ServerError(name=body["name"], message=message if isinstance(message, str) else "")


def json2_error_for(
    url: str,
    status: int,
    body: object,
    *,
    model: str | None,
    method: str | None,
    reason: str = "",
    retry_after: str | None = None,
) -> OdooError:
    """The OdooError for a JSON-2 answer with error ``status``: by Odoo's error object when ``body``
    is one, else by the status alone (``retry_after``: the Retry-After header of a rate limiter)."""
    error = json2_server_error(body)
    if error is not None:
        return error_for(error, model, method, cause=classify_json2(error))
    if status == TOO_MANY_REQUESTS:
        wait = f", retry after {retry_after} s" if retry_after else ""
        return OdooUnavailableError(
            f"Odoo at {url} limits our request rate (HTTP 429 Too Many Requests{wait}): retrying later",
            model=model,
            method=method,
        )
    return http_error_for(url, status, reason, model, method)


def error_for(
    error: ServerError, model: str | None, method: str | None, *, cause: Cause | None = None
) -> OdooError:
    """The OdooError to raise for ``error`` (of ``cause``, classified from ``error`` when not given),
    with a message naming the call, Odoo's exception and what to do about it."""
    cause = cause or classify(error)
    where = f"{model}.{method}" if model else "Odoo"
    detail = error.message.strip() or "(no message)"
    said = f"{detail} [{error.name}]" if error.name else detail
    advice = _ADVICE.get(cause, "")
    return ERROR_TYPES[cause](f"{where}: {said}{advice}", model=model, method=method, odoo_name=error.name)


_ADVICE: dict[Cause, str] = {
    Cause.DATA: (
        "; Odoo's database cannot store a value of this call (it does not fit the field's type): "
        "a permanent error for this record"
    ),
    Cause.ACCESS: "; give the Odoo user the rights for this model and record (a permanent error until then)",
    Cause.REQUEST: "; this server does not accept the call as made: a permanent error for this record",
    Cause.UNAVAILABLE: "; Odoo or its database cannot serve now: retrying later",
}


_HTTP_ADVICE: dict[Cause, str] = {
    Cause.UNAVAILABLE: (
        "it is down or overloaded, or this address is not Odoo's (check SUPPLYSTREAM_ODOO__URL); "
        "retrying later"
    ),
    Cause.AUTHENTICATION: "something in front of Odoo refuses our credentials; check them",
    Cause.REQUEST: "Odoo does not accept the request as sent: a permanent error for this record",
}


def http_error_for(url: str, status: int, reason: str, model: str | None, method: str | None) -> OdooError:
    """The OdooError for an HTTP error status answered instead of a JSON-RPC response."""
    cause = classify_http_status(status)
    return ERROR_TYPES[cause](
        f"Odoo at {url} answered HTTP {status} {reason}: {_HTTP_ADVICE[cause]}", model=model, method=method
    )
