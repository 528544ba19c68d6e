"""Rows one chunk of resolution writes: new entities, their match keys and conflicts, written
together so a chunk costs a handful of statements instead of several per entity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.store.schema import conflicts, match_keys

#: entities merged per round trip
APPLY_CHUNK = 500


def delete_keys_of(entity: str, entity_ids: list[str]) -> sa.Delete:
    """The match keys of these entities (seeks `ix_match_keys_entity_entity_id`, chunk by chunk)."""
    return match_keys.delete().where(match_keys.c.entity == entity, match_keys.c.entity_id.in_(entity_ids))


@dataclass
class EntityWrites:
    """Rows one chunk of `apply` produces, written together by `flush`."""

    entity_ids: list[str] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    #: changed rows, each with `_id`; one executemany (pipelined on PostgreSQL) per chunk
    updates: list[dict[str, Any]] = field(default_factory=list)
    #: entities whose last source record went away
    deletions: list[str] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, conn: sa.Connection, entity: str, table: sa.Table, now: Any) -> None:
        if self.inserts:
            conn.execute(table.insert(), self.inserts)
        if self.updates:
            columns = [c for c in self.updates[0] if c != "_id"]
            statement = (
                table.update()
                .where(table.c.id == sa.bindparam("_id"))
                .values({c: sa.bindparam(c) for c in columns})
            )
            conn.execute(statement, self.updates)
        if self.deletions:
            conn.execute(
                table.update().where(table.c.id.in_(self.deletions)).values(deleted_at=now, updated_at=now)
            )
        if self.entity_ids:  # match keys and conflicts are rewritten for every entity merged
            conn.execute(delete_keys_of(entity, self.entity_ids))
            conn.execute(
                conflicts.delete().where(
                    conflicts.c.entity == entity, conflicts.c.entity_id.in_(self.entity_ids)
                )
            )
        if self.keys:
            conn.execute(match_keys.insert(), self.keys)
        if self.conflicts:
            conn.execute(conflicts.insert(), self.conflicts)
