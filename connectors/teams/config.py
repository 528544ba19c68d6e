"""Config of the Teams notifier: one Workflows webhook URL (its `sig=` parameter is the credential)."""

from __future__ import annotations

from pydantic import Field

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class TeamsConfig(ConnectorConfig):
    webhook_url: Secret = Field(
        description="URL of the Teams workflow 'When a Teams webhook request is received' "
        "(contains the signature that authorises posting: keep it in a secret store)"
    )
    timeout_seconds: float = Field(default=15.0, gt=0, description="read timeout of one post")
    max_retries: int = Field(default=2, ge=0, le=5, description="retries of a throttled or failed post")
    max_retry_after_seconds: float = Field(
        default=30.0,
        ge=0,
        description="longest Retry-After waited out; a longer wait drops the notification "
        "(logged) rather than holding up ticket delivery",
    )
