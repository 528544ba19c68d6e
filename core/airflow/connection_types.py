"""The hub's Airflow connection types: the form each one shows, and the connector config it means.

Each type names the hub connector it configures, how the form's standard fields (host, login,
password, schema, port) become that connector's settings, and its extra fields; extra fields that
hold a secret are marked `sensitive`, so Airflow masks them in the form and in the API
(`"format": "password"` in the provider's conn-fields). Any other extra whose name is a setting
of the connector passes through (JSON values are decoded), so a connection can carry a complete
configuration for the Test button.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import quote


class ExtraField(TypedDict):
    label: str
    sensitive: bool


class ConnectionType(TypedDict):
    connection_type: str
    connector: str  # the hub connector type (entry point name)
    hook_class: str  # class name in core.airflow.hooks
    hook_name: str
    relabel: dict[str, str]
    hidden: list[str]
    standard: dict[str, str]  # Airflow field -> connector setting
    extra_fields: dict[str, ExtraField]


def _extra(label: str, sensitive: bool = False) -> ExtraField:
    return {"label": label, "sensitive": sensitive}


CONNECTION_TYPES: list[ConnectionType] = [
    {
        "connection_type": "hub_workday",
        "connector": "workday",
        "hook_class": "WorkdayConnectionHook",
        "hook_name": "ITSM hub: Workday",
        "relabel": {
            "host": "Web services host (https://wd5-services1.myworkday.com)",
            "login": "Integration system user (user name only, without @tenant)",
            "password": "ISU password",
        },
        "hidden": ["port", "schema"],
        "standard": {"host": "base_url", "login": "username", "password": "password"},
        "extra_fields": {
            "tenant": _extra("Tenant name"),
            "client_id": _extra("API client ID (OAuth, optional)"),
            "client_secret": _extra("API client secret (OAuth, optional)", sensitive=True),
            "refresh_token": _extra("Refresh token (OAuth, optional)", sensitive=True),
        },
    },
    {
        "connection_type": "hub_munis",
        "connector": "munis",
        "hook_class": "MunisConnectionHook",
        "hook_name": "ITSM hub: Tyler MUNIS",
        "relabel": {
            "host": "SQL Server or SFTP host",
            "login": "Read-only user",
            "password": "Password",
            "schema": "Database (SQL)",
        },
        "hidden": [],
        "standard": {},  # built by _munis_settings: the transport decides what the fields mean
        "extra_fields": {
            "transport": _extra("sql, sftp or directory"),
            "munis_user": _extra("MUNIS user the reporting functions take (SQL)"),
            "sftp_host_key": _extra("SFTP host key line (sftp)"),
            "private_key": _extra("SFTP private key (PEM, optional)", sensitive=True),
        },
    },
    {
        "connection_type": "hub_office365",
        "connector": "office365",
        "hook_class": "Office365ConnectionHook",
        "hook_name": "ITSM hub: Microsoft 365 (Graph)",
        "relabel": {"login": "Application (client) ID", "password": "Client secret"},
        "hidden": ["host", "port", "schema"],
        "standard": {"login": "client_id", "password": "client_secret"},
        "extra_fields": {
            "tenant_id": _extra("Directory (tenant) ID"),
            "client_certificate": _extra("Certificate private key (PEM, instead of a secret)", sensitive=True),
        },
    },
    {
        "connection_type": "hub_azure",
        "connector": "azure",
        "hook_class": "AzureConnectionHook",
        "hook_name": "ITSM hub: Azure Resource Manager",
        "relabel": {"login": "Application (client) ID", "password": "Client secret"},
        "hidden": ["host", "port", "schema"],
        "standard": {"login": "client_id", "password": "client_secret"},
        "extra_fields": {"tenant_id": _extra("Directory (tenant) ID")},
    },
    {
        "connection_type": "hub_aws",
        "connector": "aws",
        "hook_class": "AwsConnectionHook",
        "hook_name": "ITSM hub: AWS (read-only)",
        "relabel": {"login": "Access key ID", "password": "Secret access key"},
        "hidden": ["host", "port", "schema"],
        "standard": {"login": "access_key_id", "password": "secret_access_key"},
        "extra_fields": {
            "role_name": _extra("Read-only role to assume in each member account"),
            "external_id": _extra("External ID required by that role's trust policy"),
            "session_token": _extra("Session token (temporary credentials only)", sensitive=True),
        },
    },
    {
        "connection_type": "hub_servicenow",
        "connector": "servicenow",
        "hook_class": "ServiceNowConnectionHook",
        "hook_name": "ITSM hub: ServiceNow",
        "relabel": {"host": "Instance URL", "login": "Integration user", "password": "Password"},
        "hidden": ["port", "schema"],
        "standard": {"host": "instance_url", "login": "username", "password": "password"},
        "extra_fields": {
            "auth": _extra("basic, oauth_password or oauth_client_credentials"),
            "client_id": _extra("OAuth client ID (optional)"),
            "client_secret": _extra("OAuth client secret (optional)", sensitive=True),
        },
    },
    {
        "connection_type": "hub_jira_sm",
        "connector": "jira_sm",
        "hook_class": "JiraServiceManagementConnectionHook",
        "hook_name": "ITSM hub: Jira Service Management",
        "relabel": {"host": "Site URL", "login": "Account email", "password": "API token"},
        "hidden": ["port", "schema"],
        "standard": {"host": "site_url", "login": "email", "password": "api_token"},
        "extra_fields": {
            "project_key": _extra("Service project key"),
            "service_desk_id": _extra("Service desk ID"),
            "request_type_id": _extra("Request type ID"),
        },
    },
    {
        "connection_type": "hub_salesforce",
        "connector": "salesforce",
        "hook_class": "SalesforceConnectionHook",
        "hook_name": "ITSM hub: Salesforce Service Cloud",
        "relabel": {"host": "My Domain URL", "login": "Consumer key", "password": "Consumer secret"},
        "hidden": ["port", "schema"],
        "standard": {"host": "login_url", "login": "client_id", "password": "client_secret"},
        "extra_fields": {},
    },
    {
        "connection_type": "hub_teamdynamix",
        "connector": "teamdynamix",
        "hook_class": "TeamDynamixConnectionHook",
        "hook_name": "ITSM hub: TeamDynamix",
        "relabel": {"host": "TDX Web API URL", "login": "BEID", "password": "Web services key"},
        "hidden": ["port", "schema"],
        "standard": {"host": "base_url", "login": "beid", "password": "web_services_key"},
        "extra_fields": {
            "app_id": _extra("Ticketing application ID"),
            "key_attribute_id": _extra("Ticket attribute ID holding the hub key"),
        },
    },
    {
        "connection_type": "hub_teams",
        "connector": "teams",
        "hook_class": "TeamsConnectionHook",
        "hook_name": "ITSM hub: Microsoft Teams webhook",
        "relabel": {"password": "Webhook URL (keep secret: it authorises posting)"},
        "hidden": ["host", "port", "schema", "login"],
        "standard": {"password": "webhook_url"},
        "extra_fields": {},
    },
]  # fmt: skip
BY_TYPE: dict[str, ConnectionType] = {ct["connection_type"]: ct for ct in CONNECTION_TYPES}
#: extras named as the form stores them: `name`, or `extra__<type>__name` (older Airflow forms)
_PREFIX = "extra__{}__"
#: what the form field of a URL setting may omit
_URL_SETTINGS = {"base_url", "instance_url", "site_url", "login_url"}


def _extras(conn: Any, connection_type: str) -> dict[str, Any]:
    raw = conn.extra_dejson if getattr(conn, "extra", None) else {}
    prefix = _PREFIX.format(connection_type)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        key = name[len(prefix) :] if name.startswith(prefix) else name
        if value in (None, ""):
            continue
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        values[key] = value
    return values


def _munis_settings(conn: Any, extras: dict[str, Any]) -> dict[str, Any]:
    transport = extras.get("transport", "sql")
    if transport == "sftp":
        settings = {"sftp_host": conn.host, "sftp_username": conn.login, "sftp_password": conn.password}
        if conn.port:
            settings["sftp_port"] = conn.port
        if "private_key" in extras:
            settings["sftp_private_key"] = extras.pop("private_key")
        return settings
    if transport == "directory" or not conn.host:
        return {}
    port = f":{conn.port}" if conn.port else ""
    url = f"mssql+pyodbc://{quote(conn.login or '')}@{conn.host}{port}/{conn.schema or 'mu_live'}"
    return {"sql_url": url + "?driver=ODBC+Driver+18+for+SQL+Server", "sql_password": conn.password}


SETTINGS_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {"hub_munis": _munis_settings}


def connector_settings(conn: Any, connection_type: str, known: set[str]) -> dict[str, Any]:
    """The connector config a connection describes: standard fields, then extras naming settings
    of the connector (`known`); secrets stay literal values, handed straight to the connector."""
    spec = BY_TYPE[connection_type]
    extras = _extras(conn, connection_type)
    settings: dict[str, Any] = {}
    builder = SETTINGS_BUILDERS.get(connection_type)
    if builder is not None:
        settings.update(builder(conn, extras))
    for airflow_field, setting in spec["standard"].items():
        value = getattr(conn, airflow_field, None)
        if value in (None, ""):
            continue
        if setting in _URL_SETTINGS and "://" not in str(value):
            value = f"https://{value}"
        settings[setting] = value
    settings.update({name: value for name, value in extras.items() if name in known})
    return settings
