"""The `auth:` of a definition as one of `core.http.auth`'s strategies.

A credential slot that names a secret setting gets the `Secret` itself (revealed per request,
never copied into a string here); any other text is rendered from the settings.
"""

from __future__ import annotations

from typing import Any

from requests.auth import AuthBase

from core.connector.contracts import ConnectorConfig
from core.declarative.config import template_values
from core.declarative.definition import Definition
from core.declarative.templates import PLACEHOLDER, render
from core.http.auth import (
    ApiKeyHeaderAuth,
    BasicAuth,
    BearerTokenAuth,
    ClientCredentialsAuth,
    SecretOrText,
    TokenPoster,
)
from core.secrets import Secret


def slot_value(text: str, values: dict[str, Any]) -> SecretOrText:
    """`"{config.api_key}"` -> that setting's `Secret`; other text rendered as plain text."""
    match = PLACEHOLDER.fullmatch(text)
    if match is not None:
        value = values[match.group(1)]
        return value if isinstance(value, Secret) else str(value)
    return render(text, values)


def build_auth(definition: Definition, config: ConnectorConfig, post_form: TokenPoster) -> AuthBase | None:
    values = template_values(config)
    auth = definition.auth
    if auth.type == "basic":
        return BasicAuth(slot_value(auth.username, values), slot_value(auth.password, values))
    if auth.type == "bearer":
        return BearerTokenAuth(slot_value(auth.token, values))
    if auth.type == "api_key":
        prefix, key = _split_prefix(auth.value, values)
        return ApiKeyHeaderAuth(auth.header, key, prefix=prefix)
    if auth.type == "oauth2_client_credentials":
        return ClientCredentialsAuth(
            render(auth.token_url, values),
            slot_value(auth.client_id, values),
            slot_value(auth.client_secret, values),
            post_form=post_form,
            scope=auth.scope,
            style=auth.client_auth,
        )
    return None


def _split_prefix(text: str, values: dict[str, Any]) -> tuple[str, SecretOrText]:
    """`"Token {config.api_key}"` -> ("Token ", the key's Secret)."""
    found = list(PLACEHOLDER.finditer(text))
    match = found[-1] if found else None
    if match is None or match.end() != len(text):
        return "", render(text, values)
    return render(text[: match.start()], values), slot_value(match.group(0), values)
