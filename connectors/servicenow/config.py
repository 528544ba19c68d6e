"""Config of the ServiceNow sink: where, how to authenticate, which tables hold the tickets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret
from core.vocabulary import TicketState

AuthMode = Literal["basic", "oauth_password", "oauth_client_credentials"]
#: what the hub puts in a catalog variable: its key, the employee ID, the ticket's title, the
#: details (description with the task checklist), the due moment (UTC) or the priority
CatalogValue = Literal["key", "employee_id", "title", "details", "due", "priority"]
DEFAULT_CATALOG_VARIABLES: dict[str, CatalogValue] = {
    "hub_key": "key",
    "employee_id": "employee_id",
    "details": "details",
    "needed_by": "due",
}


class ServiceNowConfig(ConnectorConfig):
    instance_url: str = Field(description="https://agency.service-now.com")
    auth: AuthMode = Field(default="basic", description="basic, oauth_password or oauth_client_credentials")
    username: str | None = Field(default=None, description="the integration user (basic, oauth_password)")
    password: Secret | None = Field(default=None, description="its password (use {env: NAME})")
    client_id: str | None = Field(default=None, description="OAuth application registry client ID")
    client_secret: Secret | None = Field(default=None, description="OAuth client secret")
    table: str = Field(default="incident", description="ticket table: incident, sc_req_item or a task table")
    catalog_item: str | None = Field(
        default=None,
        description="sc_req_item: sys_id of the catalog item ordered for each ticket (Service Catalog "
        "API order_now creates the REQ, the RITM and the item's catalog tasks)",
    )
    catalog_variables: dict[str, CatalogValue] = Field(
        default_factory=lambda: dict(DEFAULT_CATALOG_VARIABLES),
        description="catalog variable name -> what the hub puts in it; one variable must carry the key",
    )
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
        if self.table == "sc_req_item" and not self.catalog_item:
            raise ValueError(
                "table sc_req_item needs catalog_item: requested items are ordered through the Service "
                "Catalog (order_now), which creates the request, the item and its workflow"
            )
        if self.catalog_item and list(self.catalog_variables.values()).count("key") != 1:
            raise ValueError("catalog_variables must name exactly one variable that carries the hub key")
        return self

    @property
    def key_variable(self) -> str:
        return next(name for name, value in self.catalog_variables.items() if value == "key")
