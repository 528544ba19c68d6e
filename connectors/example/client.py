"""HTTP client of the example directory: OAuth client-credentials token, cursor-token paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.example.config import ExampleConfig
from core.http import CursorTokenPaginator, HttpClient, RetryPolicy
from core.http.auth import ClientCredentialsAuth, token_form_poster


class DirectoryClient:
    def __init__(self, config: ExampleConfig) -> None:
        self.config = config
        common: dict[str, Any] = {
            "ca_bundle": config.ca_bundle,
            "read_timeout": config.timeout_seconds,
            "retry": RetryPolicy(max_retries=config.max_retries),
            "secrets": [config.client_secret.reveal()],
        }
        self.token_http = HttpClient(config.base_url, name="example-token", **common)
        self.auth = ClientCredentialsAuth(
            "/oauth/token",
            config.client_id,
            config.client_secret,
            post_form=token_form_poster(
                self.token_http,
                service=f"example directory (client {config.client_id!r})",
                hint="check client_id and client_secret in the directory's API clients page",
            ),
        )
        self.http = HttpClient(config.base_url, name="example", auth=self.auth, **common)

    def people_pages(self, updated_since: str | None) -> Iterator[dict[str, Any]]:
        """Pages of people changed since `updated_since` (all when None), oldest change first."""
        params: dict[str, Any] = {"limit": self.config.page_size}
        if updated_since:
            params["updated_since"] = updated_since
        paginator = CursorTokenPaginator(token_path="next_cursor", param_name="cursor")
        for response in self.http.paginate(paginator, "/api/people", params=params):
            yield response.json()

    def close(self) -> None:
        self.http.close()
        self.token_http.close()
