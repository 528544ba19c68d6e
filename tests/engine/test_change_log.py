"""The change log scales with changes, not fields: one row per entity change (one "created" row
carrying a new entity's initial values), and the lifecycle's progress is one cursor row, never a
rewrite of the change rows; `hub explain` still reads the history field by field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core import clock
from core.explain import explain
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.resolve.changes import COLUMNS, ChangeRecorder, field_changes
from core.resolve.engine import resolve
from core.store.change_cursors import LIFECYCLE, cursor_of
from core.store.schema import change_cursors, change_log
from tests.engine.staging import make_hub, person, set_today, stage


@contextmanager
def statements(hub: Hub) -> Iterator[list[str]]:
    """Every SQL statement `hub` sends inside the block."""
    sent: list[str] = []

    def hook(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        sent.append(" ".join(text.split()).upper())

    sa.event.listen(hub.store.engine, "before_cursor_execute", hook)
    try:
        yield sent
    finally:
        sa.event.remove(hub.store.engine, "before_cursor_execute", hook)


def _rows(hub: Hub) -> list[Any]:
    with hub.store.engine.connect() as conn:
        return conn.execute(sa.select(change_log).order_by(change_log.c.id)).all()


def _cursor(hub: Hub) -> int:
    with hub.store.engine.connect() as conn:
        return cursor_of(conn, LIFECYCLE)


def test_a_first_load_writes_one_created_row_per_person_with_its_initial_values(store_url: str) -> None:
    hub = make_hub(store_url)
    workers = {f"W{i}": person(f"E{i}", title=f"Title {i}") for i in range(5)}
    stage(hub, "workday", "workers", "person", workers)
    summary = resolve(hub)
    rows = _rows(hub)
    assert len(rows) == 5, "one row per new person, not one per field"
    assert {r.kind for r in rows} == {"created"}
    first = next(r for r in rows if r.changes["employee_id"] == [None, "E0"])
    assert first.changes == {name: [None, value] for name, value in person("E0", title="Title 0").items()}
    assert first.source == "workday/workers" and first.source_record_id and first.field_sources is None
    assert summary.changes == 5 * len(person("E0")), "the summary still counts field changes"


def test_a_change_is_one_row_of_just_the_fields_that_changed_with_old_and_new(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    resolve(hub)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Lead", org_unit="OPS")})
    resolve(hub)
    *_, changed = _rows(hub)
    assert changed.kind == "updated"
    assert changed.changes == {"org_unit": ["FIN", "OPS"], "title": ["Analyst", "Lead"]}
    assert changed.source == "workday/workers" and changed.run_id


def test_explain_reads_each_change_field_by_field_with_each_fields_own_source(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", location=None)})
    resolve(hub)
    stage(hub, "munis", "employees", "person", {"M1": {"employee_id": "E1", "location": "CITYHALL"}})
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Lead", location=None)})
    resolve(hub)
    history = explain(hub.store, "person", "E1")["history"]
    created = [
        (h["field"], h["old_value"], h["new_value"], h["source"]) for h in history[: len(person("E1"))]
    ]
    assert created == [(n, None, v, "workday/workers") for n, v in sorted(person("E1").items())]
    later = [(h["field"], h["old_value"], h["new_value"], h["source"]) for h in history[len(person("E1")) :]]
    assert sorted(later) == [
        ("location", None, "CITYHALL", "munis/employees"),
        ("title", "Analyst", "Lead", "workday/workers"),
    ]
    assert {h["processed"] for h in history} == {False}
    evaluate(hub)
    assert {h["processed"] for h in explain(hub.store, "person", "E1")["history"]} == {True}


def test_evaluation_moves_one_cursor_and_rewrites_no_change_row(store_url: str) -> None:
    set_today("2026-03-02")
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {f"W{i}": person(f"E{i}") for i in range(20)})
    resolve(hub)
    with statements(hub) as sent:
        evaluate(hub)
    touched = [s for s in sent if s.startswith(("UPDATE CHANGE_LOG", "DELETE FROM CHANGE_LOG"))]
    assert touched == [], "evaluation rewrites no change row"
    assert _cursor(hub) == _rows(hub)[-1].id
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(change_cursors)) == 1

    with statements(hub) as sent:
        evaluate(hub)
    assert not [s for s in sent if "CHANGE_CURSORS" in s and not s.startswith("SELECT")], (
        "nothing new: the cursor is not written"
    )


def test_a_plan_leaves_the_cursor_and_the_next_evaluation_reads_only_new_changes(store_url: str) -> None:
    set_today("2026-03-02")
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    resolve(hub)
    evaluate(hub, dry_run=True)
    assert _cursor(hub) == 0, "a plan changes nothing, not even the cursor"
    evaluate(hub)
    seen = _cursor(hub)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W2": person("E2", status="terminated", termination_date="2026-03-20")},
    )
    resolve(hub)
    result = evaluate(hub)
    assert dict(result.events) == {"open:leaver": 1}, "only E2's new change is evaluated"
    assert _cursor(hub) > seen


values = st.one_of(st.none(), st.text(max_size=5), st.integers(), st.booleans())
fields = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "title"]), values, max_size=5)
sources = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "title"]),
    st.tuples(st.sampled_from(["workday/workers", "munis/employees"]), st.integers(1, 3)),
    max_size=5,
)


@settings(deadline=None, max_examples=200)
@given(old=fields, new=fields, lineage=sources, restored=st.booleans())
def test_a_change_row_holds_exactly_the_per_field_changes_it_replaces(
    old: dict[str, Any], new: dict[str, Any], lineage: dict[str, tuple[str, int]], restored: bool
) -> None:
    """What the per-field rows said (field, old, new, source of the new value), row for row."""
    field_sources = {n: {"source": s, "record_id": r} for n, (s, r) in lineage.items() if n in new}
    recorder = ChangeRecorder("run", clock.now())
    counted = recorder.merged("person", "p", old, new, field_sources, created=not old, restored=restored)
    expected = [
        (n, old.get(n), new.get(n), *((lineage[n]) if n in field_sources else (None, None)))
        for n in sorted(set(old) | set(new))
        if old.get(n) != new.get(n)
    ] + ([("_deleted", True, False, None, None)] if restored else [])
    assert counted == len(expected)
    if not expected:
        assert recorder.rows == []
        return
    [held] = recorder.rows
    # the recorder holds the row as the driver takes it: JSON already encoded
    row = dict(zip(COLUMNS, held, strict=False))
    row["changes"], row["field_sources"] = json.loads(row["changes"]), json.loads(row["field_sources"])
    got = [
        (c.field, c.old, c.new, c.source, c.source_record_id) for c in field_changes(SimpleNamespace(**row))
    ]
    assert got == expected
