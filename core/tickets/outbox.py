"""Delivering ticket intents from the outbox to the sink, exactly once.

Protocol per intent: `create` looks the ticket up by idempotency key before creating, so a crash
after the sink created it but before the hub recorded it heals on the next delivery. A sink whose
search lags its creates (`find_lag_seconds`, Jira) could miss a ticket created seconds ago, so
the time a create is sent is committed first, and no second create goes out until that lag has
passed: the intent waits (deferred) and the next pass finds the ticket instead. `update`
and `cancel` address the external ID (found by key if the hub never recorded it). An intent is
marked delivered in the same transaction that records the external ID. A failing intent is
retried on later passes and blocks only later intents of the same ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.connector.sink import TicketPayload, TicketSink
from core.errors import HubError
from core.store.locks import locked_stage
from core.store.schema import outbox, tickets
from core.tickets.notify import notify_safely
from core.tickets.sinks import notifier, ticket_sink

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.outbox")
MAX_ATTEMPTS = 10


@dataclass
class DeliverySummary:
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "deferred": self.deferred,
            "errors": self.errors,
        }


def payload(row: Any) -> TicketPayload:
    """What a sink is told about a ticket, from its columns (never parsed from rendered text)."""
    return TicketPayload(
        key=row.key,
        type=row.type,
        title=row.title,
        description=row.description,
        priority=row.priority,
        due=row.due_at.isoformat(),
        employee_id=row.employee_id or "",
        person_name=row.person_name or "",
        assignment_group=row.assignment_group or "",
        state=row.state,
        tasks=[{"title": t["title"], "state": t["state"]} for t in row.tasks],
    )


class SearchMayLag(Exception):
    """A create was sent less than the sink's find lag ago: wait rather than risk a second one."""


def _send(
    sink: TicketSink, action: str, ticket: Any, intent: Any, mark_sent: Callable[[], None]
) -> tuple[str | None, str | None]:
    """Perform one intent; returns (external id, url) to record."""
    external_id, found_url = ticket.external_id, None
    if external_id is None:  # maybe created before a crash: find it by key rather than create again
        found = sink.find(ticket.key)
        if found:
            external_id, found_url = found["external_id"], found.get("url")
    if action == "create" or (action == "update" and external_id is None):
        if external_id is None:
            lag = timedelta(seconds=sink.find_lag_seconds)
            if intent.sent_at is not None and clock.now() - intent.sent_at < lag:
                raise SearchMayLag(
                    f"a create of {ticket.key} went to {intent.sink} at {intent.sent_at.isoformat()} and its "
                    f"search may lag {sink.find_lag_seconds:g} s; not sending another before then"
                )
            mark_sent()
            created = sink.create(payload(ticket))
            return created["external_id"], created.get("url")
        return external_id, found_url
    if external_id is None:  # cancelling a ticket the sink never received
        return None, None
    result = (
        sink.update(external_id, payload(ticket))
        if action == "update"
        else sink.cancel(external_id, intent.cancel_reason or "no longer needed")
    )
    return external_id, result.get("url")


@locked_stage("deliver")  # one deliverer per store at a time (core/store/locks.py)
def deliver(hub: Hub, *, after_remote: Callable[[str], None] | None = None) -> DeliverySummary:
    """Drain pending intents in order. `after_remote(key)` runs between the remote call and the
    local commit (used by tests to simulate a crash exactly there)."""
    summary = DeliverySummary()
    sinks: dict[str, TicketSink] = {}
    blocked: set[str] = set()
    with hub.store.engine.connect() as conn:
        pending = conn.execute(
            sa.select(outbox).where(outbox.c.state == "pending").order_by(outbox.c.id)
        ).all()
    for intent in pending:
        if intent.ticket_key in blocked:
            summary.deferred += 1
            continue
        with hub.store.engine.connect() as conn:
            ticket = conn.execute(sa.select(tickets).where(tickets.c.key == intent.ticket_key)).first()
        try:
            sink = sinks.get(intent.sink) or sinks.setdefault(intent.sink, ticket_sink(hub, intent.sink))
            external_id, url = _send(sink, intent.action, ticket, intent, partial(_mark_sent, hub, intent))
        except SearchMayLag as wait:
            log.info("delivery of %s waits: %s", intent.ticket_key, wait)
            blocked.add(intent.ticket_key)
            summary.deferred += 1
            continue
        except HubError as exc:
            blocked.add(intent.ticket_key)
            _failed(hub, intent, exc, summary)
            continue
        if after_remote is not None:
            after_remote(intent.ticket_key)
        with hub.store.engine.begin() as conn:
            values: dict[str, Any] = {"updated_at": clock.now()}
            if external_id:
                values["external_id"] = external_id
            if url:
                values["url"] = url
            conn.execute(tickets.update().where(tickets.c.key == intent.ticket_key).values(**values))
            conn.execute(
                outbox.update()
                .where(outbox.c.id == intent.id)
                .values(
                    state="delivered", attempts=intent.attempts + 1, delivered_at=clock.now(), last_error=None
                )
            )
        summary.delivered += 1
        if intent.action == "create":
            notify_safely(notifier(hub), "ticket_opened", ticket)
    return summary


def _mark_sent(hub: Hub, intent: Any) -> None:
    with hub.store.engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == intent.id).values(sent_at=clock.now()))


def _failed(hub: Hub, intent: Any, exc: HubError, summary: DeliverySummary) -> None:
    attempts = intent.attempts + 1
    state = "failed" if attempts >= MAX_ATTEMPTS or exc.kind in ("config", "auth") else "pending"
    with hub.store.engine.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == intent.id)
            .values(attempts=attempts, last_error=str(exc)[:2000], state=state)
        )
    summary.failed += 1
    summary.errors.append(f"{intent.ticket_key} {intent.action}: {exc}")
    log.warning("delivery of %s %s failed (attempt %d): %s", intent.action, intent.ticket_key, attempts, exc)
