"""The HTTP layer against a real local HTTPS server: retries, Retry-After, token refresh,
paging, clear errors and no secret in any of them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from core.errors import AuthError, TransientError
from core.http import HttpClient, NextLinkPaginator, OffsetPaginator, RetryPolicy
from core.http.body import json_of, unexpected_body
from core.http.client import HttpStatusError
from core.http.retry import parse_retry_after
from core.sandbox.ca import SandboxCA
from core.sandbox.faults import CutBody, FaultPlan, HtmlPage, ServerError, Throttle
from core.sandbox.server import Request, Response, Router, SandboxServer, json_response

SECRET = "s3cr3t-token-value"


class Api:
    """A tiny API: items with offset paging, a next-link feed, a token-protected path."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.valid_token = "fresh"

    def routes(self) -> Router:
        router = Router()
        router.add("GET", r"/items", self.items)
        router.add("GET", r"/feed", self.feed)
        router.add("GET", r"/private", self.private)
        router.add("GET", r"/echo-secret", self.echo_secret)
        return router

    def items(self, request: Request) -> Response:
        self.calls.append((request.path, time.monotonic()))
        offset, limit = int(request.arg("offset") or 0), int(request.arg("limit") or 10)
        data = [{"id": i} for i in range(offset, min(offset + limit, 25))]
        return json_response({"items": data, "total": 25})

    def feed(self, request: Request) -> Response:
        page = int(request.arg("page") or 0)
        body: dict[str, Any] = {"value": [{"n": page}]}
        if page < 3:
            body["@odata.nextLink"] = f"/feed?page={page + 1}"
        return json_response(body)

    def private(self, request: Request) -> Response:
        if request.header("authorization") != f"Bearer {self.valid_token}":
            return json_response({"error": "invalid_token"}, 401)
        return json_response({"ok": True})

    def echo_secret(self, request: Request) -> Response:
        return json_response({"error": f"bad key {SECRET}"}, 400)


@pytest.fixture(scope="module")
def served(sandbox_ca: SandboxCA) -> Iterator[tuple[SandboxServer, Api, FaultPlan]]:
    api, faults = Api(), FaultPlan()
    server = SandboxServer(api.routes(), sandbox_ca.server_context(), faults=faults)
    server.start()
    yield server, api, faults
    server.stop()


@pytest.fixture
def client(served: tuple[SandboxServer, Api, FaultPlan], sandbox_ca: SandboxCA) -> Iterator[HttpClient]:
    server, _, faults = served
    faults.clear()
    http = HttpClient(
        server.url,
        name="test-api",
        ca_bundle=str(sandbox_ca.ca_path),
        retry=RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05),
        secrets=[SECRET],
    )
    yield http
    http.close()


def test_429_with_retry_after_is_waited_out_then_succeeds(client: HttpClient, served: Any) -> None:
    _, api, faults = served
    faults.arm(Throttle(path=r"^/items$", retry_after=1, times=1))
    api.calls.clear()
    started = time.monotonic()
    body = client.get_json("/items", params={"offset": 0, "limit": 5})
    assert [i["id"] for i in body["items"]] == [0, 1, 2, 3, 4]
    assert client.retry_count == 1
    assert time.monotonic() - started >= 0.9  # the server's Retry-After, not the tiny base delay


def test_503_is_retried_with_backoff(client: HttpClient, served: Any) -> None:
    _, _, faults = served
    faults.arm(ServerError(path=r"^/items$", status=503, times=2))
    assert client.get_json("/items")["total"] == 25
    assert client.retry_count == 2


def test_persistent_outage_gives_up_with_a_resumable_transient_error(client: HttpClient, served: Any) -> None:
    _, _, faults = served
    faults.arm(ServerError(path=r"^/items$", status=503, times=10))
    with pytest.raises(TransientError) as caught:
        client.get_json("/items")
    assert "gave up after 4 attempts" in str(caught.value)
    assert caught.value.hint and "retried safely" in caught.value.hint


def test_a_retry_after_beyond_the_budget_fails_fast_instead_of_blocking(
    client: HttpClient, served: Any
) -> None:
    _, _, faults = served
    faults.arm(Throttle(path=r"^/items$", retry_after=3600, times=1))
    started = time.monotonic()
    with pytest.raises(TransientError, match="asked to wait 3600s"):
        client.get_json("/items")
    assert time.monotonic() - started < 30


