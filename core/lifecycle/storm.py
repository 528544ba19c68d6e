"""The ticket-storm guard: a run that would open more tickets of one type than allowed is held
until someone approves it (`hub approve`), so a bad feed never floods the desk."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.lifecycle.config import StormGuard
from core.lifecycle.detect import Detection
from core.lifecycle.intents import PersonChange
from core.lifecycle.playbooks import Playbook
from core.store.schema import holds


def storm_holds(
    conn: sa.Connection,
    guard: StormGuard,
    books: dict[str, Playbook],
    planned: list[tuple[Detection, PersonChange, dict[str, Any]]],
    now: datetime,
) -> list[str]:
    """Why the run is held (empty: it may proceed); an approved hold is applied once."""
    if not guard.enabled:
        return []
    opening = Counter(
        books[i.event_type].ticket_type
        for detection, _, _ in planned
        for i in detection.intents
        if i.action == "open" and not i.suppressed and i.event_type in books
    )
    held = []
    for ticket_type, count in opening.items():
        if count <= guard.max_count:
            continue
        scope = f"lifecycle:{ticket_type}"
        approved = conn.execute(
            sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "approved")
        ).first()
        if approved is not None:
            conn.execute(
                holds.update().where(holds.c.id == approved.id).values(state="applied", decided_at=now)
            )
            continue
        held.append(f"{count} new {ticket_type} tickets exceed the storm guard ({guard.max_count})")
        if not conn.execute(
            sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "held")
        ).first():
            conn.execute(
                holds.insert().values(
                    id=str(uuid.uuid4()),
                    kind="ticket_storm",
                    scope=scope,
                    state="held",
                    reason=held[-1],
                    details={"ticket_type": ticket_type, "count": count, "limit": guard.max_count},
                    created_at=now,
                )
            )
    return held
