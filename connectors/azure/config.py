"""Config of the Azure connector: who signs in (a service principal with Reader), which cloud,
which subscriptions, and how resources are listed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret

AuthMethod = Literal["client_secret", "certificate", "managed_identity"]
ResourceListing = Literal["arm", "resource_graph"]


class AzureConfig(ConnectorConfig):
    tenant_id: str = Field(description="Directory (tenant) ID of the Entra ID tenant")
    auth: AuthMethod = Field(default="client_secret", description="how the service principal signs in")
    client_id: str | None = Field(
        default=None, description="Application (client) ID; for managed_identity, a user-assigned identity"
    )
    client_secret: Secret | None = Field(
        default=None,
        description="client secret value (use {env: NAME} or {airflow_conn: ID, field: password})",
    )
    certificate_path: str | None = Field(
        default=None, description="PEM or PKCS#12 file holding the certificate and its private key"
    )
    certificate_password: Secret | None = Field(default=None, description="password of the certificate file")
    authority_host: str = Field(
        default="https://login.microsoftonline.com",
        description="Entra ID host (Azure Government: https://login.microsoftonline.us)",
    )
    arm_endpoint: str = Field(
        default="https://management.azure.com",
        description="Resource Manager endpoint (Azure Government: https://management.usgovcloudapi.net)",
    )
    credential_scope: str | None = Field(
        default=None, description="token scope; default '<arm_endpoint>/.default'"
    )
    instance_discovery: bool = Field(
        default=True,
        description="validate the authority with Entra instance discovery (off for private hosts)",
    )
    subscription_ids: list[str] | None = Field(
        default=None, description="subscriptions to read; default: every subscription the principal can read"
    )
    resource_listing: ResourceListing = Field(
        default="arm",
        description="arm: Resources - List per subscription; resource_graph: one Resource Graph query",
    )
    resource_filter: str | None = Field(
        default=None,
        description="ARM $filter for resources (arm listing only), e.g. \"resourceType eq 'Microsoft.Compute/virtualMachines'\"",
    )
    page_size: int = Field(default=1000, ge=1, le=1000, description="$top per page (ARM and Resource Graph)")
    actions_enabled: bool = Field(
        default=False,
        description="let the hub tag a leaver's resources for reassignment (hub-owner-left: DATE, never "
        "a delete); needs Tag Contributor, see the README's 'Write actions' section",
    )

    @model_validator(mode="after")
    def _credentials_match_method(self) -> AzureConfig:
        if self.auth == "client_secret" and (not self.client_id or self.client_secret is None):
            raise ValueError("auth client_secret needs client_id and client_secret")
        if self.auth == "certificate" and (not self.client_id or not self.certificate_path):
            raise ValueError("auth certificate needs client_id and certificate_path")
        if self.resource_filter and self.resource_listing == "resource_graph":
            raise ValueError(
                "resource_filter applies to the arm listing; Resource Graph reads every resource"
            )
        if self.resource_filter and "tag" in self.resource_filter.lower():
            raise ValueError(
                "resource_filter must not filter by tag: ARM then returns resources without their tags, "
                "and owners come from tags"
            )
        return self

    @property
    def scope(self) -> str:
        return self.credential_scope or f"{self.arm_endpoint.rstrip('/')}/.default"
