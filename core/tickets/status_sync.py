"""Reading ticket progress back from the sink; closed tickets record when access was removed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.connector.sink import Notifier, RemoteTicket, TicketSink
from core.errors import HubError
from core.store.schema import lifecycle_events, tickets
from core.tickets.notify import enqueue as enqueue_cards
from core.tickets.notify import enqueue_due_soon, send_pending
from core.tickets.sinks import notifier, ticket_sink
from core.vocabulary import OPEN_EVENT_STATES

if TYPE_CHECKING:
    from core.hub import Hub


@dataclass
class StatusSummary:
    checked: int = 0
    changed: int = 0
    overdue: int = 0
    #: cards posted this pass (opened, due soon, overdue, completed) and approval cards posted
    cards_sent: int = 0
    approval_cards: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sync_status(hub: Hub) -> StatusSummary:
    summary = StatusSummary()
    sinks: dict[str, TicketSink] = {}
    notify_to = notifier(hub)
    now = clock.now()
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tickets).where(
                tickets.c.state.in_(("open", "in_progress")), tickets.c.external_id.is_not(None)
            )
        ).all()
    for row, remote in _remote_states(hub, rows, sinks):
        summary.checked += 1
        if isinstance(remote, HubError):
            summary.errors.append(f"{row.key}: {remote}")
            continue
        if remote["state"] != row.state:
            summary.changed += 1
            record_state(hub, row, remote["state"])
        elif row.type == "offboarding" and row.due_at < now and row.overdue_notified_at is None:
            summary.overdue += 1
            if notify_to is not None:
                with hub.store.engine.begin() as conn:  # the decision and its cards, together
                    conn.execute(
                        tickets.update().where(tickets.c.key == row.key).values(overdue_notified_at=now)
                    )
                    enqueue_cards(conn, row, "overdue")
    close_the_loop(hub, notify_to, summary)
    return summary


def close_the_loop(hub: Hub, notify_to: Notifier | None, summary: StatusSummary) -> None:
    """Decide the due-soon cards, post every decided card, and ask for the pending approvals."""
    from core.approval_requests.post import post_approval_requests

    if notify_to is None:
        return
    if hub.config.tickets.due_soon_hours:
        enqueue_due_soon(hub, hours=hub.config.tickets.due_soon_hours)
    cards = send_pending(hub, notify_to)
    summary.cards_sent = cards.sent
    summary.errors.extend(cards.errors)
    approvals = post_approval_requests(hub)
    summary.approval_cards = approvals.posted
    summary.errors.extend(approvals.errors)


def _remote_states(
    hub: Hub, rows: Sequence[Any], sinks: dict[str, TicketSink]
) -> Iterator[tuple[Any, RemoteTicket | HubError]]:
    """Each open ticket with its state in the sink, read in the sink's batches."""
    by_sink: dict[str, list[Any]] = {}
    for row in rows:
        by_sink.setdefault(row.sink, []).append(row)
    for name, sink_rows in by_sink.items():
        try:
            sink = sinks.get(name) or sinks.setdefault(name, ticket_sink(hub, name))
        except HubError as exc:
            yield from ((row, exc) for row in sink_rows)
            continue
        size = max(1, sink.status_batch_size)
        for start in range(0, len(sink_rows), size):
            chunk = sink_rows[start : start + size]
            try:
                states = sink.fetch_statuses([row.external_id for row in chunk])
            except HubError as exc:
                yield from ((row, exc) for row in chunk)
                continue
            yield from ((row, states[row.external_id]) for row in chunk)


def record_state(hub: Hub, row: Any, state: str) -> None:
    """Apply a state read back from the sink; closing an offboarding stamps access removal."""
    now = clock.now()
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if state in ("closed", "cancelled"):
        values["closed_at"] = now
        values["tasks"] = [
            {**t, "state": "closed" if state == "closed" else "cancelled"} if t["state"] == "open" else t
            for t in row.tasks
        ]
        if state == "closed" and row.type == "offboarding":
            values["access_removed_at"] = now
    with hub.store.engine.begin() as conn:
        conn.execute(tickets.update().where(tickets.c.key == row.key).values(**values))
        if state == "closed" and hub.config.tickets.notifier:  # `completed` cards, with the state
            enqueue_cards(conn, row, "completed")
        if state in ("closed", "cancelled"):  # the desk finished (or dropped) the event's work
            conn.execute(
                lifecycle_events.update()
                .where(lifecycle_events.c.id == row.event_id, lifecycle_events.c.state.in_(OPEN_EVENT_STATES))
                .values(state="done" if state == "closed" else "cancelled", updated_at=now)
            )
