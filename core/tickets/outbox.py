"""Delivering ticket intents from the outbox to the sink, exactly once.

Protocol per intent: the deliverer first claims it (`core.tickets.leases`: an owner and a lease,
so a second deliverer, a shell's `hub run` beside Airflow's `deliver` task, passes over it). `create`
looks the ticket up by idempotency key before creating, so a crash after the sink created it but
before the hub recorded it, or a create whose answer was lost (`OutcomeUnknownError`: a 502 after
the sink applied it, a dropped connection), heals on the next delivery by finding the ticket. A
sink whose search lags its creates (`find_lag_seconds`, Jira) could miss a ticket created seconds
ago, so the time a create is sent is committed first, and no second create goes out until that
lag has passed: the intent waits (deferred) and a later pass finds the ticket instead. `update`
and `cancel` address the external ID (found by key if the hub never recorded it). An intent is
marked delivered in the same transaction that records the external ID, and only while its lease
is still the deliverer's. Any failure of one intent is recorded on it (`core.tickets.dead_letter`)
and the pass goes on; a failing intent blocks only later intents of the same ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.actions.release import release_due
from core.actions.stage import ExecutorCache, execute_intent
from core.connector.sink import NotificationEvent, TicketPayload, TicketSink
from core.errors import HubError
from core.store.locks import locked_stage
from core.store.schema import outbox, tickets
from core.tickets.dead_letter import describe_error, record_failure
from core.tickets.leases import claim_next, end_orphaned_leases, held_by, new_owner, release
from core.tickets.notify import enqueue as enqueue_cards
from core.tickets.notify import send_pending
from core.tickets.sinks import notifier, ticket_sink

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.outbox")


@dataclass
class DeliverySummary:
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    #: intents that reached `max_attempts` in this pass
    dead: int = 0
    #: intents taken over from a deliverer whose lease had expired
    reclaimed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "deferred": self.deferred,
            "dead": self.dead,
            "reclaimed": self.reclaimed,
            "errors": self.errors,
        }

    def line(self) -> str:
        """One line for a task log, a run note and an asset event (the first error, if any)."""
        first = f"; first error: {self.errors[0]}" if self.errors else ""
        dead = f", {self.dead} dead" if self.dead else ""
        return f"deliver: {self.delivered} delivered, {self.failed} failed, {self.deferred} deferred{dead}{first}"


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

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


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
                    f"search may lag {sink.find_lag_seconds:g} s; not sending another before then",
                    until=intent.sent_at + lag,
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


@locked_stage("deliver")  # one deliver stage per store at a time (core/store/locks.py)
def deliver(
    hub: Hub,
    *,
    after_remote: Callable[[str], None] | None = None,
    owner: str | None = None,
    ticket_keys: Sequence[str] | None = None,
) -> DeliverySummary:
    """Drain due intents in order (of `ticket_keys` only, when given: provisioning on demand),
    claiming each before sending it. `after_remote(key)` runs between the remote call and the
    local commit (tests simulate a crash exactly there: the exception propagates and the lease
    is left to expire, as a killed process would leave it)."""
    delivery = DeliveryPass(hub, owner or new_owner(), after_remote)
    lease = timedelta(seconds=hub.config.tickets.delivery.lease_seconds)
    end_orphaned_leases(hub.store)
    if ticket_keys is None:  # the hub's own actions that are due join this pass (core/actions)
        release_due(hub)
    last_id = 0
    while (
        intent := claim_next(
            hub.store, delivery.owner, after_id=last_id, lease=lease, ticket_keys=ticket_keys
        )
    ) is not None:
        last_id = intent.id
        delivery.attempt(intent)
    if delivery.died:
        _announce_dead(hub, delivery.died, hub.config.tickets.delivery.max_attempts)
    if delivery.summary.delivered:
        send_pending(hub, notifier(hub))  # the `opened` cards this pass decided
    return delivery.summary


@dataclass
class DeliveryPass:
    """One deliverer's pass: the sinks it opened, what it did, the sinks that refused it."""

    hub: Hub
    owner: str
    after_remote: Callable[[str], None] | None = None
    summary: DeliverySummary = field(default_factory=DeliverySummary)
    sinks: dict[str, TicketSink] = field(default_factory=dict)
    #: sinks that rejected the hub's credentials or configuration: their intents wait a pass
    refused: set[str] = field(default_factory=set)
    died: list[Any] = field(default_factory=list)
    executors: ExecutorCache | None = None

    def sink(self, name: str) -> TicketSink:
        return self.sinks.get(name) or self.sinks.setdefault(name, ticket_sink(self.hub, name))

    def attempt(self, intent: Any) -> None:
        """Send one claimed intent and record the outcome; never raises for the intent's failure."""
        hub, owner = self.hub, self.owner
        if intent.owner is not None:
            self.summary.reclaimed += 1
            log.info(
                "intent %s of %s: %s's lease expired; taking over", intent.id, intent.ticket_key, intent.owner
            )
        if intent.sink in self.refused:
            release(hub.store, intent.id, owner)
            self.summary.deferred += 1
            return
        if intent.action == "execute":
            self.execute(intent)
            return
        try:
            with hub.store.engine.connect() as conn:
                ticket = conn.execute(sa.select(tickets).where(tickets.c.key == intent.ticket_key)).one()
            mark_sent = partial(_mark_sent, hub, intent.id, owner)
            external_id, url = _send(self.sink(intent.sink), intent.action, ticket, intent, mark_sent)
        except SearchMayLag as wait:
            log.info("delivery of %s waits: %s", intent.ticket_key, wait)
            release(hub.store, intent.id, owner, next_attempt_at=wait.until)
            self.summary.deferred += 1
            return
        except Exception as exc:  # one intent's failure, whatever it is, must not stop the others
            self.failed(intent, exc)
            return
        if self.after_remote is not None:
            self.after_remote(intent.ticket_key)
        if not _record_delivery(hub, intent, owner, external_id, url):
            log.warning(
                "intent %s of %s: lease lost before recording; its new owner looks it up",
                intent.id,
                intent.ticket_key,
            )
            return
        self.summary.delivered += 1

    def execute(self, intent: Any) -> None:
        """An action's intent: run by `core.actions.stage`, counted like a ticket's."""
        if self.executors is None:
            self.executors = ExecutorCache(self.hub)
        result = execute_intent(self.hub, intent, self.owner, self.executors, self.after_remote)
        if result in ("delivered", "skipped"):
            self.summary.delivered += 1
        elif result in ("failed", "dead"):
            self.summary.failed += 1
            self.summary.errors.append(
                f"{intent.ticket_key} execute (action {intent.action_id[:12]}): failed"
            )
            if result == "dead":
                self.summary.dead += 1
                self.died.append(intent)

    def failed(self, intent: Any, exc: Exception) -> None:
        dead = record_failure(self.hub.store, intent, self.owner, exc, self.hub.config.tickets.delivery)
        error = describe_error(exc)
        self.summary.failed += 1
        self.summary.errors.append(f"{intent.ticket_key} {intent.action}: {error}")
        if dead:
            self.summary.dead += 1
            self.died.append(intent)
        if isinstance(exc, HubError) and exc.kind in ("auth", "config"):
            self.refused.add(intent.sink)
        log.warning(
            "delivery of %s %s failed (attempt %d%s): %s",
            intent.action,
            intent.ticket_key,
            intent.attempts + 1,
            ", now dead" if dead else "",
            error,
        )


