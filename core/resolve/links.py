"""Links from accounts, assets and cloud resources to the person they belong to.

Link hints come from mappings (`employee_id`, `login`, `custodian_employee_id`,
`primary_user_upn`, `owner_ref`); they are looked up in the person match index, by employee ID
first, then by email/UPN. A hint matching two people links to nobody (and shows in findings).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from core.resolve.keys import normalize
from core.store.schema import match_keys

#: fields of a fragment that name a person (the hints `key_columns` passes to `find`)
HINT_FIELDS = ("employee_id", "owner_ref", "login", "email", "custodian_employee_id", "primary_user_upn")


class PersonIndex:
    """The person match index, read for many link hints at once.

    `prefetch` loads the entries of every hint a chunk of records holds in one query per rule,
    so resolving N accounts costs a few queries rather than N; a hint not prefetched is looked
    up on its own.
    """

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self._ids: dict[tuple[str, str], list[str]] = {}

    @staticmethod
    def lookup(hint: Any) -> tuple[str, str] | None:
        if hint is None or str(hint).strip() == "":
            return None
        email = normalize(hint, "email")
        if email:
            return ("email", email)
        employee_id = normalize(hint, "upper")
        return ("employee_id", employee_id) if employee_id else None

    def prefetch(self, hints: Iterable[Any]) -> None:
        wanted: dict[str, set[str]] = {}
        for hint in hints:
            lookup = self.lookup(hint)
            if lookup is not None and lookup not in self._ids:
                wanted.setdefault(lookup[0], set()).add(lookup[1])
        for rule, values in wanted.items():
            ordered = sorted(values)
            for value in ordered:
                self._ids[(rule, value)] = []
            for start in range(0, len(ordered), 900):
                rows = self.conn.execute(
                    sa.select(match_keys.c.value, match_keys.c.entity_id).where(
                        match_keys.c.entity == "person",
                        match_keys.c.rule == rule,
                        match_keys.c.value.in_(ordered[start : start + 900]),
                    )
                )
                for row in rows:
                    self._ids[(rule, row.value)].append(str(row.entity_id))

    def find(self, *hints: Any) -> str | None:
        """The one person a hint (employee ID, email or UPN) identifies, or None."""
        for hint in hints:
            lookup = self.lookup(hint)
            if lookup is None:
                continue
            if lookup not in self._ids:
                self.prefetch([hint])
            ids = self._ids[lookup]
            if len(ids) == 1:
                return ids[0]
        return None


def reaches(attrs: dict[str, Any], person_keys: set[tuple[str, str]]) -> bool:
    """Whether a link hint of these attrs is one of `person_keys` (person match keys, by index)."""
    for name in HINT_FIELDS:
        lookup = PersonIndex.lookup(attrs.get(name))
        if lookup is not None and lookup in person_keys:
            return True
    return False


#: the indexed columns `key_columns` returns for each entity, in table order
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("employee_id", "work_email", "upn", "status"),
    "account": ("system", "external_id", "enabled", "person_id"),
    "asset": ("serial_number", "asset_tag", "custodian_person_id"),
    "cloud_account": ("provider", "account_id"),
    "cloud_resource": ("provider", "resource_id", "owner_person_id"),
    "org_unit": ("code",),
    "licence": ("sku_id",),
}


def key_columns(persons: PersonIndex, entity: str, attrs: dict[str, Any]) -> dict[str, Any]:
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
            "person_id": persons.find(
                attrs.get("employee_id"), attrs.get("owner_ref"), attrs.get("login"), attrs.get("email")
            ),
        }
    if entity == "asset":
        return {
            "serial_number": normalize(attrs.get("serial_number"), "serial"),
            "asset_tag": attrs.get("asset_tag"),
            "custodian_person_id": persons.find(
                attrs.get("custodian_employee_id"), attrs.get("primary_user_upn")
            ),
        }
    if entity == "cloud_account":
        return {"provider": attrs.get("provider") or "unknown", "account_id": attrs.get("account_id") or ""}
    if entity == "cloud_resource":
        return {
            "provider": attrs.get("provider") or "unknown",
            "resource_id": attrs.get("resource_id") or "",
            "owner_person_id": persons.find(attrs.get("owner_ref")),
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
