"""Finding the person an operator asks about: by employee ID, name, UPN or e-mail, hub ticket key
or the ticket's number in the desk (its external ID)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.store.engine import Store
from core.store.schema import persons, tickets

NAME_FIELDS = ("display_name", "given_name", "family_name", "preferred_name")
LIMIT = 50


def _summary(row: Any) -> dict[str, Any]:
    attrs = row.attrs or {}
    name = attrs.get("display_name") or " ".join(
        p for p in (attrs.get("given_name"), attrs.get("family_name")) if p
    )
    return {
        "id": row.id,
        "employee_id": row.employee_id,
        "name": name,
        "upn": row.upn,
        "status": row.status,
        "department": attrs.get("department") or attrs.get("org_unit"),
    }


def _by_ticket(conn: sa.Connection, query: str) -> list[str]:
    hits = conn.execute(
        sa.select(tickets.c.person_id).where(
            sa.or_(tickets.c.key == query, sa.func.upper(tickets.c.external_id) == query.upper())
        )
    )
    return [r.person_id for r in hits]


def _by_name(conn: sa.Connection, query: str) -> list[Any]:
    """Names live in the JSON attrs: a text match narrows the rows, the name fields decide."""
    needle = query.lower()
    candidates = conn.execute(
        sa.select(persons).where(sa.cast(persons.c.attrs, sa.Text).ilike(f"%{query}%")).limit(LIMIT * 4)
    )
    found = []
    for row in candidates:
        names = [str((row.attrs or {}).get(f) or "").lower() for f in NAME_FIELDS]
        full = f"{names[1]} {names[2]}"
        if any(needle in n for n in [*names, full]):
            found.append(row)
    return found[:LIMIT]


def search_people(store: Store, query: str) -> list[dict[str, Any]]:
    """Every person the query names; exact identifiers first, then name matches."""
    query = query.strip()
    if not query:
        return []
    p = persons
    with store.engine.connect() as conn:
        exact = conn.execute(
            sa.select(p).where(
                sa.or_(
                    p.c.employee_id == query,
                    p.c.upn == query.lower(),
                    p.c.work_email == query.lower(),
                    p.c.id.in_(_by_ticket(conn, query)),
                )
            )
        ).all()
        rows = exact or _by_name(conn, query)
        return [_summary(r) for r in rows]
