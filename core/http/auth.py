"""Authentication strategies for `HttpClient`, one small class each (after Meltano's SDK).

Every strategy holds `Secret`s, never plain strings, and reveals them only while signing a
request, so a config can be built, printed and logged without the values. `HttpClient` calls
`refresh()` once when a request is answered 401.

- `BasicAuth`: HTTP Basic (RFC 7617); either part may be the secret (BambooHR sends its API key
  as the user name).
- `BearerTokenAuth`: a static bearer token (RFC 6750).
- `ApiKeyHeaderAuth`: an API key in a named header, with an optional prefix (`Token `).
- `CachedBearerAuth`: the base of every fetched bearer token: kept until shortly before it
  expires, fetched again on a 401. A vendor login that is not OAuth (TeamDynamix's `loginadmin`)
  subclasses it with its own `fetch()`.
- `ClientCredentialsAuth`: OAuth 2.0 token endpoint (RFC 6749): client credentials, or the
  password / refresh-token grant; `token_form_poster` sends its form on the caller's `HttpClient`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import requests
from requests.auth import AuthBase

from core.errors import AuthError
from core.http.body import json_of
from core.http.redaction import redact_text
from core.secrets import Secret, remember_secret

if TYPE_CHECKING:
    from core.http.client import HttpClient

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
GrantType = Literal["client_credentials", "password", "refresh_token"]


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token as its issuer gave it: the token, its lifetime if told, the rest of the answer."""

    token: str
    expires_in: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class CachedBearerAuth(AuthBase):
    """A bearer token fetched from an issuer, kept until shortly before it expires, fetched again
    on a 401 (`HttpClient` calls `refresh()`). One strategy per issuer implements `fetch()`; the
    caching, the expiry margin, the thread safety and the log masking live here once.

    A token whose lifetime the issuer does not say lives `default_lifetime_seconds`, or until the
    first 401, whichever comes first."""

    #: a token this close to its expiry is fetched again before use
    margin_seconds = 60.0
    default_lifetime_seconds = 3600.0

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.tokens_issued = 0
        #: what the issuer said besides the token (Salesforce's `instance_url`)
        self.details: dict[str, Any] = {}

    @abstractmethod
    def fetch(self) -> IssuedToken:
        """Ask the issuer for a new token; raise `AuthError` saying what to fix when refused."""

    def refresh(self) -> None:
        """Fetch a new token now (a 401 answered the current one)."""
        issued = self.fetch()
        remember_secret(issued.token)  # masked in every log line from now on
        lifetime = issued.expires_in if issued.expires_in is not None else self.default_lifetime_seconds
        with self._lock:
            self._token = issued.token
            self._expires_at = self._clock() + lifetime
            self.details = dict(issued.details)
            self.tokens_issued += 1

    def token(self) -> str:
        """The current token, fetched first when there is none or it is about to expire."""
        with self._lock:
            fresh = self._token is not None and self._clock() < self._expires_at - self.margin_seconds
            token = self._token
        if fresh and token is not None:
            return token
        self.refresh()
        with self._lock:
            return self._token or ""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


class ClientCredentialsAuth(CachedBearerAuth):
    """OAuth 2.0 token endpoint: client credentials (RFC 6749 section 4.4) by default; the
    password grant (4.3) and the refresh-token grant (section 6) add their `grant_fields`.

    `post_form(url, form, headers)` sends the token request and returns the decoded JSON; build it
    with `token_form_poster` on the caller's `HttpClient`, so the token request has the same TLS,
    timeouts, retries and redaction as every other request. `style` says where the client secret
    goes: in the form body, or as HTTP Basic (RFC 6749 section 2.3.1; servers must accept Basic).
    """

    def __init__(
        self,
        token_url: str,
        client_id: SecretOrText,
        client_secret: SecretOrText,
        *,
        post_form: TokenPoster,
        scope: str | None = None,
        style: ClientAuthStyle = "body",
        grant_type: GrantType = "client_credentials",
        grant_fields: dict[str, SecretOrText] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.style = style
        self.grant_type = grant_type
        self.grant_fields = dict(grant_fields or {})
        self._post_form = post_form

    def fetch(self) -> IssuedToken:
        form = {"grant_type": self.grant_type, **{k: reveal(v) for k, v in self.grant_fields.items()}}
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
                hint=f"check the token URL and that the client is allowed the {self.grant_type} grant",
            )
        details = {k: v for k, v in body.items() if k not in ("access_token", "refresh_token", "id_token")}
        return IssuedToken(str(token), _seconds(body.get("expires_in")), details)


def token_form_poster(http: HttpClient, *, service: str, hint: str) -> TokenPoster:
    """A `post_form` for `ClientCredentialsAuth` sending the form with `http`. A refusal (400 or
    401, RFC 6749 section 5.2) is an `AuthError` with the OAuth error code, its description
    (secrets redacted) and `hint`, what to check in `service`; never the secret itself."""

    def post_form(url: str, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        response = http.request(  # a token request: asking twice is harmless, so it is re-sent
            "POST", url, data=form, headers=headers or None, accept_statuses=(400, 401), idempotent=True
        )
        if response.status_code in (400, 401):
            raise AuthError(
                f"{service}: the token endpoint {url} refused the {str(form.get('grant_type')).replace('_', ' ')} grant "
                f"({response.status_code} {_oauth_error(http, response)})",
                hint=hint,
            )
        body = json_of(response, require=("access_token",), where=url, secrets=http.secrets)
        return body if isinstance(body, dict) else {}

    return post_form


def _oauth_error(http: HttpClient, response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        return redact_text(f"{body['error']}: {body.get('error_description') or ''}".strip(), http.secrets)
    return http.excerpt(response, 120)


def jwt_seconds_left(token: str, *, now: float | None = None) -> float | None:
    """Seconds until a JWT's `exp` claim (unverified: only to know when to fetch a new one), or
    None when the token is not a JWT with an `exp`."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        expires = float(claims["exp"])
    except (ValueError, TypeError, KeyError):
        return None
    return max(0.0, expires - (time.time() if now is None else now))


class _HeaderHolder:
    """Lets `BasicAuth` write its header into a plain dict (for the token request)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
