"""Config of the Teams notifier: the channel's Workflows webhook URL (its `sig=` parameter is the
credential), and optionally the manager workflow and the approval workflow with the two secrets
that verify an approval's answer."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class TeamsConfig(ConnectorConfig):
    webhook_url: Secret = Field(
        description="URL of the Teams workflow 'When a Teams webhook request is received' "
        "(contains the signature that authorises posting: keep it in a secret store)"
    )
    manager_webhook_url: Secret | None = Field(
        default=None,
        description="URL of a second workflow that posts the card in a chat with the person named "
        "in the body's `recipient` (a manager); without it, managers get no card",
    )
    approval_webhook_url: Secret | None = Field(
        default=None,
        description="URL of the approval workflow: it posts the card with 'Post adaptive card and "
        "wait for a response' and sends the answer to the hub's approval-response endpoint",
    )
    approval_signing_key: Secret | None = Field(
        default=None,
        description="HMAC key (32+ characters) the hub signs Approve / Reject tokens with; never leaves the hub",
    )
    approval_response_secret: Secret | None = Field(
        default=None,
        description="shared secret the approval workflow's HTTP action sends in X-Hub-Approval-Secret",
    )
    approval_ttl_hours: float = Field(
        default=72.0, gt=0, le=24 * 30, description="how long an approval card's buttons stay valid"
    )
    timeout_seconds: float = Field(default=15.0, gt=0, description="read timeout of one post")
    max_retries: int = Field(default=2, ge=0, le=5, description="retries of a throttled or failed post")
    max_retry_after_seconds: float = Field(
        default=30.0,
        ge=0,
        description="longest Retry-After waited out; a longer wait drops the notification "
        "(logged) rather than holding up ticket delivery",
    )

    @model_validator(mode="after")
    def _approvals_all_or_nothing(self) -> Self:
        parts = {
            "approval_webhook_url": self.approval_webhook_url,
            "approval_signing_key": self.approval_signing_key,
            "approval_response_secret": self.approval_response_secret,
        }
        missing = [name for name, value in parts.items() if value is None]
        if 0 < len(missing) < len(parts):
            raise ValueError(
                f"Teams approvals need all of approval_webhook_url, approval_signing_key and "
                f"approval_response_secret; missing {', '.join(missing)}"
            )
        return self

    @property
    def approvals_configured(self) -> bool:
        return self.approval_webhook_url is not None
