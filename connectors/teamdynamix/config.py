"""Config of the TeamDynamix sink: the tenant, the admin service account, the ticketing app."""

from __future__ import annotations

from pydantic import Field

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class TeamDynamixConfig(ConnectorConfig):
    base_url: str = Field(description="https://agency.teamdynamix.com/TDWebApi (SaaS) or the on-prem path")
    beid: str = Field(description="BEID of the admin service account (TDAdmin > Organization Details)")
    web_services_key: Secret = Field(description="its Web Services Key (use {env: NAME})")
    app_id: int = Field(description="ID of the ticketing application")
    type_id: int = Field(description="ticket type of hub tickets")
    form_id: int = Field(default=0, description="ticket form (0: the type's default)")
    account_id: int = Field(description="acct/dept the tickets are filed under")
    requestor_uid: str = Field(description="UID of the requestor (a service account person)")
    key_attribute_id: int = Field(description="ID of the ticket custom attribute holding the hub key")
    priority_ids: dict[str, int] = Field(description="hub priority -> TeamDynamix priority ID")
    default_group: str | None = Field(default=None, description="responsible group when a ticket names none")
    new_status_id: int | None = Field(default=None, description="status of new tickets (default: discovered)")
    cancelled_status_id: int | None = Field(
        default=None, description="status for cancel (default: discovered)"
    )
    min_rate_limit_wait_seconds: float = Field(
        default=5.0, ge=0, description="least wait after a 429 (clock skew margin TeamDynamix recommends)"
    )
    rate_per_second: float | None = Field(default=None, gt=0, description="client-side request budget")
