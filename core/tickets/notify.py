"""Closing the loop: one card per ticket, step and audience, never two, never blocking delivery.

Steps: `opened` (the sink created the ticket), `due_soon` (an onboarding or offboarding due within
`tickets.due_soon_hours` and not done), `overdue` (an offboarding past due and still open) and
`completed` (the desk closed it). Audiences: the channel (always) and, for onboarding and
offboarding, the person's manager from the canonical model when the manager's address is known.

The ledger row is written in the transaction that decides the step (the delivery record, the
state read back, the due-soon scan), so a decided card cannot be forgotten; `send_pending` claims
a row before posting and marks it sent after, so a retry never posts it twice. A post that may
have reached Teams (a timeout after sending, a crash between posting and marking) becomes
`unknown` and is not re-posted blindly; a post Teams provably refused is tried again next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.connector.sink import NotificationEvent, Notifier
from core.errors import HubError, OutcomeUnknownError
from core.store.schema import notification_deliveries, persons, tickets

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.notify")

STEP_KINDS = {
    "opened": "ticket_opened",
    "due_soon": "ticket_due_soon",
    "overdue": "ticket_overdue",
    "completed": "ticket_closed",
}
#: ticket types whose manager hears about them (a transfer's two managers are a later question)
MANAGER_TYPES = ("onboarding", "offboarding")
#: attempts of a card Teams provably refused before it is given up (`failed` for good)
MAX_ATTEMPTS = 5
#: a claim older than this without an outcome was cut short by a crash: the card may be posted
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class CardSummary:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def ledger_key(ticket_key: str, step: str, audience: str) -> str:
    return f"{ticket_key}|{step}|{audience}"


def enqueue(conn: sa.Connection, ticket: Any, step: str) -> int:
    """Decide the cards of one ticket's step, in the caller's transaction; returns how many are new."""
    now = clock.now()
    audiences: list[tuple[str, str | None]] = [("channel", None)]
    if ticket.type in MANAGER_TYPES:
        manager = manager_address(conn, ticket.person_id)
        if manager:
            audiences.append(("manager", manager))
    added = 0
    for audience, recipient in audiences:
        key = ledger_key(ticket.key, step, audience)
        if conn.scalar(sa.select(notification_deliveries.c.key).where(notification_deliveries.c.key == key)):
            continue
        conn.execute(
            notification_deliveries.insert().values(
                key=key,
                ticket_key=ticket.key,
                step=step,
                audience=audience,
                recipient=recipient,
                state="pending",
                attempts=0,
                created_at=now,
            )
        )
        added += 1
    return added


def manager_address(conn: sa.Connection, person_id: str) -> str | None:
    """The work email (else UPN) of the person's manager, when the canonical model knows both."""
    attrs = conn.scalar(sa.select(persons.c.attrs).where(persons.c.id == person_id))
    manager_id = (attrs or {}).get("manager_employee_id")
    if not manager_id:
        return None
    row = conn.execute(
        sa.select(persons.c.work_email, persons.c.upn).where(
            persons.c.employee_id == manager_id, persons.c.deleted_at.is_(None)
        )
    ).first()
    return (row.work_email or row.upn) if row else None


def enqueue_due_soon(hub: Hub, *, hours: float) -> int:
    """Onboarding and offboarding tickets due within `hours`, not done and not yet announced."""
    now = clock.now()
    added = 0
    with hub.store.engine.begin() as conn:
        rows = conn.execute(
            sa.select(tickets).where(
                tickets.c.type.in_(MANAGER_TYPES),
                tickets.c.state.in_(("open", "in_progress")),
                tickets.c.external_id.is_not(None),
                tickets.c.due_at > now,
                tickets.c.due_at <= now + timedelta(hours=hours),
            )
        ).all()
        for row in rows:
            added += enqueue(conn, row, "due_soon")
    return added


