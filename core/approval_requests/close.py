"""Tell the channel when a card's subject was decided elsewhere (the CLI, the console, the
engine cancelling it), so nobody answers a card that no longer counts.

A Workflows webhook cannot edit the card it posted, so the hub posts a short notice to the
notification channel instead, once per request. The request is claimed (`closing`) before the
notice is sent: a notice whose outcome is unknown is never re-posted (`closed`, with the error); one
the channel provably refused is tried again on the next pass (the request goes back to its state).
An answer to a claimed or closed request is refused by `receive` as stale, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.approval_requests.registry import kind
from core.connector.sink import NotificationEvent, Notifier
from core.errors import HubError, OutcomeUnknownError
from core.store.schema import approval_requests

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.approvals")

#: states whose card may be in the channel with live buttons
ANSWERABLE = ("posted", "unknown")
NOTICE_KIND = "approval_closed"


def close_decided_elsewhere(
    hub: Hub,
    notifier: Notifier,
    *,
    kinds_read: Collection[str],
    still_pending: Collection[tuple[str, str]],
) -> tuple[int, list[str]]:
    """Post one notice per answerable request whose subject no longer waits; (posted, errors).

    Only kinds whose pending list was read this pass are looked at: a kind that could not be read
    says nothing about whether its subjects still wait."""
    now = clock.now()
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(approval_requests).where(
                approval_requests.c.state.in_(ANSWERABLE),
                approval_requests.c.expires_at > now,
                approval_requests.c.kind.in_(list(kinds_read)),
            )
        ).all()
    posted, errors = 0, []
    for row in rows:
        if (row.kind, row.subject_id) in still_pending:
            continue
        if not _claim(hub, row.id, row.state):
            continue  # another pass closed it, or a Teams answer spent it meanwhile
        event = _notice(hub, row)
        try:
            notifier.notify(event)
        except OutcomeUnknownError as exc:
            _finish(hub, row.id, "closed", f"notice may or may not be posted: {exc}")
            errors.append(f"{row.kind} {row.subject_id}: decided-elsewhere notice: {exc}")
            continue
        except HubError as exc:
            _finish(hub, row.id, row.state, f"decided-elsewhere notice not posted: {exc}")
            errors.append(f"{row.kind} {row.subject_id}: decided-elsewhere notice: {exc}")
            log.warning("notice for approval request %s not posted: %s", row.id, exc)
            continue
        _finish(hub, row.id, "closed", None)
        posted += 1
    return posted, errors


def _notice(hub: Hub, row: Any) -> NotificationEvent:
    approvable = kind(row.kind)
    try:
        decided = approvable.decision(hub, row.subject_id) if approvable.decision else "decided outside Teams"
    except HubError as exc:
        decided = f"no longer waiting ({exc.message})"
    event: NotificationEvent = {
        "kind": NOTICE_KIND,
        "title": row.summary,
        "text": (
            f"It was {decided}. The Approve and Reject buttons of its card posted "
            f"{row.created_at:%Y-%m-%d %H:%M} UTC no longer count."
        ),
        "key": f"approval_request:{row.id}|closed",
    }
    base = hub.config.notifications.ui_base_url
    if base:
        event["link"] = f"{base.rstrip('/')}/hub-console/"
    return event


def _claim(hub: Hub, request_id: str, state: str) -> bool:
    with hub.store.engine.begin() as conn:
        return bool(
            conn.execute(
                approval_requests.update()
                .where(approval_requests.c.id == request_id, approval_requests.c.state == state)
                .values(state="closing")
            ).rowcount
        )


def _finish(hub: Hub, request_id: str, state: str, error: str | None) -> None:
    with hub.store.engine.begin() as conn:
        conn.execute(
            approval_requests.update()
            .where(approval_requests.c.id == request_id, approval_requests.c.state == "closing")
            .values(state=state, error=error)
        )
