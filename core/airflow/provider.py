"""Airflow provider metadata: registers the hub's connection types so the Airflow UI renders a
proper form (with the secret field masked) for each system the hub talks to.

A connection is referenced from `hub.yaml` as `{airflow_conn: <conn id>, field: password}`;
`core.secrets.Secret` reads it lazily at the moment of use, so nothing secret passes through
XCom or DAG parsing.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ConnectionType(TypedDict):
    connection_type: str
    hook_name: str
    relabel: dict[str, str]
    hidden: list[str]
    extra_fields: dict[str, str]


def _text(label: str) -> dict[str, Any]:
    return {"label": label, "schema": {"type": ["string", "null"]}}


CONNECTION_TYPES: list[ConnectionType] = [
    {
        "connection_type": "hub_workday",
        "hook_name": "ITSM hub: Workday",
        "relabel": {"host": "Tenant host (wd5-services1.myworkday.com)", "login": "Integration system user (ISU@tenant)", "password": "ISU password"},
        "hidden": ["port", "schema"],
        "extra_fields": {"tenant": "Tenant name", "refresh_token": "REST refresh token (optional)"},
    },
    {
        "connection_type": "hub_munis",
        "hook_name": "ITSM hub: Tyler MUNIS",
        "relabel": {"host": "SQL Server or SFTP host", "login": "Read-only user", "password": "Password", "schema": "Database"},
        "hidden": [],
        "extra_fields": {"private_key": "SFTP private key (PEM, optional)"},
    },
    {
        "connection_type": "hub_office365",
        "hook_name": "ITSM hub: Microsoft 365 (Graph)",
        "relabel": {"login": "Application (client) ID", "password": "Client secret"},
        "hidden": ["host", "port", "schema"],
        "extra_fields": {"tenant_id": "Directory (tenant) ID"},
    },
    {
        "connection_type": "hub_azure",
        "hook_name": "ITSM hub: Azure Resource Manager",
        "relabel": {"login": "Application (client) ID", "password": "Client secret"},
        "hidden": ["host", "port", "schema"],
        "extra_fields": {"tenant_id": "Directory (tenant) ID"},
    },
    {
        "connection_type": "hub_aws",
        "hook_name": "ITSM hub: AWS (read-only)",
        "relabel": {"login": "Access key ID", "password": "Secret access key"},
        "hidden": ["host", "port", "schema"],
        "extra_fields": {
            "role_name": "Read-only role to assume in each member account",
            "external_id": "External ID required by that role's trust policy",
        },
    },
    {
        "connection_type": "hub_servicenow",
        "hook_name": "ITSM hub: ServiceNow",
        "relabel": {"host": "Instance URL", "login": "Integration user", "password": "Password"},
        "hidden": ["port", "schema"],
        "extra_fields": {"client_id": "OAuth client ID (optional)", "client_secret": "OAuth client secret (optional)"},
    },
    {
        "connection_type": "hub_jira_sm",
        "hook_name": "ITSM hub: Jira Service Management",
        "relabel": {"host": "Site URL", "login": "Account email", "password": "API token"},
        "hidden": ["port", "schema"],
        "extra_fields": {},
    },
    {
        "connection_type": "hub_salesforce",
        "hook_name": "ITSM hub: Salesforce Service Cloud",
        "relabel": {"host": "My Domain URL", "login": "Consumer key", "password": "Consumer secret"},
        "hidden": ["port", "schema"],
        "extra_fields": {},
    },
    {
        "connection_type": "hub_teamdynamix",
        "hook_name": "ITSM hub: TeamDynamix",
        "relabel": {"host": "TDX base URL", "login": "BEID", "password": "Web services key"},
        "hidden": ["port", "schema"],
        "extra_fields": {"app_id": "Ticketing application ID"},
    },
    {
        "connection_type": "hub_teams",
        "hook_name": "ITSM hub: Microsoft Teams webhook",
        "relabel": {"password": "Webhook URL (keep secret: it authorises posting)"},
        "hidden": ["host", "port", "schema", "login"],
        "extra_fields": {},
    },
]  # fmt: skip


def get_provider_info() -> dict[str, Any]:
    """The `apache_airflow_provider` entry point (schema: Airflow's provider_info.schema.json)."""
    return {
        "package-name": "itsm-hub",
        "name": "ITSM integration hub",
        "description": "Connection types for the systems the ITSM integration hub reads and writes.",
        "connection-types": [
            {
                "hook-class-name": "core.airflow.hooks.HubConnectionHook",
                "hook-name": ct["hook_name"],
                "connection-type": ct["connection_type"],
                "conn-fields": {name: _text(label) for name, label in ct["extra_fields"].items()},
                "ui-field-behaviour": {
                    "hidden-fields": ct["hidden"] + ["extra"] if ct["extra_fields"] else ct["hidden"],
                    "relabeling": ct["relabel"],
                    "placeholders": {},
                },
            }
            for ct in CONNECTION_TYPES
        ],
    }
