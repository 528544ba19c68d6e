"""Links from accounts, assets and cloud resources to the person they belong to.

Link hints come from mappings (`employee_id`, `login`, `custodian_employee_id`,
`primary_user_upn`, `owner_ref`); they are looked up in the person match index, by employee ID
first, then by email/UPN. A hint matching two people links to nobody (and shows in findings).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.resolve.keys import normalize
from core.store.schema import match_keys


def find_person(conn: sa.Connection, *hints: Any) -> str | None:
    """The one person a hint (employee ID, email or UPN) identifies, or None."""
    for hint in hints:
        if hint is None or str(hint).strip() == "":
            continue
        email = normalize(hint, "email")
        lookups = [("email", email)] if email else [("employee_id", normalize(hint, "upper"))]
        for rule, value in lookups:
            rows = conn.execute(
                sa.select(match_keys.c.entity_id).where(
                    match_keys.c.entity == "person", match_keys.c.rule == rule, match_keys.c.value == value
                )
            ).all()
            if len(rows) == 1:
                return str(rows[0].entity_id)
    return None


def key_columns(conn: sa.Connection, entity: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of an entity row, including links to persons."""
    if entity == "person":
        return {
            "employee_id": attrs.get("employee_id"),
            "work_email": normalize(attrs.get("work_email"), "lower"),
            "upn": normalize(attrs.get("upn"), "lower"),
            "status": attrs.get("status"),
        }
    if entity == "account":
        return {
            "system": attrs.get("system") or "unknown",
            "external_id": attrs.get("external_id") or "",
            "enabled": attrs.get("enabled"),
            "person_id": find_person(
                conn, attrs.get("employee_id"), attrs.get("owner_ref"), attrs.get("login"), attrs.get("email")
            ),
        }
    if entity == "asset":
        return {
            "serial_number": normalize(attrs.get("serial_number"), "serial"),
            "asset_tag": attrs.get("asset_tag"),
            "custodian_person_id": find_person(
                conn, attrs.get("custodian_employee_id"), attrs.get("primary_user_upn")
            ),
        }
    if entity == "cloud_account":
        return {"provider": attrs.get("provider") or "unknown", "account_id": attrs.get("account_id") or ""}
    if entity == "cloud_resource":
        return {
            "provider": attrs.get("provider") or "unknown",
            "resource_id": attrs.get("resource_id") or "",
            "owner_person_id": find_person(conn, attrs.get("owner_ref")),
        }
    if entity == "org_unit":
        return {"code": attrs.get("code")}
    if entity == "licence":
        return {"sku_id": attrs.get("sku_id")}
    return {}


#: entity -> (person link column, whether hints exist in attrs)
PERSON_LINK_COLUMNS = {
    "account": "person_id",
    "asset": "custodian_person_id",
    "cloud_resource": "owner_person_id",
}
