"""The HTTP front: Odoo 17's JSON-RPC routes on a stdlib ``ThreadingHTTPServer``, and Odoo 19's
JSON-2 when it presents itself as 19 (``release.py``).

JSON-RPC answers always carry HTTP 200, except an unknown route (404), as Odoo does; JSON-2 answers
carry the error's HTTP status. The routes: "Routes" in the stand-in's README.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from supplystream_devkit.odoo_standin import json2, release
from supplystream_devkit.odoo_standin.errors import (
    AccessDenied,
    NotFound,
    OdooError,
    RawError,
    SessionExpired,
)
from supplystream_devkit.odoo_standin.faults import Faults
from supplystream_devkit.odoo_standin.service import Services
from supplystream_devkit.odoo_standin.store import Store

logger = logging.getLogger("supplystream_devkit.odoo_standin")

NO_RESULT = object()  # Odoo leaves "result" out of the answer when a method returns None


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: Store, db_name: str = "odoo") -> None:
        self.store = store
        self.services = Services(store)
        self.faults = Faults()
        self.db_name = db_name
        self.sessions: dict[str, dict[str, Any]] = {}
        self.sessions_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)


class Handler(BaseHTTPRequestHandler):
    server: StandinServer
    server_version = "Werkzeug/2.0.2"  # what Odoo 17's own HTTP server announces
    sys_version = ""
    # JSON-RPC answers as HTTP/1.0, one request per connection (odoorpc closes each anyway);
    # JSON-2 answers as HTTP/1.1 and keeps the connection open (`_keep_alive`), as Odoo's threaded
    # werkzeug server does, which a client's connection pool relies on.
    timeout = 120  # seconds an idle kept-alive connection may hold its thread
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # of every answer on a kept-alive connection until the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        logger.debug(format, *args)

    # -- plumbing --------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(
        self, payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _session_id(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == "session_id":
                return value
        return None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, verb: str) -> None:
        started = time.monotonic()
        path = self.path.split("?", 1)[0]
        body = self._read_body() if verb == "POST" else b""
        label = ""
        outcome = "ok"
        status = 200
        try:
            if path == "/supplystream/faults":
                status, label = self._faults(verb, body), "faults"
                return
            if self.server.faults.down:
                outcome, status = "down", 503
                self._send(503, b"503 Service Unavailable\n", "text/plain")
                return
            retry_after = self.server.faults.retry_after
            if retry_after is not None:  # a rate-limiting proxy in front of Odoo
                outcome, status = "limited", 429
                self._send(429, b"429 Too Many Requests\n", "text/plain", {"Retry-After": str(retry_after)})
                return
            delay = self.server.faults.delay
            if delay:
                time.sleep(delay)
            if release.current().has_json2 and (answered := self._odoo19(verb, path, body)):
                label, outcome, status = answered
                return
            if verb == "GET" and path == "/web/webclient/version_info":
                label = "version_info"
                self._send_json({"jsonrpc": "2.0", "id": None, "result": release.current().common_version()})
                return
            if verb != "POST":
                outcome, status = "not found", 404
                self._send(404, b"<h1>Not Found</h1>", "text/html; charset=utf-8")
                return
            label, outcome, status = self._jsonrpc(path, body)
        finally:
            elapsed = (time.monotonic() - started) * 1000
            logger.info("%s %s %s -> %s %s (%.1f ms)", verb, path, label or "-", status, outcome, elapsed)

    def _odoo19(self, verb: str, path: str, body: bytes) -> tuple[str, str, int] | None:
        """Odoo 19's routes: ``GET /web/version`` and JSON-2; None for any other path."""
        if verb == "GET" and path == "/web/version":
            self._send_json(release.current().web_version())
            return "version", "ok", 200
        if path != json2.PREFIX and not path.startswith(json2.PREFIX + "/"):
            return None
        self._keep_alive()
        answer = json2.handle(
            self.server.services,
            verb,
            path,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            before_call=self._inject_fault,
        )
        self._send(answer.status, json.dumps(answer.body).encode(), json2.CONTENT_TYPE, answer.headers)
        outcome = "ok" if answer.status == HTTPStatus.OK else f"error {answer.body.get('name')}"
        return answer.label, outcome, answer.status

    def _keep_alive(self) -> None:
        """Answer this request as HTTP/1.1 and keep the connection for the next one, unless the
        client asked to close it."""
        if self.request_version == "HTTP/1.1":
            self.protocol_version = "HTTP/1.1"
            self.close_connection = (self.headers.get("Connection") or "").lower() == "close"

    def _faults(self, verb: str, body: bytes) -> int:
        if verb == "POST":
            try:
                payload = json.loads(body or b"{}")
                state = self.server.faults.configure(payload if isinstance(payload, dict) else {})
            except (ValueError, OdooError) as exc:
                self._send_json({"error": str(exc)}, status=400)
                return 400
        else:
            state = self.server.faults.snapshot()
        self._send_json(state)
        return 200

    def _jsonrpc(self, path: str, body: bytes) -> tuple[str, str, int]:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            text = body.decode(errors="replace")
            self._send(400, f"<p>Invalid JSON data:\n{text}</p>".encode(), "text/html; charset=utf-8")
            return "invalid json", "bad request", 400
        request_id = request.get("id")
        params = request.get("params") or {}
        headers: dict[str, str] = {}
        label = _label(path, params if isinstance(params, dict) else {})
        try:
            result, _ = self._route(path, params if isinstance(params, dict) else {}, headers)
        except OdooError as exc:
            status = 404 if isinstance(exc, NotFound) else 200
            self._send_json({"jsonrpc": "2.0", "id": request_id, "error": exc.serialize()}, status=status)
            return label, f"error {exc.name}", status
        except Exception as exc:  # a bug in the stand-in: report it as Odoo reports any exception
            logger.exception("stand-in failure on %s", path)
            error = RawError(f"builtins.{type(exc).__name__}", str(exc))
            self._send_json({"jsonrpc": "2.0", "id": request_id, "error": error.serialize()})
            return label, f"error {error.name}", 200
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if result is not NO_RESULT and result is not None:
            answer["result"] = result
        self._send_json(answer, headers=headers)
        return label, "ok", 200

    def _route(  # noqa: PLR0911 - one return per route
        self, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[Any, str]:
        services = self.server.services
        if path == "/web/webclient/version_info":
            return release.current().common_version(), "version_info"
        if path == "/jsonrpc":
            if release.current().has_json2:
                logger.warning("/jsonrpc is deprecated since Odoo 19, to be removed in Odoo 22: use JSON-2")
            service, method = params.get("service"), str(params.get("method"))
            args = list(params.get("args") or [])
            label = f"{service}.{method}"
            if service == "object" and len(args) >= 5:
                label = f"object.{method} {args[3]}.{args[4]}"
            if service == "common":
                return services.common(method, args), label
            if service == "object":
                self._inject_fault()
                return services.object(method, args), label
            if service == "db":
                return self._db_service(method), label
            raise RawError("builtins.KeyError", repr(service))
        if path == "/web/session/authenticate":
            return self._authenticate(params, headers), "session.authenticate"
        if path == "/web/session/destroy":
            sid = self._session_id()
            if sid:
                with self.server.sessions_lock:
                    self.server.sessions.pop(sid, None)
            return NO_RESULT, "session.destroy"
        if path == "/web/session/get_session_info":
            return self._session_info(self._session()), "session.get_session_info"
        if path == "/web/dataset/call_kw" or path.startswith("/web/dataset/call_kw/"):
            session = self._session()
            model, method = str(params.get("model")), str(params.get("method"))
            self._inject_fault()
            kwargs = dict(params.get("kwargs") or {})
            result = services.call(session["uid"], model, method, list(params.get("args") or []), kwargs)
            return result, f"call_kw {model}.{method}"
        raise NotFound()

    def _inject_fault(self) -> None:
        error = self.server.faults.take_error()
        if error is not None:
            logger.info("fault injection: failing this call with %s", error.name)
            raise error

    def _db_service(self, method: str) -> Any:
        if method == "list":
            return [self.server.db_name]
        if method == "server_version":
            return release.current().version
        if method == "db_exist":
            return True
        raise AccessDenied()

    def _session(self) -> dict[str, Any]:
        sid = self._session_id()
        with self.server.sessions_lock:
            session = self.server.sessions.get(sid or "")
        if session is None:
            raise SessionExpired()
        return session

    def _authenticate(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        # Interactive login: the password only, API keys are refused (res.users._check_credentials)
        uid = self.server.services.authenticate(
            str(params.get("login")), str(params.get("password")), interactive=True
        )
        sid = secrets.token_hex(20)
        session = {"uid": uid, "db": params.get("db") or self.server.db_name, "login": params.get("login")}
        with self.server.sessions_lock:
            self.server.sessions[sid] = session
        headers["Set-Cookie"] = f"session_id={sid}; HttpOnly; Path=/; SameSite=Lax"
        return self._session_info(session)

    def _session_info(self, session: dict[str, Any]) -> dict[str, Any]:
        """A subset of ir.http.session_info (addons/web/models/ir_http.py)."""
        store = self.server.store
        with store.lock:
            user = dict(store.get("res.users", session["uid"]) or {})
            company = dict(store.get("res.company", user.get("company_id") or 0) or {})
        context = {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or False, "uid": session["uid"]}
        return {
            "uid": session["uid"],
            "is_system": False,
            "is_admin": True,
            "user_context": context,
            "db": session["db"],
            "server_version": release.current().version,
            "server_version_info": release.current().version_info,
            "name": user.get("name"),
            "username": user.get("login"),
            "partner_id": user.get("partner_id"),
            "company_id": user.get("company_id"),
            "user_companies": {
                "current_company": user.get("company_id"),
                "allowed_companies": {
                    str(company.get("id")): {"id": company.get("id"), "name": company.get("name")}
                }
                if company
                else {},
            },
        }


def _label(path: str, params: dict[str, Any]) -> str:
    """How a call is named in the log line: service.method and model.method where known."""
    if path == "/jsonrpc":
        args = params.get("args") or []
        label = f"{params.get('service')}.{params.get('method')}"
        if params.get("service") == "object" and isinstance(args, list) and len(args) >= 5:
            label += f" {args[3]}.{args[4]}"
        return label
    if path.startswith("/web/dataset/call_kw"):
        return f"call_kw {params.get('model')}.{params.get('method')}"
    return path
