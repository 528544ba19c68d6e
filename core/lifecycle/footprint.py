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

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.store.schema import accounts, assets, cloud_resources, licences, persons

RETIRED = ("disposed", "retired", "returned", "lost", "in_stock")
#: tag keys naming an owner (compared case-insensitively), unless a playbook task lists its own
DEFAULT_OWNER_TAGS = ("owner", "Owner", "OWNER", "EmployeeId")
#: people per IN list
CHUNK = 500


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


def _person_names(person: Any) -> set[str]:
    a = person.attrs or {}
    return {_name(v) for v in (person.employee_id, person.work_email, person.upn, a.get("email"))}


def _account_names(rows: Iterable[Any]) -> set[str]:
    names: set[str] = set()
    for row in rows:
        a = row.attrs or {}
        names |= {_name(a.get("login")), _name(a.get("email"))}
    return names


class _Unlinked:
    """Live rows no person is linked to, indexed by the names that can claim them; `claim`
    returns them in the order the table gave them (as a per-person scan did)."""

    def __init__(self, rows: Sequence[Any], name_of: Any = None) -> None:
        self.rows = rows
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_tag: dict[tuple[str, str], list[int]] = defaultdict(list)
        for position, row in enumerate(rows):
            attrs = row.attrs or {}
            if name_of is not None:
                self.by_name[_name(attrs.get(name_of))].append(position)
            for key, value in _pairs(attrs.get("tags")):
                self.by_tag[(str(key).lower(), _name(value))].append(position)

    def claim(self, names: frozenset[str], owner_tags: Sequence[str] | None) -> list[Any]:
        found: set[int] = set()
        for name in names:
            found.update(self.by_name.get(name, ()))
        if owner_tags is not None:
            for key in {k.lower() for k in owner_tags}:
                for name in names:
                    found.update(self.by_tag.get((key, name), ()))
        return [self.rows[i] for i in sorted(found)]


class Footprints:
    """What a set of people hold, loaded with one query per table for all of them (the leavers
    of an evaluation chunk), not several per person and footprint kind; each table is read only
    when a task asks for it."""

    def __init__(self, conn: sa.Connection, person_ids: Iterable[str]) -> None:
        self.conn = conn
        self.person_ids = sorted(set(person_ids))
        self._covered = set(self.person_ids)
        self._loaded: dict[str, Any] = {}
        self._holdings: dict[tuple[str, tuple[str, ...]], tuple[list[Any], Identity]] = {}

    def covers(self, person_id: str) -> bool:
        return person_id in self._covered

    def _once(self, name: str, load: Any) -> Any:
        if name not in self._loaded:
            self._loaded[name] = load()
        return self._loaded[name]

    def _by_person(self, table: sa.Table, column: sa.Column[Any]) -> dict[str, list[Any]]:
        held: dict[str, list[Any]] = defaultdict(list)
        for start in range(0, len(self.person_ids), CHUNK):
            chunk = self.person_ids[start : start + CHUNK]
            for row in self.conn.execute(
                sa.select(table).where(column.in_(chunk), table.c.deleted_at.is_(None))
            ):
                held[getattr(row, column.name)].append(row)
        return held

    def _persons(self) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for start in range(0, len(self.person_ids), CHUNK):
            chunk = self.person_ids[start : start + CHUNK]
            rows.update(
                (r.id, r) for r in self.conn.execute(sa.select(persons).where(persons.c.id.in_(chunk)))
            )
        return rows

    def _unlinked(self, table: sa.Table, column: sa.Column[Any], name_of: str | None) -> _Unlinked:
        rows = self.conn.execute(sa.select(table).where(column.is_(None), table.c.deleted_at.is_(None))).all()
        return _Unlinked(rows, name_of)

    def identity(self, person_id: str, accounts_held: Sequence[Any]) -> Identity:
        """The person's names from their record and from these accounts of theirs."""
        person = self._once("persons", self._persons).get(person_id)
        names = _person_names(person) if person is not None else set()
        names |= _account_names(accounts_held)
        names.discard("")
        return Identity(person_id, frozenset(names))

    def accounts(self, person_id: str, owner_tags: Sequence[str]) -> list[Any]:
        """Accounts linked to the person, then unlinked ones whose login or owner tag names them."""
        return list(self._holding(person_id, owner_tags)[0])

    def _holding(self, person_id: str, owner_tags: Sequence[str]) -> tuple[list[Any], Identity]:
        """The person's accounts and the identity they give, found once per person and owner tags
        (a ticket's footprint tasks each ask again; the chunk's rows do not change meanwhile)."""
        key = (person_id, tuple(owner_tags))
        found = self._holdings.get(key)
        if found is None:
            linked = self._once("accounts", lambda: self._by_person(accounts, accounts.c.person_id)).get(
                person_id, []
            )
            who = self.identity(person_id, linked)
            unlinked = self._once(
                "unlinked accounts", lambda: self._unlinked(accounts, accounts.c.person_id, "login")
            )
            claimed = unlinked.claim(who.names, owner_tags)
            held = sorted([*linked, *claimed], key=lambda r: (r.system, r.external_id))
            found = self._holdings[key] = (held, self.identity(person_id, held))
        return found

    def assets(self, who: Identity) -> list[Any]:
        """Assets in the person's custody, and unlinked devices whose primary user is one of their UPNs."""
        column = assets.c.custodian_person_id
        rows = list(self._once("assets", lambda: self._by_person(assets, column)).get(who.person_id, []))
        unlinked = self._once("unlinked assets", lambda: self._unlinked(assets, column, "primary_user_upn"))
        rows += unlinked.claim(who.names, None)
        return sorted(rows, key=lambda r: (r.asset_tag or "", r.serial_number or ""))

    def resources(self, who: Identity, owner_tags: Sequence[str]) -> list[Any]:
        column = cloud_resources.c.owner_person_id
        rows = list(
            self._once("resources", lambda: self._by_person(cloud_resources, column)).get(who.person_id, [])
        )
        unlinked = self._once("unlinked resources", lambda: self._unlinked(cloud_resources, column, None))
        rows += unlinked.claim(who.names, owner_tags)
        return sorted(rows, key=lambda r: r.resource_id)

    def licence_names(self) -> dict[str, str]:
        return dict(self._once("licences", lambda: _licence_names(self.conn)))

    def tasks(
        self, person_id: str, kind: str, owner_tags: Sequence[str] = DEFAULT_OWNER_TAGS
    ) -> Iterator[str]:
        """Task titles of one footprint kind for a person (see playbooks' `footprint:`)."""
        held, who = self._holding(person_id, owner_tags)
        if kind in ("accounts", "licences", "iam_users", "access_keys"):
            names = self.licence_names() if kind == "licences" else {}
            yield from _account_tasks(held, kind, names)
        elif kind == "assets":
            yield from _asset_tasks(self.assets(who))
        elif kind == "cloud_resources":
            yield from _resource_tasks(self.resources(who, owner_tags))


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


def footprint_tasks(
    conn: sa.Connection, person_id: str, kind: str, owner_tags: Sequence[str] = DEFAULT_OWNER_TAGS
) -> Iterator[str]:
    """Task titles of one footprint kind for one person (`Footprints` does a chunk of people)."""
    return Footprints(conn, [person_id]).tasks(person_id, kind, owner_tags)


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


def _account_tasks(rows: Sequence[Any], kind: str, names: dict[str, str]) -> Iterator[str]:
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
