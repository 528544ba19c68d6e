"""Hand-offs between stages check what they read: a commit that lands between one stage's read and
its mark (or cursor) is left for the next pass, never marked done unseen. PostgreSQL (read committed, two
connections): each statement sees what others committed since the last one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from core import clock
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.pipeline import run_lifecycle
from core.resolve.changes import ChangeRecorder
from core.resolve.engine import resolve
from core.store.locks import StageBusy, stage_lock
from core.store.resolution_cursor import horizons
from core.store.schema import change_log, lifecycle_events, persons
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

    with just_before(hub, "UPDATE resolution_cursors", sync_commits) as fired:
        resolve(hub)
    assert fired, "the concurrent sync was committed between resolution's read and its horizon's move"
    assert _title(hub, "E1") in ("Senior Analyst", "Lead Analyst")
    assert _pending(hub) == 1, "the newer version waits"
    resolve(hub)
    assert _title(hub, "E1") == "Lead Analyst"
    assert _pending(hub) == 0
    hub.close()
    other_runner.close()


def _pending(hub: Hub) -> int:
    with hub.store.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(horizons(conn).pending())) or 0)


def _leavers(hub: Hub) -> set[str]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(lifecycle_events.c.employee_id).where(lifecycle_events.c.event_type == "leaver")
        )
        return {r.employee_id for r in rows}


@contextmanager
def just_before_commit_of(table: str, hub: Hub, elsewhere: Callable[[], None]) -> Iterator[list[str]]:
    """Run `elsewhere` once, just before `hub` commits a transaction that wrote to `table`."""
    fired: list[str] = []
    wrote: list[str] = []

    def seen(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        if text.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            wrote.append(text)

    def committing(conn: Any) -> None:
        if wrote and not fired:
            fired.append(wrote[0])
            elsewhere()

    sa.event.listen(hub.store.engine, "before_cursor_execute", seen)
    sa.event.listen(hub.store.engine, "commit", committing)
    try:
        yield fired
    finally:
        sa.event.remove(hub.store.engine, "before_cursor_execute", seen)
        sa.event.remove(hub.store.engine, "commit", committing)


@on_postgres
def test_a_change_in_flight_while_evaluation_moves_its_cursor_is_read_by_the_next(store_url: str) -> None:
    """The lifecycle keeps a cursor (the highest change id it processed), which is only safe if no
    lower id can commit after a higher one was read (`core/store/change_cursors.py`). Here a
    resolution batch is held open, its change rows written but not committed, while another
    runner tries to resolve (it must wait: the resolve stage lock makes one writer at a time) and
    an evaluation runs and moves the cursor over what is committed. The held batch's change
    commits above that cursor, so the next evaluation reads it."""
    set_today("2026-03-02")
    hub, other_runner = make_hub(store_url), make_hub(store_url, store={"lock_wait_seconds": 0.5})
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    run_lifecycle(hub)  # existing staff: no tickets, their first changes processed
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W2": person("E2", status="terminated", termination_date="2026-03-21")},
    )
    resolve(hub)  # E2's termination committed, not yet evaluated
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W1": person("E1", status="terminated", termination_date="2026-03-20")},
    )
    meanwhile: list[str] = []

    def others_run() -> None:
        stage(other_runner, "workday", "workers", "person", {"W3": person("E3")})
        with pytest.raises(StageBusy):
            resolve(other_runner)
        meanwhile.append("resolve waited")
        evaluate(other_runner)
        meanwhile.append("evaluated")

    with just_before_commit_of("change_log", hub, others_run) as fired:
        resolve(hub)
    assert fired and meanwhile == ["resolve waited", "evaluated"]
    assert _leavers(hub) == {"E2"}, "E1's change was not committed when evaluation read"
    evaluate(hub)
    assert _leavers(hub) == {"E1", "E2"}, "E1's change committed above the cursor and was read next"
    hub.close()
    other_runner.close()


def test_change_rows_are_written_only_under_the_resolve_stage_lock(store_url: str) -> None:
    hub = make_hub(store_url)
    recorder = ChangeRecorder("run", clock.now())
    recorder.merged("person", "p1", {}, {"title": "Analyst"}, {}, created=True, restored=False)
    with hub.store.engine.begin() as conn, pytest.raises(RuntimeError, match="resolve stage lock"):
        recorder.flush(conn)
    with stage_lock(hub.store, "resolve", wait_seconds=1), hub.store.engine.begin() as conn:
        recorder.flush(conn)
        assert conn.scalar(sa.select(sa.func.count()).select_from(change_log)) == 1
    hub.close()
