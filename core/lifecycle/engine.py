"""The lifecycle pass: person changes → events → tickets and outbox intents, in one transaction.

Promises:
- events are read from the canonical change log, never from source payloads; each change is
  processed once (the lifecycle's change cursor moves in the same transaction as the events, and
  no change row is ever rewritten: `core/store/change_cursors.py` says why a cursor is safe);
- events belong to one of the person's employments (`employments`): detection reconciles what HR
  states (hire, termination, rehire, transfer notice) with what was acted on, and matches only the
  open events of the current employment (`detect`);
- a ticket intent is written to the outbox in the same transaction as its event, keyed by an
  idempotency key from (person, employment, event type, effective date), so reruns never open a
  second ticket (`event_writes`);
- corrections update or cancel the existing ticket (start date moved, hire rescinded,
  termination reversed or moved, transfer rescinded);
- a run that would open more tickets of one type than the storm guard allows is held;
- `dry_run=True` computes the same plan and rolls everything back (`hub plan`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.actions.late import plan_late_actions
from core.actions.planning import ActionPlanner, enabled_instances
from core.lifecycle.config import LifecycleConfig, load_lifecycle_config
from core.lifecycle.dates import parse_date, person_zone
from core.lifecycle.detect import Detection, Intent, OpenEvent, PersonChange, Policy, detect
from core.lifecycle.employments import (
    employment_row,
    employments_of,
    insert_employments,
    update_employments,
)
from core.lifecycle.event_writes import EventWriter, TicketAction
from core.lifecycle.playbooks import Playbook, load_playbooks
from core.lifecycle.storm import storm_holds
from core.resolve.changes import DELETED
from core.resolve.rows import change_rows, entity_rows, select_in
from core.store import change_cursors
from core.store.change_cursors import LIFECYCLE
from core.store.locks import locked_stage
from core.store.schema import change_log, change_processed_ahead, persons
from core.vocabulary import OPEN_EVENT_STATES

if TYPE_CHECKING:
    from core.hub import Hub

SHIPPED_PLAYBOOKS = Path(__file__).resolve().parent.parent.parent / "mappings" / "playbooks"
PERSON_BATCH = 500


@dataclass
class LifecycleSummary:
    events: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    actions: list[TicketAction] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    #: the hub's own actions planned for the tickets opened (`core.actions.planning`)
    planned_actions: list[dict[str, Any]] = field(default_factory=list)
    #: of those, planned for tickets opened earlier whose person gained an account since
    late_actions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": dict(self.events),
            "suppressed": self.suppressed,
            "held": self.held,
            "actions": [a.__dict__ for a in self.actions],
            "planned_actions": [
                {
                    k: a[k]
                    for k in ("id", "kind", "instance", "target", "policy", "state", "due_at", "ticket_key")
                }
                for a in self.planned_actions
            ],
        }

    def line(self) -> str:
        """One line for a task log, a run note and an asset event."""
        events = ", ".join(f"{n} {e}" for e, n in sorted(self.events.items())) or "no events"
        actions = Counter(a.action for a in self.actions)
        tickets = ", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "none"
        held = f"; held: {'; '.join(self.held)}" if self.held else ""
        late = (
            f"; {self.late_actions} actions for accounts linked since their ticket"
            if self.late_actions
            else ""
        )
        return f"evaluate: {events}; {self.suppressed} suppressed; ticket actions: {tickets}{held}{late}"


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
        self.policy = Policy(self.config.existing_staff_days, self.config.transfer_notice)
        self.writer = EventWriter(conn, self.config, self.books, self.sink, self.now, self.today)
        self.writer.actions = summary.actions
        self.writer.planner = ActionPlanner(
            conn, self.config.actions, enabled_instances(hub.config), self.now, summary.planned_actions
        )
        self._new_employments: list[dict[str, Any]] = []
        self._stored_employments: list[dict[str, Any]] = []
        #: change-log rows read by `changes_of` (provisioning marks exactly these processed)
        self.read_ids: list[int] = []
        #: every change up to this id is processed (the lifecycle's cursor)
        self.cursor = change_cursors.cursor_of(conn, LIFECYCLE)

    def pending_people(self, only: list[str] | None = None) -> tuple[int | None, list[str]]:
        """The last change above the cursor and every person with changes up to it (of `only`
        these people, when given: provisioning on demand).

        Evaluation covers exactly the changes up to that id, so changes written meanwhile wait
        for the next run; only person ids are held in memory, change rows are read per chunk.
        """
        above = (
            change_log.c.id > self.cursor,
            change_log.c.id.not_in(change_cursors.processed_ahead(LIFECYCLE)),
        )
        people: tuple[Any, ...] = (*above, change_log.c.entity == "person")
        if only is not None:
            people += (change_log.c.entity_id.in_(only),)
        # a full pass moves the cursor over every change above it: other entities' and those
        # processed ahead too (their marks are dropped as it passes them)
        last = self.conn.scalar(
            sa.select(sa.func.max(change_log.c.id)).where(*((above[0],) if only is None else people))
        )
        if last is None:
            return None, []
        ids = self.conn.scalars(
            sa.select(change_log.c.entity_id).where(*people, change_log.c.id <= last).distinct()
        ).all()
        return int(last), sorted(ids)

    def changes_of(self, person_ids: list[str], last: int) -> dict[str, list[Any]]:
        """The chunk's change rows above the cursor up to `last`, oldest first."""
        ahead = set(
            self.conn.scalars(
                change_cursors.processed_ahead(LIFECYCLE).where(change_processed_ahead.c.change_id <= last)
            )
        )
        rows = change_rows(self.conn, "person", person_ids, self.cursor, last)
        grouped: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            if row.id not in ahead:
                grouped[row.entity_id].append(row)
                self.read_ids.append(row.id)
        return grouped

    def mark_processed(self, last: int | None, only: list[str] | None) -> None:
        """A full pass moves the cursor to `last` (one row written, whatever it read); a pass over
        a few people marks exactly the rows it read as processed ahead of the cursor."""
        if only is None:
            if last is not None:
                change_cursors.advance(self.conn, LIFECYCLE, last)
        else:
            change_cursors.mark_ahead(self.conn, LIFECYCLE, self.read_ids)

    def prefetch(self, person_ids: list[str]) -> None:
        """Load persons, prior history, open events and employments of a chunk in a few queries, not n."""
        # what detection reads of a person (not `field_sources`: decoding it cost as much again)
        columns = ("id", "employee_id", "attrs", "deleted_at")
        self._persons = entity_rows(self.conn, persons, person_ids, columns)
        # the people a change was processed for before: not new
        processed, marks = change_cursors.processed_sql(self.cursor, LIFECYCLE)
        self._seen = {
            entity_id
            for (entity_id,) in select_in(
                self.conn,
                f"SELECT DISTINCT entity_id FROM change_log WHERE entity = {{p}} AND {processed} "
                "AND entity_id {ids}",
                ("person", *marks),
                person_ids,
            )
        }
        self._open: dict[str, list[OpenEvent]] = defaultdict(list)
        states = ", ".join(f"'{state}'" for state in OPEN_EVENT_STATES)  # constants, not input
        for event_id, person_id, event_type, effective, employment in select_in(
            self.conn,
            "SELECT id, person_id, event_type, effective_date, employment FROM lifecycle_events "
            f"WHERE state IN ({states}) AND person_id {{ids}} ORDER BY detected_at",
            (),
            person_ids,
        ):
            self._open[person_id].append(OpenEvent(event_id, event_type, parse_date(effective), employment))
        self._employments, self._generations = employments_of(self.conn, person_ids)

    def person_change(self, person_id: str, rows: list[Any]) -> tuple[PersonChange, dict[str, Any]] | None:
        """The person's change since the last evaluation (call `prefetch` for its chunk first)."""
        person = self._persons.get(person_id)
        if person is None:
            return None
        before: dict[str, Any] = {}
        changed: set[str] = set()
        for row in rows:
            for name, (old, _new) in (row.changes or {}).items():
                before.setdefault(name, old)
                changed.add(name)
        after = dict(person.attrs or {})
        before = {k: v for k, v in {**after, **before}.items() if k != DELETED}
        is_new = person_id not in self._seen and DELETED not in changed
        change = PersonChange(
            before,
            after,
            changed,
            is_new,
            person.deleted_at is not None,
            list(self._open.get(person_id, [])),
            self._employments.get(person_id),
            self._generations.get(person_id, 0),
        )
        return change, {
            "person_id": person_id,
            "employee_id": person.employee_id,
            "change_ids": [r.id for r in rows],
        }

    def apply(self, intent: Intent, change: PersonChange, ctx: dict[str, Any]) -> None:
        self.summary.events[f"{intent.action}:{intent.event_type}"] += 1
        if intent.suppressed:  # existing staff: counted, not written (an initial load stays small)
            self.summary.suppressed += 1
            return
        self.writer.apply(intent, change, ctx)

    def write(self, detection: Detection, change: PersonChange, ctx: dict[str, Any]) -> None:
        """The person's events and tickets, and their employments as now acted on."""
        for intent in detection.intents:
            self.apply(intent, change, ctx)
        known = change.employment
        for employment in detection.employments:
            if employment == known:
                continue  # nothing new acted on: no write (a rerun over the same facts writes nothing)
            if employment.generation <= change.last_generation:  # a row the store already has
                self._stored_employments.append(employment_row(ctx["person_id"], employment, self.now))
            else:
                self._new_employments.append(employment_row(ctx["person_id"], employment, self.now))

    def flush(self) -> None:
        self.writer.flush()
        insert_employments(self.conn, self._new_employments)
        update_employments(self.conn, self._stored_employments)
        self._new_employments, self._stored_employments = [], []


