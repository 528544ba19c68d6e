"""Fault injection for sandboxes: one small class per fault behind one base.

Faults are armed through the admin API (`POST /_admin/faults`) or in-process, match requests by
path regex, and fire a bounded number of times, so tests and scenarios stay deterministic.
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from core.sandbox.server import Request, Response


@dataclass
class Fault(ABC):
    """A fault that fires on matching requests `times` times (skipping the first `after`)."""

    kind: ClassVar[str]
    path: str = ".*"
    times: int = 1
    after: int = 0
    method: str | None = None
    _seen: int = field(default=0, init=False)

    def matches(self, request: Request) -> bool:
        if self.times <= 0 or not re.search(self.path, request.path):
            return False
        if self.method and request.method != self.method.upper():
            return False
        self._seen += 1
        if self._seen <= self.after:
            return False
        self.times -= 1
        return True

    def before(self, request: Request) -> Response | None:
        """Answer instead of the sandbox (a 429, a 500), or None to let the request through."""
        return None

    def after_response(self, response: Response) -> Response:
        """Alter the sandbox's answer (truncate, delay)."""
        return response


@dataclass
class Throttle(Fault):
    """429 with Retry-After (seconds), like Graph, ARM and Workday REST."""

    kind = "throttle"
    retry_after: float = 1.0
    status: int = 429
    body: str = '{"error":{"code":"TooManyRequests","message":"Rate limit exceeded"}}'

    def before(self, request: Request) -> Response | None:
        from core.sandbox.server import Response

        seconds = int(self.retry_after) if float(self.retry_after).is_integer() else self.retry_after
        return Response(
            self.status, self.body.encode(), {"Retry-After": str(seconds), "Content-Type": "application/json"}
        )


@dataclass
class ServerError(Fault):
    """A 5xx answer (Workday throttles SOAP with 500)."""

    kind = "server_error"
    status: int = 503
    body: str = '{"error":"service unavailable"}'
    content_type: str = "application/json"
    retry_after: float | None = None

    def before(self, request: Request) -> Response | None:
        from core.sandbox.server import Response

        headers = {"Content-Type": self.content_type}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return Response(self.status, self.body.encode(), headers)


@dataclass
class Slow(Fault):
    """Delays the answer (to exercise read timeouts)."""

    kind = "slow"
    seconds: float = 2.0

    def after_response(self, response: Response) -> Response:
        time.sleep(min(self.seconds, 30.0))
        return response


@dataclass
class Truncate(Fault):
    """Sends only part of the body while announcing the full length, then drops the connection."""

    kind = "truncate"
    keep_fraction: float = 0.5

    def after_response(self, response: Response) -> Response:
        response.truncate_to = max(1, int(len(response.body) * self.keep_fraction))
        return response


@dataclass
class HtmlPage(Fault):
    """A success status with an HTML page instead of the API's document: a proxy, a load balancer
    or a single-sign-on portal answering for the API. Well-formed (XHTML), so an XML client
    parses it and must notice that it is not the answer it asked for."""

    kind = "html_page"
    status: int = 200
    body: str = (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
        '<meta charset="utf-8"/><title>Sign in to continue</title></head><body><h1>Sign in</h1>'
        '<form method="post" action="/adfs/ls/"><input name="UserName"/></form></body></html>'
    )

    def before(self, request: Request) -> Response | None:
        from core.sandbox.server import Response

        return Response(self.status, self.body.encode(), {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class CutBody(Fault):
    """The API's own answer cut off after `keep_fraction` of its body, delivered as complete (the
    length matches what is sent): a gateway that lost the upstream mid-body after the headers."""

    kind = "cut_body"
    keep_fraction: float = 0.6

    def after_response(self, response: Response) -> Response:
        response.body = response.body[: max(1, int(len(response.body) * self.keep_fraction))]
        return response


@dataclass
class AppliedThenError(Fault):
    """The request is applied (the ticket exists) but the answer is a 502: a gateway that lost
    the upstream's reply. A client that re-sends it creates a second record."""

    kind = "applied_then_error"
    status: int = 502
    body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>"

    def after_response(self, response: Response) -> Response:
        from core.sandbox.server import Response

        return Response(self.status, self.body.encode(), {"Content-Type": "text/html"})


@dataclass
class AppliedThenDrop(Fault):
    """The request is applied, then the connection closes before any byte of the answer."""

    kind = "applied_then_drop"

    def after_response(self, response: Response) -> Response:
        response.drop = True
        return response


@dataclass
class ExpireTokens(Fault):
    """Marks every issued token expired (the sandbox's token store answers 401 on next use)."""

    kind = "expire_tokens"
    times: int = 1

    def before(self, request: Request) -> Response | None:
        request.sandbox_state["expire_tokens"] = True
        return None


FAULT_KINDS: dict[str, type[Fault]] = {
    cls.kind: cls
    for cls in (
        Throttle,
        ServerError,
        Slow,
        Truncate,
        HtmlPage,
        CutBody,
        AppliedThenError,
        AppliedThenDrop,
        ExpireTokens,
    )
}


class FaultPlan:
    """The armed faults of one sandbox, consulted on every request (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def arm_from_dict(self, spec: dict[str, Any]) -> Fault:
        spec = dict(spec)
        kind = spec.pop("kind", None)
        cls = FAULT_KINDS.get(str(kind))
        if cls is None:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        fault = cls(**spec)
        self.arm(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def firing(self, request: Request) -> list[Fault]:
        with self._lock:
            fired = [f for f in self._faults if f.matches(request)]
            self._faults = [f for f in self._faults if f.times > 0]
            return fired

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"kind": f.kind, "path": f.path, "times": f.times} for f in self._faults]
