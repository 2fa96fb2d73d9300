"""Odoo's errors classified by cause (`supplystream.odoo.failures`), on a table of the shapes Odoo
really answers: ``error.code`` and ``error.data.name`` / ``.message`` as odoo/http.py serialises them
for JSON-RPC, and the HTTP status with the bare error object for Odoo 19's JSON-2.

Rows marked "Odoo 11" were answered by the real Odoo 11 of the test stack (psycopg2 2.8.6); the
PostgreSQL messages are PostgreSQL's own; the names follow ``serialize_exception`` (the exception's
module and class).
"""

from __future__ import annotations

import odoorpc.error
import pytest

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
from supplystream.odoo.failures import (
    ERROR_TYPES,
    Cause,
    ServerError,
    classify,
    classify_http_status,
    classify_json2,
    error_for,
    http_error_for,
    json2_error_for,
    json2_server_error,
    sqlstate_of,
)
from supplystream.odoo.transport import map_error

DATA, RULES, DOWN = Cause.DATA, Cause.VALIDATION, Cause.UNAVAILABLE
SERIALIZATION = "could not serialize access due to concurrent update\n"
NOT_NULL_ODOO_11 = (
    "The operation cannot be completed, probably due to the following:\n"
    "- deletion: you may be trying to delete a record while other records still reference it\n"
    "- creation/update: a mandatory field is not correctly set\n\n"
    "[object with reference: Warehouse - stock.warehouse]\nNone"
)
MISSING_ODOO_11 = (
    "One of the records you are trying to modify has already been deleted (Document type: Contact).\nNone"
)
#: (data.name, data.message, error code, cause).
REAL_ERRORS: list[tuple[str, str, int, Cause]] = [
    # -- a value the database cannot store: permanent ----------------------------------------------
    ("psycopg2.errors.NumericValueOutOfRange", "integer out of range\n", 200, Cause.DATA),  # Odoo 11
    ("psycopg2.DataError", "integer out of range\n", 200, Cause.DATA),  # psycopg2 < 2.8
    ("psycopg2.errors.NumericValueOutOfRange", "numeric field overflow\n", 200, Cause.DATA),
    (
        "psycopg2.errors.StringDataRightTruncation",
        "value too long for type character varying(5)\n",
        200,
        DATA,
    ),
    ("psycopg2.errors.InvalidTextRepresentation", 'invalid input syntax for type integer: "x"\n', 200, DATA),
    ("psycopg2.errors.InvalidDatetimeFormat", 'invalid input syntax for type date: "2026-13"\n', 200, DATA),
    ("psycopg2.errors.DivisionByZero", "division by zero\n", 200, Cause.DATA),
    # -- Odoo's rules and constraints: permanent -----------------------------------------------------
    (
        "odoo.exceptions.ValidationError",
        "The name of the warehouse must be unique per company!\nNone",
        200,
        RULES,
    ),
    ("odoo.exceptions.ValidationError", NOT_NULL_ODOO_11, 200, RULES),  # Odoo 11
    ("odoo.exceptions.UserError", "Object x_no_such.model doesn't exist\n", 200, RULES),  # Odoo 11
    ("odoo.exceptions.Warning", "You cannot validate a transfer if no quantites are reserved", 200, RULES),
    ("odoo.exceptions.except_orm", "('Error', 'Not enough stock')", 200, RULES),
    (
        "psycopg2.errors.UniqueViolation",
        'duplicate key value violates unique constraint "x_key"\n',
        200,
        RULES,
    ),
    ("psycopg2.IntegrityError", 'null value in column "name" violates not-null constraint\n', 200, RULES),
    # -- a record missing, no rights: permanent ----------------------------------------------------
    ("odoo.exceptions.MissingError", MISSING_ODOO_11, 200, Cause.MISSING),  # Odoo 11
    (
        "odoo.exceptions.AccessError",
        "Private methods (such as _private) cannot be called remotely.\nNone",
        200,
        Cause.ACCESS,
    ),  # Odoo 11
    ("psycopg2.errors.InsufficientPrivilege", "permission denied for table stock_quant\n", 200, Cause.ACCESS),
    # -- the call itself: permanent ----------------------------------------------------------------
    (
        "builtins.AttributeError",
        "type object 'res.partner' has no attribute 'no_such_method'",
        200,
        Cause.REQUEST,
    ),  # Odoo 11
    ("builtins.ValueError", "invalid literal for int() with base 10: 'abc'", 200, Cause.REQUEST),  # Odoo 11
    ("builtins.ValueError", "Invalid field 'x_nope' on model 'res.partner'", 200, Cause.REQUEST),  # Odoo 17
    ("builtins.TypeError", "create() got an unexpected keyword argument 'x'", 200, Cause.REQUEST),
    ("builtins.KeyError", "'product_id'", 200, Cause.REQUEST),
    ("psycopg2.errors.UndefinedColumn", 'column "x_version" does not exist\n', 200, Cause.REQUEST),
    ("psycopg2.errors.InFailedSqlTransaction", "current transaction is aborted\n", 200, Cause.REQUEST),
    ("psycopg2.errors.NoSuchErrorClass", "something\n", 200, Cause.REQUEST),
    ("", "Odoo Server Error", 200, Cause.REQUEST),
    # -- a refused login: the sink pauses -----------------------------------------------------------
    ("odoo.exceptions.AccessDenied", "Access Denied", 200, Cause.AUTHENTICATION),
    ("odoo.http.SessionExpiredException", "Session expired", 100, Cause.AUTHENTICATION),
    ("odoo.http.AuthenticationError", "Odoo Session Invalid", 100, Cause.AUTHENTICATION),
    # -- concurrency: transient ------------------------------------------------------------------
    ("psycopg2.errors.SerializationFailure", SERIALIZATION, 200, Cause.CONCURRENCY),
    ("psycopg2.extensions.TransactionRollbackError", SERIALIZATION, 200, Cause.CONCURRENCY),
    ("psycopg2.OperationalError", SERIALIZATION, 200, Cause.CONCURRENCY),
    (
        "psycopg2.errors.DeadlockDetected",
        "deadlock detected\nDETAIL: Process 1 waits",
        200,
        Cause.CONCURRENCY,
    ),
    (
        "psycopg2.errors.LockNotAvailable",
        'could not obtain lock on row in relation "stock_quant"\n',
        200,
        Cause.CONCURRENCY,
    ),
    # -- unavailability: transient ---------------------------------------------------------------
    ("psycopg2.OperationalError", "server closed the connection unexpectedly\n", 200, DOWN),
    ("psycopg2.OperationalError", 'FATAL:  database "odoo" does not exist\n', 200, DOWN),
    ("psycopg2.InterfaceError", "connection already closed", 200, DOWN),
    ("psycopg2.errors.QueryCanceled", "canceling statement due to statement timeout\n", 200, DOWN),
    ("psycopg2.errors.TooManyConnections", "sorry, too many clients already\n", 200, DOWN),
    ("psycopg2.errors.AdminShutdown", "terminating connection due to administrator command\n", 200, DOWN),
    ("psycopg2.errors.CannotConnectNow", "the database system is starting up\n", 200, DOWN),
    ("psycopg2.errors.DiskFull", "could not extend file: No space left on device\n", 200, DOWN),
    (
        "psycopg2.errors.ReadOnlySqlTransaction",
        "cannot execute INSERT in a read-only transaction\n",
        200,
        DOWN,
    ),
    ("psycopg2.pool.PoolError", "The Connection Pool Is Full", 200, DOWN),
    (
        "odoo.exceptions.Warning",
        "Currently, this database is not fully loaded and can not be used.",
        200,
        DOWN,
    ),
    (
        "werkzeug.exceptions.NotFound",
        "404 Not Found: The requested URL was not found on the server.",
        404,
        DOWN,
    ),
]


