"""A person's employments: hire -> termination, a rehire opening the next generation.

The row keeps the dates events were last opened or moved for, so each evaluation compares what HR
states now (`core.lifecycle.facts`) with what was acted on: the same facts twice change nothing,
and a missed sync window still yields each event once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from core.lifecycle.dates import parse_date
from core.resolve.rows import insert_rows, select_in, stored
from core.store.schema import employments
from core.vocabulary import EmploymentState


@dataclass(frozen=True)
class Employment:
    generation: int
    hire: date | None
    termination: date | None = None
    transfer: date | None = None
    state: EmploymentState = "current"

    def but(self, **changes: Any) -> Employment:
        return replace(self, **changes)


def employments_of(
    conn: sa.Connection, person_ids: list[str]
) -> tuple[dict[str, Employment], dict[str, int]]:
    """Each person's current employment (the latest generation that was not rescinded) and their
    highest generation (a rescinded one included), in one driver query for the chunk."""
    current: dict[str, Employment] = {}
    top: dict[str, int] = {}
    rows = select_in(
        conn,
        "SELECT person_id, generation, hire_date, termination_date, transfer_date, state "
        "FROM employments WHERE person_id {ids} ORDER BY generation",
        (),
        person_ids,
    )
    for person_id, generation, hire, termination, transfer, state in rows:
        top[person_id] = generation
        if state != "rescinded":
            current[person_id] = Employment(
                generation, parse_date(hire), parse_date(termination), parse_date(transfer), state
            )
    return current, top


def employment_row(person_id: str, employment: Employment, now: datetime) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "generation": employment.generation,
        "state": employment.state,
        "hire_date": employment.hire,
        "termination_date": employment.termination,
        "transfer_date": employment.transfer,
        "updated_at": now,
    }


_KEY = ("person_id", "generation")
#: the statement `update_employments` runs once per chunk: each row's values by the column's name,
#: its key as `key_person_id` / `key_generation` (a bound name may not repeat a column's)
_UPDATE = (
    employments.update()
    .where(
        employments.c.person_id == sa.bindparam("key_person_id"),
        employments.c.generation == sa.bindparam("key_generation"),
    )
    .values({c.name: sa.bindparam(c.name) for c in employments.columns if c.name not in _KEY})
)


def update_employments(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Employments already stored, rewritten as now acted on (`employment_row`s), in one
    executemany: evaluating 1,000 leavers ran one UPDATE each, 45% of that evaluation."""
    if rows:
        conn.execute(
            _UPDATE,
            [{**row, "key_person_id": row["person_id"], "key_generation": row["generation"]} for row in rows],
        )


_COLUMNS = (
    "person_id",
    "generation",
    "state",
    "hire_date",
    "termination_date",
    "transfer_date",
    "updated_at",
)


def insert_employments(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """New employments (`employment_row`s) in one executemany through the driver: an initial load
    adds one per person, and SQLAlchemy's per-row date and timestamp processing cost more than
    the insert."""
    if not rows:
        return
    date_ = _date_processor(conn.dialect)
    values = [
        (
            row["person_id"],
            row["generation"],
            row["state"],
            date_(row["hire_date"]),
            date_(row["termination_date"]),
            date_(row["transfer_date"]),
            stored(conn, row["updated_at"]),
        )
        for row in rows
    ]
    insert_rows(conn, employments, _COLUMNS, values)


def _date_processor(dialect: sa.Dialect) -> Any:
    """How a `Date` column binds a value on this dialect (ISO text on SQLite)."""
    processor = sa.Date().bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)
