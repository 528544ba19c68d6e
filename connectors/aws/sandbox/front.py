"""The sandbox's HTTPS front: moto's WSGI app behind the hub's fault plan and admin API.

moto speaks the AWS APIs; this front adds what moto does not do and the hub's tests need:
- the sandbox fault plan, matched against `AwsCall.fault_path`; a `Throttle` fault answers with
  the service's real throttling error (code and status per service) and a `ServerError` with a
  5xx error body in the service's protocol, so botocore classifies them as AWS's would be;
- expired sessions: after an `expire_tokens` fault, every assumed-role key issued so far gets
  `ExpiredToken`, like a session past its expiry;
- the role trust policy (principal and `sts:ExternalId`), which moto leaves unchecked across
  accounts;
- AWS Config `SelectAggregateResourceConfig`, answered by the sandbox's recorder;
- `/_admin/...` (ops and faults), as on every sandbox.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from werkzeug.datastructures import EnvironHeaders

from connectors.aws.sandbox.protocol import (
    AwsCall,
    error_response,
    expired_response,
    server_error_response,
    throttling_response,
)
from core.sandbox.faults import ServerError, Throttle
from core.sandbox.server import Request, Response, Router, json_response

if TYPE_CHECKING:
    from connectors.aws.sandbox.tenant import AwsSandbox

#: the IAM operations the hub's write actions send (core/actions; connectors/aws/actions.py)
ACTION_WRITES = frozenset({"UpdateAccessKey", "DeleteLoginProfile", "AttachUserPolicy"})

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AwsFront:
    """WSGI middleware around moto; one per running sandbox."""

    def __init__(self, sandbox: AwsSandbox, moto_app: WsgiApp, admin: Router) -> None:
        self.sandbox = sandbox
        self.moto_app = moto_app
        self.admin = admin
        self.state: dict[str, Any] = {}
        self.expired_keys: set[str] = set()
        #: IAM writes of the kinds the hub's actions make, as received (scenarios count them)
        self.iam_writes: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _read_body(environ)
        headers = {k.lower(): v for k, v in EnvironHeaders(environ).items()}
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        request = Request(
            method=method,
            path=path,
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
            sandbox_state=self.state,
        )
        admin = path.startswith("/_admin/")
        response = self._admin(request) if admin else self._aws(request, environ, body)
        return _write(response, start_response)

    # -- admin --------------------------------------------------------------------------------
    def _admin(self, request: Request) -> Response:
        handler, params, known = self.admin.resolve(request.method, request.path)
        if handler is None:
            return json_response(
                {"error": f"no admin route {request.method} {request.path}"}, 405 if known else 404
            )
        request.params = params
        return handler(request)

    # -- AWS calls ----------------------------------------------------------------------------
    def _aws(self, request: Request, environ: dict[str, Any], body: bytes) -> Response:
        call = AwsCall.parse(
            request.method, request.path, environ.get("QUERY_STRING", ""), request.headers, body
        )
        matched = replace(request, path=call.fault_path)
        fired = self.sandbox.faults.firing(matched)
        response: Response | None = None
        for fault in fired:
            if isinstance(fault, Throttle):
                response = throttling_response(call.service, fault.retry_after)
            elif isinstance(fault, ServerError):
                response = server_error_response(call.service, fault.status)
            else:
                response = fault.before(matched)
            if response is not None:
                break
        if response is None:
            response = self._answer(call, environ, body)
        for fault in fired:
            response = fault.after_response(response)
        return response

    def _answer(self, call: AwsCall, environ: dict[str, Any], body: bytes) -> Response:
        self._expire_sessions_if_asked()
        if call.service == "iam" and call.operation in ACTION_WRITES:
            with self._lock:
                self.iam_writes.append(str(call.operation))
        if call.access_key and call.access_key in self.expired_keys:
            return expired_response(call.service)
        if call.service == "sts" and call.operation == "AssumeRole":
            denied = self.sandbox.trust.denial(call)
            if denied is not None:
                return error_response("sts", "AccessDenied", denied, 403)
        if call.service == "config" and call.operation == "SelectAggregateResourceConfig":
            return self.sandbox.recorder.answer(call, environ, body)
        return _call_wsgi(self.moto_app, environ, body)

    def _expire_sessions_if_asked(self) -> None:
        if not self.state.pop("expire_tokens", False):
            return
        with self._lock:
            self.expired_keys |= self.sandbox.session_keys()


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    if length:
        return bytes(stream.read(length))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _call_wsgi(app: WsgiApp, environ: dict[str, Any], body: bytes) -> Response:
    """Run the wrapped app on a replayable body and collect its answer."""
    captured: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    chunks = app(environ, start_response)
    try:
        payload = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    headers = {name: value for name, value in captured["headers"] if name.lower() != "content-length"}
    return Response(int(str(captured["status"]).split()[0]), payload, headers)


def _write(response: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
    headers = {"Content-Type": "application/json", **response.headers}
    headers["Content-Length"] = str(len(response.body))
    body = response.body
    if response.truncate_to is not None:
        headers["Connection"] = "close"
        body = body[: response.truncate_to]
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Status"
    start_response(f"{response.status} {reason}", list(headers.items()))
    return [body]
