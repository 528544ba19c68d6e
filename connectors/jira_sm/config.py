"""Config of the Jira Service Management sink: site, API token, service desk and request type."""

from __future__ import annotations

from pydantic import Field, field_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class JiraServiceManagementConfig(ConnectorConfig):
    site_url: str = Field(description="https://agency.atlassian.net")
    email: str = Field(description="Atlassian account of the integration user")
    api_token: Secret = Field(description="its API token (use {env: NAME})")
    project_key: str = Field(description="key of the service project, e.g. HR")
    service_desk_id: str = Field(description="service desk ID of that project")
    request_type_id: str = Field(description="request type used for hub tickets")
    subtask_issue_type_id: str = Field(default="10003", description="issue type ID of Sub-task")
    key_field: str = Field(
        default="labels",
        description="where the idempotency key lives: labels, or a text custom field (customfield_10050)",
    )
    label_prefix: str = Field(default="hub-", description="prefix of the key label (labels mode)")
    priority_ids: dict[str, str] | None = Field(
        default=None, description="hub priority -> Jira priority ID, e.g. {urgent: '2', normal: '3'}"
    )
    raise_on_behalf_of: str | None = Field(default=None, description="accountId of the customer")
    cancelled_statuses: list[str] = Field(default_factory=lambda: ["Canceled", "Cancelled", "Declined"])
    cancelled_resolutions: list[str] = Field(
        default_factory=lambda: ["Won't Do", "Declined", "Cancelled", "Canceled", "Duplicate"]
    )
    search_lag_seconds: float = Field(
        default=60.0,
        ge=0,
        description="how long a new request may stay out of JQL search results; a create sent less "
        "than this long ago is not sent again until search can see it",
    )
    rate_per_second: float | None = Field(default=None, gt=0, description="client-side request budget")

    @field_validator("key_field")
    @classmethod
    def _known_key_field(cls, value: str) -> str:
        if value != "labels" and not value.startswith("customfield_"):
            raise ValueError("key_field must be 'labels' or a custom field ID like customfield_10050")
        return value
