"""The one bearer-token auth: a token is reused until shortly before it expires, then fetched
again; a 401 fetches a new one at once; each OAuth grant sends the form RFC 6749 describes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from core.errors import AuthError
from core.http.auth import ClientCredentialsAuth, jwt_seconds_left
from core.secrets import Secret


class Issuer:
    """A token endpoint that remembers each form it was sent and answers `expires_in`."""

    def __init__(self, expires_in: Any = 600) -> None:
        self.forms: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.expires_in = expires_in

    def __call__(self, url: str, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        self.forms.append(form)
        self.headers.append(headers)
        return {
            "access_token": f"token-{len(self.forms)}",
            "expires_in": self.expires_in,
            "instance_url": "x",
        }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bearer(auth: ClientCredentialsAuth) -> str:
    request = requests.Request("GET", "https://api.example.org/x").prepare()
    return str(auth(request).headers["Authorization"])


def test_a_token_is_reused_until_a_minute_before_it_expires() -> None:
    issuer, clock = Issuer(expires_in=600), Clock()
    auth = ClientCredentialsAuth("/token", "app", Secret(literal="s3cret"), post_form=issuer, clock=clock)
    assert bearer(auth) == "Bearer token-1"
    clock.now += 539
    assert bearer(auth) == "Bearer token-1"
    clock.now += 2  # inside the 60 s margin
    assert bearer(auth) == "Bearer token-2"
    assert auth.tokens_issued == 2 and auth.details == {"expires_in": 600, "instance_url": "x"}


def test_a_401_fetches_a_new_token_even_before_expiry() -> None:
    issuer = Issuer()
    auth = ClientCredentialsAuth("/token", "app", Secret(literal="s3cret"), post_form=issuer)
    assert bearer(auth) == "Bearer token-1"
    auth.refresh()
    assert bearer(auth) == "Bearer token-2"


@pytest.mark.parametrize("expires_in", [None, "soon", -5])
def test_a_missing_or_odd_lifetime_is_not_trusted_forever(expires_in: Any) -> None:
    issuer, clock = Issuer(expires_in=expires_in), Clock()
    auth = ClientCredentialsAuth("/token", "app", Secret(literal="s3cret"), post_form=issuer, clock=clock)
    bearer(auth)
    clock.now += 3600
    bearer(auth)
    assert auth.tokens_issued == 2


def test_each_grant_sends_its_form_and_basic_style_keeps_the_secret_out_of_it() -> None:
    issuer = Issuer()
    password = ClientCredentialsAuth(
        "/token",
        "app",
        Secret(literal="s3cret"),
        post_form=issuer,
        grant_type="password",
        grant_fields={"username": "svc", "password": Secret(literal="pw")},
    )
    refresh = ClientCredentialsAuth(
        "/token",
        "app",
        Secret(literal="s3cret"),
        post_form=issuer,
        style="basic",
        grant_type="refresh_token",
        grant_fields={"refresh_token": Secret(literal="rt")},
    )
    password.refresh()
    refresh.refresh()
    assert issuer.forms == [
        {
            "grant_type": "password",
            "username": "svc",
            "password": "pw",
            "client_id": "app",
            "client_secret": "s3cret",
        },
        {"grant_type": "refresh_token", "refresh_token": "rt"},
    ]
    assert issuer.headers[1]["Authorization"] == "Basic " + base64.b64encode(b"app:s3cret").decode()


def test_an_answer_without_a_token_is_an_auth_error_naming_the_grant() -> None:
    auth = ClientCredentialsAuth("/token", "app", "s", post_form=lambda *_: {"token_type": "bearer"})
    with pytest.raises(AuthError, match="client_credentials grant"):
        auth.refresh()


def test_a_jwt_says_how_long_it_lives_and_other_text_does_not() -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 5000}).encode()).decode().rstrip("=")
    assert jwt_seconds_left(f"eyJhbGciOiJIUzI1NiJ9.{claims}.sig", now=4000) == 1000
    assert jwt_seconds_left(f"eyJhbGciOiJIUzI1NiJ9.{claims}.sig", now=6000) == 0
    assert jwt_seconds_left("opaque-token", now=0) is None
    assert jwt_seconds_left("a.!!!.c", now=0) is None
