"""Authentication strategies for `HttpClient`, one small class each (after Meltano's SDK).

Every strategy holds `Secret`s, never plain strings, and reveals them only while signing a
request, so a config can be built, printed and logged without the values. `HttpClient` calls
`refresh()` once when a request is answered 401.

- `BasicAuth`: HTTP Basic (RFC 7617); either part may be the secret (BambooHR sends its API key
  as the user name).
- `BearerTokenAuth`: a static bearer token (RFC 6750).
- `ApiKeyHeaderAuth`: an API key in a named header, with an optional prefix (`Token `).
- `ClientCredentialsAuth`: OAuth 2.0 client credentials (RFC 6749 section 4.4); the token is kept
  until shortly before `expires_in` runs out, and fetched again on a 401.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import requests
from requests.auth import AuthBase

from core.errors import AuthError
from core.secrets import Secret, remember_secret

SecretOrText = Secret | str


def reveal(value: SecretOrText) -> str:
    """The text of a `Secret` or of a plain (non-secret) string."""
    return value.reveal() if isinstance(value, Secret) else value


class BasicAuth(AuthBase):
    """HTTP Basic; the header is built per request from the (lazily resolved) secret."""

    def __init__(self, username: SecretOrText, password: SecretOrText) -> None:
        self.username = username
        self.password = password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        pair = f"{reveal(self.username)}:{reveal(self.password)}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return request


class BearerTokenAuth(AuthBase):
    """A long-lived bearer token (a personal access token, an integration user's token)."""

    def __init__(self, token: SecretOrText) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {reveal(self.token)}"
        return request


class ApiKeyHeaderAuth(AuthBase):
    """An API key sent in a header (`X-API-Key: <key>`, `Authorization: Token <key>`)."""

    def __init__(self, header: str, key: SecretOrText, *, prefix: str = "") -> None:
        self.header = header
        self.key = key
        self.prefix = prefix

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = f"{self.prefix}{reveal(self.key)}"
        return request


TokenPoster = Callable[[str, dict[str, str], dict[str, str]], dict[str, Any]]
ClientAuthStyle = Literal["body", "basic"]


class ClientCredentialsAuth(AuthBase):
    """OAuth 2.0 client credentials: a bearer token from the token endpoint, cached until expiry.

    `post_form(url, form, headers)` sends the token request and returns the decoded JSON; the
    caller gives one built on its `HttpClient`, so the token request has the same TLS, timeouts,
    retries and redaction as every other request. `style` says where the client secret goes:
    in the form body, or as HTTP Basic (RFC 6749 section 2.3.1; servers must accept Basic).
    """

    #: a token this close to its expiry is fetched again before use
    margin_seconds = 60.0

    def __init__(
        self,
        token_url: str,
        client_id: SecretOrText,
        client_secret: SecretOrText,
        *,
        post_form: TokenPoster,
        scope: str | None = None,
        style: ClientAuthStyle = "body",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.style = style
        self._post_form = post_form
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.tokens_issued = 0

    def refresh(self) -> None:
        """Fetch a new token (HttpClient calls this once on a 401)."""
        form = {"grant_type": "client_credentials"}
        headers: dict[str, str] = {}
        if self.scope:
            form["scope"] = self.scope
        if self.style == "basic":
            BasicAuth(self.client_id, self.client_secret)(_HeaderHolder(headers))  # type: ignore[arg-type]
        else:
            form["client_id"] = reveal(self.client_id)
            form["client_secret"] = reveal(self.client_secret)
        body = self._post_form(self.token_url, form, headers)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise AuthError(
                f"the token endpoint {self.token_url} answered without an access_token",
                hint="check the token URL and that the client is allowed the client_credentials grant",
            )
        expires_in = _seconds(body.get("expires_in"))
        remember_secret(str(token))  # masked in every log line from now on
        with self._lock:
            self._token = str(token)
            self._expires_at = self._clock() + (expires_in if expires_in is not None else 3600.0)
            self.tokens_issued += 1

    def _current(self) -> str:
        with self._lock:
            fresh = self._token is not None and self._clock() < self._expires_at - self.margin_seconds
            token = self._token
        if fresh and token is not None:
            return token
        self.refresh()
        with self._lock:
            return self._token or ""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._current()}"
        return request


class _HeaderHolder:
    """Lets `BasicAuth` write its header into a plain dict (for the token request)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
