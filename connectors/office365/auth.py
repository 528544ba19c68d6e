"""App-only Graph tokens from MSAL's `ConfidentialClientApplication` (client-credentials flow).

Promises:
- one MSAL application per (authority, client, credential) per process, so its token cache is
  shared by every connector instance and thread and a token is requested only when it is about
  to expire (MSAL renews five minutes early), never first discovered expired by a Graph 401;
- MSAL's own HTTP goes through a session that pins `verify=` per request (the sandbox CA or a
  corporate CA), because `REQUESTS_CA_BUNDLE` would otherwise override a session-wide setting;
- failures become `AuthError` (credentials, tenant, consent) or `TransientError` (network) with
  MSAL's error code and the first line of its description, never a traceback or the secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from typing import Any

import jwt
import msal
import requests
from requests.auth import AuthBase

from connectors.office365.config import Office365Config
from core.errors import AuthError, ConfigError, TransientError
from core.http.redaction import redact_text
from core.secrets import remember_secret

log = logging.getLogger("hub.office365")

_apps: dict[str, msal.ConfidentialClientApplication] = {}
_apps_lock = threading.Lock()


class PinnedVerifySession(requests.Session):
    """A requests session that passes `verify` and `timeout` on every call (MSAL's http_client)."""

    def __init__(self, verify: str | bool, timeout: float) -> None:
        super().__init__()
        self._verify = verify
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("verify", self._verify)
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def _credential(config: Office365Config) -> str | dict[str, str]:
    if config.client_certificate is not None:
        return {
            "private_key": config.client_certificate.reveal(),
            "thumbprint": (config.certificate_thumbprint or "").replace(":", "").upper(),
        }
    assert config.client_secret is not None  # guaranteed by the config validator
    return config.client_secret.reveal()


def _app_key(config: Office365Config, credential: str | dict[str, str]) -> str:
    fingerprint = hashlib.sha256(json.dumps(credential, sort_keys=True).encode()).hexdigest()
    return f"{config.authority}|{config.client_id}|{fingerprint}|{config.ca_bundle}"


def first_line(text: str | None) -> str:
    """AADSTS descriptions carry trace/correlation IDs after the first line; keep the message."""
    return (text or "").replace("\r", "").split("\n", 1)[0].strip()


def msal_app(config: Office365Config) -> msal.ConfidentialClientApplication:
    """The process-wide MSAL application for this registration (created on first use).

    Creating it performs OpenID discovery against `{authority}/v2.0/.well-known/openid-configuration`
    (instance discovery is off, so sovereign clouds and the sandbox work as-is)."""
    credential = _credential(config)
    key = _app_key(config, credential)
    with _apps_lock:
        app = _apps.get(key)
        if app is not None:
            return app
        session = PinnedVerifySession(config.ca_bundle or True, config.timeout_seconds)
        try:
            app = msal.ConfidentialClientApplication(
                config.client_id,
                client_credential=credential,
                authority=config.authority,
                instance_discovery=False,
                http_client=session,
                timeout=config.timeout_seconds,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(
                f"office365: cannot reach the Entra sign-in endpoint {config.authority_host} "
                f"({type(exc).__name__})",
                hint="check network access to the authority host; the run can be retried",
            ) from None
        except ValueError as exc:
            raise AuthError(
                f"office365: tenant {config.tenant_id!r} was not found at {config.authority_host}: "
                f"{first_line(str(exc))[:200]}",
                hint="check tenant_id (the Directory ID GUID) and authority_host for national clouds",
            ) from None
        _apps[key] = app
        return app


class GraphAuth(AuthBase):
    """Bearer auth for Graph requests. Every request asks MSAL, whose token cache answers until
    five minutes before the token expires and then fetches a new one, so a long read never sends
    an expired token. `refresh()` (called by HttpClient on a 401, e.g. a token revoked early)
    drops the cached token and asks Entra for a new one."""

    def __init__(self, config: Office365Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._secrets = [s for s in (_secret_text(config),) if s]

    def token(self, *, force: bool = False) -> str:
        with self._lock:
            return self._acquire(force)

    def refresh(self) -> None:
        self.token(force=True)

    def roles(self) -> list[str]:
        """App roles (application permissions) the token carries, from its unverified claims."""
        return [str(r) for r in token_claims(self.token()).get("roles", [])]

    def _acquire(self, force: bool) -> str:
        app = msal_app(self.config)
        if force:
            app.remove_tokens_for_client()
        try:
            result = app.acquire_token_for_client(scopes=[self.config.scope])
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(
                f"office365: token request to {self.config.authority_host} failed ({type(exc).__name__})",
                hint="the run can be retried",
            ) from None
        except (ValueError, TypeError, jwt.PyJWTError) as exc:  # MSAL could not sign with the certificate
            raise ConfigError(
                f"office365: the client certificate of {self.config.client_id} cannot sign a client "
                f"assertion ({type(exc).__name__})",
                hint="client_certificate must be the PEM RSA private key of the certificate uploaded to the app",
            ) from None
        if result and "access_token" in result:
            remember_secret(str(result["access_token"]))
            return str(result["access_token"])
        raise self._error(result or {})

    def _error(self, result: dict[str, Any]) -> AuthError | TransientError:
        code = str(result.get("error") or "unknown_error")
        description = redact_text(first_line(result.get("error_description")), self._secrets)[:300]
        where = f"client {self.config.client_id} in tenant {self.config.tenant_id}"
        if code in ("temporarily_unavailable", "server_error"):
            return TransientError(f"office365: Entra could not issue a token for {where}: {description}")
        hints = {
            "invalid_client": "the client secret or certificate is wrong or expired; create a new one "
            "in the app registration and update the secret reference",
            "unauthorized_client": "the application ID is unknown in this tenant or disabled",
            "invalid_scope": "the scope must be {graph_url}/.default; check graph_url",
            "invalid_request": "check tenant_id and client_id",
        }
        return AuthError(
            f"office365: Entra refused the token request for {where}: {code}: {description}",
            hint=hints.get(code, "see the connector README for the app registration steps"),
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


def _secret_text(config: Office365Config) -> str:
    secret = config.client_secret or config.client_certificate
    return secret.reveal() if secret is not None else ""


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT access token, without verifying it (for roles shown by `check()`)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}
