"""The console's actions (POST): each calls the `core` function the CLI calls, as the signed-in
Airflow user, who is recorded with the time on the object and in the operator log. Each answers
with a redirect back to its page (post/redirect/get), naming what was done."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from core.airflow.console.access import Actor
from core.airflow.console.context import current_hub
from core.approvals import approve, approve_action, find_action, reject, reject_action
from core.errors import NotFoundError
from core.resolve.review import resolve_review
from core.store.operator_log import record
from core.store.quarantine_query import dismiss
from core.tickets.dead_letter import retry_dead

router = APIRouter()


def _back(request: Request, page: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"{request.scope.get('root_path', '')}/{page}?done={quote(done)}", status_code=303
    )


@router.post("/holds/{hold_id}/approve")
def approve_hold(request: Request, hold_id: str, operator: Actor) -> RedirectResponse:
    hub = current_hub()
    result = approve(hub.store, hub.config, hold_id, by=operator.name)
    return _back(
        request,
        "approvals",
        f"hold {result['hold']} of {result['scope']}: {result['state']} by {operator.name}",
    )


@router.post("/holds/{hold_id}/reject")
def reject_hold(
    request: Request, hold_id: str, operator: Actor, note: Annotated[str, Form(max_length=500)] = ""
) -> RedirectResponse:
    result = reject(current_hub().store, hold_id, by=operator.name, note=note)
    return _back(
        request, "approvals", f"hold {result['hold']} of {result['scope']}: rejected by {operator.name}"
    )


def _known_action(action_id: str) -> None:
    """An address naming no action is a 404; one naming a decided action reaches the decision,
    which refuses it with what happened to it (a 409, never decided twice)."""
    if find_action(current_hub().store, action_id) is None:
        raise NotFoundError(f"no action {action_id!r}", hint="the Approvals page lists the actions waiting")


@router.post("/actions/{action_id}/approve")
def approve_waiting_action(request: Request, action_id: str, operator: Actor) -> RedirectResponse:
    """`hub approve ACTION`: it runs at its due moment (at once if that has passed) on the next
    delivery pass."""
    _known_action(action_id)
    result = approve_action(current_hub().store, action_id, by=operator.name)
    return _back(
        request,
        "approvals",
        f"action {result['action'][:12]} ({result['kind']} on {result['target']}): approved by "
        f"{operator.name}; it runs on the next pass once due",
    )


@router.post("/actions/{action_id}/reject")
def reject_waiting_action(
    request: Request, action_id: str, operator: Actor, note: Annotated[str, Form(max_length=500)] = ""
) -> RedirectResponse:
    """`hub actions reject`: it never runs; its ticket task stays open for a technician."""
    _known_action(action_id)
    result = reject_action(current_hub().store, action_id, by=operator.name, note=note)
    return _back(
        request,
        "approvals",
        f"action {result['action'][:12]} ({result['kind']} on {result['target']}): rejected by "
        f"{operator.name}; its task stays open for a technician",
    )


@router.post("/quarantine/{entry_id}/dismiss")
def dismiss_entry(
    request: Request, entry_id: int, operator: Actor, note: Annotated[str, Form(max_length=500)] = ""
) -> RedirectResponse:
    dismiss(current_hub().store, entry_id, by=operator.name, note=note)
    return _back(request, "quarantine", f"quarantine entry {entry_id}: dismissed by {operator.name}")


@router.post("/review/{review_id}/resolve")
def resolve_item(
    request: Request, review_id: int, operator: Actor, choice: Annotated[str, Form(max_length=100)]
) -> RedirectResponse:
    """`choice` is a candidate's entity id, or `new` for a new entity."""
    new = choice == "new"
    target = resolve_review(
        current_hub().store, review_id, entity_id=None if new else choice, new=new, by=operator.name
    )
    return _back(request, "review", f"review {review_id}: linked to {target} by {operator.name}")


@router.post("/outbox/{intent_id}/retry")
def retry_intent(request: Request, intent_id: int, operator: Actor) -> RedirectResponse:
    """A dead intent goes back to pending, attempts from 0; the next delivery pass sends it
    (looking the ticket up by its key first, so a create that did land is not repeated)."""
    store = current_hub().store
    retry_dead(store, [intent_id])
    with store.engine.begin() as conn:
        record(conn, actor=operator.name, action="retry", subject=f"outbox:{intent_id}", detail={})
    return _back(request, "outbox", f"outbox intent {intent_id}: back to pending, retried by {operator.name}")
