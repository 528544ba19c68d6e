"""Offboarding tasks from what the person really holds, each naming the exact object.

What a person holds is found through links, not one identifier: their accounts (linked by
resolution), then everything those accounts name. A device enrolled to the UPN of one of the
person's accounts is theirs even when HR knows them by another e-mail; an IAM user, account or
cloud resource whose owner tag (keys compared case-insensitively: `owner`, `Owner`, `OWNER`,
`EmployeeId` by default, a playbook task's `owner_tags` to change them) holds one of the person's
UPNs, e-mails or their employee ID is theirs too. Objects resolution already linked to someone
else are never claimed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.store.schema import accounts, assets, cloud_resources, licences, persons

RETIRED = ("disposed", "retired", "returned", "lost", "in_stock")
#: tag keys naming an owner (compared case-insensitively), unless a playbook task lists its own
DEFAULT_OWNER_TAGS = ("owner", "Owner", "OWNER", "EmployeeId")


@dataclass(frozen=True)
class Identity:
    """Everything that names one person: their UPNs, e-mails and employee ID (lower-cased)."""

    person_id: str
    names: frozenset[str]

    def owns(self, tags: Any, keys: Iterable[str]) -> bool:
        """Whether an owner tag (key case-insensitive) names this person."""
        wanted = {k.lower() for k in keys}
        return any(str(key).lower() in wanted and _name(value) in self.names for key, value in _pairs(tags))


def _pairs(tags: Any) -> Iterator[tuple[Any, Any]]:
    """Tags as (key, value): a mapping, or AWS's list of `{Key, Value}`."""
    if isinstance(tags, dict):
        yield from tags.items()
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict):
                yield tag.get("Key", tag.get("key")), tag.get("Value", tag.get("value"))


def _name(value: Any) -> str:
    return str(value or "").strip().lower()


def identity(conn: sa.Connection, person_id: str, linked: Sequence[Any]) -> Identity:
    """The person's names from their record and from every account linked to them."""
    names: set[str] = set()
    person = conn.execute(sa.select(persons).where(persons.c.id == person_id)).first()
    if person is not None:
        a = person.attrs or {}
        names |= {_name(v) for v in (person.employee_id, person.work_email, person.upn, a.get("email"))}
    for row in linked:
        a = row.attrs or {}
        names |= {_name(a.get("login")), _name(a.get("email"))}
    names.discard("")
    return Identity(person_id, frozenset(names))


def _licence_names(conn: sa.Connection) -> dict[str, str]:
    names: dict[str, str] = {}
    for row in conn.execute(
        sa.select(licences.c.sku_id, licences.c.attrs).where(licences.c.deleted_at.is_(None))
    ):
        attrs = row.attrs or {}
        label = attrs.get("name") or attrs.get("sku_part_number") or row.sku_id
        names[str(row.sku_id).lower()] = label
        if attrs.get("sku_part_number"):
            names[str(attrs["sku_part_number"]).lower()] = label
    return names


def person_accounts(conn: sa.Connection, person_id: str, owner_tags: Sequence[str]) -> list[Any]:
    """Accounts linked to the person, then unlinked ones whose login or owner tag names them."""
    live = accounts.c.deleted_at.is_(None)
    linked = conn.execute(sa.select(accounts).where(accounts.c.person_id == person_id, live)).all()
    who = identity(conn, person_id, linked)
    unlinked = conn.execute(sa.select(accounts).where(accounts.c.person_id.is_(None), live)).all()
    claimed = [
        row
        for row in unlinked
        if _name((row.attrs or {}).get("login")) in who.names
        or who.owns((row.attrs or {}).get("tags"), owner_tags)
    ]
    return sorted([*linked, *claimed], key=lambda r: (r.system, r.external_id))


def footprint_tasks(
    conn: sa.Connection, person_id: str, kind: str, owner_tags: Sequence[str] = DEFAULT_OWNER_TAGS
) -> Iterator[str]:
    """Task titles of one footprint kind for a person (see playbooks' `footprint:`)."""
    held = person_accounts(conn, person_id, owner_tags)
    if kind in ("accounts", "licences", "iam_users", "access_keys"):
        yield from _account_tasks(conn, held, kind)
    elif kind == "assets":
        yield from _asset_tasks(_person_assets(conn, identity(conn, person_id, held)))
    elif kind == "cloud_resources":
        yield from _resource_tasks(_person_resources(conn, identity(conn, person_id, held), owner_tags))


def _person_assets(conn: sa.Connection, who: Identity) -> list[Any]:
    """Assets in the person's custody, and unlinked devices whose primary user is one of their UPNs."""
    live = assets.c.deleted_at.is_(None)
    rows = list(conn.execute(sa.select(assets).where(assets.c.custodian_person_id == who.person_id, live)))
    unlinked = conn.execute(sa.select(assets).where(assets.c.custodian_person_id.is_(None), live)).all()
    rows += [r for r in unlinked if _name((r.attrs or {}).get("primary_user_upn")) in who.names]
    return sorted(rows, key=lambda r: (r.asset_tag or "", r.serial_number or ""))


def _person_resources(conn: sa.Connection, who: Identity, owner_tags: Sequence[str]) -> list[Any]:
    live = cloud_resources.c.deleted_at.is_(None)
    rows: list[Any] = list(
        conn.execute(
            sa.select(cloud_resources).where(cloud_resources.c.owner_person_id == who.person_id, live)
        )
    )
    unlinked = conn.execute(
        sa.select(cloud_resources).where(cloud_resources.c.owner_person_id.is_(None), live)
    )
    rows += [r for r in unlinked if who.owns((r.attrs or {}).get("tags"), owner_tags)]
    return sorted(rows, key=lambda r: r.resource_id)


def _asset_tasks(rows: Sequence[Any]) -> Iterator[str]:
    for row in rows:
        a = row.attrs or {}
        if str(a.get("status") or "").lower() in RETIRED:
            continue
        what = " ".join(str(x) for x in (a.get("manufacturer"), a.get("model") or a.get("description")) if x)
        yield (
            f"Recover asset {a.get('asset_tag') or '-'} (serial {a.get('serial_number') or '-'}"
            f"{', ' + what if what else ''}) and wipe/retire it in Intune"
        )


def _resource_tasks(rows: Sequence[Any]) -> Iterator[str]:
    for row in rows:
        a = row.attrs or {}
        yield (
            f"Reassign the owner of {a.get('type') or 'resource'} {a.get('name') or '-'} "
            f"({row.resource_id}, {a.get('provider')} account {a.get('cloud_account_id') or '-'})"
        )


def _account_tasks(conn: sa.Connection, rows: Sequence[Any], kind: str) -> Iterator[str]:
    names = _licence_names(conn) if kind == "licences" else {}
    for row in rows:
        a = row.attrs or {}
        login = a.get("login") or row.external_id
        if row.system == "aws_iam":
            account_id = a.get("cloud_account_id") or "-"
            if kind == "iam_users":
                yield f"Disable IAM user {login} in AWS account {account_id} (remove console password, MFA, policies)"
            elif kind == "access_keys":
                for key in a.get("access_keys") or []:
                    if str((key or {}).get("status", "")).lower() == "active":
                        yield f"Deactivate access key {key.get('id')} of IAM user {login} in AWS account {account_id}"
        elif kind == "accounts" and row.enabled:
            yield f"Disable {row.system} account {login} and revoke its sessions"
        elif kind == "licences":
            for sku in a.get("licences") or []:
                yield f"Remove licence {names.get(str(sku).lower(), sku)} from {login}"
