"""The hook behind every hub connection type.

The hub's connectors own their clients (the engine runs without Airflow), so the hook's only job
is to let Airflow's UI and `airflow connections test` treat hub connections as first-class: it
reads the connection and reports which secret fields are filled, never their values.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook


class HubConnectionHook(BaseHook):
    conn_name_attr = "hub_conn_id"
    default_conn_name = "hub_default"
    conn_type = "hub"
    hook_name = "ITSM hub"

    def __init__(self, hub_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hub_conn_id = hub_conn_id

    def get_conn(self) -> Any:
        return self.get_connection(self.hub_conn_id)

    def test_connection(self) -> tuple[bool, str]:
        conn = self.get_conn()
        filled = [name for name in ("host", "login", "password") if getattr(conn, name, None)]
        if not conn.password:
            return False, f"connection {self.hub_conn_id!r} has no secret (password field) set"
        return True, f"connection {self.hub_conn_id!r} has: {', '.join(filled)} (values not shown)"
