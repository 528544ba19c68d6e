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
from collections import namedtuple
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa

from core.store.encoding import json_text
from core.store.resolution_cursor import Horizons
from core.store.schema import TS

__all__ = [
    "change_rows",
    "delete_rows",
    "entity_rows",
    "insert_rows",
    "json_text",
    "linked_rows",
    "pending_rows",
    "select_in",
    "stored",
    "update_rows",
]


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


#: bound values per multi-row statement on PostgreSQL (its protocol allows 65,535)
PG_VALUES_PER_STATEMENT = 30_000


def insert_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT every row (values in `columns` order): on SQLite one executemany of one prepared
    statement; on PostgreSQL one multi-row INSERT per 30,000 values (one round trip, where a
    pipelined executemany still costs the server a statement per row)."""
    if not rows:
        return
    mark = _marker(conn)
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join(mark for _ in columns) + ")"
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(head + one, rows)
        return
    per_statement = max(1, PG_VALUES_PER_STATEMENT // len(columns))
    for start in range(0, len(rows), per_statement):
        some = rows[start : start + per_statement]
        conn.exec_driver_sql(head + ", ".join(one for _ in some), tuple(v for row in some for v in row))


def update_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    where: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """UPDATE `columns` of the row each tuple's trailing `where` values identify, in one executemany
    (pipelined on PostgreSQL: an `UPDATE … FROM (VALUES …)` was planned as a scan of the table)."""
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
    found = select_in(
        conn,
        "SELECT l.entity_id, r.id, r.instance, r.stream, r.fragment, r.last_changed_at, r.content_hash "
        "FROM source_records r JOIN entity_links l ON l.source_record_id = r.id "
        "WHERE l.entity = {p} AND r.deleted_at IS NULL AND l.entity_id {ids}",
        (entity,),
        entity_ids,
    )
    if conn.dialect.name == "postgresql":
        yield from (tuple(row) for row in found)
        return
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


#: integers at or past this come back from orjson as floats (it keeps 64 bits)
_WIDE = 2**63


def json_value(text: str | None) -> Any:
    """A JSON column's stored text decoded as SQLAlchemy's `json.loads` would decode it: orjson
    when it reads the same (no integer past 64 bits, no NaN or Infinity), else the standard library."""
    if text is None:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return value if _exact(value) else json.loads(text)


def _exact(value: Any) -> bool:
    """No float as large as an integer orjson would have widened (such a float is re-read)."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return kind is not float or abs(value) < _WIDE
    for item in items:
        kind = type(item)
        if kind is float:
            if abs(item) >= _WIDE:
                return False
        elif (kind is dict or kind is list) and not _exact(item):
            return False
    return True


class PendingRow(NamedTuple):
    """What a resolution pass reads of each pending source record."""

    id: int
    instance: str
    stream: str
    record_key: str
    fragment: Any
    deleted_at: datetime | None
    content_hash: str
    staged_seq: int
    last_changed_at: datetime | None


