"""Actions for an open ticket whose account appeared after the ticket opened.

The usual order in an agency: HR enters a hire, the onboarding ticket opens, and only then does
IT create the Entra account. Planning only when a ticket opens would never act for such a
joiner, so each lifecycle pass looks again at the open tickets that have a task the playbook
gives an action to and that no action serves yet, and plans for whatever their people hold now.
The planner's own idempotency keys keep a rerun from planning anything twice; a ticket whose
action tasks are all served costs nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.actions.planning import ActionPlanner, OpenedTicket
from core.actions.policy import effective_policy
from core.lifecycle.footprint import Footprints
from core.lifecycle.playbooks import Playbook
from core.store.schema import actions, lifecycle_events, tickets


def plan_late_actions(conn: sa.Connection, planner: ActionPlanner, books: Mapping[str, Playbook]) -> int:
    """Plan what open tickets' unserved action tasks can act on now; the number of new actions."""
    if not any(planner.instances.values()):
        return 0  # no instance opted in to write actions: nothing could be planned
    waiting = _unserved(conn, planner, books)
    if not waiting:
        return 0
    before = len(planner.planned)
    footprints = Footprints(conn, sorted({row.person_id for row, _ in waiting}))
    for row, book in waiting:
        planner.on_ticket_opened(
            book,
            OpenedTicket(
                key=row.key,
                event_id=row.event_id,
                event_type=row.event_type,
                person_id=row.person_id,
                employee_id=row.employee_id,
                effective_at=_effective_at(row),
                tasks=row.tasks,
                sink=row.sink,
                footprints=footprints,
            ),
        )
    return len(planner.planned) - before


def _eligible(planner: ActionPlanner, event_type: str, book: Playbook) -> set[int]:
    """The playbook's task indexes that could gain an action later: titled tasks (a footprint
    task exists only for what the person held when the ticket opened, so its action was decided
    then) whose policy is not `manual`, for a system with an instance that opted in."""
    found = set()
    for index, spec in enumerate(book.tasks):
        if spec.action is None or spec.footprint is not None:
            continue
        if effective_policy(planner.config, spec.action, event_type) == "manual":
            continue
        if planner.candidates(spec.action):
            found.add(index)
    return found


def _unserved(
    conn: sa.Connection, planner: ActionPlanner, books: Mapping[str, Playbook]
) -> list[tuple[Any, Playbook]]:
    """Open tickets with an open, eligible action task that no action serves."""
    eligible = {name: _eligible(planner, name, book) for name, book in books.items()}
    eligible = {name: indexes for name, indexes in eligible.items() if indexes}
    if not eligible:
        return []
    rows = conn.execute(
        sa.select(
            tickets.c.key,
            tickets.c.event_id,
            tickets.c.person_id,
            tickets.c.employee_id,
            tickets.c.tasks,
            tickets.c.sink,
            tickets.c.effective_at,
            tickets.c.due_at,
            lifecycle_events.c.event_type,
        )
        .join(lifecycle_events, lifecycle_events.c.id == tickets.c.event_id)
        .where(tickets.c.state == "open", lifecycle_events.c.event_type.in_(list(eligible)))
    ).all()
    candidates = []
    for row in rows:
        indexes = eligible[row.event_type]
        titles = {
            t["title"]
            for t in row.tasks or []
            if t.get("spec") in indexes and t.get("state", "open") == "open"
        }
        if titles:
            candidates.append((row, titles))
    if not candidates:
        return []
    served: dict[str, set[str]] = {}
    for key, titles in conn.execute(
        sa.select(actions.c.ticket_key, actions.c.tasks).where(
            actions.c.ticket_key.in_([row.key for row, _ in candidates])
        )
    ):
        served.setdefault(key, set()).update(titles or [])
    return [(row, books[row.event_type]) for row, titles in candidates if titles - served.get(row.key, set())]


def _effective_at(row: Any) -> datetime:
    """The moment the event takes effect, which the ticket recorded (its due moment if older)."""
    return row.effective_at if row.effective_at is not None else row.due_at
