"""The plan and the apply of provisioning on demand: one simulation, rolled back or committed.

Both run the engine's own steps (`RecordWriter.write_in`, `resolve_records`, `evaluate_in`) in
one transaction, so the plan says exactly what the apply will do with the same records and the
same store; a plan changes nothing (not even the cursors), an apply changes only that person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.lifecycle.engine import LifecycleSummary, TicketAction, evaluate_in
from core.provision.read import FoundRecord, read_person
from core.resolve.changes import field_changes
from core.resolve.engine import resolve_records
from core.store.locks import stage_lock
from core.store.records import RecordWriter
from core.store.schema import change_log, entity_links, outbox, persons, source_records, tickets

if TYPE_CHECKING:
    from core.hub import Hub


@dataclass
class RecordStep:
    """What staging does with one source record: new, changed, unchanged or unmappable."""

    stream: str
    key: str | None
    outcome: str
    problem: str | None = None


@dataclass
class FieldChange:
    entity: str
    field: str
    old: Any
    new: Any
    source: str | None


@dataclass
class ProvisionPlan:
    """What provisioning `employee_id` from `instance` does now (see `core.provision`)."""

    instance: str
    employee_id: str
    listed: dict[str, int]
    records: list[RecordStep] = field(default_factory=list)
    person_id: str | None = None
    person_name: str | None = None
    #: "new", "matched by <rule>", "already linked", "sent to the review queue", or None (no person)
    match: str | None = None
    changes: list[FieldChange] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    tickets: list[TicketAction] = field(default_factory=list)
    #: outbox intents apply delivers: (ticket key, action, sink), new ones and ones already waiting
    deliveries: list[tuple[str, str, str]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    #: the records read, which `apply` stages (not shown; the plan is about these exact records)
    found: list[FoundRecord] = field(default_factory=list, repr=False)

    @property
    def changes_anything(self) -> bool:
        return any(r.outcome in ("new", "changed") for r in self.records) or bool(self.deliveries)

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document.pop("found")
        document["deliveries"] = [{"ticket_key": k, "action": a, "sink": s} for k, a, s in self.deliveries]
        return document


@dataclass
class ProvisionResult:
    """What an apply did: the plan as applied, then each ticket's delivery."""

    plan: ProvisionPlan
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    #: ticket key -> (state, external id in the sink)
    ticket_states: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def line(self) -> str:
        """One line for a task log and a run note."""
        p = self.plan
        records = ", ".join(f"{r.stream} {r.outcome}" for r in p.records) or "no record found"
        actions = ", ".join(f"{t.action} {t.type} {t.key}" for t in p.tickets) or "no ticket action"
        return (
            f"provision {p.employee_id} from {p.instance}: {records}; person {p.match or 'none'}; "
            f"{actions}; {self.delivered} delivered, {self.failed} failed"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.as_dict(),
            "delivered": self.delivered,
            "failed": self.failed,
            "deferred": self.deferred,
            "errors": self.errors,
            "tickets": {k: {"state": s, "external_id": e} for k, (s, e) in self.ticket_states.items()},
        }


def plan(hub: Hub, instance: str, employee_id: str, streams: list[str] | None = None) -> ProvisionPlan:
    """Read `employee_id`'s records from `instance` and say what provisioning them would do.
    Changes nothing. Raises ConfigError for an unknown instance or stream."""
    found, listed = read_person(hub, instance, employee_id, streams)
    draft = ProvisionPlan(instance, employee_id.strip().upper(), listed, found=found)
    with _stages(hub), hub.store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            _simulate(hub, conn, draft)
        finally:
            transaction.rollback()
    return draft


def apply(hub: Hub, planned: ProvisionPlan) -> ProvisionResult:
    """Stage, resolve and evaluate the plan's records for real, then deliver that person's tickets.

    Idempotent like the scheduled path: applying the same plan twice stages nothing new and
    opens no second ticket (tickets carry their idempotency keys)."""
    from core.tickets.outbox import deliver

    applied = ProvisionPlan(planned.instance, planned.employee_id, planned.listed, found=planned.found)
    with _stages(hub), hub.store.engine.begin() as conn:
        _simulate(hub, conn, applied)
    result = ProvisionResult(applied)
    keys = sorted({key for key, _, _ in applied.deliveries})
    if keys:
        summary = deliver(hub, ticket_keys=keys)
        result.delivered, result.failed, result.deferred = summary.delivered, summary.failed, summary.deferred
        result.errors = summary.errors
    with hub.store.engine.connect() as conn:
        for row in conn.execute(
            sa.select(tickets.c.key, tickets.c.state, tickets.c.external_id).where(tickets.c.key.in_(keys))
        ):
            result.ticket_states[row.key] = (row.state, row.external_id)
    return result


