"""What happens to an intent that fails, and how an operator sees and revives the ones that gave up.

A failure of one intent, whatever it raised, is recorded on that intent (one more attempt, the
error with credentials masked, the time it may be tried again: exponential backoff from
`tickets.delivery`) and the pass goes on with the others. After `max_attempts` the intent is
`dead`: it is no longer tried, `hub status` counts it, and `hub outbox retry` makes it pending
again with a fresh attempt count.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from core import clock
from core.clock import iso
from core.config.hub_config import DeliveryPolicy
from core.errors import ConfigError, HubError, NotFoundError
from core.http.redaction import redact_text
from core.secrets import revealed_values
from core.store.engine import Store
from core.store.schema import outbox
from core.tickets.leases import release

MAX_ERROR_CHARS = 2000


def describe_error(exc: BaseException) -> str:
    """One line for the intent's `last_error`: the hub's own message, or the type and text of
    anything else; known secret values and credential-shaped text masked."""
    text = str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
    return redact_text(" ".join(text.split()), revealed_values())[:MAX_ERROR_CHARS]


def record_failure(store: Store, intent: Any, owner: str, exc: BaseException, policy: DeliveryPolicy) -> bool:
    """Count the attempt, keep the error, schedule the next try or declare the intent dead, and
    give its lease up. Returns whether it is now dead."""
    attempts = intent.attempts + 1
    now = clock.now()
    dead = attempts >= policy.max_attempts
    values: dict[str, Any] = {"attempts": attempts, "last_error": describe_error(exc)}
    if dead:
        values |= {"state": "dead", "dead_at": now, "next_attempt_at": None}
    else:
        values["next_attempt_at"] = now + timedelta(seconds=policy.backoff(attempts))
    release(store, intent.id, owner, **values)
    return dead


def intent_view(row: Any) -> dict[str, Any]:
    """An intent as `hub outbox list|show --json` print it."""
    return {
        "id": row.id,
        "ticket_key": row.ticket_key,
        "action": row.action,
        "sink": row.sink,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "next_attempt_at": iso(row.next_attempt_at),
        "owner": row.owner,
        "lease_expires_at": iso(row.lease_expires_at),
        "delivered_at": iso(row.delivered_at),
        "dead_at": iso(row.dead_at),
    }


def list_intents(store: Store, *, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Intents, newest first (all states, or one)."""
    query = sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(outbox.c.state == state)
    with store.engine.connect() as conn:
        return [intent_view(row) for row in conn.execute(query)]


def show_intent(store: Store, intent_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(outbox).where(outbox.c.id == intent_id)).first()
    if row is None:
        raise NotFoundError(
            f"no outbox intent {intent_id}", hint="`hub outbox list` shows the intents and their ids"
        )
    return intent_view(row)


def retry_dead(store: Store, intent_ids: list[int] | None = None) -> list[int]:
    """Make dead intents pending again (all of them when `intent_ids` is None), attempts from 0.
    Naming an intent that is not dead is an error: only the outbox decides when a live one goes."""
    with store.engine.begin() as conn:
        query = sa.select(outbox.c.id, outbox.c.state).where(outbox.c.state == "dead")
        if intent_ids is not None:
            query = sa.select(outbox.c.id, outbox.c.state).where(outbox.c.id.in_(intent_ids))
        rows = conn.execute(query.order_by(outbox.c.id)).all()
        if intent_ids is not None:
            known = {r.id: r.state for r in rows}
            missing = [i for i in intent_ids if i not in known]
            if missing:
                raise NotFoundError(
                    f"no outbox intent {', '.join(map(str, missing))}",
                    hint="`hub outbox list --state dead` shows the dead intents and their ids",
                )
            live = [f"{i} ({known[i]})" for i in intent_ids if known[i] != "dead"]
            if live:
                raise ConfigError(
                    f"outbox intent {', '.join(live)} is not dead; only dead intents can be retried",
                    hint="a pending intent is retried by the next delivery pass on its own",
                )
        ids = [r.id for r in rows]
        if ids:
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(ids), outbox.c.state == "dead")
                .values(state="pending", attempts=0, next_attempt_at=None, dead_at=None)
            )
    return ids


def outbox_counts(store: Store) -> dict[str, int]:
    """Intents per state (`hub status`): pending, delivered, dead."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state))
        counts = {"pending": 0, "delivered": 0, "dead": 0}
        counts.update({state: int(n) for state, n in rows})
        return counts
