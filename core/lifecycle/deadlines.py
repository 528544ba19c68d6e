"""Access-removal deadlines auditors ask for: for every leaver whose termination took effect,
was access removed (offboarding ticket closed) by the due moment of the deployment's preset?"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.schema import tickets


def deadline_report(store: Store) -> dict[str, Any]:
    """Share of effective leavers whose access was removed within the deadline, breaches, overdue."""
    now = clock.now()
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tickets).where(
                tickets.c.type == "offboarding", tickets.c.state != "cancelled", tickets.c.effective_at <= now
            )
        ).all()
    within, breaches, overdue = 0, [], []
    for row in rows:
        removed = row.access_removed_at
        if removed is not None and removed <= row.due_at:
            within += 1
            continue
        entry = {
            "key": row.key,
            "employee_id": row.employee_id,
            "effective_at": row.effective_at.isoformat(),
            "due_at": row.due_at.isoformat(),
            "access_removed_at": removed.isoformat() if removed else None,
        }
        if removed is not None or row.due_at < now:
            breaches.append(entry)
        if removed is None and row.due_at < now:
            overdue.append(entry)
    total = len(rows)
    return {
        "leavers": total,
        "within_deadline": within,
        "share": round(within / total, 4) if total else None,
        "breaches": breaches,
        "overdue": overdue,
    }
