"""One `requests` session per connector, with the hub's retry, budget, error and redaction rules.

Promises:
- TLS verification is always on; `ca_bundle` adds trusted CAs (the sandbox CA, a corporate CA).
- Every request has connect and read timeouts.
- 429, 5xx, connection errors, timeouts, truncated bodies and success answers whose body is not
  the JSON promised (an HTML page, a cut-off document: `core.http.body`) are retried with
  exponential backoff and jitter; `Retry-After` (seconds or HTTP date) is honoured and shared by every client
  of the same host in the process.
- Only idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, or one the caller declares
  `idempotent=True`: a search sent as POST, a token request, an upsert by external ID) are re-sent
  after an ambiguous failure. A POST or PATCH is re-sent only when it provably never reached the
  server (connection refused, DNS, TLS handshake, connect timeout) or the server said it was not
  applied (429 with Retry-After); anything else (read timeout, 5xx, a dropped or cut-off answer)
  raises `OutcomeUnknownError`, and the owner of the write looks it up before writing again.
- Failures raise the hub's taxonomy (`AuthError`, `TransientError`, `FatalError`) with messages
  that say what happened and what to do, and never contain credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.auth import AuthBase

from core.errors import AuthError, FatalError, HubError, OutcomeUnknownError
from core.http.body import UnexpectedBody, json_of
from core.http.budget import HostGate, gate_for
from core.http.pagination import BasePaginator
from core.http.redaction import redact_text, redact_url
from core.http.retry import RetryPolicy, is_idempotent, parse_retry_after

log = logging.getLogger("hub.http")

_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def never_sent(exc: BaseException) -> bool:
    """Whether a transport error happened before any byte of the request left: the connection was
    refused, the name did not resolve, the TLS handshake failed or the connect timed out."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


