"""Offboarding tasks from what the person really holds, each naming the exact object."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from core.store.schema import accounts, assets, cloud_resources, licences

RETIRED = ("disposed", "retired", "returned", "lost", "in_stock")


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


def footprint_tasks(conn: sa.Connection, person_id: str, kind: str) -> Iterator[str]:
    """Task titles of one footprint kind for a person (see playbooks' `footprint:`)."""
    if kind in ("accounts", "licences", "iam_users", "access_keys"):
        rows = conn.execute(
            sa.select(accounts)
            .where(accounts.c.person_id == person_id, accounts.c.deleted_at.is_(None))
            .order_by(accounts.c.system, accounts.c.external_id)
        ).all()
        yield from _account_tasks(conn, rows, kind)
    elif kind == "assets":
        rows = conn.execute(
            sa.select(assets)
            .where(assets.c.custodian_person_id == person_id, assets.c.deleted_at.is_(None))
            .order_by(assets.c.asset_tag)
        ).all()
        for row in rows:
            a = row.attrs or {}
            if str(a.get("status") or "").lower() in RETIRED:
                continue
            what = " ".join(
                str(x) for x in (a.get("manufacturer"), a.get("model") or a.get("description")) if x
            )
            yield (
                f"Recover asset {a.get('asset_tag') or '-'} (serial {a.get('serial_number') or '-'}"
                f"{', ' + what if what else ''}) and wipe/retire it in Intune"
            )
    elif kind == "cloud_resources":
        rows = conn.execute(
            sa.select(cloud_resources)
            .where(cloud_resources.c.owner_person_id == person_id, cloud_resources.c.deleted_at.is_(None))
            .order_by(cloud_resources.c.resource_id)
        ).all()
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
