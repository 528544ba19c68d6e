"""The fixture sandbox's side of authentication: the credentials it accepts, a token endpoint for
OAuth 2.0 client credentials (RFC 6749 section 4.4: form body or HTTP Basic for the client, both of
which a server must accept), and the 401 a wrong or expired credential gets."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs

from core.declarative.definition import CREDENTIAL_SLOTS, Definition
from core.declarative.templates import PLACEHOLDER, render
from core.sandbox.server import Request, Response, json_response
from core.sandbox.tokens import TokenStore


def unauthorized(message: str) -> Response:
    return json_response(
        {"error": {"code": "Unauthorized", "message": message}},
        401,
        {"WWW-Authenticate": 'Basic realm="api"'},
    )


def credential_settings(definition: Definition) -> list[str]:
    """Secret settings the auth uses (what `bad_credentials()` changes)."""
    auth = definition.auth
    names = []
    for slot in CREDENTIAL_SLOTS.get(auth.type, ()):
        for match in PLACEHOLDER.finditer(getattr(auth, slot)):
            name = match.group(1).removeprefix("config.")
            if name in definition.secret_settings():
                names.append(name)
    return names


class Gate:
    """Checks each API request's credentials against the sandbox's own settings."""

    def __init__(self, definition: Definition, settings: dict[str, Any]) -> None:
        self.definition = definition
        self.values = {f"config.{k}": v for k, v in settings.items()}
        self.tokens = TokenStore()

    def _slot(self, name: str) -> str:
        return render(getattr(self.definition.auth, name), self.values)

    def _secret_slots(self) -> set[str]:
        auth = self.definition.auth
        secrets = self.definition.secret_settings()
        return {
            slot
            for slot in CREDENTIAL_SLOTS.get(auth.type, ())
            if any(
                m.group(1).removeprefix("config.") in secrets
                for m in PLACEHOLDER.finditer(getattr(auth, slot))
            )
        }

    def refuse(self, request: Request) -> Response | None:
        """None when the request is authenticated, else the 401 to answer."""
        auth = self.definition.auth
        header = request.header("authorization") or ""
        if auth.type == "basic":
            user, password = _basic(header)
            if user is None:
                return unauthorized("HTTP Basic credentials required")
            wanted = {"username": user, "password": password}
            for slot in self._secret_slots():  # a literal part (BambooHR's "x") is not checked
                if wanted[slot] != self._slot(slot):
                    return unauthorized("invalid credentials")
            return None
        if auth.type == "bearer":
            return None if header == f"Bearer {self._slot('token')}" else unauthorized("invalid bearer token")
        if auth.type == "api_key":
            given = request.header(auth.header.lower())
            return None if given == self._slot("value") else unauthorized(f"invalid or missing {auth.header}")
        if auth.type == "oauth2_client_credentials":
            verdict = self.tokens.verdict(header, request.sandbox_state)
            return None if verdict == "ok" else unauthorized(f"access token {verdict}")
        return None

    def token_path(self, base_path: str) -> str | None:
        auth = self.definition.auth
        if auth.type != "oauth2_client_credentials":
            return None
        url = render(auth.token_url, self.values)
        if "://" in url:
            return "/" + url.split("://", 1)[1].split("/", 1)[1] if "/" in url.split("://", 1)[1] else "/"
        return base_path.rstrip("/") + "/" + url.lstrip("/")

    def issue_token(self, request: Request) -> Response:
        auth = self.definition.auth
        assert auth.type == "oauth2_client_credentials"
        form = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        client_id, secret = _basic(request.header("authorization") or "")
        if client_id is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id != self._slot("client_id") or secret != self._slot("client_secret"):
            return json_response(
                {"error": "invalid_client", "error_description": "client authentication failed"}, 401
            )
        token, ttl = self.tokens.issue("fixture")
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


def _basic(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password