def pending_rows(
    conn: sa.Connection, entity: str, horizons: Horizons, after: tuple[int, int] | None, limit: int
) -> list[Any]:
    """The next `limit` pending records of one entity after (stamp, id) `after`, in that order: a
    seek of `ix_source_records_pending`, read through the driver (the fragment decoded by orjson
    on SQLite, timestamps made aware) without SQLAlchemy's per-row processing."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    params: tuple[int, ...] = (horizons.lowest,)
    page = f"staged_seq >= {mark}"
    if after is not None:
        page, params = f"(staged_seq, id) > ({mark}, {mark})", after
    pending, values = horizons.pending_sql(mark)
    found = conn.exec_driver_sql(
        f"SELECT {', '.join(PendingRow._fields)} FROM source_records WHERE entity = {mark} AND {page} "
        f"AND {pending} ORDER BY staged_seq, id LIMIT {int(limit)}",
        (entity, *params, *values),
    )
    return [
        PendingRow(
            record_id,
            instance,
            stream,
            key,
            fragment if postgres else json_value(fragment),
            _aware(deleted_at),
            content_hash,
            staged_seq,
            _aware(changed_at),
        )
        for record_id, instance, stream, key, fragment, deleted_at, content_hash, staged_seq, changed_at in found
    ]


@functools.cache
def _row_type(name: str, columns: tuple[str, ...]) -> Any:
    return namedtuple(f"{name}_row", columns)


def entity_rows(
    conn: sa.Connection, table: sa.Table, ids: list[str], columns: Sequence[str] | None = None
) -> dict[str, Any]:
    """The stored rows of these entities by id, in one query, as rows with the table's columns (or
    `columns` of them, `id` first) as attributes: JSON decoded and timestamps aware, as
    SQLAlchemy's select returns them, without its per-row processing (a chunk's current rows are
    read on every re-merge, and by every evaluation)."""
    if not ids:
        return {}
    chosen = [table.c[name] for name in columns] if columns else list(table.columns)
    names = [c.name for c in chosen]
    postgres = conn.dialect.name == "postgresql"
    found = select_in(conn, f"SELECT {', '.join(names)} FROM {table.name} WHERE id {{ids}}", (), ids)
    decoders = [_decoder(c, postgres) for c in chosen]
    row_type = _row_type(table.name, tuple(names))
    rows = (
        row_type(
            *(value if decode is None else decode(value) for decode, value in zip(decoders, row, strict=True))
        )
        for row in found
    )
    return {row.id: row for row in rows}


def select_in(conn: sa.Connection, sql: str, params: Sequence[Any], ids: Sequence[str]) -> Any:
    """Run `sql` through the driver with `{p}` as each of `params`' marks and `{ids}` as the
    condition "is one of `ids`" (which must come after every `{p}`): `IN (?, …)` on SQLite,
    `= ANY(%s)` on PostgreSQL. A chunk's reads go this way because SQLAlchemy renders an
    expanding IN of 500 values again on every execution."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(sql.format(p="%s", ids="= ANY(%s)"), (*params, list(ids)))
    marks = ", ".join("?" * len(ids))
    return conn.exec_driver_sql(sql.format(p="?", ids=f"IN ({marks})"), (*params, *ids))


class ChangeRow(NamedTuple):
    id: int
    entity_id: str
    changes: Any


def change_rows(
    conn: sa.Connection, entity: str, entity_ids: list[str], above: int, upto: int
) -> list[ChangeRow]:
    """The change-log rows of these entities with `above < id <= upto`, oldest first, `changes`
    decoded (orjson on SQLite; psycopg decodes JSONB itself): evaluation reads every change row
    of a first load, and SQLAlchemy's JSON type decoding them was a third of its time."""
    if not entity_ids:
        return []
    found = select_in(
        conn,
        "SELECT id, entity_id, changes FROM change_log "
        "WHERE entity = {p} AND id > {p} AND id <= {p} AND entity_id {ids} ORDER BY id",
        (entity, above, upto),
        entity_ids,
    )
    if conn.dialect.name == "postgresql":
        return [ChangeRow(*row) for row in found]
    return [ChangeRow(i, entity_id, json_value(changes)) for i, entity_id, changes in found]


def _decoder(column: sa.Column[Any], postgres: bool) -> Any:
    """How a driver value of this column becomes what SQLAlchemy's select would return."""
    if isinstance(column.type, sa.types.TypeDecorator):  # UTCDateTime
        return _aware
    if isinstance(column.type, sa.JSON) and not postgres:
        return json_value
    if isinstance(column.type, sa.Boolean) and not postgres:
        return lambda value: None if value is None else bool(value)
    return None


def _aware(value: Any) -> datetime | None:
    """A stored SQLite timestamp as `UTCDateTime` returns it (aware, UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
