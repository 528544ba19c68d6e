"""One Airflow hook per hub connection type, each declaring its own `conn_type`.

The hub's connectors own their clients (the engine runs without Airflow), so a hook's job is to
make hub connections first-class in Airflow: the Test button (Admin > Connections > Test, or
`POST /api/v2/connections/test`) builds the connector the connection describes and runs its
`check()`, so the operator sees the connector's own message (token issued, tables readable, the
attribute that is missing...). Messages never carry secret values.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseHook
from pydantic import ValidationError

from core.airflow.connection_types import BY_TYPE, connector_settings
from core.connector.registry import connector_class
from core.errors import HubError


def _problems(exc: ValidationError) -> str:
    """What is wrong with each setting, without the values (they may be secrets)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "settings"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


class HubConnectionHook(BaseHook):
    """The behaviour every hub connection type shares; each subclass names its `conn_type`."""

    conn_name_attr = "hub_conn_id"
    default_conn_name = "hub_default"
    conn_type: ClassVar[str] = ""
    hook_name: ClassVar[str] = "ITSM hub"

    def __init__(self, hub_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hub_conn_id = hub_conn_id

    def get_conn(self) -> Any:
        return self.get_connection(self.hub_conn_id)

    def connector_config(self) -> Any:
        """The connector config this connection describes (raises pydantic's ValidationError)."""
        spec = BY_TYPE[self.conn_type]
        model = connector_class(spec["connector"]).config_model
        settings = connector_settings(self.get_conn(), self.conn_type, set(model.model_fields))
        return model.model_validate(settings)

    def test_connection(self) -> tuple[bool, str]:
        """Run the connector's `check()` against the system the connection points at."""
        spec = BY_TYPE[self.conn_type]
        try:
            config = self.connector_config()
        except ValidationError as exc:
            return False, (
                f"{spec['hook_name']}: the connection does not describe a complete configuration: "
                f"{_problems(exc)} (set them in the form or as Extra fields)"
            )
        except HubError as exc:
            return False, str(exc)
        connector = connector_class(spec["connector"])(config, instance=f"airflow:{self.hub_conn_id}")
        try:
            result = connector.check()
        except HubError as exc:
            return False, str(exc)
        finally:
            connector.close()
        return result.ok, result.message


class WorkdayConnectionHook(HubConnectionHook):
    conn_type = "hub_workday"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class MunisConnectionHook(HubConnectionHook):
    conn_type = "hub_munis"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class Office365ConnectionHook(HubConnectionHook):
    conn_type = "hub_office365"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class AzureConnectionHook(HubConnectionHook):
    conn_type = "hub_azure"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class AwsConnectionHook(HubConnectionHook):
    conn_type = "hub_aws"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class ServiceNowConnectionHook(HubConnectionHook):
    conn_type = "hub_servicenow"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class JiraServiceManagementConnectionHook(HubConnectionHook):
    conn_type = "hub_jira_sm"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class SalesforceConnectionHook(HubConnectionHook):
    conn_type = "hub_salesforce"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class TeamDynamixConnectionHook(HubConnectionHook):
    conn_type = "hub_teamdynamix"
    hook_name = BY_TYPE[conn_type]["hook_name"]


class TeamsConnectionHook(HubConnectionHook):
    conn_type = "hub_teams"
    hook_name = BY_TYPE[conn_type]["hook_name"]
