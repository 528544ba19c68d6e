"""Signing in to Azure with azure-identity: the credential for the configured method, pointed at
the configured authority with the configured CA, and renewed once when ARM rejects a token.

ARM answers a revoked or expired token with 401 and `WWW-Authenticate: Bearer error="invalid_token"`.
azure-core's policy drops its own cached token but the credential would hand back the same one
from its cache, so `RenewingChallengePolicy` replaces the credential and retries the request once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.identity import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

from connectors.azure.config import AzureConfig
from core.errors import ConfigError

_RENEWED = "hub_credential_renewed"


def transport_options(config: AzureConfig) -> dict[str, Any]:
    """azure-core transport/retry keywords shared by the credential and every client."""
    return {
        "connection_verify": config.ca_bundle or True,
        "connection_timeout": min(config.timeout_seconds, 30.0),
        "read_timeout": config.timeout_seconds,
        "retry_total": config.max_retries,
        "retry_backoff_factor": 0.8,
        "retry_backoff_max": 60,
    }


def build_credential(config: AzureConfig) -> TokenCredential:
    """The azure-identity credential for `config.auth` (secrets revealed only here).

    Raises ConfigError for values azure-identity refuses (a malformed tenant ID, an http authority).
    """
    try:
        return _credential(config)
    except ValueError as exc:
        raise ConfigError(f"azure: {exc}", hint="check tenant_id, client_id and authority_host") from None


def _credential(config: AzureConfig) -> TokenCredential:
    common: dict[str, Any] = {
        "authority": config.authority_host,
        "disable_instance_discovery": not config.instance_discovery,
        **transport_options(config),
    }
    if config.auth == "client_secret":
        assert config.client_id and config.client_secret is not None  # the config validator ensures it
        return ClientSecretCredential(
            config.tenant_id, config.client_id, config.client_secret.reveal(), **common
        )
    if config.auth == "certificate":
        assert config.client_id and config.certificate_path
        password = config.certificate_password.reveal() if config.certificate_password else None
        return CertificateCredential(
            config.tenant_id, config.client_id, config.certificate_path, password=password, **common
        )
    return ManagedIdentityCredential(client_id=config.client_id, **transport_options(config))


class RenewableCredential:
    """A TokenCredential whose underlying credential (and its token cache) can be replaced."""

    def __init__(self, factory: Callable[[], TokenCredential]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._inner = factory()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            inner = self._inner
        return inner.get_token(*scopes, **kwargs)

    def renew(self) -> None:
        with self._lock:
            old, self._inner = self._inner, self._factory()
        _close(old)

    def close(self) -> None:
        with self._lock:
            _close(self._inner)


def _close(credential: TokenCredential) -> None:
    close = getattr(credential, "close", None)
    if callable(close):
        close()


class RenewingChallengePolicy(ARMChallengeAuthenticationPolicy):
    """ARM's bearer policy, plus: on `invalid_token`, a fresh credential and one more try."""

    def __init__(self, credential: RenewableCredential, *scopes: str, **kwargs: Any) -> None:
        super().__init__(credential, *scopes, **kwargs)
        self._renewable = credential

    def on_challenge(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> bool:
        header = response.http_response.headers.get("WWW-Authenticate", "")
        if 'error="invalid_token"' in header and not request.context.get(_RENEWED):
            request.context[_RENEWED] = True
            self._renewable.renew()
            self.authorize_request(request, *self._scopes)
            return True
        return bool(super().on_challenge(request, response))
