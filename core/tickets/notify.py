"""Notifications that never block ticket delivery."""

from __future__ import annotations

import logging
from typing import Any

from core.connector.sink import NotificationEvent, Notifier

log = logging.getLogger("hub.notify")


def notify_safely(notifier: Notifier | None, kind: str, ticket: Any) -> bool:
    """Send a ticket notification; a failure is logged and swallowed. Returns whether it was sent."""
    if notifier is None:
        return False
    event = NotificationEvent(
        kind=kind,
        title=f"{ticket.type} ticket {kind.split('_', 1)[-1]}: {ticket.title}",
        text=f"{ticket.key} for {ticket.employee_id}, due {ticket.due_at.isoformat()}, "
        f"priority {ticket.priority}",
    )
    try:
        notifier.notify(event)
        return True
    except Exception as exc:  # a notification must never stop delivery
        log.warning("notification %s for %s failed: %s", kind, ticket.key, exc)
        return False
