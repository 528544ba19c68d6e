"""Writing what detection decided: events, their tickets and outbox intents, in the caller's transaction.

An event's identity and its ticket's idempotency key carry the employment generation
(`E1:e2:leaver:2026-06-30`: the second employment's termination), so a second termination after a
rehire is a new ticket. An identity already used in the employment (a termination reversed, then
entered again for the same date) gets a revision (`...:r2`): a new ticket, never the cancelled one
again. A moved date keeps the ticket and recomputes its due moment and priority.

Writes are set-based per chunk of people (`prepare`, then `flush`): the identities their events
already use and their footprints are read once for the chunk, and new events, tickets and outbox
intents go out as one executemany per table; an event is written in its final state.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from core.actions.planning import ActionPlanner, OpenedTicket, event_ticket
from core.lifecycle.config import LifecycleConfig
from core.lifecycle.dates import due_moment, leaver_effective, local_moment, person_zone
from core.lifecycle.footprint import Footprints
from core.lifecycle.intents import Intent, PersonChange
from core.lifecycle.playbooks import Playbook
from core.lifecycle.tickets import build_ticket, template_values
from core.store.schema import lifecycle_events, outbox, tickets


@dataclass
class TicketAction:
    action: str
    key: str
    type: str
    employee_id: str | None
    due: str | None
    reason: str


#: the job a future-dated transfer brings (canonical pending field -> the field it will replace)
PENDING_JOB = {
    "pending_org_unit": "org_unit",
    "pending_title": "title",
    "pending_location": "location",
    "pending_manager_employee_id": "manager_employee_id",
}


def notice_view(person: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """(the person as the transfer makes them, as they are now, the job fields it changes)."""
    future = dict(person)
    for pending, current in PENDING_JOB.items():
        if person.get(pending) not in (None, ""):
            future[current] = person[pending]
    changed = {f for f in PENDING_JOB.values() if future.get(f) != person.get(f)}
    return future, person, changed


class EventWriter:
    def __init__(
        self,
        conn: sa.Connection,
        config: LifecycleConfig,
        books: dict[str, Playbook],
        sink: str,
        now: datetime,
        today: date,
    ) -> None:
        self.conn, self.config, self.books, self.sink = conn, config, books, sink
        self.now, self.today = now, today
        self.actions: list[TicketAction] = []
        #: plans the hub's own actions for a ticket's tasks (set by the engine; none in unit tests)
        self.planner: ActionPlanner | None = None
        self.footprints: Footprints | None = None
        #: (person, event type) -> identities used, for the people `prepare` was given
        self._taken: dict[tuple[str, str], set[str]] | None = None
        self._covered: set[str] = set()
        #: rows written by `flush`, in this order (a ticket names its event, an intent its ticket)
        self._events: list[dict[str, Any]] = []
        self._tickets: list[dict[str, Any]] = []
        self._outbox: list[dict[str, Any]] = []

    def prepare(self, person_ids: list[str]) -> None:
        """Read what the writes of these people need, once for all of them."""
        self.flush()
        self._covered = set(person_ids)
        self.footprints = Footprints(self.conn, person_ids)
        self._taken = defaultdict(set)
        for start in range(0, len(person_ids), 500):
            for row in self.conn.execute(
                sa.select(
                    lifecycle_events.c.person_id, lifecycle_events.c.event_type, lifecycle_events.c.identity
                ).where(lifecycle_events.c.person_id.in_(person_ids[start : start + 500]))
            ):
                self._taken[(row.person_id, row.event_type)].add(row.identity)

    def flush(self) -> None:
        """Write the buffered events, tickets and outbox intents (one executemany each)."""
        for table, rows in (
            (lifecycle_events, self._events),
            (tickets, self._tickets),
            (outbox, self._outbox),
        ):
            if rows:
                self.conn.execute(table.insert(), rows)
                rows.clear()

    def _identities(self, person_id: str, event_type: str, base: str) -> set[str]:
        if self._taken is not None and person_id in self._covered:
            return {i for i in self._taken[(person_id, event_type)] if i.startswith(base)}
        self.flush()
        return set(
            self.conn.scalars(
                sa.select(lifecycle_events.c.identity).where(
                    lifecycle_events.c.person_id == person_id,
                    lifecycle_events.c.event_type == event_type,
                    lifecycle_events.c.identity.like(f"{base}%"),
                )
            )
        )

    def apply(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        if intent.action in ("open", "record"):
            self.open_event(intent, change, ctx)
        elif intent.action == "move" and intent.event_id:
            self.move_event(intent, change, ctx)
        elif intent.action in ("cancel", "supersede") and intent.event_id:
            self.cancel_event(intent, ctx)

    def moments(self, intent: Intent, attrs: dict[str, Any]) -> tuple[Any, Any, str]:
        """(effective moment, due moment, time zone) in the person's zone."""
        event_type, effective = intent.event_type, intent.effective_date or self.today
        tz = person_zone(attrs, self.config)
        at = local_moment(effective, tz)
        if intent.notice:  # prepared in advance: due when the transfer takes effect
            return at, at, tz.key
        if event_type == "leaver":
            stated = leaver_effective(attrs, tz, self.config)
            # the person's last day closes at the configured hour when it is the day acted on
            at = stated if stated is not None and stated.date() == effective else at
        return at, due_moment(event_type, at, self.config), tz.key

    def priority(self, book: Playbook, event_type: str, effective: date | None) -> str:
        """Urgent when a termination is already in effect, else the playbook's priority."""
        if event_type == "leaver" and effective is not None and effective <= self.today:
            return "urgent"
        return book.priority

    def _identity(self, intent: Intent, ctx: dict[str, Any]) -> tuple[str, str] | None:
        """(event identity, ticket key); None when a record-only event is already recorded."""
        g = intent.employment
        if intent.event_type == "mover" and intent.changed:  # a job change seen now: one per change batch
            return (
                f"mover-e{g}-c{min(ctx['change_ids'])}",
                f"{ctx['employee_id']}:e{g}:mover:c{min(ctx['change_ids'])}",
            )
        base = f"{intent.event_type}-e{g}-{intent.effective_date}"
        key = f"{ctx['employee_id']}:e{g}:{intent.event_type}:{intent.effective_date}"
        taken = self._identities(ctx["person_id"], intent.event_type, base)
        if intent.action == "record" and base in taken:
            return None
        revision = 1
        while (f"{base}-r{revision}" if revision > 1 else base) in taken:
            revision += 1
        if revision == 1:
            return base, key
        return f"{base}-r{revision}", f"{key}:r{revision}"

    def open_event(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        named = self._identity(intent, ctx)
        if named is None:
            return
        identity, key = named
        event_id = str(uuid.uuid4())
        book = self.books.get(intent.event_type)
        ticketed = book is not None and intent.action == "open"
        effective_at, due_at, tz = self.moments(intent, change.after)
        if self._taken is not None and ctx["person_id"] in self._covered:
            self._taken[(ctx["person_id"], intent.event_type)].add(identity)
        self._events.append(
            dict(
                id=event_id,
                person_id=ctx["person_id"],
                employee_id=ctx["employee_id"],
                event_type=intent.event_type,
                effective_date=intent.effective_date,
                effective_at=effective_at,
                identity=identity,
                employment=intent.employment,
                # a ticketed event is written as such (its ticket follows in the same flush)
                state="ticketed" if ticketed else ("suppressed" if intent.suppressed else "done"),
                before={k: change.before.get(k) for k in intent.changed} or None,
                after=change.after,
                change_ids=ctx["change_ids"],
                detected_at=self.now,
                updated_at=self.now,
            )
        )
        if book is None or not ticketed:
            return
        content = self._content(book, intent, change, ctx)
        self._tickets.append(
            dict(
                key=key,
                type=book.ticket_type,
                event_id=event_id,
                person_id=ctx["person_id"],
                employee_id=ctx["employee_id"],
                state="open",
                priority=self.priority(book, intent.event_type, intent.effective_date),
                due_at=due_at,
                due_date=due_at.date(),
                time_zone=tz,
                sink=self.sink,
                effective_at=effective_at,
                created_at=self.now,
                updated_at=self.now,
                **content,
            )
        )
        self.outbox(key, "create")
        if self.planner is not None:
            opened = OpenedTicket(
                key,
                event_id,
                intent.event_type,
                ctx["person_id"],
                ctx["employee_id"],
                effective_at,
                content["tasks"],
                self.sink,
                self.footprints,
            )
            self.planner.on_ticket_opened(book, opened)
        self.actions.append(
            TicketAction(
                "create", key, book.ticket_type, ctx["employee_id"], due_at.date().isoformat(), intent.reason
            )
        )

    def _content(
        self, book: Playbook, intent: Intent, change: PersonChange, ctx: dict[str, Any]
    ) -> dict[str, Any]:
        person, before, changed = change.after, change.before, intent.changed
        if intent.notice:  # the ticket describes the job the transfer brings, against today's
            person, before, changed = notice_view(change.after)
        values = template_values(person, before, intent.effective_date, changed, intent.reason)
        return build_ticket(self.conn, book, ctx["person_id"], person, values, changed, self.footprints)

    def _event_state(self, event_id: str, state: str, **values: Any) -> None:
        self.conn.execute(
            lifecycle_events.update()
            .where(lifecycle_events.c.id == event_id)
            .values(state=state, updated_at=self.now, **values)
        )

    def move_event(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        self.flush()  # it reads and updates rows an earlier intent may have buffered
        effective_at, due_at, tz = self.moments(intent, change.after)
        self.conn.execute(
            lifecycle_events.update()
            .where(lifecycle_events.c.id == intent.event_id)
            .values(
                effective_date=intent.effective_date,
                effective_at=effective_at,
                updated_at=self.now,
                change_ids=ctx["change_ids"],
            )
        )
        if self.planner is not None:
            self.planner.on_event_moved(str(intent.event_id), effective_at)
        ticket = event_ticket(self.conn, str(intent.event_id))
        book = self.books.get(intent.event_type)
        if ticket is None or book is None or ticket.state in ("closed", "cancelled"):
            return
        self.conn.execute(
            tickets.update()
            .where(tickets.c.key == ticket.key)
            .values(
                due_at=due_at,
                due_date=due_at.date(),
                time_zone=tz,
                effective_at=effective_at,
                priority=self.priority(book, intent.event_type, intent.effective_date),
                updated_at=self.now,
                **self._content(book, intent, change, ctx),
            )
        )
        self.outbox(ticket.key, "update")
        self.actions.append(
            TicketAction(
                "update",
                ticket.key,
                ticket.type,
                ctx["employee_id"],
                due_at.date().isoformat(),
                intent.reason,
            )
        )

    def cancel_event(self, intent: Intent, ctx: dict[str, Any]) -> None:
        self.flush()
        self._event_state(str(intent.event_id), "superseded" if intent.action == "supersede" else "cancelled")
        if self.planner is not None:
            self.planner.on_event_cancelled(str(intent.event_id), intent.reason)
        ticket = event_ticket(self.conn, str(intent.event_id))  # its own, never its restore ticket
        if ticket is None or ticket.state in ("closed", "cancelled"):
            return
        reason = f"superseded: {intent.reason}" if intent.action == "supersede" else intent.reason
        tasks = [{**t, "state": "cancelled" if t["state"] == "open" else t["state"]} for t in ticket.tasks]
        self.conn.execute(
            tickets.update()
            .where(tickets.c.key == ticket.key)
            .values(
                state="cancelled",
                tasks=tasks,
                closed_at=self.now,
                updated_at=self.now,
                description=f"{ticket.description}\n\nCancelled by the hub: {reason}.",
            )
        )
        self.outbox(ticket.key, "cancel", cancel_reason=reason)
        self.actions.append(
            TicketAction(
                "cancel", ticket.key, ticket.type, ctx["employee_id"], ticket.due_date.isoformat(), reason
            )
        )

    def outbox(self, key: str, action: str, *, cancel_reason: str | None = None) -> None:
        self._outbox.append(
            dict(
                ticket_key=key,
                action=action,
                sink=self.sink,
                state="pending",
                created_at=self.now,
                cancel_reason=cancel_reason,
            )
        )
