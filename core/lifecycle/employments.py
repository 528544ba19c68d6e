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


def update_employment(conn: sa.Connection, person_id: str, employment: Employment, now: datetime) -> None:
    values = employment_row(person_id, employment, now)
    conn.execute(
        employments.update()
        .where(employments.c.person_id == person_id, employments.c.generation == employment.generation)
        .values({k: v for k, v in values.items() if k not in ("person_id", "generation")})
    )


def insert_employments(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """New employments in one statement (an initial load adds one per person)."""
    if rows:
        conn.execute(employments.insert(), rows)
