"""Releasing planned actions into the outbox at their due moment, behind the mass-change guard.

Run at the start of every delivery pass (under the `deliver` stage lock): an `auto` action whose
due moment has come, and an approved one whose due moment has come, get an `execute` intent in
the outbox, in their ticket's order (after the ticket's create). More automatic account disables
than `lifecycle.actions.max_disables_per_run` in one pass are not released: they are held under
one `mass_action` hold for `hub approve` (an HR feed gone wrong must not disable a department).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from core import clock
from core.lifecycle.config import load_lifecycle_config
from core.store.schema import actions, holds, outbox, tickets

if TYPE_CHECKING:
    from core.hub import Hub

GUARDED_KIND = "entra.disable_account"


@dataclass
class Released:
    queued: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    hold_id: str | None = None


def release_due(hub: Hub) -> Released:
    """Queue what is due (see module doc); one transaction, so a crash queues all or nothing."""
    limit = load_lifecycle_config(hub.config.lifecycle, hub.config.timezone).actions.max_disables_per_run
    now = clock.now()
    result = Released()
    with hub.store.engine.begin() as conn:
        due = conn.execute(
            sa.select(actions, tickets.c.sink)
            .join(tickets, tickets.c.key == actions.c.ticket_key)
            .where(actions.c.state.in_(("planned", "approved")), actions.c.due_at <= now)
            .order_by(actions.c.due_at, actions.c.id)
        ).all()
        automatic = [r.id for r in due if r.state == "planned" and r.kind == GUARDED_KIND]
        if len(automatic) > limit:
            result.hold_id = str(uuid.uuid4())
            conn.execute(
                holds.insert().values(
                    id=result.hold_id,
                    kind="mass_action",
                    scope=f"actions:{GUARDED_KIND}",
                    state="held",
                    reason=(
                        f"{len(automatic)} account disables due in one run, more than the limit of {limit} "
                        "(lifecycle.actions.max_disables_per_run)"
                    ),
                    details={"action_ids": automatic, "count": len(automatic), "limit": limit},
                    created_at=now,
                )
            )
            conn.execute(
                actions.update()
                .where(actions.c.id.in_(automatic))
                .values(state="held", hold_id=result.hold_id, updated_at=now)
            )
            result.held = automatic
        for row in due:
            if row.id in result.held:
                continue
            conn.execute(
                outbox.insert().values(
                    ticket_key=row.ticket_key,
                    action="execute",
                    sink=row.sink,
                    state="pending",
                    created_at=now,
                    action_id=row.id,
                )
            )
            conn.execute(
                actions.update().where(actions.c.id == row.id).values(state="queued", updated_at=now)
            )
            result.queued.append(row.id)
    return result