class HttpStatusError(FatalError):
    """A non-retryable HTTP error status; `status` and a redacted `body` excerpt are kept."""

    def __init__(self, message: str, *, status: int, body: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body = body


class HttpClient:
    """HTTP client for one connector instance talking to one base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        auth: AuthBase | None = None,
        ca_bundle: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        rate_per_second: float | None = None,
        secrets: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.name = name
        self.retry = retry or RetryPolicy()
        self.timeout = (connect_timeout, read_timeout)
        self.secrets = [s for s in secrets if s]
        self._sleep = sleep
        self.session = requests.Session()
        self.session.verify = ca_bundle if ca_bundle else True
        self.session.auth = auth
        self.session.headers["User-Agent"] = "itsm-hub/0.1"
        if headers:
            self.session.headers.update(headers)
        self._rate = rate_per_second
        self.request_count = 0
        self.retry_count = 0

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def gate(self, url: str) -> HostGate:
        return gate_for(urlsplit(url).netloc, self._rate)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        accept_statuses: Iterable[int] = (),
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send with retries; return the response if 2xx/3xx or in `accept_statuses`, else raise.

        `idempotent` (default: by method) says whether the request may be re-sent after an
        ambiguous failure; when it may not, such a failure raises `OutcomeUnknownError`."""
        url = self.url(path_or_url)
        replayable = is_idempotent(method) if idempotent is None else idempotent
        accepted = set(accept_statuses)
        kwargs.setdefault("timeout", self.timeout)
        # Per request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override `session.verify`.
        kwargs.setdefault("verify", self.session.verify)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            gate = self.gate(url)
            gate.acquire(self._sleep)
            started = time.monotonic()
            try:
                self.request_count += 1
                response = self.session.request(method, url, **kwargs)
            except _TRANSPORT_ERRORS as exc:
                problem = f"{type(exc).__name__} talking to {redact_url(url)}"
                if not replayable and not never_sent(exc):
                    raise self.outcome_unknown(method, url, problem) from None
                self._retry_or_raise(attempt, problem, None, gate)
                continue
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %s (%.0f ms)", method, redact_url(url), response.status_code, elapsed_ms)
            status = response.status_code
            if status < 400 or status in accepted:
                return response
            refresh = getattr(self.session.auth, "refresh", None)
            if status == 401 and not refreshed and callable(refresh):
                refreshed = True
                refresh()
                attempt -= 1
                continue
            if status in self.retry.retry_statuses:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                problem = f"{status} from {redact_url(url)}: {self.excerpt(response)}"
                if not replayable and not (status == 429 and retry_after is not None):
                    raise self.outcome_unknown(method, url, problem, retry_after)
                self._retry_or_raise(attempt, problem, retry_after, gate)
                continue
            raise self.status_error(method, url, response)

    def _retry_or_raise(self, attempt: int, problem: str, retry_after: float | None, gate: HostGate) -> None:
        delay = self.retry.wait_before_retry(attempt, f"{self.name}: {problem}", retry_after)
        if retry_after is not None:
            gate.hold_until(delay)
        self.retry_count += 1
        log.info("%s: %s; retry %d/%d in %.1fs", self.name, problem, attempt, self.retry.max_retries, delay)
        if retry_after is None:
            self._sleep(delay)

    def outcome_unknown(
        self, method: str, url: str, problem: str, retry_after: float | None = None
    ) -> OutcomeUnknownError:
        log.info("%s: %s after %s %s; not re-sent", self.name, problem, method, redact_url(url))
        return OutcomeUnknownError(
            f"{self.name}: {method} {redact_url(url)} may or may not have been applied: {problem}",
            retry_after=retry_after,
        )

    def excerpt(self, response: requests.Response, limit: int = 300) -> str:
        """A short, redacted excerpt of the body for error messages."""
        try:
            text = response.text[:limit]
        except Exception:  # body unreadable: nothing to show
            text = ""
        return redact_text(" ".join(text.split()), self.secrets)

    def status_error(self, method: str, url: str, response: requests.Response) -> HubError:
        status = response.status_code
        where = f"{status} from {method} {redact_url(url)}"
        body = self.excerpt(response)
        if status == 401:
            return AuthError(
                f"{self.name}: {where}: credentials rejected ({body})", hint="check the secret reference"
            )
        if status == 403:
            return AuthError(
                f"{self.name}: {where}: permission denied ({body})",
                hint="grant the permission named in the connector README",
            )
        return HttpStatusError(f"{self.name}: {where}: {body}", status=status, body=body)

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        """GET and decode JSON; a truncated or undecodable body is retried like a transient error."""
        return self.request_json("GET", path_or_url, **kwargs)

    def request_json(
        self, method: str, path_or_url: str, *, require: Iterable[str] = (), **kwargs: Any
    ) -> Any:
        """Send and decode JSON; a success whose body is not JSON (or lacks a `require`d member)
        is retried like a 503 (`core.http.body`)."""
        response = self.request_decoded(method, path_or_url, require=require, **kwargs)
        return json_of(response)

    def request_decoded(
        self,
        method: str,
        path_or_url: str,
        *,
        require: Iterable[str] = (),
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """`request`, and a 2xx answer's JSON decoded (cached on the response for `json_of`).
        An unreadable answer to a non-idempotent request raises `OutcomeUnknownError`: the
        server said it succeeded, so sending it again could apply it twice."""
        replayable = is_idempotent(method) if idempotent is None else idempotent
        attempt = 0
        while True:
            attempt += 1
            response = self.request(method, path_or_url, idempotent=replayable, **kwargs)
            if response.status_code >= 300:  # an accepted error status: the caller reads its body
                return response
            try:
                json_of(response, require=require, where=redact_url(response.url), secrets=self.secrets)
            except UnexpectedBody as exc:
                if not replayable:
                    raise self.outcome_unknown(method, response.url, exc.message) from None
                self._retry_or_raise(attempt, exc.message, None, self.gate(response.url))
                continue
            return response

    def paginate(
        self,
        paginator: BasePaginator[Any],
        path_or_url: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[requests.Response]:
        """Yield each page's response until the paginator says it is finished."""
        first_url = self.url(path_or_url)
        while not paginator.finished:
            url = paginator.request_url(first_url)
            merged = dict(params or {}) if url == first_url else {}
            merged.update(paginator.request_params())
            response = self.request_decoded(method, url, params=merged or None, **kwargs)
            yield response
            paginator.advance(response)

    def close(self) -> None:
        self.session.close()
