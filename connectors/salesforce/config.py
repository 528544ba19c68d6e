"""Config of the Salesforce Case sink (one External Client App, one integration user)."""

from __future__ import annotations

from pydantic import Field, field_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret
from core.vocabulary import Priority, TicketState

DEFAULT_STATUS_MAP: dict[str, TicketState] = {
    "New": "open",
    "Working": "in_progress",
    "Escalated": "in_progress",
    "On Hold": "in_progress",
    "Closed": "closed",
    "Cancelled": "cancelled",
}
DEFAULT_PRIORITY_MAP: dict[Priority, str] = {"normal": "Medium", "urgent": "High"}


class SalesforceConfig(ConnectorConfig):
    login_url: str = Field(
        description="My Domain URL that issues tokens, e.g. https://agency.my.salesforce.com "
        "(the client credentials flow only works on My Domain, not login.salesforce.com)"
    )
    client_id: str = Field(description="consumer key of the External Client App")
    client_secret: Secret = Field(description="consumer secret of the External Client App")
    api_version: str = Field(default="61.0", pattern=r"^\d{2,3}\.0$")
    external_id_field: str = Field(
        default="Hub_Key__c",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="custom Text field on Case marked External ID and Unique; holds the idempotency key",
    )
    due_field: str | None = Field(
        default="Hub_Due__c",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="custom Date/Time field on Case for the due moment; null keeps it in the description only",
    )
    cancelled_status: str = Field(
        default="Cancelled", description="Case Status value (marked Closed) the hub sets when it cancels"
    )
    status_map: dict[str, TicketState] = Field(
        default_factory=lambda: dict(DEFAULT_STATUS_MAP),
        description="Case Status -> hub ticket state; unlisted statuses follow the Case's IsClosed flag",
    )
    priority_map: dict[Priority, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_MAP),
        description="hub priority -> Case Priority picklist value",
    )
    origin: str | None = Field(
        default=None, description="Case Origin picklist value, if the org requires one"
    )
    case_type: str | None = Field(default=None, description="Case Type picklist value")
    record_type_id: str | None = Field(default=None, pattern=r"^012[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")
    queues: dict[str, str] = Field(
        default_factory=dict,
        description="hub assignment group -> Queue Id (00G...) that owns the Case; "
        "unlisted groups leave ownership to the org's case assignment rules",
    )
    api_usage_ceiling: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="stop calling when the org's daily API usage (Sforce-Limit-Info) reaches this share",
    )

    @field_validator("login_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("login_url must be an https:// My Domain URL")
        return value.rstrip("/")

    @field_validator("queues")
    @classmethod
    def _queue_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for group, queue_id in value.items():
            if not queue_id.startswith("00G"):
                raise ValueError(
                    f"queue for {group!r} must be a Queue Id starting with 00G, not {queue_id!r}"
                )
        return value