def send_pending(
    hub: Hub, notifier: Notifier | None, *, after_post: Callable[[str], None] | None = None
) -> CardSummary:
    """Post every decided card not yet posted; a failure is logged and never raised.

    `after_post` is called with the ledger key between posting and recording (scenarios crash there)."""
    summary = CardSummary()
    if notifier is None:
        return summary
    _give_up_stale_claims(hub)
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(notification_deliveries, tickets)
            .join(tickets, tickets.c.key == notification_deliveries.c.ticket_key)
            .where(
                notification_deliveries.c.state.in_(("pending", "failed")),
                notification_deliveries.c.attempts < MAX_ATTEMPTS,
            )
            .order_by(notification_deliveries.c.created_at, notification_deliveries.c.key)
        ).all()
    for row in rows:
        _send_one(hub, notifier, row, summary, after_post)
    return summary


def _send_one(
    hub: Hub, notifier: Notifier, row: Any, summary: CardSummary, after_post: Callable[[str], None] | None
) -> None:
    key = row.key
    if row.audience == "manager" and not notifier.reaches_people():
        _set(hub, key, "skipped", "the notifier cannot reach a person (no manager workflow configured)")
        summary.skipped += 1
        return
    if not _claim(hub, key, row.attempts):
        return  # another pass took it
    event = _event(hub, row)
    try:
        notifier.notify(event)
    except OutcomeUnknownError as exc:
        _set(hub, key, "unknown", str(exc))
        summary.unknown += 1
        log.warning(
            "notification %s for %s may or may not be posted; not re-posted: %s",
            event["kind"],
            row.ticket_key,
            exc,
        )
        return
    except Exception as exc:  # a notification must never stop delivery
        _set(hub, key, "failed", str(exc) if isinstance(exc, HubError) else type(exc).__name__)
        summary.failed += 1
        summary.errors.append(f"{key}: {exc}")
        log.warning("notification %s for %s failed: %s", event["kind"], row.ticket_key, exc)
        return
    if after_post is not None:
        after_post(key)
    _set(hub, key, "sent", None)
    summary.sent += 1


def _event(hub: Hub, row: Any) -> NotificationEvent:
    kind = STEP_KINDS[row.step]
    due = row.due_at.isoformat() if isinstance(row.due_at, datetime) else str(row.due_at)
    text = f"{row.key} for {row.employee_id}, due {due}, priority {row.priority}"
    if row.audience == "manager":
        text = f"For your report {row.person_name or row.employee_id}: {text}"
    event = NotificationEvent(
        kind=kind,
        title=f"{row.type} ticket {kind.split('_', 1)[-1].replace('_', ' ')}: {row.title}",
        text=text,
    )
    link = row.url or f"{hub.config.notifications.ui_base_url.rstrip('/')}/hub-console/people/{row.person_id}"
    event["link"] = link
    event["key"] = row.key
    if row.recipient:
        event["recipient"] = row.recipient
    return event


def _claim(hub: Hub, key: str, attempts: int) -> bool:
    with hub.store.engine.begin() as conn:
        return (
            conn.execute(
                notification_deliveries.update()
                .where(
                    notification_deliveries.c.key == key,
                    notification_deliveries.c.state.in_(("pending", "failed")),
                    notification_deliveries.c.attempts == attempts,
                )
                .values(state="sending", attempts=attempts + 1, claimed_at=clock.now())
            ).rowcount
            == 1
        )


def _set(hub: Hub, key: str, state: str, error: str | None) -> None:
    values: dict[str, Any] = {"state": state, "last_error": error}
    if state == "sent":
        values["sent_at"] = clock.now()
    with hub.store.engine.begin() as conn:
        conn.execute(
            notification_deliveries.update().where(notification_deliveries.c.key == key).values(**values)
        )


def _give_up_stale_claims(hub: Hub) -> None:
    """A card claimed long ago with no outcome: the pass that claimed it died, maybe after posting."""
    with hub.store.engine.begin() as conn:
        stale = conn.execute(
            notification_deliveries.update()
            .where(
                notification_deliveries.c.state == "sending",
                notification_deliveries.c.claimed_at < clock.now() - STALE_CLAIM,
            )
            .values(state="unknown", last_error="the posting pass stopped before recording the outcome")
        ).rowcount
    if stale:
        log.warning(
            "%d notification card(s) may or may not be posted (a pass stopped mid-post); not re-posted", stale
        )