@contextmanager
def _stages(hub: Hub) -> Iterator[None]:
    """The resolve and evaluate stage locks (core/store/locks.py): a scheduled pass and this one
    never work on the same records at once."""
    settings = hub.config.store
    wait, lease = settings.lock_wait_seconds, settings.lock_lease_seconds
    with (
        stage_lock(hub.store, "resolve", wait_seconds=wait, lease_seconds=lease),
        stage_lock(hub.store, "evaluate", wait_seconds=wait, lease_seconds=lease),
    ):
        yield


def _simulate(hub: Hub, conn: sa.Connection, draft: ProvisionPlan) -> None:
    """The engine's steps for the plan's records, inside `conn`'s transaction; fills `draft`."""
    run_id = str(uuid.uuid4())
    record_ids: list[int] = []
    for found in draft.found:
        if found.record is None:
            draft.records.append(RecordStep(found.stream, None, "unmappable", found.problem))
            continue
        writer = RecordWriter(hub.store, draft.instance, found.stream, found.partition, run_id)
        counts = writer.write_in(conn, [found.record])
        outcome = "new" if counts.inserted else "changed" if counts.updated else "unchanged"
        draft.records.append(RecordStep(found.stream, found.record.key, outcome))
        record_ids += conn.scalars(
            sa.select(source_records.c.id).where(
                source_records.c.instance == draft.instance,
                source_records.c.stream == found.stream,
                source_records.c.record_key == found.record.key,
            )
        ).all()
    resolved = resolve_records(hub, conn, record_ids)
    draft.changes = [
        FieldChange(r.entity, c.field, c.old, c.new, c.source)
        for r in conn.execute(
            sa.select(change_log).where(change_log.c.run_id == resolved.run_id).order_by(change_log.c.id)
        )
        for c in field_changes(r)
    ]
    _describe_person(conn, draft, record_ids, resolved.created.get("person", 0), resolved.review)
    if draft.person_id is None:
        return
    summary = LifecycleSummary()
    evaluate_in(hub, conn, summary, [draft.person_id])
    draft.events, draft.tickets, draft.held = dict(summary.events), summary.actions, summary.held
    person_tickets = sa.select(tickets.c.key).where(tickets.c.person_id == draft.person_id)
    draft.deliveries = [
        (r.ticket_key, r.action, r.sink)
        for r in conn.execute(
            sa.select(outbox.c.ticket_key, outbox.c.action, outbox.c.sink)
            .where(outbox.c.state == "pending", outbox.c.ticket_key.in_(person_tickets))
            .order_by(outbox.c.id)
        )
    ]


def _describe_person(
    conn: sa.Connection, draft: ProvisionPlan, record_ids: list[int], created: int, review: int
) -> None:
    """Which canonical person the records are, and how the hub knows."""
    link = conn.execute(
        sa.select(entity_links.c.entity_id, entity_links.c.rule).where(
            entity_links.c.entity == "person", entity_links.c.source_record_id.in_(record_ids)
        )
    ).first()
    if link is not None:
        draft.person_id = link.entity_id
        if created:
            draft.match = "new"
        else:
            draft.match = "already linked" if link.rule == "new" else f"matched by rule {link.rule}"
    else:
        draft.person_id = conn.scalar(
            sa.select(persons.c.id).where(
                persons.c.employee_id == draft.employee_id, persons.c.deleted_at.is_(None)
            )
        )
        draft.match = (
            "sent to the review queue" if review else ("linked by employee id" if draft.person_id else None)
        )
    if draft.person_id is not None:
        attrs = conn.scalar(sa.select(persons.c.attrs).where(persons.c.id == draft.person_id)) or {}
        name = " ".join(str(attrs[k]) for k in ("given_name", "family_name") if attrs.get(k))
        draft.person_name = name or None