@pytest.mark.parametrize(("name", "message", "code", "cause"), REAL_ERRORS)
def test_odoo_errors_are_classified_by_cause(name: str, message: str, code: int, cause: Cause) -> None:
    assert classify(ServerError(name, message, code)) is cause


def test_only_unavailability_and_concurrency_are_transient() -> None:
    assert {cause for cause in Cause if cause.transient} == {Cause.UNAVAILABLE, Cause.CONCURRENCY}
    assert {
        Cause.UNAVAILABLE: OdooUnavailableError,
        Cause.CONCURRENCY: OdooConcurrentUpdateError,
        Cause.AUTHENTICATION: OdooAuthenticationError,
        Cause.ACCESS: OdooAccessError,
        Cause.MISSING: OdooMissingRecordError,
        Cause.VALIDATION: OdooValidationError,
        Cause.DATA: OdooDataError,
        Cause.REQUEST: OdooError,
    } == ERROR_TYPES


def test_psycopg2_error_names_give_their_sqlstate() -> None:
    assert sqlstate_of("psycopg2.errors.NumericValueOutOfRange") == "22003"
    assert sqlstate_of("psycopg2.errors.SerializationFailure") == "40001"
    assert sqlstate_of("psycopg2.errors.NoSuchErrorClass") is None
    assert sqlstate_of("psycopg2.errors.lookup") is None  # a function of the module, not an error class
    assert sqlstate_of("psycopg2.DataError") is None
    assert sqlstate_of("odoo.exceptions.UserError") is None


