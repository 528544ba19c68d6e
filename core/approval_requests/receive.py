"""An answer from the approval workflow, verified before it counts.

In order: the shared secret the workflow's HTTP action sends (constant-time compare), then the
decision token (the hub's HMAC signature, its expiry), then the request it names (still open,
same subject), which is spent in the same transaction that accepts it, so a replayed token finds
it spent. Only then is the subject kind's approve/reject handler called, as the named responder.
Every refusal is written to the operator log with its reason (never the token or the secret);
an accepted answer is logged with who and when by the handler and here.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.approval_requests.post import OPEN_STATES, approval_channel
from core.approval_requests.registry import kind
from core.approval_requests.tokens import TokenRefused, verify
from core.errors import HubError
from core.store.operator_log import record
from core.store.schema import approval_requests

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.approvals")

RESPONDER_MAX = 150
NOTE_MAX = 500


@dataclass(frozen=True)
class Outcome:
    status: int  # the HTTP status the workflow's HTTP action sees (its run history shows it)
    message: str
    accepted: bool = False
    result: Mapping[str, Any] | None = None


def receive_response(hub: Hub, body: Any, *, presented_secret: str | None, client: str = "") -> Outcome:
    """Verify and apply one answer; never raises for a bad answer (it is refused and logged)."""
    body = body if isinstance(body, Mapping) else {}
    responder = _text(body.get("responder"), RESPONDER_MAX) or "unknown responder"
    channel = approval_channel(hub)
    if channel is None:
        return _refuse(hub, responder, None, "Teams approvals are not configured on this hub", 404, client)
    keys = channel.approval_keys()
    if not presented_secret:
        return _refuse(hub, responder, None, "the response carries no shared secret header", 401, client)
    if not hmac.compare_digest(presented_secret.encode(), keys.response_secret.encode()):
        return _refuse(hub, responder, None, "the response's shared secret does not match", 401, client)
    now = clock.now()
    try:
        claims = verify(keys.signing_key.encode(), body.get("token"), now=now)
    except TokenRefused as exc:
        return _refuse(hub, responder, None, str(exc), 403, client)
    try:
        approvable = kind(claims.kind)
    except HubError as exc:  # signed by this hub for a kind this process does not know
        return _refuse(hub, responder, claims.request_id, exc.message, 409, client)
    by = f"{responder} (Teams)"
    with hub.store.engine.begin() as conn:
        row = conn.execute(
            sa.select(approval_requests).where(approval_requests.c.id == claims.request_id)
        ).first()
        if row is None or (row.kind, row.subject_id) != (claims.kind, claims.subject_id):
            spent = 0
        else:
            spent = conn.execute(
                approval_requests.update()
                .where(
                    approval_requests.c.id == claims.request_id,
                    approval_requests.c.state.in_(OPEN_STATES),
                    approval_requests.c.expires_at > now,
                )
                .values(state="decided", decision=claims.decision, decided_by=by, decided_at=now)
            ).rowcount
    if row is None:
        return _refuse(hub, responder, claims.request_id, "no such approval request", 403, client)
    if not spent:
        why = (
            f"already answered: {row.decision} by {row.decided_by}"
            if row.state == "decided"
            else f"the approval request is {row.state}"
        )
        return _refuse(hub, responder, claims.request_id, f"replayed or stale decision ({why})", 409, client)
    try:
        if claims.decision == "approve":
            result = approvable.approve(hub, claims.subject_id, by)
        else:
            note = _text(body.get("note"), NOTE_MAX)
            result = approvable.reject(hub, claims.subject_id, by, note or "rejected in Teams")
    except HubError as exc:  # decided elsewhere meanwhile (the CLI, the console): say so
        with hub.store.engine.begin() as conn:
            conn.execute(
                approval_requests.update()
                .where(approval_requests.c.id == claims.request_id)
                .values(state="superseded", error=exc.message)
            )
        return _refuse(hub, responder, claims.request_id, exc.message, 409, client)
    with hub.store.engine.begin() as conn:
        record(
            conn,
            actor=by,
            action=f"teams_{claims.decision}",
            subject=f"approval_request:{claims.request_id}",
            detail={"kind": claims.kind, "subject": claims.subject_id, "client": client},
        )
    log.info("%s %s %s: %sd by %s", "approval", claims.kind, claims.subject_id, claims.decision, by)
    return Outcome(200, f"{claims.kind} {claims.subject_id}: {claims.decision}d by {by}", True, dict(result))


def _refuse(
    hub: Hub, responder: str, request_id: str | None, reason: str, status: int, client: str
) -> Outcome:
    with hub.store.engine.begin() as conn:
        record(
            conn,
            actor=f"{responder} (Teams)",
            action="teams_refused",
            subject=f"approval_request:{request_id or 'unverified'}",
            detail={"reason": reason, "status": status, "client": client},
        )
    log.warning("Teams approval response refused (%d): %s", status, reason)
    return Outcome(status, f"refused: {reason}")


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]
