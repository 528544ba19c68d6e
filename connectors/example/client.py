"""HTTP client of the example directory: OAuth client-credentials token, cursor-token paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from requests.auth import AuthBase

from connectors.example.config import ExampleConfig
from core.http import CursorTokenPaginator, HttpClient, RetryPolicy
from core.secrets import remember_secret


class ClientCredentialsAuth(AuthBase):
    """Bearer token from the directory's token endpoint; `refresh()` is called by HttpClient on 401."""

    def __init__(self, config: ExampleConfig) -> None:
        self._config = config
        self._token: str | None = None
        self._http = HttpClient(
            config.base_url,
            name="example-token",
            ca_bundle=config.ca_bundle,
            retry=RetryPolicy(max_retries=config.max_retries),
            secrets=[config.client_secret.reveal()],
        )

    def refresh(self) -> None:
        body = self._http.request_json(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": self._config.client_secret.reveal(),
            },
        )
        self._token = str(body["access_token"])
        remember_secret(self._token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is None:
            self.refresh()
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class DirectoryClient:
    def __init__(self, config: ExampleConfig) -> None:
        self.config = config
        self.auth = ClientCredentialsAuth(config)
        self.http = HttpClient(
            config.base_url,
            name="example",
            auth=self.auth,
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=RetryPolicy(max_retries=config.max_retries),
            secrets=[config.client_secret.reveal()],
        )

    def people_pages(self, updated_since: str | None) -> Iterator[dict[str, Any]]:
        """Pages of people changed since `updated_since` (all when None), oldest change first."""
        params: dict[str, Any] = {"limit": self.config.page_size}
        if updated_since:
            params["updated_since"] = updated_since
        paginator = CursorTokenPaginator(token_path="next_cursor", param_name="cursor")
        for response in self.http.paginate(paginator, "/api/people", params=params):
            yield response.json()
