"""Holds that a later answer made moot.

A hold asks the operator about one listing (or one resolution pass) of one stream. When a later
complete listing of that stream arrives, or a later pass no longer trips the guard, the question
is answered by the source itself: the hold becomes `superseded`, naming the run that superseded
it, and can no longer be approved (approving it would apply a stale listing).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.store.schema import holds, snapshot_seen


def supersede_holds(
    conn: sa.Connection, *, scope: str, by_run: str, now: datetime, what: str = "run"
) -> list[str]:
    """Mark every `held` hold of `scope` superseded by `by_run` (except one that run holds itself).

    `what` names the kind of superseding run for messages (`run`, `resolution pass`). The keys a
    superseded listing collected are dropped with it. Returns the superseded ids."""
    rows = conn.execute(
        sa.select(holds.c.id, holds.c.details).where(holds.c.scope == scope, holds.c.state == "held")
    )
    superseded = []
    for row in rows.all():
        details = dict(row.details or {})
        if details.get("run_id") == by_run:
            continue
        details["superseded_by"] = by_run
        conn.execute(
            holds.update()
            .where(holds.c.id == row.id)
            .values(state="superseded", decided_at=now, decided_by=f"{what} {by_run}", details=details)
        )
        snapshot_id = details.get("snapshot_id")
        if snapshot_id:
            conn.execute(snapshot_seen.delete().where(snapshot_seen.c.run_id == snapshot_id))
        superseded.append(row.id)
    return superseded
