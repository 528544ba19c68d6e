"""Post one approval card per subject waiting for a decision, never two at once.

A request row is written (state `posting`) before the card is sent, so a crash or an ambiguous
failure leaves a row that says so: such a card may be in the channel, so it is not posted again
(`unknown`) until the request expires; then, if the subject still waits, a new request (with new
tokens) is posted. A card Teams provably refused (`failed`) is tried again on the next pass.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.approval_requests.channel import ApprovalCard, ApprovalChannel
from core.approval_requests.close import close_decided_elsewhere
from core.approval_requests.registry import Pending, kinds
from core.approval_requests.tokens import Claims, issue
from core.connector.sink import Notifier
from core.errors import HubError, OutcomeUnknownError
from core.store.schema import approval_requests

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.approvals")

#: states in which a request's card may be in the channel and its tokens may still be answered
OPEN_STATES = ("posting", "posted", "unknown")


@dataclass
class PostSummary:
    posted: int = 0
    failed: int = 0
    unknown: int = 0
    expired: int = 0
    #: notices that a card's subject was decided elsewhere (core.approval_requests.close)
    closed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def approval_channel(hub: Hub) -> ApprovalChannel | None:
    """The configured notifier, if it can ask for approvals and is set up to."""
    from core.tickets.sinks import notifier

    sender = notifier(hub)
    if isinstance(sender, ApprovalChannel) and sender.approvals_enabled():
        return sender
    return None


def post_approval_requests(hub: Hub, channel: ApprovalChannel | None = None) -> PostSummary:
    """One card for every pending subject that has no open request; never raises for a post."""
    summary = PostSummary()
    channel = channel or approval_channel(hub)
    if channel is None:
        return summary
    now = clock.now()
    with hub.store.engine.begin() as conn:
        summary.expired = conn.execute(
            approval_requests.update()
            .where(approval_requests.c.state.in_(OPEN_STATES), approval_requests.c.expires_at <= now)
            .values(state="expired")
        ).rowcount
        open_subjects = {
            (r.kind, r.subject_id)
            for r in conn.execute(
                sa.select(approval_requests.c.kind, approval_requests.c.subject_id).where(
                    approval_requests.c.state.in_(OPEN_STATES)
                )
            )
        }
    kinds_read: list[str] = []
    still_pending: set[tuple[str, str]] = set()
    for approvable in kinds():
        try:
            waiting = approvable.pending(hub)
        except Exception as exc:  # one kind's failure must not stop the status pass or the others
            summary.errors.append(f"{approvable.name}: pending subjects unreadable: {exc}")
            log.warning("approval kind %s: pending subjects unreadable: %s", approvable.name, exc)
            continue
        kinds_read.append(approvable.name)
        for pending in waiting:
            still_pending.add((pending.kind, pending.subject_id))
            if (pending.kind, pending.subject_id) not in open_subjects:
                _post_one(hub, channel, pending, summary)
    if isinstance(channel, Notifier):
        summary.closed, errors = close_decided_elsewhere(
            hub, channel, kinds_read=kinds_read, still_pending=still_pending
        )
        summary.errors.extend(errors)
    return summary


def _post_one(hub: Hub, channel: ApprovalChannel, pending: Pending, summary: PostSummary) -> None:
    now = clock.now()
    request_id = str(uuid.uuid4())
    expires_at = now + timedelta(hours=channel.approval_ttl_hours())
    with hub.store.engine.begin() as conn:
        conn.execute(
            approval_requests.insert().values(
                id=request_id,
                kind=pending.kind,
                subject_id=pending.subject_id,
                state="posting",
                summary=pending.title,
                created_at=now,
                expires_at=expires_at,
            )
        )
    key = channel.approval_keys().signing_key.encode()

    def token(decision: str) -> str:
        return issue(key, Claims(request_id, pending.kind, pending.subject_id, decision, expires_at))

    card = ApprovalCard(
        request_id=request_id,
        pending=pending,
        approve_token=token("approve"),
        reject_token=token("reject"),
        expires_at=expires_at,
        link=f"{hub.config.notifications.ui_base_url.rstrip('/')}/hub-console/",
    )
    try:
        channel.request_approval(card)
    except OutcomeUnknownError as exc:
        _finish(hub, request_id, "unknown", str(exc))
        summary.unknown += 1
        summary.errors.append(f"{pending.kind} {pending.subject_id}: {exc}")
        log.warning(
            "approval card for %s %s may or may not be posted: %s", pending.kind, pending.subject_id, exc
        )
        return
    except HubError as exc:
        _finish(hub, request_id, "failed", str(exc))
        summary.failed += 1
        summary.errors.append(f"{pending.kind} {pending.subject_id}: {exc}")
        log.warning("approval card for %s %s not posted: %s", pending.kind, pending.subject_id, exc)
        return
    _finish(hub, request_id, "posted", None)
    summary.posted += 1


def _finish(hub: Hub, request_id: str, state: str, error: str | None) -> None:
    values: dict[str, Any] = {"state": state, "error": error}
    if state == "posted":
        values["posted_at"] = clock.now()
    with hub.store.engine.begin() as conn:
        conn.execute(
            approval_requests.update()
            .where(approval_requests.c.id == request_id, approval_requests.c.state == "posting")
            .values(**values)
        )