def test_a_401_refreshes_the_token_once_and_repeats_the_request(served: Any, sandbox_ca: SandboxCA) -> None:
    server, api, _ = served

    class TokenAuth(requests.auth.AuthBase):
        def __init__(self) -> None:
            self.token, self.refreshed = "stale", 0

        def refresh(self) -> None:
            self.refreshed += 1
            self.token = api.valid_token

        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.headers["Authorization"] = f"Bearer {self.token}"
            return r

    auth = TokenAuth()
    http = HttpClient(server.url, name="test-api", auth=auth, ca_bundle=str(sandbox_ca.ca_path))
    assert http.get_json("/private") == {"ok": True}
    assert auth.refreshed == 1


def test_a_401_after_refresh_is_an_auth_error_that_says_what_to_fix(
    served: Any, sandbox_ca: SandboxCA
) -> None:
    server, _, _ = served

    class WrongAuth(requests.auth.AuthBase):
        def refresh(self) -> None:
            pass

        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.headers["Authorization"] = f"Bearer {SECRET}"
            return r

    http = HttpClient(
        server.url, name="test-api", auth=WrongAuth(), ca_bundle=str(sandbox_ca.ca_path), secrets=[SECRET]
    )
    with pytest.raises(AuthError) as caught:
        http.get_json("/private")
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.__dict__)


def test_error_bodies_are_redacted(client: HttpClient) -> None:
    with pytest.raises(HttpStatusError) as caught:
        client.get_json("/echo-secret")
    assert "400" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in caught.value.body


def test_tls_verification_is_on(served: Any) -> None:
    server, _, _ = served
    http = HttpClient(server.url, name="test-api", retry=RetryPolicy(max_retries=0), ca_bundle=None)
    # with no sandbox CA the self-made certificate is rejected (the system bundle does not know it)
    with pytest.raises(TransientError, match="SSLError"):
        http.get_json("/items", verify=requests.certs.where())


def test_offset_paging_reads_every_item_once(client: HttpClient) -> None:
    paginator = OffsetPaginator(10, records_path="items", total_path="total")
    ids = [
        item["id"] for response in client.paginate(paginator, "/items") for item in response.json()["items"]
    ]
    assert ids == list(range(25))


def test_next_link_paging_follows_links_to_the_end(client: HttpClient) -> None:
    paginator = NextLinkPaginator("@odata.nextLink")
    pages = [response.json()["value"][0]["n"] for response in client.paginate(paginator, "/feed")]
    assert pages == [0, 1, 2, 3]


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_retry_after_parsing_never_raises_and_is_never_negative(value: str | None) -> None:
    parsed = parse_retry_after(value)
    assert parsed is None or parsed >= 0


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past: no wait


@pytest.mark.parametrize("fault", [HtmlPage(path=r"^/feed$"), CutBody(path=r"^/feed$")], ids=["html", "cut"])
def test_a_page_that_is_not_json_is_retried_inside_paging(
    client: HttpClient, served: Any, fault: Any
) -> None:
    _, _, faults = served
    faults.arm(fault)
    pages = [json_of(r) for r in client.paginate(NextLinkPaginator("@odata.nextLink"), "/feed")]
    assert [p["value"][0]["n"] for p in pages] == [0, 1, 2, 3]
    assert client.retry_count == 1


def test_a_body_that_stays_wrong_is_one_transient_line_with_status_type_and_first_bytes(
    client: HttpClient, served: Any
) -> None:
    _, _, faults = served
    faults.arm(HtmlPage(path=r"^/items$", times=10))
    with pytest.raises(TransientError) as caught:
        client.get_json("/items")
    message = caught.value.message
    assert "\n" not in message and "gave up after 4 attempts" in message
    assert "200 answer from" in message and "text/html" in message
    assert "HTML page titled 'Sign in to continue'" in message
    faults.clear()
    faults.arm(CutBody(path=r"^/items$", times=10, keep_fraction=0.5))
    with pytest.raises(TransientError, match=r"application/json \(\d+ bytes\) is not JSON: '\{\"items\""):
        client.get_json("/items")


def test_a_json_document_without_the_promised_member_is_not_an_answer(client: HttpClient) -> None:
    with pytest.raises(TransientError, match="is JSON without 'value'"):
        client.request_json("GET", "/items", require=("value",))


def test_the_first_bytes_of_an_unexpected_body_are_redacted() -> None:
    error = unexpected_body(
        status=200,
        content_type="text/plain",
        body=f"token={SECRET} and more",
        expected="JSON",
        secrets=[SECRET],
    )
    assert SECRET not in str(error) and error.kind == "transient"