def test_the_out_of_range_error_of_odoo_11_becomes_a_permanent_data_error_naming_its_cause() -> None:
    """The JSON-RPC ``error`` the real Odoo 11 answered for ``res.partner.create({'color': 2**31})``."""
    info = {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": "psycopg2.errors.NumericValueOutOfRange",
            "debug": "Traceback (most recent call last): ...",
            "message": "integer out of range\n",
            "arguments": ["integer out of range\n"],
            "exception_type": "internal_error",
        },
    }
    error = map_error(odoorpc.error.RPCError("integer out of range\n", info), "x_supplystream_atp", "create")
    assert type(error) is OdooDataError
    assert error.odoo_name == "psycopg2.errors.NumericValueOutOfRange"
    assert (error.model, error.method) == ("x_supplystream_atp", "create")
    assert str(error).startswith(
        "x_supplystream_atp.create: integer out of range [psycopg2.errors.NumericValueOutOfRange]; "
    )
    assert "permanent" in str(error)


@pytest.mark.parametrize("cause", list(Cause))
def test_every_cause_has_its_type_and_keeps_odoos_message(cause: Cause) -> None:
    name, message, code, _ = next(row for row in REAL_ERRORS if row[3] is cause)
    error = error_for(ServerError(name, message, code), "sale.order", "create")
    assert type(error) is ERROR_TYPES[cause]
    assert message.strip().splitlines()[0] in str(error)
    assert str(error).startswith("sale.order.create: ")
    assert error.odoo_name == name


@pytest.mark.parametrize(
    ("status", "cause"),
    [
        (502, Cause.UNAVAILABLE),
        (503, Cause.UNAVAILABLE),
        (504, Cause.UNAVAILABLE),
        (500, Cause.UNAVAILABLE),
        (429, Cause.UNAVAILABLE),
        (408, Cause.UNAVAILABLE),
        (404, Cause.UNAVAILABLE),
        (401, Cause.AUTHENTICATION),
        (403, Cause.AUTHENTICATION),
        (400, Cause.REQUEST),
        (413, Cause.REQUEST),
    ],
)
def test_http_statuses_answered_instead_of_json_rpc(status: int, cause: Cause) -> None:
    assert classify_http_status(status) is cause
    error = http_error_for("http://odoo:8069", status, "Reason", "res.partner", "read")
    assert type(error) is ERROR_TYPES[cause]
    assert str(error).startswith(f"Odoo at http://odoo:8069 answered HTTP {status} Reason: ")


# -- JSON-2 (Odoo 19): an HTTP status and the bare error object as the body -----------------------


def json2_body(name: str, message: str, arguments: list[object] | None = None) -> dict[str, object]:
    """A JSON-2 error body as odoo/http.py ``serialize_exception`` builds it (Odoo 19)."""
    return {
        "name": name,
        "message": message,
        "arguments": arguments if arguments is not None else [message],
        "context": {},
        "debug": f"Traceback (most recent call last):\n{name}: {message}\n",
    }


