"""Config of the ServiceNow sink: where, how to authenticate, which tables hold the tickets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret
from core.vocabulary import TicketState

AuthMode = Literal["basic", "oauth_password", "oauth_client_credentials"]


class ServiceNowConfig(ConnectorConfig):
    instance_url: str = Field(description="https://agency.service-now.com")
    auth: AuthMode = Field(default="basic", description="basic, oauth_password or oauth_client_credentials")
    username: str | None = Field(default=None, description="the integration user (basic, oauth_password)")
    password: Secret | None = Field(default=None, description="its password (use {env: NAME})")
    client_id: str | None = Field(default=None, description="OAuth application registry client ID")
    client_secret: Secret | None = Field(default=None, description="OAuth client secret")
    table: str = Field(default="incident", description="ticket table: incident, sc_req_item or a task table")
    task_table: str | None = Field(
        default=None, description="child task table (default: incident_task for incident, else sc_task)"
    )
    task_parent_field: str | None = Field(
        default=None, description="reference from a task to its ticket (default: incident or request_item)"
    )
    correlation_display: str = Field(default="itsm-hub", description="written to correlation_display")
    default_assignment_group: str | None = Field(
        default=None, description="group name used when a ticket names none"
    )
    caller_id: str | None = Field(default=None, description="sys_id of the caller/requested_for user")
    state_map: dict[str, TicketState] | None = Field(
        default=None, description="remote state value -> hub state, replacing the table's defaults"
    )
    cancel_state: str | None = Field(default=None, description="state value written on cancel")
    rate_per_second: float | None = Field(default=None, gt=0, description="client-side request budget")

    @model_validator(mode="after")
    def _credentials_for_mode(self) -> ServiceNowConfig:
        needs = {
            "basic": ("username", "password"),
            "oauth_password": ("username", "password", "client_id", "client_secret"),
            "oauth_client_credentials": ("client_id", "client_secret"),
        }[self.auth]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth {self.auth!r} needs {', '.join(missing)}")
        return self
