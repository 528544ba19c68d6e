"""Rows one chunk of resolution writes: new and changed entities, their match keys and conflicts,
written together so a chunk costs one statement per table instead of several per entity.

Match keys are written as a difference: the chunk's stored keys are read in one query and only
keys that appeared are inserted and only keys that went away are deleted, so re-merging an entity
whose identifiers did not change writes no key rows at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.resolve.keys import Key
from core.resolve.rows import delete_rows, insert_rows, stored, update_rows
from core.store.schema import conflicts, match_keys

#: entities merged per round trip
APPLY_CHUNK = 500

#: columns of an entity row after its key columns, in the order `EntityWrites` holds them
BODY_COLUMNS = ("attrs", "field_sources")
CONFLICT_COLUMNS = (
    "entity",
    "entity_id",
    "field",
    "chosen_source",
    "chosen_value",
    "other_source",
    "other_value",
    "seen_at",
)


def keys_query(conn: sa.Connection, count: int) -> str:
    """The query for the match keys of `count` entities of one kind (driver SQL).

    It must seek `ix_match_keys_entity_entity_id`: the primary key serves only its `entity`
    prefix here, a scan of every key of that kind per chunk. SQLite without statistics prefers
    the primary key (it covers the query), hence INDEXED BY; PostgreSQL gets one array parameter
    and plans with the statistics resolution keeps fresh."""
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * count)
        return (
            "SELECT entity_id, rule, value FROM match_keys INDEXED BY ix_match_keys_entity_entity_id "
            f"WHERE entity = ? AND entity_id IN ({marks})"
        )
    return "SELECT entity_id, rule, value FROM match_keys WHERE entity = %s AND entity_id = ANY(%s)"


def stored_keys(conn: sa.Connection, entity: str, entity_ids: list[str]) -> dict[str, set[Key]]:
    """The match keys stored for these entities, in one query."""
    keys: dict[str, set[Key]] = defaultdict(set)
    if not entity_ids:
        return keys
    sql = keys_query(conn, len(entity_ids))
    params = (entity, *entity_ids) if conn.dialect.name == "sqlite" else (entity, list(entity_ids))
    for entity_id, rule, value in conn.exec_driver_sql(sql, params):
        keys[entity_id].add((rule, value))
    return keys


@dataclass
class EntityWrites:
    """Rows one chunk of `apply` produces, written together by `flush`.

    `inserts` and `updates` hold the values of the table's key columns, then `BODY_COLUMNS`
    (JSON already encoded); `flush` adds the timestamps."""

    key_columns: tuple[str, ...]
    #: every entity merged (whose keys and conflicts are this chunk's to rewrite)
    entity_ids: list[str] = field(default_factory=list)
    #: (id, values) of new entities
    inserts: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    #: (id, values) of changed entities; one executemany (pipelined on PostgreSQL) per chunk
    updates: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    #: entities whose last source record went away
    deletions: list[str] = field(default_factory=list)
    #: entity id -> the keys it should have after the chunk
    keys: dict[str, set[Key]] = field(default_factory=dict)
    #: (entity id, field, chosen source, chosen value, other source, other value), values encoded
    conflicts: list[tuple[Any, ...]] = field(default_factory=list)
    #: merged entities that had a row before (only these can have stored keys and conflicts)
    existing: set[str] = field(default_factory=set)
    #: person keys added or removed by this chunk (what a relink can newly reach)
    changed_keys: set[Key] = field(default_factory=set)

    def flush(self, conn: sa.Connection, entity: str, table: sa.Table, now: Any) -> None:
        at = stored(conn, now)
        columns = (*self.key_columns, *BODY_COLUMNS)
        insert_rows(
            conn,
            table,
            ("id", *columns, "created_at", "updated_at", "deleted_at"),
            [(entity_id, *values, at, at, None) for entity_id, values in self.inserts],
        )
        update_rows(
            conn,
            table,
            (*columns, "updated_at", "deleted_at"),
            ("id",),
            [(*values, at, None, entity_id) for entity_id, values in self.updates],
        )
        update_rows(
            conn,
            table,
            ("deleted_at", "updated_at"),
            ("id",),
            [(at, at, entity_id) for entity_id in self.deletions],
        )
        self._write_keys(conn, entity)
        existing = [e for e in self.entity_ids if e in self.existing]
        if existing:  # a new entity has no conflicts stored yet
            conn.execute(
                conflicts.delete().where(conflicts.c.entity == entity, conflicts.c.entity_id.in_(existing))
            )
        insert_rows(conn, conflicts, CONFLICT_COLUMNS, [(entity, *c[:6], at) for c in self.conflicts])

    def _write_keys(self, conn: sa.Connection, entity: str) -> None:
        """Insert the keys that appeared and delete those that went away (nothing when unchanged)."""
        before = stored_keys(conn, entity, [e for e in self.entity_ids if e in self.existing])
        added: list[tuple[str, str, str, str]] = []
        removed: list[tuple[str, str, str, str]] = []
        for entity_id in self.entity_ids:
            now, then = self.keys.get(entity_id, set()), before.get(entity_id, set())
            added += [(entity, rule, value, entity_id) for rule, value in sorted(now - then)]
            removed += [(entity, rule, value, entity_id) for rule, value in sorted(then - now)]
            if entity == "person":
                self.changed_keys |= now ^ then
        columns = ("entity", "rule", "value", "entity_id")
        delete_rows(conn, match_keys, columns, removed)
        insert_rows(conn, match_keys, columns, added)
