"""Reading the quarantine for operators: what is held now, one entry in full; and dismissing an
entry the source will never fix (a test record, a retired system's leftovers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core import clock
from core.errors import ConfigError, NotFoundError
from core.store.engine import Store
from core.store.operator_log import record
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


def dismiss(store: Store, entry_id: int, *, by: str, note: str = "") -> dict[str, Any]:
    """Close an open entry by hand, recording who and why. The record is not applied: if the
    source sends it again unchanged and still unusable, it is quarantined again."""
    with store.engine.begin() as conn:
        released = conn.execute(
            quarantine.update()
            .where(quarantine.c.id == entry_id, quarantine.c.released_at.is_(None))
            .values(released_at=clock.now())
        ).rowcount
        if not released:
            raise ConfigError(
                f"quarantine entry {entry_id} is not open", hint="`hub quarantine list` shows the open ones"
            )
        record(conn, actor=by, action="dismiss", subject=f"quarantine:{entry_id}", detail={"note": note})
    return {"entry": entry_id, "state": "dismissed", "by": by}
