"""Config of the example directory connector."""

from __future__ import annotations

from pydantic import Field

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class ExampleConfig(ConnectorConfig):
    base_url: str = Field(description="https://directory.example.org")
    client_id: str
    client_secret: Secret = Field(description="OAuth client secret (use {env: NAME})")
    page_size: int = Field(default=100, ge=1, le=1000)
