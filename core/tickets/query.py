"""Tickets as `hub tickets list/show` print them."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.errors import NotFoundError
from core.store.engine import Store
from core.store.schema import lifecycle_events, tickets


def ticket_document(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "type": row.type,
        "employee_id": row.employee_id,
        "state": row.state,
        "priority": row.priority,
        "due": row.due_date.isoformat(),
        "due_at": row.due_at.astimezone(ZoneInfo(row.time_zone)).isoformat(),
        "time_zone": row.time_zone,
        "sink": row.sink,
        "external_id": row.external_id,
        "title": row.title,
        "tasks": [{"title": t["title"], "state": t["state"]} for t in row.tasks],
    }


def list_tickets(
    store: Store, *, employee_id: str | None = None, state: str | None = None, ticket_type: str | None = None
) -> list[dict[str, Any]]:
    query = sa.select(tickets).order_by(tickets.c.created_at, tickets.c.key)
    if employee_id:
        query = query.where(tickets.c.employee_id == employee_id)
    if state:
        query = query.where(tickets.c.state == state)
    if ticket_type:
        query = query.where(tickets.c.type == ticket_type)
    with store.engine.connect() as conn:
        return [ticket_document(row) for row in conn.execute(query)]


def find_tickets(store: Store, ident: str) -> list[dict[str, Any]]:
    """The tickets `ident` names: a hub key, a desk number (the sink's external ID, any case) or
    an employee ID (every ticket of that person, oldest first). Raises NotFoundError."""
    wanted = ident.strip()
    with store.engine.connect() as conn:
        for where in (
            tickets.c.key == wanted,
            sa.func.upper(tickets.c.external_id) == wanted.upper(),
            sa.func.upper(tickets.c.employee_id) == wanted.upper(),
        ):
            rows = conn.execute(
                sa.select(tickets).where(where).order_by(tickets.c.created_at, tickets.c.key)
            ).all()
            if rows:
                return [_full_document(conn, row) for row in rows]
    raise NotFoundError(
        f"no ticket has the key, desk number or employee ID {wanted!r}",
        hint="`hub tickets list` shows every ticket's key, desk number and employee",
    )


def show_ticket(store: Store, key: str) -> dict[str, Any]:
    """The one ticket `key` names (see `find_tickets`)."""
    return find_tickets(store, key)[0]


def _full_document(conn: sa.Connection, row: Any) -> dict[str, Any]:
    event = conn.execute(sa.select(lifecycle_events).where(lifecycle_events.c.id == row.event_id)).first()
    document = ticket_document(row)
    document.update(
        {
            "description": row.description,
            "assignment_group": row.assignment_group,
            "url": row.url,
            "effective_at": row.effective_at.isoformat() if row.effective_at else None,
            "access_removed_at": row.access_removed_at.isoformat() if row.access_removed_at else None,
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }
    )
    if event is not None:
        document["event"] = {
            "type": event.event_type,
            "effective_date": str(event.effective_date),
            "state": event.state,
            "change_log_ids": event.change_ids,
        }
    return document
