"""The operator audit trail: every decision taken from an operator surface, with who and when.

Written in the same transaction as the decision it records, so the trail never claims an action
that did not happen nor misses one that did."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.schema import operator_actions


def record(conn: sa.Connection, *, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
    """Append one entry; `subject` is `<kind>:<id>` (`hold:…`, `quarantine:12`)."""
    conn.execute(
        operator_actions.insert().values(
            at=clock.now(), actor=actor, action=action, subject=subject, detail=detail
        )
    )


def recent(store: Store, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest entries, optionally of one subject kind (`hold`, `quarantine`…)."""
    query = sa.select(operator_actions).order_by(operator_actions.c.id.desc()).limit(limit)
    if kind:
        query = query.where(operator_actions.c.subject.startswith(f"{kind}:"))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
