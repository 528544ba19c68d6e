"""Airflow provider metadata: registers the hub's connection types (`connection_types.py`) so
the Airflow UI renders a proper form for each system the hub talks to, with every secret field
masked, and tests it with the type's own hook (`hooks.py`).

A connection is referenced from `hub.yaml` as `{airflow_conn: <conn id>, field: password}`;
`core.secrets.Secret` reads it lazily at the moment of use, so nothing secret passes through
XCom or DAG parsing.
"""

from __future__ import annotations

from typing import Any

from core.airflow.connection_types import CONNECTION_TYPES, ExtraField


def _field(field: ExtraField) -> dict[str, Any]:
    """A conn-field; a sensitive one has `format: password`, so Airflow masks it in the form and
    the API (ProvidersManager marks such widgets `is_sensitive`)."""
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if field["sensitive"]:
        schema["format"] = "password"
    return {"label": field["label"], "schema": schema}


def get_provider_info() -> dict[str, Any]:
    """The `apache_airflow_provider` entry point (schema: Airflow's provider_info.schema.json)."""
    return {
        "package-name": "itsm-hub",
        "name": "ITSM integration hub",
        "description": "Connection types for the systems the ITSM integration hub reads and writes.",
        "connection-types": [
            {
                "hook-class-name": f"core.airflow.hooks.{ct['hook_class']}",
                "hook-name": ct["hook_name"],
                "connection-type": ct["connection_type"],
                "conn-fields": {name: _field(field) for name, field in ct["extra_fields"].items()},
                "ui-field-behaviour": {
                    "hidden-fields": ct["hidden"],  # Extra stays: any connector setting can go there
                    "relabeling": ct["relabel"],
                    "placeholders": {},
                },
            }
            for ct in CONNECTION_TYPES
        ],
    }
