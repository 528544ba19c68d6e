"""The lifecycle pass: person changes → events → tickets and outbox intents, in one transaction.

Promises:
- events are read from the canonical change log, never from source payloads; each change is
  processed once (the change-log rows are marked in the same transaction as the events);
- a ticket intent is written to the outbox in the same transaction as its event, keyed by an
  idempotency key from (person, event type, event identity), so reruns never open a second ticket;
- corrections update or cancel the existing ticket (start date moved, hire rescinded,
  termination reversed or moved);
- a run that would open more tickets of one type than the storm guard allows is held;
- `dry_run=True` computes the same plan and rolls everything back (`hub plan`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.lifecycle.config import LifecycleConfig, load_lifecycle_config
from core.lifecycle.dates import due_moment, leaver_effective, local_moment, person_zone
from core.lifecycle.detect import Intent, PersonChange, PlannedEvent, detect
from core.lifecycle.playbooks import Playbook, load_playbooks
from core.lifecycle.tickets import build_ticket, template_values
from core.store.locks import locked_stage
from core.store.schema import change_log, holds, lifecycle_events, outbox, persons, tickets

if TYPE_CHECKING:
    from core.hub import Hub

SHIPPED_PLAYBOOKS = Path(__file__).resolve().parent.parent.parent / "mappings" / "playbooks"
PERSON_BATCH = 500


@dataclass
class TicketAction:
    action: str
    key: str
    type: str
    employee_id: str | None
    due: str | None
    reason: str


@dataclass
class LifecycleSummary:
    events: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    actions: list[TicketAction] = field(default_factory=list)
    held: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": dict(self.events),
            "suppressed": self.suppressed,
            "held": self.held,
            "actions": [a.__dict__ for a in self.actions],
        }


class _Evaluation:
    def __init__(self, hub: Hub, conn: sa.Connection, summary: LifecycleSummary) -> None:
        self.conn = conn
        self.summary = summary
        self.config: LifecycleConfig = load_lifecycle_config(hub.config.lifecycle, hub.config.timezone)
        overrides = [hub.config.resolve_path(p) for p in self.config.playbook_dirs]
        self.books: dict[str, Playbook] = load_playbooks(
            SHIPPED_PLAYBOOKS, overrides, hub.packaged_playbooks()
        )
        self.sink = hub.config.tickets.sink
        self.now = clock.now()
        self.today = self.now.astimezone(person_zone({}, self.config)).date()
        #: change-log rows read by `changes_of`: the ones `mark_processed` marks
        self.read_ids: list[int] = []

    def pending_people(self) -> tuple[int | None, list[str]]:
        """The last unprocessed person change and every person with changes up to it.

        Evaluation covers exactly the changes up to that id, so changes written meanwhile wait
        for the next run; only person ids are held in memory, change rows are read per chunk.
        """
        unprocessed = (change_log.c.entity == "person", change_log.c.processed.is_(False))
        last = self.conn.scalar(sa.select(sa.func.max(change_log.c.id)).where(*unprocessed))
        if last is None:
            return None, []
        ids = self.conn.scalars(
            sa.select(change_log.c.entity_id).where(*unprocessed, change_log.c.id <= last).distinct()
        ).all()
        return int(last), sorted(ids)

    def changes_of(self, person_ids: list[str], last: int) -> dict[str, list[Any]]:
        # seek by (entity, entity_id); `processed` is tested here, not in SQL, because a planner
        # offered the `processed` index scans every unprocessed row of the store per chunk
        rows = self.conn.execute(
            sa.select(change_log)
            .where(change_log.c.entity == "person", change_log.c.entity_id.in_(person_ids))
            .order_by(change_log.c.id)
        )
        grouped: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            if not row.processed and row.id <= last:
                grouped[row.entity_id].append(row)
                self.read_ids.append(row.id)
        return grouped

    def mark_processed(self) -> None:
        """Mark processed exactly the change-log rows this evaluation read.

        Not an id range: ids are taken when a row is written but become visible when its
        transaction commits, so a lower id can appear after a higher one was read."""
        mark = change_log.update().values(processed=True)
        scattered: list[int] = []
        for first, last in id_runs(self.read_ids):
            if last - first >= 8:  # a run of consecutive ids (a resolution batch): one range
                self.conn.execute(mark.where(change_log.c.id.between(first, last)))
            else:
                scattered += range(first, last + 1)
        for start in range(0, len(scattered), PREFETCH_CHUNK):
            self.conn.execute(mark.where(change_log.c.id.in_(scattered[start : start + PREFETCH_CHUNK])))

    def prefetch(self, person_ids: list[str]) -> None:
        """Load persons, prior history and planned events of a chunk in three queries, not 3n."""
        self._persons = {
            r.id: r for r in self.conn.execute(sa.select(persons).where(persons.c.id.in_(person_ids)))
        }
        self._seen = set(
            self.conn.scalars(
                sa.select(change_log.c.entity_id)
                .where(
                    change_log.c.entity == "person",
                    change_log.c.entity_id.in_(person_ids),
                    change_log.c.processed.is_(True),
                )
                .distinct()
            )
        )
        self._planned: dict[str, list[PlannedEvent]] = defaultdict(list)
        for r in self.conn.execute(
            sa.select(lifecycle_events)
            .where(lifecycle_events.c.person_id.in_(person_ids), lifecycle_events.c.state == "planned")
            .order_by(lifecycle_events.c.detected_at)
        ):
            self._planned[r.person_id].append(PlannedEvent(r.id, r.event_type, r.effective_date))

    def person_change(self, person_id: str, rows: list[Any]) -> tuple[PersonChange, dict[str, Any]] | None:
        """The person's change since the last evaluation (call `prefetch` for its chunk first)."""
        person = self._persons.get(person_id)
        if person is None:
            return None
        before: dict[str, Any] = {}
        for row in rows:
            before.setdefault(row.field, row.old_value)
        changed = {r.field for r in rows}
        after = dict(person.attrs or {})
        before = {k: v for k, v in {**after, **before}.items() if k != "_deleted"}
        is_new = person_id not in self._seen and "_deleted" not in changed
        planned = list(self._planned.get(person_id, []))
        change = PersonChange(before, after, changed, is_new, person.deleted_at is not None, planned)
        return change, {
            "person_id": person_id,
            "employee_id": person.employee_id,
            "change_ids": [r.id for r in rows],
        }

    # -- applying intents -----------------------------------------------------------------
    def apply(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        self.summary.events[f"{intent.action}:{intent.event_type}"] += 1
        if intent.suppressed:
            self.summary.suppressed += 1
            return
        if intent.action in ("open", "record"):
            self.open_event(intent, change, ctx)
        elif intent.action == "move" and intent.event_id:
            self.move_event(intent, change, ctx)
        elif intent.action == "cancel" and intent.event_id:
            self.cancel_event(intent, ctx)

    def moments(self, event_type: str, attrs: dict[str, Any], effective: Any) -> tuple[Any, Any, str]:
        tz = person_zone(attrs, self.config)
        if event_type == "leaver":
            at = leaver_effective(attrs, tz, self.config) or local_moment(effective, tz)
        else:
            at = local_moment(effective, tz)
        return at, due_moment(event_type, at, self.config), tz.key

    def open_event(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        identity = (
            f"{intent.event_type}-{intent.effective_date}"
            if intent.event_type != "mover"
            else f"mover-{min(ctx['change_ids'])}"
        )
        exists = self.conn.execute(
            sa.select(lifecycle_events.c.id).where(
                lifecycle_events.c.person_id == ctx["person_id"],
                lifecycle_events.c.event_type == intent.event_type,
                lifecycle_events.c.identity == identity,
            )
        ).first()
        if exists is not None:
            return
        event_id = str(uuid.uuid4())
        book = self.books.get(intent.event_type)
        effective_at, due_at, tz = self.moments(intent.event_type, change.after, intent.effective_date)
        self.conn.execute(
            lifecycle_events.insert().values(
                id=event_id,
                person_id=ctx["person_id"],
                employee_id=ctx["employee_id"],
                event_type=intent.event_type,
                effective_date=intent.effective_date,
                effective_at=effective_at,
                identity=identity,
                state="planned" if book and intent.action == "open" else "suppressed",
                before={k: change.before.get(k) for k in intent.changed} or None,
                after=change.after,
                change_ids=ctx["change_ids"],
                detected_at=self.now,
                updated_at=self.now,
            )
        )
        if book is None or intent.action != "open":
            return
        key = (
            f"{ctx['employee_id']}:{intent.event_type}:{intent.effective_date}"
            if intent.event_type != "mover"
            else f"{ctx['employee_id']}:mover:{min(ctx['change_ids'])}"
        )
        content = build_ticket(
            self.conn,
            book,
            ctx["person_id"],
            change.after,
            template_values(
                change.after, change.before, intent.effective_date, intent.changed, intent.reason
            ),
            intent.changed,
        )
        urgent = (
            intent.event_type == "leaver"
            and intent.effective_date is not None
            and intent.effective_date <= self.today
        )
        self.conn.execute(
            tickets.insert().values(
                key=key,
                type=book.ticket_type,
                event_id=event_id,
                person_id=ctx["person_id"],
                employee_id=ctx["employee_id"],
                state="open",
                priority="urgent" if urgent else book.priority,
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
        self.summary.actions.append(
            TicketAction(
                "create", key, book.ticket_type, ctx["employee_id"], due_at.date().isoformat(), intent.reason
            )
        )

    def move_event(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        effective_at, due_at, tz = self.moments(intent.event_type, change.after, intent.effective_date)
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
        ticket = self.conn.execute(sa.select(tickets).where(tickets.c.event_id == intent.event_id)).first()
        book = self.books.get(intent.event_type)
        if ticket is None or book is None or ticket.state in ("closed", "cancelled"):
            return
        content = build_ticket(
            self.conn,
            book,
            ctx["person_id"],
            change.after,
            template_values(
                change.after, change.before, intent.effective_date, intent.changed, intent.reason
            ),
            intent.changed,
        )
        self.conn.execute(
            tickets.update()
            .where(tickets.c.key == ticket.key)
            .values(
                due_at=due_at,
                due_date=due_at.date(),
                time_zone=tz,
                effective_at=effective_at,
                updated_at=self.now,
                **content,
            )
        )
        self.outbox(ticket.key, "update")
        self.summary.actions.append(
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
        self.conn.execute(
            lifecycle_events.update()
            .where(lifecycle_events.c.id == intent.event_id)
            .values(state="cancelled", updated_at=self.now)
        )
        ticket = self.conn.execute(sa.select(tickets).where(tickets.c.event_id == intent.event_id)).first()
        if ticket is None or ticket.state in ("closed", "cancelled"):
            return
        tasks = [{**t, "state": "cancelled" if t["state"] == "open" else t["state"]} for t in ticket.tasks]
        self.conn.execute(
            tickets.update()
            .where(tickets.c.key == ticket.key)
            .values(
                state="cancelled",
                tasks=tasks,
                closed_at=self.now,
                updated_at=self.now,
                description=f"{ticket.description}\n\nCancelled by the hub: {intent.reason}.",
            )
        )
        self.outbox(ticket.key, "cancel", cancel_reason=intent.reason)
        self.summary.actions.append(
            TicketAction(
                "cancel",
                ticket.key,
                ticket.type,
                ctx["employee_id"],
                ticket.due_date.isoformat(),
                intent.reason,
            )
        )

    def outbox(self, key: str, action: str, *, cancel_reason: str | None = None) -> None:
        self.conn.execute(
            outbox.insert().values(
                ticket_key=key,
                action=action,
                sink=self.sink,
                state="pending",
                created_at=self.now,
                cancel_reason=cancel_reason,
            )
        )

    # -- the storm guard ------------------------------------------------------------------------
    def storm(self, planned: list[tuple[Intent, PersonChange, dict[str, Any]]]) -> list[str]:
        guard = self.config.storm_guard
        if not guard.enabled:
            return []
        opening = Counter(
            self.books[i.event_type].ticket_type
            for i, _, _ in planned
            if i.action == "open" and not i.suppressed and i.event_type in self.books
        )
        held = []
        for ticket_type, count in opening.items():
            if count <= guard.max_count:
                continue
            scope = f"lifecycle:{ticket_type}"
            approved = self.conn.execute(
                sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "approved")
            ).first()
            if approved is not None:
                self.conn.execute(
                    holds.update()
                    .where(holds.c.id == approved.id)
                    .values(state="applied", decided_at=self.now)
                )
                continue
            held.append(f"{count} new {ticket_type} tickets exceed the storm guard ({guard.max_count})")
            if not self.conn.execute(
                sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "held")
            ).first():
                self.conn.execute(
                    holds.insert().values(
                        id=str(uuid.uuid4()),
                        kind="ticket_storm",
                        scope=scope,
                        state="held",
                        reason=held[-1],
                        details={"ticket_type": ticket_type, "count": count, "limit": guard.max_count},
                        created_at=self.now,
                    )
                )
        return held


#: persons whose rows are fetched together (bounded by SQL parameter limits)
PREFETCH_CHUNK = 500


def id_runs(ids: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive integers, (first, last) each: every id of a run is in `ids`."""
    runs: list[tuple[int, int]] = []
    for value in sorted(ids):
        if runs and value <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(value, runs[-1][1]))
        else:
            runs.append((value, value))
    return runs


@locked_stage("evaluate")
def evaluate(hub: Hub, *, dry_run: bool = False) -> LifecycleSummary:
    """Detect events from unprocessed person changes and plan their tickets (see module doc).

    One runner at a time per store, `hub plan` included (the `evaluate` stage lock)."""
    summary = LifecycleSummary()
    with hub.store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            ev = _Evaluation(hub, conn, summary)
            # only intents that act are kept for the storm check; suppressed ones (existing staff
            # on an initial load) are counted at once, so memory follows the changes, not the staff
            planned: list[tuple[Intent, PersonChange, dict[str, Any]]] = []
            last, people = ev.pending_people()
            days = ev.config.existing_staff_days
            for start in range(0, len(people), PREFETCH_CHUNK):
                chunk = people[start : start + PREFETCH_CHUNK]
                ev.prefetch(chunk)
                for person_id, rows in ev.changes_of(chunk, last or 0).items():
                    found = ev.person_change(person_id, rows)
                    if found is None:
                        continue
                    change, ctx = found
                    for intent in detect(change, ev.today, days):
                        if intent.suppressed:
                            ev.apply(intent, change, ctx)
                        else:
                            planned.append((intent, change, ctx))
            summary.held = ev.storm(planned)
            if summary.held:
                transaction.commit() if not dry_run else transaction.rollback()
                return summary
            for intent, change, ctx in planned:
                ev.apply(intent, change, ctx)
            ev.mark_processed()
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return summary
