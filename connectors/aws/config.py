"""Config of the AWS connector: where the credentials come from, which accounts and regions are
read, and how (per-service listing or an AWS Config aggregator)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.connector.contracts import ConnectorConfig
from core.secrets import Secret

ResourceType = Literal["ec2:instance", "s3:bucket", "rds:db", "lambda:function"]
ALL_RESOURCE_TYPES: tuple[ResourceType, ...] = ("ec2:instance", "s3:bucket", "rds:db", "lambda:function")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class AwsConfig(ConnectorConfig):
    """Without keys or a profile, boto3's standard credential chain is used (environment, shared
    config, container or instance role) - the usual choice on Airflow workers."""

    access_key_id: Secret | None = Field(
        default=None,
        description="access key ID of the hub's IAM principal ({airflow_conn: ID, field: login} works too); "
        "leave empty to use the standard credential chain",
    )
    secret_access_key: Secret | None = Field(default=None, description="its secret access key")
    session_token: Secret | None = Field(default=None, description="session token, for temporary keys")
    profile_name: str | None = Field(default=None, description="a named profile of the shared AWS config")
    endpoint_url: str | None = Field(
        default=None, description="one endpoint for every service (sandboxes, private endpoints); else AWS's"
    )
    home_region: str = Field(
        default="us-east-1",
        description="region of the global calls (Organizations, STS, IAM, Config aggregator)",
    )
    regions: list[str] = Field(
        default=["us-east-1"], min_length=1, description="regions whose resources are read"
    )
    use_organizations: bool = Field(
        default=True,
        description="list member accounts with organizations:ListAccounts (else only `accounts`)",
    )
    accounts: list[str] = Field(
        default_factory=list, description="account IDs to read; with Organizations, only these (empty: all)"
    )
    exclude_accounts: list[str] = Field(default_factory=list, description="account IDs never read")
    role_name: str = Field(
        default="ItsmHubReadOnly", description="read-only role assumed in each account (see README)"
    )
    external_id: str | None = Field(
        default=None, description="sts:ExternalId the role's trust policy requires"
    )
    role_session_name: str = Field(default="itsm-hub", pattern=r"^[\w+=,.@-]{2,64}$")
    own_account_access: Literal["direct", "assume_role"] = Field(
        default="direct",
        description="read the account of the hub's own credentials with them (direct) or through the role",
    )
    resource_types: list[ResourceType] = Field(default=list(ALL_RESOURCE_TYPES), min_length=1)
    inventory_source: Literal["services", "config_aggregator"] = Field(
        default="services",
        description="services: describe/list calls per account and region; config_aggregator: one "
        "select_aggregate_resource_config query per partition, no role assumption (for large estates)",
    )
    config_aggregator_name: str | None = Field(default=None, description="aggregator for config_aggregator")
    iam_source: Literal["credential_report", "per_user"] = Field(
        default="credential_report",
        description="credential_report: report + authorization details (a few calls per account); "
        "per_user: five or more calls per IAM user, always current",
    )
    credential_report_wait_seconds: float = Field(default=120.0, gt=0, le=900)
    retry_mode: Literal["standard", "adaptive"] = Field(
        default="standard",
        description="botocore retry mode for throttling and 5xx (adaptive also rate-limits client-side)",
    )
    page_size: int = Field(
        default=100, ge=5, le=1000, description="MaxResults/MaxItems where the API takes one"
    )

    actions_enabled: bool = Field(
        default=False,
        description="let the hub act on IAM users (deactivate keys, delete the console password, "
        "attach deny-all) through action_role_name; see the README's 'Write actions'",
    )
    action_role_name: str = Field(
        default="ItsmHubActions",
        pattern=r"^[\w+=,.@-]{1,64}$",
        description="role assumed in each account for write actions (separate from role_name)",
    )

    @field_validator("accounts", "exclude_accounts")
    @classmethod
    def _account_ids(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not _ACCOUNT_ID.match(a)]
        if bad:
            raise ValueError(f"AWS account IDs are 12 digits; got {bad}")
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not _REGION.match(r)]
        if bad:
            raise ValueError(f"not AWS region names: {bad} (e.g. us-east-1)")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> AwsConfig:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("set both access_key_id and secret_access_key, or neither (credential chain)")
        if self.access_key_id is not None and self.profile_name:
            raise ValueError("set either static keys or profile_name, not both")
        if self.actions_enabled and self.action_role_name == self.role_name:
            raise ValueError(
                "action_role_name must differ from role_name: the read-only role stays read-only"
            )
        if self.inventory_source == "config_aggregator" and not self.config_aggregator_name:
            raise ValueError("inventory_source config_aggregator needs config_aggregator_name")
        if not self.use_organizations and not self.accounts and self.own_account_access != "direct":
            raise ValueError("without Organizations, list the account IDs to read in `accounts`")
        return self
