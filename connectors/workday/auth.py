"""OAuth 2.0 refresh-token grant of a Workday API client for integrations
(`POST /ccx/oauth2/{tenant}/token`); the access token is sent as a bearer on SOAP and RaaS calls.
`refresh()` is called by HttpClient on a 401, so an expired access token costs one extra request."""

from __future__ import annotations

import requests
from requests.auth import AuthBase

from connectors.workday.config import WorkdayConfig
from core.errors import AuthError
from core.http import HttpClient, RetryPolicy
from core.http.client import HttpStatusError
from core.secrets import remember_secret


class RefreshTokenAuth(AuthBase):
    """Bearer token from the refresh-token grant; client credentials go in HTTP basic auth."""

    def __init__(self, config: WorkdayConfig, secrets: list[str]) -> None:
        self._config = config
        self._token: str | None = None
        self._http = HttpClient(
            config.base_url,
            name=f"workday {config.tenant} oauth",
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=RetryPolicy(max_retries=config.max_retries),
            secrets=secrets,
        )

    def refresh(self) -> None:
        config = self._config
        assert config.refresh_token is not None and config.client_secret is not None
        try:
            body = self._http.request_json(
                "POST",
                config.token_path,
                data={"grant_type": "refresh_token", "refresh_token": config.refresh_token.reveal()},
                auth=(config.client_id or "", config.client_secret.reveal()),
                idempotent=True,  # a token request: asking twice is harmless
            )
        except HttpStatusError as exc:
            raise AuthError(
                f"Workday tenant {config.tenant} refused the refresh token of API client {config.client_id} "
                f"({exc.status}: {exc.body})",
                hint="generate a new refresh token (task: Manage Refresh Tokens for Integrations)",
            ) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise AuthError(
                f"Workday tenant {config.tenant} answered the token request without an access_token"
            )
        self._token = str(token)
        remember_secret(self._token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is None:
            self.refresh()
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def close(self) -> None:
        self._http.close()
