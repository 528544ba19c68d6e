"""The review queue: records that matched more than one entity wait for a person to decide."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from core import clock
from core.errors import ConfigError, NotFoundError
from core.store.engine import Store
from core.store.operator_log import record
from core.store.resolution_cursor import requeue
from core.store.schema import entity_links, review_queue, source_records


def open_reviews(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                review_queue, source_records.c.instance, source_records.c.stream, source_records.c.record_key
            )
            .join(source_records, source_records.c.id == review_queue.c.source_record_id)
            .where(review_queue.c.state == "open")
            .order_by(review_queue.c.id)
        )
        return [dict(r._mapping) for r in rows]


def resolve_review(
    store: Store, review_id: int, *, entity_id: str | None, new: bool, by: str = "operator"
) -> str:
    """Link the record to `entity_id` (one of the candidates) or to a new entity; it is re-resolved next pass."""
    with store.engine.begin() as conn:
        item = conn.execute(sa.select(review_queue).where(review_queue.c.id == review_id)).first()
        if item is None:
            raise NotFoundError(f"no review item {review_id}", hint="`hub review list` lists the open ones")
        if item.state != "open":
            raise ConfigError(f"review item {review_id} is not open", hint="see `hub review list`")
        if new == (entity_id is not None):
            raise ConfigError("choose exactly one: --entity ID (a candidate) or --new")
        if entity_id is not None and entity_id not in item.candidates:
            raise ConfigError(
                f"{entity_id} is not a candidate of review {review_id}",
                hint=f"candidates: {', '.join(item.candidates)}",
            )
        target = entity_id or str(uuid.uuid4())
        conn.execute(
            entity_links.insert().values(
                entity=item.entity,
                entity_id=target,
                source_record_id=item.source_record_id,
                rule="review",
                linked_at=clock.now(),
            )
        )
        requeue(conn, [item.source_record_id])
        conn.execute(
            review_queue.update()
            .where(review_queue.c.id == review_id)
            .values(
                state="resolved",
                resolution={"entity_id": target, "new": new, "by": by},
                resolved_at=clock.now(),
            )
        )
        record(
            conn,
            actor=by,
            action="resolve",
            subject=f"review:{review_id}",
            detail={"entity_id": target, "new": new},
        )
    return target
