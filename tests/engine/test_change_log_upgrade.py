"""A store written by a hub that kept one change-log row per field upgrades to one row per change:
`hub explain` shows the same history, the lifecycle evaluates exactly what was left unprocessed
(a change processed ahead by provisioning is not evaluated twice), and events still name the
changes that caused them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.dialects import postgresql

from core import clock
from core.explain import explain
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.store.change_cursors import LIFECYCLE, cursor_of
from core.store.engine import _alembic_config, connect_store
from core.store.schema import change_log, change_processed_ahead, lifecycle_events, persons
from tests.engine.staging import make_hub, person, set_today, stage

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: change_log as hubs before revision 0006 wrote it
per_field = sa.table(
    "change_log",
    sa.column("id", sa.Integer),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("field", sa.String),
    sa.column("old_value", JSON),
    sa.column("new_value", JSON),
    sa.column("source", sa.String),
    sa.column("source_record_id", sa.Integer),
    sa.column("run_id", sa.String),
    sa.column("changed_at", sa.DateTime(timezone=True)),
    sa.column("processed", sa.Boolean),
    sa.column("resolution_run", sa.String),
)


def _attrs(employee_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "employee_id": employee_id,
        "given_name": "Ana",
        "status": "active",
        "hire_date": "2026-03-09",
        "title": "Analyst",
        **fields,
    }


class OldResolution:
    """Writes what the per-field resolution wrote: a row per changed field, sorted by name."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.ids: dict[tuple[str, str], int] = {}

    def person(self, person_id: str, attrs: dict[str, Any], at: datetime) -> None:
        self.conn.execute(
            persons.insert().values(
                id=person_id, employee_id=attrs["employee_id"], status=attrs["status"], attrs=attrs,
                field_sources={n: {"source": "workday/workers", "record_id": 7} for n in attrs},
                created_at=at, updated_at=at,
            )
        )  # fmt: skip

    def changes(
        self,
        person_id: str,
        old: dict[str, Any],
        new: dict[str, Any],
        run: str,
        at: datetime,
        processed: bool,
    ) -> None:
        for name in sorted(set(old) | set(new)):
            if old.get(name) == new.get(name):
                continue
            source = "munis/employees" if name == "title" and old else "workday/workers"
            self.ids[(person_id, name)] = self.conn.execute(
                per_field.insert().values(
                    entity="person", entity_id=person_id, field=name, old_value=old.get(name),
                    new_value=new.get(name), source=source, source_record_id=7 if "workday" in source else 9,
                    run_id=run, changed_at=at, processed=processed, resolution_run=run,
                ).returning(per_field.c.id)
            ).scalar_one()  # fmt: skip


def test_an_upgraded_store_explains_and_evaluates_as_before(store_url: str) -> None:
    set_today("2026-03-02")
    old_store = connect_store(store_url)
    command.upgrade(_alembic_config(old_store.engine), "0005_operator_actions")
    now = clock.now()
    earlier = now - timedelta(days=1)
    with old_store.engine.begin() as conn:
        old = OldResolution(conn)
        e1 = _attrs("E1", title="Lead", org_unit="OPS")
        old.person("p1", e1, earlier)
        old.changes("p1", {}, _attrs("E1", org_unit="FIN"), "r1", earlier, processed=True)
        old.changes("p1", _attrs("E1", org_unit="FIN"), e1, "r2", now, processed=True)
        old.person("p2", _attrs("E2"), now)
        old.changes("p2", {}, _attrs("E2"), "r3", now, processed=False)
        old.person("p3", _attrs("E3"), now)  # provisioned on demand: processed ahead
        old.changes("p3", {}, _attrs("E3"), "r4", now, processed=True)
        mover_ids = [old.ids[("p1", "org_unit")], old.ids[("p1", "title")]]
        conn.execute(
            lifecycle_events.insert().values(
                id="ev1", person_id="p1", employee_id="E1", event_type="mover", identity="mover-e1-c1",
                state="done", change_ids=mover_ids, detected_at=now, updated_at=now,
            )
        )  # fmt: skip
    old_store.dispose()

    hub = make_hub(store_url)  # opening the store upgrades it to head
    with hub.store.engine.connect() as conn:
        rows = conn.execute(sa.select(change_log).order_by(change_log.c.id)).all()
        assert [(r.entity_id, r.kind) for r in rows] == [
            ("p1", "created"),
            ("p1", "updated"),
            ("p2", "created"),
            ("p3", "created"),
        ], "one row per change"
        assert rows[1].id == old.ids[("p1", "org_unit")], "a change keeps its first field's id"
        assert rows[1].changes == {"org_unit": ["FIN", "OPS"], "title": ["Analyst", "Lead"]}
        assert rows[1].field_sources == {"title": ["munis/employees", 9]}
        assert cursor_of(conn, LIFECYCLE) == rows[2].id - 1, "the cursor stops below the first unprocessed"
        ahead = conn.scalars(sa.select(change_processed_ahead.c.change_id)).all()
        assert ahead == [rows[3].id]
        assert conn.scalar(sa.select(lifecycle_events.c.change_ids)) == [rows[1].id]

    history = [
        (h["field"], h["old_value"], h["new_value"], h["source"], h["run_id"])
        for h in explain(hub.store, "person", "E1")["history"]
    ]
    assert history == [
        *((n, None, v, "workday/workers", "r1") for n, v in sorted(_attrs("E1", org_unit="FIN").items())),
        ("org_unit", "FIN", "OPS", "workday/workers", "r2"),
        ("title", "Analyst", "Lead", "munis/employees", "r2"),
    ], "the same history, field by field"

    result = evaluate(hub)
    assert dict(result.events) == {"open:joiner": 1}
    with hub.store.engine.connect() as conn:
        joiners = conn.scalars(
            sa.select(lifecycle_events.c.employee_id).where(lifecycle_events.c.event_type == "joiner")
        ).all()
        assert joiners == ["E2"], "only the unprocessed change is evaluated, the one processed ahead is not"
        assert cursor_of(conn, LIFECYCLE) == rows[-1].id
        assert conn.scalars(sa.select(change_processed_ahead.c.change_id)).all() == []
    hub.close()


def test_a_downgrade_gives_back_one_row_per_field_with_its_processed_state(sqlite_url: str) -> None:
    set_today("2026-03-02")
    hub = make_hub(sqlite_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    resolve(hub)
    evaluate(hub)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Lead")})
    resolve(hub)
    expected = [
        (h["field"], h["old_value"], h["new_value"], h["source"], h["processed"])
        for employee_id in ("E1", "E2")
        for h in explain(hub.store, "person", employee_id)["history"]
    ]
    hub.close()

    store = connect_store(sqlite_url)
    command.downgrade(_alembic_config(store.engine), "0005_operator_actions")
    with store.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(persons.c.id, persons.c.employee_id)).all())
        rows = conn.execute(sa.select(per_field).order_by(per_field.c.id)).all()
        got = [
            (r.field, r.old_value, r.new_value, r.source, r.processed)
            for employee_id in ("E1", "E2")
            for r in sorted(
                (r for r in rows if ids[r.entity_id] == employee_id),
                key=lambda r: (r.run_id != rows[0].run_id, r.field),
            )
        ]
    store.dispose()
    assert got == expected
    assert len(rows) == len(expected), "one row per field again"