def _record_delivery(hub: Hub, intent: Any, owner: str, external_id: str | None, url: str | None) -> bool:
    """Mark delivered and record the external ID in one transaction, if the lease is still ours."""
    with hub.store.engine.begin() as conn:
        done = conn.execute(
            outbox.update()
            .where(held_by(intent.id, owner))
            .values(
                state="delivered",
                attempts=intent.attempts + 1,
                delivered_at=clock.now(),
                last_error=None,
                owner=None,
                lease_expires_at=None,
                next_attempt_at=None,
            )
        )
        if done.rowcount != 1:
            return False
        values: dict[str, Any] = {"updated_at": clock.now()}
        if external_id:
            values["external_id"] = external_id
        if url:
            values["url"] = url
        conn.execute(tickets.update().where(tickets.c.key == intent.ticket_key).values(**values))
        if intent.action == "create" and hub.config.tickets.notifier:  # `opened` cards, with the delivery
            enqueue_cards(
                conn,
                conn.execute(sa.select(tickets).where(tickets.c.key == intent.ticket_key)).one(),
                "opened",
            )
    return True


def _mark_sent(hub: Hub, intent_id: int, owner: str) -> None:
    with hub.store.engine.begin() as conn:
        conn.execute(outbox.update().where(held_by(intent_id, owner)).values(sent_at=clock.now()))


def _announce_dead(hub: Hub, died: list[Any], max_attempts: int) -> None:
    """One notification per pass for the intents that gave up in it; never raises."""
    keys = ", ".join(f"{i.ticket_key} ({i.action}, intent {i.id})" for i in died[:10])
    more = f" and {len(died) - 10} more" if len(died) > 10 else ""
    event = NotificationEvent(
        kind="intent_dead",
        title=f"{len(died)} ticket intent{'s' if len(died) != 1 else ''} dead after {max_attempts} failed attempts",
        text=f"{keys}{more}. See `hub outbox list --state dead`; fix the cause, then `hub outbox retry --all`.",
    )
    try:
        sender = notifier(hub)
        if sender is not None:
            sender.notify(event)
    except Exception as exc:  # a notification must never stop delivery
        log.warning("intent_dead notification not sent: %s", describe_error(exc))
