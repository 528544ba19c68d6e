"""Which failures a request is re-sent after, against a real local HTTPS server that counts what
it applied: a write is repeated only when the server provably never saw it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from core.errors import OutcomeUnknownError, TransientError
from core.http import HttpClient, RetryPolicy
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import (
    AppliedThenDrop,
    AppliedThenError,
    CutBody,
    FaultPlan,
    ServerError,
    Slow,
    Throttle,
)
from core.sandbox.server import Request, Response, Router, SandboxServer, json_response


class Desk:
    """Records created by POST, edited by PATCH, replaced by PUT; counts every applied write."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.lock = threading.Lock()

    def routes(self) -> Router:
        router = Router()
        for method in ("POST", "PATCH", "PUT", "GET"):
            router.add(method, r"/records", self.write)
        return router

    def write(self, request: Request) -> Response:
        with self.lock:
            self.applied.append(request.method)
            return json_response({"id": len(self.applied)}, 201 if request.method == "POST" else 200)


@pytest.fixture(scope="module")
def served(sandbox_ca: SandboxCA) -> Iterator[tuple[SandboxServer, Desk, FaultPlan]]:
    desk, faults = Desk(), FaultPlan()
    server = SandboxServer(desk.routes(), sandbox_ca.server_context(), faults=faults)
    server.start()
    yield server, desk, faults
    server.stop()


@pytest.fixture
def desk(served: tuple[SandboxServer, Desk, FaultPlan]) -> Desk:
    _, desk, faults = served
    faults.clear()
    desk.applied.clear()
    return desk


def client_for(url: str, sandbox_ca: SandboxCA, *, read_timeout: float = 10.0) -> HttpClient:
    return HttpClient(
        url,
        name="desk",
        ca_bundle=str(sandbox_ca.ca_path),
        read_timeout=read_timeout,
        retry=RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.02),
    )


@pytest.fixture
def client(served: Any, sandbox_ca: SandboxCA) -> Iterator[HttpClient]:
    http = client_for(served[0].url, sandbox_ca)
    yield http
    http.close()


AMBIGUOUS = {
    "applied_then_502": AppliedThenError(path="^/records$"),
    "applied_then_dropped": AppliedThenDrop(path="^/records$"),
    "503": ServerError(path="^/records$", status=503),
    "cut_body": CutBody(path="^/records$", keep_fraction=0.3),
    "429_without_retry_after": ServerError(path="^/records$", status=429),
}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("fault_name", list(AMBIGUOUS))
def test_a_write_whose_outcome_is_ambiguous_is_sent_once_and_reported_unknown(
    client: HttpClient, desk: Desk, served: Any, method: str, fault_name: str
) -> None:
    fault = AMBIGUOUS[fault_name]
    fault.times, fault._seen = 1, 0
    served[2].arm(fault)
    with pytest.raises(OutcomeUnknownError) as caught:
        client.request_json(method, "/records", json={"title": "Onboard Zoë"})
    assert fault.times == 0, "the fault never fired"
    assert client.request_count == 1, "the ambiguous write was re-sent"
    assert desk.applied.count(method) <= 1
    assert isinstance(caught.value, TransientError), "an unknown outcome is transient: the next pass looks"
    assert "may or may not have been applied" in str(caught.value)


def test_the_applied_then_502_write_exists_once_at_the_server(
    client: HttpClient, desk: Desk, served: Any
) -> None:
    served[2].arm(AppliedThenError(path="^/records$"))
    with pytest.raises(OutcomeUnknownError):
        client.request_json("POST", "/records", json={"title": "Offboard"})
    assert desk.applied == ["POST"], "the server applied the create exactly once"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_idempotent_methods_are_still_retried_after_ambiguous_failures(
    client: HttpClient, desk: Desk, served: Any, method: str
) -> None:
    served[2].arm(AppliedThenError(path="^/records$", times=1))
    served[2].arm(AppliedThenDrop(path="^/records$", times=1, after=1))
    assert client.request_json(method, "/records", json={"title": "x"})["id"] == 3
    assert desk.applied == [method] * 3


def test_a_write_declared_idempotent_keeps_retrying(client: HttpClient, desk: Desk, served: Any) -> None:
    served[2].arm(AppliedThenError(path="^/records$", times=2))
    body = client.request_json("PATCH", "/records", json={"key": "E1:joiner"}, idempotent=True)
    assert body["id"] == 3 and client.retry_count == 2


def test_a_post_refused_by_a_429_with_retry_after_is_sent_again(
    client: HttpClient, desk: Desk, served: Any
) -> None:
    served[2].arm(Throttle(path="^/records$", retry_after=0, times=1))
    assert client.request_json("POST", "/records", json={})["id"] == 1
    assert desk.applied == ["POST"] and client.retry_count == 1


def test_a_post_that_never_connected_is_retried_then_fails_as_plain_transient(sandbox_ca: SandboxCA) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = client_for(f"https://127.0.0.1:{port}", sandbox_ca)
    with pytest.raises(TransientError) as caught:
        http.request("POST", "/records", json={})
    assert not isinstance(caught.value, OutcomeUnknownError), "a refused connection sent nothing"
    assert http.request_count == 4, "a POST that never left is safe to re-send"


def test_a_post_whose_tls_handshake_fails_is_retried(served: Any, desk: Desk, tmp_path: Any) -> None:
    other_ca = SandboxCA(tmp_path)  # the server's certificate is not signed by this CA
    http = client_for(served[0].url, other_ca)
    with pytest.raises(TransientError) as caught:
        http.request("POST", "/records", json={})
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert http.request_count == 4 and not desk.applied


def test_a_post_that_times_out_reading_the_answer_is_not_re_sent(
    served: Any, desk: Desk, sandbox_ca: SandboxCA
) -> None:
    served[2].arm(Slow(path="^/records$", seconds=1.5, times=1))
    http = client_for(served[0].url, sandbox_ca, read_timeout=0.5)
    with pytest.raises(OutcomeUnknownError):
        http.request("POST", "/records", json={})
    assert http.request_count == 1
