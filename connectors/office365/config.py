"""Config of the Microsoft 365 connector (one app registration in one Entra tenant)."""

from __future__ import annotations

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret


class Office365Config(ConnectorConfig):
    tenant_id: str = Field(
        description="Directory (tenant) ID GUID or verified domain, e.g. agency.onmicrosoft.com"
    )
    client_id: str = Field(description="Application (client) ID of the app registration")
    client_secret: Secret | None = Field(
        default=None, description="client secret value (not its ID); or use a certificate"
    )
    client_certificate: Secret | None = Field(
        default=None, description="PEM private key of the app's certificate (instead of a secret)"
    )
    certificate_thumbprint: str | None = Field(
        default=None, description="SHA-1 thumbprint (hex) of the certificate uploaded to the app"
    )
    authority_host: str = Field(
        default="https://login.microsoftonline.com",
        description="Entra sign-in host (login.microsoftonline.us for GCC High / DoD)",
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com",
        description="Graph endpoint (graph.microsoft.us for GCC High, dod-graph.microsoft.us for DoD)",
    )
    page_size: int = Field(default=999, ge=1, le=999, description="$top of plain list requests")
    batch_size: int = Field(default=20, ge=1, le=20, description="requests per JSON $batch (Graph allows 20)")
    sign_in_activity: bool = Field(
        default=False,
        description="read users' last sign-in (needs AuditLog.Read.All and Entra ID P1/P2 in the tenant)",
    )
    group_memberships: bool = Field(
        default=True, description="read each user's group memberships (GroupMember.Read.All)"
    )
    intune: bool = Field(
        default=True, description="read Intune managed devices (needs an Intune licence in the tenant)"
    )

    actions_enabled: bool = Field(
        default=False,
        description="let the hub act in this tenant (disable accounts, revoke sessions, remove "
        "licences); needs the write permissions of the README's 'Write actions' section",
    )

    @model_validator(mode="after")
    def _one_credential(self) -> Office365Config:
        if (self.client_secret is None) == (self.client_certificate is None):
            raise ValueError("set exactly one of client_secret or client_certificate")
        if self.client_certificate is not None and not self.certificate_thumbprint:
            raise ValueError(
                "client_certificate needs certificate_thumbprint (hex SHA-1 shown in the portal)"
            )
        return self

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def graph_base(self) -> str:
        return f"{self.graph_url.rstrip('/')}/v1.0"

    @property
    def scope(self) -> str:
        return f"{self.graph_url.rstrip('/')}/.default"
