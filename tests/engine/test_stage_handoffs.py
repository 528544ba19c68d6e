"""Hand-offs between stages check what they read: a commit that lands between one stage's read and
its mark is left for the next pass, never marked done unseen. PostgreSQL (read committed, two
connections): each statement sees what others committed since the last one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.hub import Hub
from core.lifecycle.engine import evaluate, id_runs
from core.pipeline import run_lifecycle
from core.resolve.engine import resolve
from core.store.schema import change_log, lifecycle_events, persons, source_records
from tests.engine.staging import make_hub, person, set_today, stage

on_postgres = pytest.mark.parametrize("store_url", ["postgres"], indirect=True)


@contextmanager
def just_before(hub: Hub, statement: str, commit_elsewhere: Callable[[], None]) -> Iterator[list[str]]:
    """Run `commit_elsewhere` (on other connections) once, just before `hub` sends `statement`."""
    fired: list[str] = []

    def hook(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        if not fired and text.lstrip().upper().startswith(statement.upper()):
            fired.append(text)
            commit_elsewhere()

    sa.event.listen(hub.store.engine, "before_cursor_execute", hook)
    try:
        yield fired
    finally:
        sa.event.remove(hub.store.engine, "before_cursor_execute", hook)


def _title(hub: Hub, employee_id: str) -> str:
    with hub.store.engine.connect() as conn:
        attrs = conn.scalar(sa.select(persons.c.attrs).where(persons.c.employee_id == employee_id))
    return str(attrs["title"])


@on_postgres
def test_a_sync_committed_while_resolution_runs_is_merged_by_the_next_pass(store_url: str) -> None:
    hub, other_runner = make_hub(store_url), make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Analyst")})
    resolve(hub)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Senior Analyst")})

    def sync_commits() -> None:
        stage(other_runner, "workday", "workers", "person", {"W1": person("E1", title="Lead Analyst")})

    with just_before(hub, "UPDATE source_records SET resolved", sync_commits) as fired:
        resolve(hub)
    assert fired, "the concurrent sync was committed between resolution's read and its mark"
    assert _title(hub, "E1") in ("Senior Analyst", "Lead Analyst")
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(source_records.c.resolved)) is False, "the newer version waits"
    resolve(hub)
    assert _title(hub, "E1") == "Lead Analyst"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(source_records.c.resolved)) is True
    hub.close()
    other_runner.close()


def _terminate(conn: sa.Connection, employee_id: str, day: str) -> None:
    """What resolution writes for a termination: the person's new attrs and their change rows."""
    row = conn.execute(sa.select(persons).where(persons.c.employee_id == employee_id)).one()
    attrs = {**row.attrs, "termination_date": day, "status": "terminated"}
    conn.execute(persons.update().where(persons.c.id == row.id).values(attrs=attrs))
    for field, old in (("termination_date", None), ("status", row.attrs["status"])):
        conn.execute(
            change_log.insert().values(
                entity="person",
                entity_id=row.id,
                field=field,
                old_value=old,
                new_value=attrs[field],
                changed_at=sa.func.now(),
            )
        )


def _leavers(hub: Hub) -> set[str]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(lifecycle_events.c.employee_id).where(lifecycle_events.c.event_type == "leaver")
        )
        return {r.employee_id for r in rows}


@on_postgres
def test_a_change_committed_out_of_id_order_is_not_marked_processed_unread(store_url: str) -> None:
    set_today("2026-03-02")
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    run_lifecycle(hub)  # existing staff: no tickets, their first changes processed
    writer = sa.create_engine(hub.store.engine.url)
    slow, fast = writer.connect(), writer.connect()
    slow.begin()
    _terminate(slow, "E1", "2026-03-20")  # takes the lower change-log ids, commits last
    with fast.begin():
        _terminate(fast, "E2", "2026-03-21")

    with just_before(hub, "UPDATE change_log", slow.commit) as fired:
        evaluate(hub)
    assert fired
    assert _leavers(hub) == {"E2"}, "E1's change was not visible when evaluation read"
    with hub.store.engine.connect() as conn:
        waiting = conn.scalars(
            sa.select(change_log.c.processed).where(change_log.c.field == "termination_date")
        )
        assert sorted(waiting) == [False, True], "E1's change waits for the next evaluation"
    evaluate(hub)
    assert _leavers(hub) == {"E1", "E2"}
    slow.close()
    fast.close()
    writer.dispose()
    hub.close()


@settings(deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=400), max_size=120))
def test_processed_marks_cover_exactly_the_ids_read(ids: list[int]) -> None:
    """Evaluation marks runs of consecutive ids as ranges: no id outside what was read."""
    covered = [i for first, last in id_runs(ids) for i in range(first, last + 1)]
    assert covered == sorted(set(ids))