#: (HTTP status, body name, message, our type): the shapes Odoo 19's JSON-2 answers (odoo/http.py
#: ``Json2Dispatcher.handle_error``, odoo/exceptions.py ``http_status``, addons/rpc json2.py).
JSON2_ERRORS: list[tuple[int, str, str, type[OdooError]]] = [
    (401, "werkzeug.exceptions.Unauthorized", "Invalid apikey", OdooAuthenticationError),
    (
        401,
        "werkzeug.exceptions.Unauthorized",
        "User not authenticated, use an API Key",
        OdooAuthenticationError,
    ),
    (403, "odoo.exceptions.AccessDenied", "Access Denied", OdooAuthenticationError),
    (
        403,
        "odoo.exceptions.AccessError",
        "You are not allowed to modify 'Contact' (res.partner)",
        OdooAccessError,
    ),
    (404, "odoo.exceptions.MissingError", MISSING_ODOO_11, OdooMissingRecordError),
    (404, "werkzeug.exceptions.NotFound", "the model 'x_nope' does not exist", OdooError),
    (404, "werkzeug.exceptions.NotFound", "The method 'res.partner.nope' does not exist", OdooError),
    (409, "odoo.exceptions.LockError", "Cannot lock the records", OdooConcurrentUpdateError),
    (422, "odoo.exceptions.ValidationError", "The operation cannot be completed", OdooValidationError),
    (422, "odoo.exceptions.UserError", "Nothing to check the availability for.", OdooValidationError),
    (422, "werkzeug.exceptions.UnprocessableEntity", "cannot call res.partner.create with ids", OdooError),
    (422, "werkzeug.exceptions.UnprocessableEntity", "got an unexpected keyword argument 'x'", OdooError),
    (400, "werkzeug.exceptions.BadRequest", "could not parse the body as json", OdooError),
    (500, "psycopg2.errors.NumericValueOutOfRange", "integer out of range\n", OdooDataError),
    (500, "psycopg2.errors.SerializationFailure", SERIALIZATION, OdooConcurrentUpdateError),
    (500, "psycopg2.errors.LockNotAvailable", "could not obtain lock on row\n", OdooConcurrentUpdateError),
    (500, "psycopg2.OperationalError", "the database system is shutting down\n", OdooUnavailableError),
    (500, "builtins.TypeError", "unsupported operand", OdooError),
    (503, "werkzeug.exceptions.ServiceUnavailable", "Service Unavailable", OdooUnavailableError),
    (429, "werkzeug.exceptions.TooManyRequests", "Too Many Requests", OdooUnavailableError),
]


@pytest.mark.parametrize(("status", "name", "message", "expected"), JSON2_ERRORS)
def test_json2_errors_are_classified_by_the_name_in_their_body(
    status: int, name: str, message: str, expected: type[OdooError]
) -> None:
    error = json2_error_for(
        "http://odoo", status, json2_body(name, message), model="res.partner", method="write"
    )
    assert type(error) is expected
    assert (error.model, error.method, error.odoo_name) == ("res.partner", "write", name)
    assert message.strip() in str(error)


def test_json2_and_json_rpc_agree_where_the_exception_is_the_same() -> None:
    """The same Odoo exception is the same error whichever API carried it, except NotFound: JSON-2's
    means this database lacks the model or method, JSON-RPC's that /jsonrpc is not there."""
    for _status, name, message, _expected in JSON2_ERRORS:
        if name != "werkzeug.exceptions.NotFound":
            assert classify_json2(ServerError(name, message)) is classify(ServerError(name, message))
    not_found = ServerError("werkzeug.exceptions.NotFound", "the model 'x' does not exist")
    assert (classify_json2(not_found), classify(not_found)) == (Cause.REQUEST, Cause.UNAVAILABLE)


@pytest.mark.parametrize(
    ("status", "body", "expected", "said"),
    [
        (
            429,
            None,
            OdooUnavailableError,
            "limits our request rate (HTTP 429 Too Many Requests, retry after 30 s)",
        ),
        (502, "<html>Bad Gateway</html>", OdooUnavailableError, "HTTP 502"),
        (503, "", OdooUnavailableError, "HTTP 503"),
        (401, None, OdooAuthenticationError, "HTTP 401"),
        (400, {"error": "not Odoo's"}, OdooError, "HTTP 400"),
    ],
)
def test_json2_statuses_without_odoos_body_come_from_in_front_of_odoo(
    status: int, body: object, expected: type[OdooError], said: str
) -> None:
    error = json2_error_for(
        "http://odoo", status, body, model="res.partner", method="write", retry_after="30"
    )
    assert type(error) is expected
    assert said in str(error)


def test_json2_server_error_reads_only_odoos_error_object() -> None:
    assert json2_server_error(json2_body("odoo.exceptions.UserError", "no")) == ServerError(
        "odoo.exceptions.UserError", "no"
    )
    others: list[object] = [None, [], "text", {"name": ""}, {"name": 3}, {"jsonrpc": "2.0", "error": {}}]
    for other in others:
        assert json2_server_error(other) is None
