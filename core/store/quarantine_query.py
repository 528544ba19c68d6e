"""Reading the quarantine for operators: what is held now, and one entry in full."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.errors import NotFoundError
from core.store.engine import Store
from core.store.schema import quarantine


def _plain(row: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row._mapping.items()}


def open_entries(
    store: Store, *, instance: str | None = None, stream: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Open entries (records unusable now), newest first, without their payloads."""
    q = quarantine
    query = sa.select(*(c for c in q.c if c.name != "payload")).where(q.c.released_at.is_(None))
    if instance:
        query = query.where(q.c.instance == instance)
    if stream:
        query = query.where(q.c.stream == stream)
    with store.engine.connect() as conn:
        return [_plain(r) for r in conn.execute(query.order_by(q.c.id.desc()).limit(limit))]


def entry(store: Store, entry_id: int) -> dict[str, Any]:
    """One entry with the record as the source sent it."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(quarantine).where(quarantine.c.id == entry_id)).first()
    if row is None:
        raise NotFoundError(
            f"no quarantine entry {entry_id}", hint="`hub quarantine list` shows the open ones"
        )
    return _plain(row)