#: persons whose rows are fetched together (bounded by SQL parameter limits)
PREFETCH_CHUNK = 500
#: people whose events and tickets are written together: their footprints and event identities
#: are read with one query per table for the whole chunk
WRITE_CHUNK = 2000


@locked_stage("evaluate")
def evaluate(hub: Hub, *, dry_run: bool = False) -> LifecycleSummary:
    """Detect events from unprocessed person changes and plan their tickets (see module doc).

    One runner at a time per store, `hub plan` included (the `evaluate` stage lock)."""
    summary = LifecycleSummary()
    with hub.store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            evaluate_in(hub, conn, summary)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return summary


def evaluate_in(
    hub: Hub, conn: sa.Connection, summary: LifecycleSummary, person_ids: list[str] | None = None
) -> None:
    """One evaluation inside the caller's transaction (and stage lock); `person_ids` limits it
    to those people (provisioning on demand), whose change-log rows alone are marked processed
    (ahead of the cursor, which only a full pass moves)."""
    ev = _Evaluation(hub, conn, summary)
    # only people whose intents act are kept for the storm check; the rest (existing staff
    # on an initial load) are written at once, so memory follows the changes, not the staff
    planned: list[tuple[Detection, PersonChange, dict[str, Any]]] = []
    last, people = ev.pending_people(person_ids)
    for start in range(0, len(people), PREFETCH_CHUNK):
        chunk = people[start : start + PREFETCH_CHUNK]
        ev.prefetch(chunk)
        for person_id, rows in ev.changes_of(chunk, last or 0).items():
            found = ev.person_change(person_id, rows)
            if found is None:
                continue
            change, ctx = found
            detection = detect(change, ev.today, ev.policy)
            if all(i.suppressed for i in detection.intents):
                ev.write(detection, change, ctx)
            else:
                planned.append((detection, change, ctx))
        ev.flush()
    summary.held = storm_holds(conn, ev.config.storm_guard, ev.books, planned, ev.now)
    if summary.held:
        return
    for start in range(0, len(planned), WRITE_CHUNK):
        writes = planned[start : start + WRITE_CHUNK]
        ev.writer.prepare([ctx["person_id"] for _, _, ctx in writes])
        for detection, change, ctx in writes:
            ev.write(detection, change, ctx)
        ev.flush()
    if person_ids is None and ev.writer.planner is not None:
        # accounts linked since their ticket opened (a joiner's, created by IT afterwards)
        summary.late_actions = plan_late_actions(conn, ev.writer.planner, ev.books)
    ev.mark_processed(last, person_ids)
