"""A small threaded HTTPS server with regex routing, HTTP/1.1 keep-alive and fault injection.

Sandboxes declare routes; this module owns sockets, TLS, the admin endpoints and faults, so each
sandbox file only speaks its API.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core import clock
from core.sandbox.faults import FaultPlan

log = logging.getLogger("hub.sandbox")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    sandbox_state: dict[str, Any] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None
    #: close the connection without answering (the request was still handled)
    drop: bool = False


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[Request], Response]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        path_known = False
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match:
                path_known = True
                if route_method in (method, "*"):
                    return handler, {k: unquote(v) for k, v in match.groupdict().items()}, True
        return None, {}, path_known


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ):
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        raw, addr = super().get_request()
        # Handshake lazily in the handler thread, so a slow client cannot stall accept().
        return self.context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False), addr


class SandboxServer:
    """Serves a router over HTTPS on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(self, router: Router, context: ssl.SSLContext, *, faults: FaultPlan, port: int = 0) -> None:
        self.router = router
        self.faults = faults
        self.state: dict[str, Any] = {}
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("sandbox %s", format % args)

            def _serve(self) -> None:
                server.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._httpd = _TLSServer(("127.0.0.1", port), _Handler, context)
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"sandbox:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        request = Request(
            method=h.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
            sandbox_state=self.state,
        )
        fired = self.faults.firing(request)
        response: Response | None = None
        for fault in fired:
            response = fault.before(request)
            if response is not None:
                break
        if response is None:
            response = self._route(request)
        for fault in fired:
            response = fault.after_response(response)
        self._write(h, response)

    def _route(self, request: Request) -> Response:
        handler, params, path_known = self.router.resolve(request.method, request.path)
        if handler is None:
            status = 405 if path_known else 404
            return json_response(
                {"error": {"code": "NotFound", "message": f"{request.method} {request.path}"}}, status
            )
        request.params = params
        try:
            return handler(request)
        except Exception as exc:  # a sandbox bug must show up as a 500, like a real server
            log.exception("sandbox handler failed")
            return json_response({"error": {"code": "InternalError", "message": str(exc)}}, 500)

    @staticmethod
    def _write(h: BaseHTTPRequestHandler, response: Response) -> None:
        if response.drop:
            h.close_connection = True
            return
        h.log_request(response.status)
        h.send_response_only(response.status)
        # The Date header follows the hub clock, so a scenario's pinned "now" is the server's too
        # (clients that take a `since` cursor from the server's clock stay consistent).
        headers = {
            "Server": h.version_string(),
            "Date": format_datetime(clock.now(), usegmt=True),
            "Content-Type": "application/json",
            **response.headers,
        }
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(response.body)))
        if response.truncate_to is not None:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        try:
            h.wfile.write(
                response.body if response.truncate_to is None else response.body[: response.truncate_to]
            )
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            h.close_connection = True
