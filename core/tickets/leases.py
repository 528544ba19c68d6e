"""Claims on outbox intents, so two deliverers never send the same intent at once.

A deliverer claims one intent at a time: it writes itself as `owner` with a `lease_expires_at`
before it sends, in a transaction no other deliverer can interleave with (PostgreSQL: `SELECT ...
FOR UPDATE SKIP LOCKED`, so a second deliverer skips a row being claimed instead of waiting;
SQLite: `BEGIN IMMEDIATE`, which takes the database's write lock before reading). Whoever then
finds the intent claimed passes over it, and over every later intent of the same ticket, so a
ticket's intents still go out in order. A claim whose lease expired (the deliverer crashed or was
killed) is free again; since the sink may or may not have received the crashed send, the next
owner starts with the outbox's usual lookup by idempotency key before it creates anything.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.schema import outbox


def _host() -> str:
    return socket.gethostname()[:120]


def new_owner() -> str:
    """A name for one deliverer: host and pid for the operator, a nonce so two passes differ."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(owner: str) -> bool:
    """The owner ran on this host and its process no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != _host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def end_orphaned_leases(store: Store) -> int:
    """End now the leases of deliverers on this host whose process is gone (killed mid-send),
    so their intents need not wait out the lease; returns how many intents were freed. A lease
    held from another host only ends when it expires: its process cannot be seen from here."""
    now = clock.now()
    live = sa.and_(outbox.c.state == "pending", outbox.c.owner.is_not(None), outbox.c.lease_expires_at > now)
    with store.engine.begin() as conn:
        owners = conn.execute(sa.select(outbox.c.owner).where(live).distinct()).scalars().all()
        gone = [owner for owner in owners if owner and _gone(owner)]
        if not gone:
            return 0
        freed = conn.execute(
            outbox.update().where(live, outbox.c.owner.in_(gone)).values(lease_expires_at=now)
        )
        return int(freed.rowcount)


_EARLIER = outbox.alias("earlier")


def claimable(now: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """Pending, not leased (or the lease expired), due, and first of its ticket's pending intents."""
    earlier = _EARLIER
    return sa.and_(
        outbox.c.state == "pending",
        sa.or_(outbox.c.lease_expires_at.is_(None), outbox.c.lease_expires_at <= now),
        sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
        ~sa.exists().where(
            earlier.c.ticket_key == outbox.c.ticket_key,
            earlier.c.state == "pending",
            earlier.c.id < outbox.c.id,
        ),
    )


@contextmanager
def claim_transaction(store: Store) -> Iterator[sa.Connection]:
    """A transaction that holds the write lock from its first read (SQLite) or that row-locks
    what it selects with `FOR UPDATE` (PostgreSQL)."""
    if store.dialect != "sqlite":
        with store.engine.begin() as conn:
            yield conn
        return
    with store.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def claim_next(
    store: Store, owner: str, *, after_id: int, lease: timedelta, ticket_keys: Sequence[str] | None = None
) -> Any | None:
    """Claim the first claimable intent after `after_id` for `owner` (of `ticket_keys` only, when
    given); None when there is none.

    The row returned is the intent as it was before the claim: a non-null `owner` on it means an
    expired lease was taken over."""
    now = clock.now()
    mine = [] if ticket_keys is None else [outbox.c.ticket_key.in_(list(ticket_keys))]
    query = (
        sa.select(outbox).where(outbox.c.id > after_id, claimable(now), *mine).order_by(outbox.c.id).limit(1)
    )
    if store.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=outbox)
    with claim_transaction(store) as conn:
        intent = conn.execute(query).first()
        if intent is None:
            return None
        conn.execute(
            outbox.update().where(outbox.c.id == intent.id).values(owner=owner, lease_expires_at=now + lease)
        )
    return intent


def held_by(intent_id: int, owner: str) -> sa.ColumnElement[bool]:
    """The intent is still ours: a write guarded by this is lost (0 rows) if the lease was taken."""
    return sa.and_(outbox.c.id == intent_id, outbox.c.owner == owner, outbox.c.state == "pending")


def release(store: Store, intent_id: int, owner: str, **values: Any) -> bool:
    """Give the claim up (recording `values` with it); False if the lease was no longer ours."""
    with store.engine.begin() as conn:
        done = conn.execute(
            outbox.update()
            .where(held_by(intent_id, owner))
            .values(owner=None, lease_expires_at=None, **values)
        )
        return done.rowcount == 1
