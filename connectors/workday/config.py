"""Config of the Workday connector: tenant, transport (SOAP Get_Workers or a RaaS custom report)
and credentials (an integration system user, or an API client's OAuth refresh token)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret

Transport = Literal["soap", "raas"]


class WorkdayConfig(ConnectorConfig):
    base_url: str = Field(description="Web services host, e.g. https://wd2-impl-services1.workday.com")
    tenant: str = Field(description="tenant name as it appears in /ccx/service/{tenant}/...")
    transport: Transport = Field(
        default="soap",
        description="soap: incremental Get_Workers with transaction-log windows; raas: a full custom report per run",
    )
    api_version: str = Field(
        default="v42.0", pattern=r"^v\d+(\.\d+)?$", description="Workday Web Services version"
    )
    username: str | None = Field(default=None, description="integration system user (without @tenant)")
    password: Secret | None = Field(default=None, description="password of the integration system user")
    client_id: str | None = Field(default=None, description="API client for integrations (OAuth)")
    client_secret: Secret | None = Field(default=None, description="API client secret (OAuth)")
    refresh_token: Secret | None = Field(
        default=None, description="non-expiring refresh token of the API client"
    )
    page_size: int = Field(
        default=100,
        ge=1,
        le=999,
        description="Response_Filter Count: workers per Get_Workers page (Workday allows 1-999; small "
        "pages keep each answer well inside the request timeout on large tenants)",
    )
    prehire_lookahead: bool = Field(
        default=True,
        description="re-read future-dated hires and job changes As_Of_Effective_Date their date to get "
        "the job data they bring",
    )
    window_lag_seconds: int = Field(
        default=0, ge=0, le=3600, description="end each Updated window this many seconds before now"
    )
    organization_types: list[str] = Field(
        default_factory=lambda: ["Supervisory", "Cost_Center"],
        description="Organization_Type_ID values to read",
    )
    raas_owner: str | None = Field(default=None, description="owner of the custom report (usually the ISU)")
    raas_report: str | None = Field(default=None, description="custom report name, e.g. ITSM_Workers")
    raas_prompts: dict[str, str] = Field(
        default_factory=dict, description="report prompts as query parameters"
    )

    @model_validator(mode="after")
    def _credentials(self) -> WorkdayConfig:
        if self.refresh_token is not None:
            if not self.client_id or self.client_secret is None:
                raise ValueError("Workday OAuth needs client_id and client_secret with the refresh_token")
        elif not self.username or self.password is None:
            raise ValueError(
                "Workday needs an integration system user (username + password) "
                "or an API client (client_id + client_secret + refresh_token)"
            )
        if self.transport == "raas" and not (self.raas_owner and self.raas_report):
            raise ValueError(
                "transport raas needs raas_owner and raas_report (the custom report's URL parts)"
            )
        return self

    @property
    def uses_oauth(self) -> bool:
        return self.refresh_token is not None

    @property
    def soap_path(self) -> str:
        return f"/ccx/service/{self.tenant}/Human_Resources/{self.api_version}"

    @property
    def token_path(self) -> str:
        return f"/ccx/oauth2/{self.tenant}/token"

    @property
    def report_path(self) -> str:
        return f"/ccx/service/customreport2/{self.tenant}/{self.raas_owner}/{self.raas_report}"
