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
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.store.encoding import json_text
from core.store.schema import TS

__all__ = ["delete_rows", "insert_rows", "json_text", "stored", "update_rows"]


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
