"""Reference data of the TeamDynamix sandbox (statuses, types, priorities, groups, attributes) and
the JSON Patch subset `PATCH /api/{appId}/tickets/{id}` accepts."""

from __future__ import annotations

from typing import Any

from core.sandbox.org import DEPARTMENTS

_STATUS_LIST: list[dict[str, Any]] = [
    {"ID": 101, "Name": "New", "StatusClass": 1, "IsActive": True, "IsDefault": True, "Order": 1},
    {"ID": 102, "Name": "Open", "StatusClass": 2, "IsActive": True, "IsDefault": False, "Order": 2},
    {"ID": 103, "Name": "In Process", "StatusClass": 2, "IsActive": True, "IsDefault": False, "Order": 3},
    {"ID": 104, "Name": "On Hold", "StatusClass": 5, "IsActive": True, "IsDefault": False, "Order": 4},
    {"ID": 105, "Name": "Resolved", "StatusClass": 3, "IsActive": True, "IsDefault": False, "Order": 5},
    {"ID": 106, "Name": "Closed", "StatusClass": 3, "IsActive": True, "IsDefault": False, "Order": 6},
    {
        "ID": 108,
        "Name": "Void (retired)",
        "StatusClass": 4,
        "IsActive": False,
        "IsDefault": False,
        "Order": 7,
    },
    {"ID": 107, "Name": "Cancelled", "StatusClass": 4, "IsActive": True, "IsDefault": False, "Order": 8},
]
STATUSES: dict[int, dict[str, Any]] = {int(s["ID"]): s for s in _STATUS_LIST}
TYPES = {401: "Onboarding / Offboarding", 402: "Incident", 403: "Service Request"}
PRIORITIES = {18: "Low", 19: "Medium", 20: "High", 21: "Emergency"}
GROUPS: dict[int, tuple[str, bool]] = {  # ID -> (name, active); 0 is "no group"
    0: ("", True),
    601: ("Service Desk", True),
    602: ("Identity & Access Management", True),
    603: ("Desktop Support", True),
    604: ("Service Desk Tier 2", True),
    699: ("Old Helpdesk", False),
}
KEY_ATTRIBUTE = 7001
ATTRIBUTES = {KEY_ATTRIBUTE: "Hub idempotency key", 7002: "Asset tag"}
#: a ticket attribute of another ticketing application (listed only with that app's appId)
OTHER_APP_ID, OTHER_APP_ATTRIBUTE = 77, 7003
REQUESTOR_UID = "6f1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
PATCHABLE = {"title", "description", "enddate", "startdate", "priorityid", "responsiblegroupid", "accountid"}


def accounts() -> dict[int, str]:
    """Accounts/departments: the demo organisation's departments."""
    return {301 + i: d.name for i, d in enumerate(DEPARTMENTS)}


def apply_patch(ticket: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply `replace`/`add` operations on top-level fields and `/attributes/{id}`."""
    if not isinstance(operations, list):
        raise ValueError("The request body must be a JSON Patch document (an array of operations).")
    names = {k.lower(): k for k in ticket}
    for op in operations:
        kind, path, value = op.get("op"), str(op.get("path", "")), op.get("value")
        if kind not in ("replace", "add"):
            raise ValueError(f"Patch operation '{kind}' is not supported.")
        parts = path.strip("/").split("/")
        if parts[0].lower() == "attributes" and len(parts) == 2 and parts[1].isdigit():
            attribute_id = int(parts[1])
            if attribute_id not in ATTRIBUTES:
                raise ValueError(f"Custom attribute {attribute_id} is not valid for tickets.")
            others = [a for a in ticket["Attributes"] if a["ID"] != attribute_id]
            attribute = {
                "ID": attribute_id,
                "Name": ATTRIBUTES[attribute_id],
                "Value": str(value),
                "ValueText": str(value),
            }
            ticket["Attributes"] = [*others, attribute]
        elif len(parts) == 1 and parts[0].lower() in PATCHABLE:
            ticket[names.get(parts[0].lower(), parts[0])] = value
        else:
            raise ValueError(f"The path '{path}' cannot be patched.")
    return ticket
