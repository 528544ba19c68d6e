"""The operator queues' data beyond what `core` already lists: held runs with their recent
decisions, and the ticket outbox by state."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.errors import NotFoundError
from core.status import open_holds
from core.store.engine import Store
from core.store.operator_log import recent
from core.store.schema import holds, outbox, tickets

#: intents still owed to the desk, in the order an operator should look at them
UNDELIVERED = ("dead", "failed", "pending")


def holds_page(store: Store, decided: int = 20) -> dict[str, Any]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(holds)
            .where(holds.c.state != "held")
            .order_by(holds.c.decided_at.desc().nulls_last(), holds.c.created_at.desc())
            .limit(decided)
        )
        past = [dict(r._mapping) for r in rows]
    return {"held": open_holds(store), "decided": past, "log": recent(store, kind="hold", limit=20)}


def outbox_page(store: Store, delivered: int = 20) -> dict[str, Any]:
    o = outbox
    with store.engine.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(sa.select(o.c.state, sa.func.count()).group_by(o.c.state)).all()
        )
        owed = [
            dict(r._mapping)
            for r in conn.execute(sa.select(o).where(o.c.state != "delivered").order_by(o.c.id))
        ]
        owed.sort(
            key=lambda r: UNDELIVERED.index(r["state"]) if r["state"] in UNDELIVERED else len(UNDELIVERED)
        )
        done = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(o)
                .where(o.c.state == "delivered")
                .order_by(o.c.delivered_at.desc())
                .limit(delivered)
            )
        ]
    return {"counts": counts, "owed": owed, "delivered": done, "log": recent(store, kind="outbox", limit=20)}


def outbox_entry(store: Store, intent_id: int) -> dict[str, Any]:
    """One intent with the ticket it carries."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(outbox).where(outbox.c.id == intent_id)).first()
        if row is None:
            raise NotFoundError(f"no outbox intent {intent_id}", hint="the Outbox page lists the intents")
        ticket = conn.execute(sa.select(tickets).where(tickets.c.key == row.ticket_key)).first()
    return {**row._mapping, "ticket": dict(ticket._mapping) if ticket else None}
