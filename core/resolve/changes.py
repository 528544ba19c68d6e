"""The change log's rows: one per entity change, never one per field.

Why: a first load used to write a row per non-null field of every new entity (26 per person),
and each consumer rewrote every row to mark it processed. Now resolution writes one row per
entity it created, changed, deleted or restored: `changes` maps each changed field to
`[old, new]` (a created row carries the initial values; `_deleted` marks a deletion or a
restore), with the lineage most fields share in `source` / `source_record_id` and the fields
from another record in `field_sources`. Readers (`hub explain`, provisioning plans, the timeline)
expand a row back into the per-field history they always showed (`field_changes`).

Consumers keep their progress in `change_cursors` (`core/store/change_cursors.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.resolve.rows import insert_rows, json_text, stored
from core.store.locks import stage_held
from core.store.schema import change_log

#: the pseudo-field of a deletion (False -> True) and a restore (True -> False)
DELETED = "_deleted"

Lineage = tuple[str | None, int | None]


@dataclass(frozen=True)
class FieldChange:
    """One field of one change row, as history shows it."""

    field: str
    old: Any
    new: Any
    source: str | None
    source_record_id: int | None


def field_changes(row: Any) -> list[FieldChange]:
    """The fields a change row changed, in the order history lists them: names sorted, a
    restore's `_deleted` after the fields it brought back."""
    changes: dict[str, Any] = row.changes or {}
    exceptions: dict[str, Any] = row.field_sources or {}
    names = sorted(n for n in changes if n != DELETED) + ([DELETED] if DELETED in changes else [])
    found: list[FieldChange] = []
    for name in names:
        old, new = changes[name]
        source, record_id = exceptions.get(name, (row.source, row.source_record_id))
        found.append(FieldChange(name, old, new, source, record_id))
    return found


def history_entries(row: Any, processed: bool) -> list[dict[str, Any]]:
    """A change row as the per-field history entries `hub explain` has always returned."""
    return [
        {
            "id": row.id,
            "entity": row.entity,
            "entity_id": row.entity_id,
            "field": change.field,
            "old_value": change.old,
            "new_value": change.new,
            "source": change.source,
            "source_record_id": change.source_record_id,
            "run_id": row.run_id,
            "changed_at": row.changed_at,
            "processed": processed,
            "resolution_run": row.resolution_run,
        }
        for change in field_changes(row)
    ]


def _lineage(source: dict[str, Any] | None) -> Lineage:
    return ((source or {}).get("source"), (source or {}).get("record_id"))


#: a change-log row's columns, in the order `ChangeRecorder` holds its tuples (`changed_at` last)
COLUMNS = (
    "entity",
    "entity_id",
    "kind",
    "changes",
    "source",
    "source_record_id",
    "field_sources",
    "run_id",
    "resolution_run",
    "changed_at",
)


class ChangeRecorder:
    """Collects one resolution batch's change rows and writes them in one executemany.

    Rows are held as ready-made tuples (JSON encoded once by orjson, the timestamp converted once
    per flush) and go to the driver, not through SQLAlchemy's per-row type processing: a first
    load writes a row per entity. Every writer holds the `resolve` stage lock (`flush` refuses
    otherwise): with one writer at a time, its transactions commit in id order, which is what
    lets consumers keep a cursor (see `core/store/change_cursors.py`)."""

    def __init__(self, run_id: str, now: datetime) -> None:
        self.run_id = run_id
        self.now = now
        #: `COLUMNS` but the last (the timestamp `flush` adds)
        self.rows: list[tuple[Any, ...]] = []

    def deleted(self, entity: str, entity_id: str) -> int:
        """The entity's last source record went away."""
        self._add(entity, entity_id, "deleted", {DELETED: [False, True]}, {DELETED: (None, None)})
        return 1

    def merged(
        self,
        entity: str,
        entity_id: str,
        old: dict[str, Any],
        new: dict[str, Any],
        field_sources: dict[str, dict[str, Any]],
        *,
        created: bool,
        restored: bool,
    ) -> int:
        """The entity as merged now against what the store held; returns the fields changed
        (a row is written only when something did)."""
        if old:
            names = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
            changes: dict[str, Any] = {name: [old.get(name), new.get(name)] for name in names}
        else:  # a new entity (nothing stored before): every field with a value is a change
            changes = {name: [None, value] for name, value in sorted(new.items()) if value is not None}
            names = list(changes)
        # a merge shares one lineage object among the fields of a record: read each once
        read: dict[int, Lineage] = {}
        lineage: dict[str, Lineage] = {}
        for name in names:
            source = field_sources.get(name)
            found = read.get(id(source))
            if found is None:
                found = read[id(source)] = _lineage(source)
            lineage[name] = found
        if restored:
            changes[DELETED], lineage[DELETED] = [True, False], (None, None)
        if not changes:
            return 0
        kind = "created" if created else "restored" if restored else "updated"
        self._add(entity, entity_id, kind, changes, lineage)
        return len(changes)

    def _add(
        self, entity: str, entity_id: str, kind: str, changes: dict[str, Any], lineage: dict[str, Lineage]
    ) -> None:
        distinct = set(lineage.values())
        distinct.discard((None, None))
        if len(distinct) == 1:  # most rows: every field from one source record
            [(source, record_id)] = distinct
        elif distinct:
            counted = Counter(v for v in lineage.values() if v != (None, None))
            source, record_id = counted.most_common(1)[0][0]
        else:
            source, record_id = None, None
        exceptions = {n: list(v) for n, v in lineage.items() if v != (source, record_id)}
        self.rows.append(
            (
                entity,
                entity_id,
                kind,
                json_text(changes),
                source,
                record_id,
                json_text(exceptions or None),
                self.run_id,
                self.run_id,
            )
        )

    def flush(self, conn: sa.Connection) -> None:
        if not self.rows:
            return
        if not stage_held(conn.engine, "resolve"):
            raise RuntimeError("change-log rows are written only under the resolve stage lock")
        at = stored(conn, self.now)
        insert_rows(conn, change_log, COLUMNS, [(*row, at) for row in self.rows])
        self.rows = []
