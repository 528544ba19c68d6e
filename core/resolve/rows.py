"""Resolution's hot writes as ready-made tuples: one driver `executemany` per table per chunk.

A first load writes several rows per person (the entity, its links and match keys). Handed to
SQLAlchemy as dicts, each row went through per-row type processing (`json.dumps` for JSON
columns, the `UTCDateTime` type) and that, not the database, was most of resolution's time.
Here JSON is encoded once with orjson (`core.store.encoding.json_text`, the text a JSON column
stores) and a timestamp is converted to its stored form once per chunk (`stored`), then the rows
go to the driver through `exec_driver_sql`: still one statement in SQLAlchemy's events (tests
count them), no type processing per row.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from core.store.encoding import json_text
from core.store.schema import TS

__all__ = ["delete_rows", "insert_rows", "json_text", "linked_rows", "stored", "update_rows"]


def _marker(conn: sa.Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def stored(conn: sa.Connection, value: datetime | None) -> Any:
    """`value` as a timestamp column stores it on this dialect (the column type's own processing)."""
    if value is None:
        return None
    processor = _timestamp_processor(conn.dialect)
    return processor(value) if processor else value


@functools.cache
def _timestamp_processor(dialect: sa.Dialect) -> Any:
    return TS.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT every row (values in `columns` order) in one executemany."""
    if not rows:
        return
    mark = _marker(conn)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})",
        rows,
    )


def update_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    where: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """UPDATE `columns` of the row each tuple's trailing `where` values identify, in one executemany."""
    if not rows:
        return
    mark = _marker(conn)
    assignments = ", ".join(f"{c} = {mark}" for c in columns)
    condition = " AND ".join(f"{c} = {mark}" for c in where)
    conn.exec_driver_sql(f"UPDATE {table.name} SET {assignments} WHERE {condition}", rows)


def delete_rows(
    conn: sa.Connection, table: sa.Table, where: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """DELETE the rows whose `where` columns equal each tuple, in one executemany."""
    if not rows:
        return
    mark = _marker(conn)
    condition = " AND ".join(f"{c} = {mark}" for c in where)
    conn.exec_driver_sql(f"DELETE FROM {table.name} WHERE {condition}", rows)


def linked_rows(conn: sa.Connection, entity: str, entity_ids: list[str]) -> Iterator[tuple[Any, ...]]:
    """(entity id, record id, instance, stream, fragment, last changed at, content hash) of the live
    source records linked to these entities, in one query; the fragment decoded, the timestamp aware.

    Read through the driver: SQLAlchemy's JSON and timestamp result processing per row cost more
    than the query (on SQLite the fragment is JSON text, decoded here by orjson)."""
    if not entity_ids:
        return
    columns = (
        "SELECT l.entity_id, r.id, r.instance, r.stream, r.fragment, r.last_changed_at, r.content_hash "
        "FROM source_records r JOIN entity_links l ON l.source_record_id = r.id "
    )
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql(
            columns + "WHERE l.entity = %s AND l.entity_id = ANY(%s) AND r.deleted_at IS NULL",
            (entity, list(entity_ids)),
        )
        yield from (tuple(row) for row in found)
        return
    marks = ", ".join("?" * len(entity_ids))
    found = conn.exec_driver_sql(
        columns + f"WHERE l.entity = ? AND l.entity_id IN ({marks}) AND r.deleted_at IS NULL",
        (entity, *entity_ids),
    )
    for entity_id, record_id, instance, stream, fragment, changed_at, content_hash in found:
        yield (
            entity_id,
            record_id,
            instance,
            stream,
            json_value(fragment),
            _aware(changed_at),
            content_hash,
        )


#: a number orjson would read as a float (it keeps integers to 64 bits)
_LONG_NUMBER = re.compile(r"\d{19}")


def json_value(text: str | None) -> Any:
    """A JSON column's stored text decoded as SQLAlchemy's `json.loads` would decode it: orjson
    when it reads the same (no integer past 64 bits, no NaN or Infinity), else the standard library."""
    if text is None:
        return None
    if not _LONG_NUMBER.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _aware(value: Any) -> datetime | None:
    """A stored SQLite timestamp as `UTCDateTime` returns it (aware, UTC)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
