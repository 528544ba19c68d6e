"""Executing an action's outbox intent, inside the delivery pass (same claim, lease, stage lock,
backoff and dead letter as a ticket's intents).

Per intent: the action is read; one cancelled or rejected since it was queued is finished without
a call. Otherwise the executor's dry run is recorded as sent (`sent_at`, with the plan) before
anything goes out, then `execute()` plans again and sends only what is still needed. So an attempt
whose outcome is unknown (a timeout after sending, a crash before the result was recorded) is
never repeated blindly: the next attempt re-reads the system's state first, and the evidence says
so. Success closes the ticket's tasks the action fulfils (once every action of a task is done)
with the evidence, and queues the ticket's update; a failure leaves them open with the error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import clock
from core.actions.model import Action, Executor, Outcome, Plan
from core.actions.policy import PREPARES_ONLY
from core.errors import OutcomeUnknownError
from core.store.schema import actions, outbox, tickets
from core.tickets.dead_letter import describe_error, record_failure
from core.tickets.leases import held_by

if TYPE_CHECKING:
    from core.hub import Hub

log = logging.getLogger("hub.actions")


def action_of(row: Any) -> Action:
    params = tuple(sorted((str(k), str(v)) for k, v in (row.params or {}).items()))
    return Action(row.kind, row.instance, row.target, row.requested_at, reason=row.reason, params=params)


def plain(value: Any) -> Any:
    """JSON-safe evidence (AWS answers carry datetimes)."""
    return json.loads(json.dumps(value, default=str))


def plan_view(plan: Plan) -> dict[str, Any]:
    view = {"current": plain(plan.current), "changes": list(plan.changes)}
    return {**view, "left": list(plan.left)} if plan.left else view


def exchanges_view(outcome_exchanges: Any) -> list[dict[str, Any]]:
    return [
        {"request": e.request, "body": plain(e.body), "status": e.status, "answer": plain(e.answer)}
        for e in outcome_exchanges
    ]


class ExecutorCache:
    """One executor per (instance, kind) per pass, from the instance's connector."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.made: dict[str, dict[str, Executor]] = {}

    def get(self, instance: str, kind: str) -> Executor:
        if instance not in self.made:
            connector: Any = self.hub.connector(instance)
            self.made[instance] = connector.executors()
        return self.made[instance][kind]


def execute_intent(
    hub: Hub,
    intent: Any,
    owner: str,
    executors: ExecutorCache,
    after_remote: Callable[[str], None] | None = None,
) -> str:
    """Run one claimed `execute` intent; returns `delivered`, `skipped`, `failed`, `dead` or `lost`."""
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(actions).where(actions.c.id == intent.action_id)).first()
    # `failed`: its intent died and `hub outbox retry` revived it; anything else was decided meanwhile
    if row is None or row.state not in ("queued", "failed"):
        return "skipped" if _finish(hub, intent, owner) else "lost"
    action = action_of(row)
    unknown = row.sent_at is not None
    try:
        executor = executors.get(row.instance, row.kind)
        dry_run = executor.plan(action)
        if not _mark_sent(hub, intent, owner, row, dry_run, unknown):
            return "lost"
        outcome = executor.execute(action)
    except Exception as exc:  # one action's failure must not stop the pass
        return _failed(hub, intent, owner, row, exc)
    if after_remote is not None:
        after_remote(f"action:{row.id}")
    return "delivered" if _done(hub, intent, owner, row, outcome, unknown) else "lost"


def _finish(hub: Hub, intent: Any, owner: str) -> bool:
    with hub.store.engine.begin() as conn:
        done = conn.execute(
            outbox.update()
            .where(held_by(intent.id, owner))
            .values(state="delivered", delivered_at=clock.now(), owner=None, lease_expires_at=None)
        )
    return done.rowcount == 1


def _mark_sent(hub: Hub, intent: Any, owner: str, row: Any, plan: Plan, unknown: bool) -> bool:
    """Commit that a send is about to happen, with the dry run it acts on, while the lease is ours."""
    now = clock.now()
    attempt = {
        "attempt": row.attempts + 1,
        "at": now.isoformat(),
        "plan": plan_view(plan),
        "previous_outcome_unknown": unknown,
        "exchanges": [],
    }
    with hub.store.engine.begin() as conn:
        ours = conn.execute(outbox.update().where(held_by(intent.id, owner)).values(sent_at=now))
        if ours.rowcount != 1:
            return False
        conn.execute(
            actions.update()
            .where(actions.c.id == row.id)
            .values(
                sent_at=now, plan=attempt["plan"], evidence=[*(row.evidence or []), attempt], updated_at=now
            )
        )
    return True


def _current(conn: sa.Connection, action_id: str) -> Any:
    return conn.execute(sa.select(actions).where(actions.c.id == action_id)).one()


