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


def current_employments(conn: sa.Connection, person_ids: list[str]) -> dict[str, Employment]:
    """Each person's current employment (the latest generation that was not rescinded)."""
    found: dict[str, Employment] = {}
    rows = conn.execute(
        sa.select(employments)
        .where(employments.c.person_id.in_(person_ids), employments.c.state != "rescinded")
        .order_by(employments.c.generation)
    )
    for row in rows:
        found[row.person_id] = Employment(
            row.generation, row.hire_date, row.termination_date, row.transfer_date, row.state
        )
    return found


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
    .values({c.name: sa.bindparam(c.name) for c in employments.columns if c.name not in (*_KEY, "id")})
)


def update_employments(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Employments already stored, rewritten as now acted on (`employment_row`s), in one
    executemany: evaluating 1,000 leavers ran one UPDATE each, 45% of that evaluation."""
    if rows:
        conn.execute(
            _UPDATE,
            [{**row, "key_person_id": row["person_id"], "key_generation": row["generation"]} for row in rows],
        )


def insert_employments(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """New employments in one statement (an initial load adds one per person)."""
    if rows:
        conn.execute(employments.insert(), rows)
