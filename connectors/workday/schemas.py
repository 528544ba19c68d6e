"""JSON Schemas of the flat records the Workday streams yield (the contract kit validates them)."""

from __future__ import annotations

from typing import Any

from connectors.workday.fields import WORKER_FIELDS

TEXT: dict[str, Any] = {"type": ["string", "null"]}
FLAG: dict[str, Any] = {"type": ["boolean", "null"]}
#: the only list field: Previous_Employments
EMPLOYMENTS: dict[str, Any] = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        "required": ["Hire_Date", "Termination_Date"],
        "properties": {"Hire_Date": {"type": "string"}, "Termination_Date": {"type": "string"}},
    },
}
_KINDS = {"flag": FLAG, "list": EMPLOYMENTS}

WORKER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["WID", "Worker_Type"],
    "properties": {
        "WID": {"type": "string", "minLength": 1},
        "Worker_Type": {"type": "string", "enum": ["Employee", "Contingent_Worker"]},
        **{f.name: _KINDS.get(f.kind, TEXT) for f in WORKER_FIELDS if f.kind != "id"},
        "Transactions": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["Type", "Effective_Date", "Entry_Moment", "Rescinded", "Corrected"],
                "properties": {
                    "Type": TEXT,
                    "Description": TEXT,
                    "Effective_Date": TEXT,
                    "Entry_Moment": TEXT,
                    "Rescinded": {"type": "boolean"},
                    "Corrected": {"type": "boolean"},
                },
            },
        },
    },
}

ORGANIZATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["Organization_Reference_ID", "Organization_Type"],
    "properties": {
        "Organization_Reference_ID": {"type": "string", "minLength": 1},
        "WID": TEXT,
        "Name": TEXT,
        "Organization_Code": TEXT,
        "Organization_Type": {"type": "string"},
        "Organization_Subtype": TEXT,
        "Inactive": {"type": "boolean"},
        "Manager_ID": TEXT,
        "Superior_Organization_ID": TEXT,
        "Superior_Organization_Code": TEXT,
    },
}
