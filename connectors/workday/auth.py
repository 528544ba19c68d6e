"""OAuth 2.0 refresh-token grant of a Workday API client for integrations
(`POST /ccx/oauth2/{tenant}/token`); the access token is sent as a bearer on SOAP and RaaS calls,
cached until it expires, and fetched again on a 401 (`core.http.auth.ClientCredentialsAuth`)."""

from __future__ import annotations

from connectors.workday.config import WorkdayConfig
from core.http import HttpClient, RetryPolicy
from core.http.auth import ClientCredentialsAuth, token_form_poster


def refresh_token_auth(config: WorkdayConfig, secrets: list[str]) -> tuple[ClientCredentialsAuth, HttpClient]:
    """The API client's bearer auth (client credentials in HTTP Basic, as Workday expects), and
    the client its token requests go over (to be closed with the connector)."""
    assert config.refresh_token is not None and config.client_secret is not None
    http = HttpClient(
        config.base_url,
        name=f"workday {config.tenant} oauth",
        ca_bundle=config.ca_bundle,
        read_timeout=config.timeout_seconds,
        retry=RetryPolicy(max_retries=config.max_retries),
        secrets=secrets,
    )
    auth = ClientCredentialsAuth(
        config.token_path,
        config.client_id or "",
        config.client_secret,
        post_form=token_form_poster(
            http,
            service=f"Workday tenant {config.tenant} (API client {config.client_id})",
            hint="generate a new refresh token (task: Manage Refresh Tokens for Integrations)",
        ),
        style="basic",
        grant_type="refresh_token",
        grant_fields={"refresh_token": config.refresh_token},
    )
    return auth, http