def _done(hub: Hub, intent: Any, owner: str, row: Any, outcome: Outcome, unknown: bool) -> bool:
    now = clock.now()
    with hub.store.engine.begin() as conn:
        done = conn.execute(
            outbox.update()
            .where(held_by(intent.id, owner))
            .values(
                state="delivered",
                attempts=intent.attempts + 1,
                delivered_at=now,
                last_error=None,
                owner=None,
                lease_expires_at=None,
                next_attempt_at=None,
            )
        )
        if done.rowcount != 1:
            return False
        evidence = list(_current(conn, row.id).evidence or [])
        evidence[-1] = {
            **evidence[-1],
            "plan": plan_view(outcome.plan),
            "exchanges": exchanges_view(outcome.exchanges),
            "result": "changed" if outcome.changed else "already as wanted: nothing sent",
        }
        conn.execute(
            actions.update()
            .where(actions.c.id == row.id)
            .values(
                state="done",
                plan=plan_view(outcome.plan),
                evidence=evidence,
                error=None,
                attempts=row.attempts + 1,
                done_at=now,
                updated_at=now,
            )
        )
        if row.reverses:
            conn.execute(
                actions.update().where(actions.c.id == row.reverses).values(state="reversed", updated_at=now)
            )
        _close_tasks(conn, row, outcome, now)
    return True


def _note(row: Any, outcome: Outcome, now: datetime) -> str:
    what = "; ".join(outcome.plan.changes) or "already as wanted, nothing sent"
    sent = ", ".join(f"{e.request} -> {e.status}" for e in outcome.exchanges) or "no request"
    left = f"; left for a technician: {'; '.join(outcome.plan.left)}" if outcome.plan.left else ""
    return f"done by the hub at {now:%Y-%m-%d %H:%M} UTC ({row.kind}, action {row.id[:12]}): {what}; {sent}{left}"


def _close_tasks(conn: sa.Connection, row: Any, outcome: Outcome, now: datetime) -> None:
    """Close each task of the ticket this action serves once every action serving it is done."""
    ticket = conn.execute(sa.select(tickets).where(tickets.c.key == row.ticket_key)).first()
    if ticket is None or ticket.state in ("closed", "cancelled"):
        return
    siblings = conn.execute(
        sa.select(actions.c.tasks, actions.c.state).where(actions.c.ticket_key == row.ticket_key)
    ).all()
    note = _note(row, outcome, now)
    changed = False
    tasks = []
    for task in ticket.tasks:
        task = dict(task)
        if task["title"] in (row.tasks or []) and task["state"] == "open":
            serving = [s.state for s in siblings if task["title"] in (s.tasks or [])]
            task["notes"] = [*task.get("notes", []), note]
            task.pop("error", None)
            finished = row.kind not in PREPARES_ONLY and not outcome.plan.left
            if finished and all(state == "done" for state in serving):
                task["state"] = "closed"
            changed = True
        tasks.append(task)
    if not changed:
        return
    conn.execute(tickets.update().where(tickets.c.key == ticket.key).values(tasks=tasks, updated_at=now))
    conn.execute(
        outbox.insert().values(
            ticket_key=ticket.key, action="update", sink=ticket.sink, state="pending", created_at=now
        )
    )


def _failed(hub: Hub, intent: Any, owner: str, row: Any, exc: Exception) -> str:
    """Keep the error (and any exchanges the refusal carried) on the action and its tasks; the
    intent backs off, or dies after `max_attempts` (then the action is `failed`)."""
    error = describe_error(exc)
    dead = record_failure(hub.store, intent, owner, exc, hub.config.tickets.delivery)
    now = clock.now()
    evidence_of_refusal = exchanges_view(getattr(exc, "evidence", ()))
    with hub.store.engine.begin() as conn:
        current = _current(conn, row.id)
        evidence = list(current.evidence or [])
        if evidence and evidence[-1].get("attempt") == row.attempts + 1:
            evidence[-1] = {**evidence[-1], "exchanges": evidence_of_refusal, "error": error}
        else:
            evidence.append({"attempt": row.attempts + 1, "at": now.isoformat(), "error": error})
        # a refusal is a known outcome; only an unknown one makes the next attempt say so
        sent_at = current.sent_at if isinstance(exc, OutcomeUnknownError) else None
        conn.execute(
            actions.update()
            .where(actions.c.id == row.id)
            .values(
                sent_at=sent_at,
                state="failed" if dead else current.state,
                error=error,
                evidence=evidence,
                attempts=row.attempts + 1,
                updated_at=now,
            )
        )
        ticket = conn.execute(sa.select(tickets).where(tickets.c.key == row.ticket_key)).first()
        if ticket is not None and ticket.state not in ("closed", "cancelled"):
            tasks = [
                {**t, "error": f"the hub's {row.kind} failed: {error}"}
                if t["title"] in (row.tasks or [])
                else t
                for t in ticket.tasks
            ]
            conn.execute(
                tickets.update().where(tickets.c.key == ticket.key).values(tasks=tasks, updated_at=now)
            )
    log.warning("action %s %s on %s failed: %s", row.id[:12], row.kind, row.target, error)
    return "dead" if dead else "failed"
