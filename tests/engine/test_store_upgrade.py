"""Upgrading a store keeps what staging and resolution rely on: records staged by an older hub are
still recognised as unchanged, and the deletes resolution issues seek an index."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import command

from core import clock
from core.resolve.writes import keys_query
from core.store.engine import _alembic_config, connect_store, open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.resolution_cursor import horizons
from core.store.schema import source_records
from tests.engine.staging import person


def _legacy_hash(payload: Any, fragment: Any) -> str:
    """How hubs before revision 0005_perf_indexes hashed a staged record."""
    blob = json.dumps([payload, fragment], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _records() -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
    found: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for i in range(5):
        fragment = person(f"E{i}", family_name="Peña" if i == 1 else "Ruiz", fte=0.5 if i == 2 else 1)
        found[f"E{i}"] = ({"Employee_ID": f"E{i}", "Nested": {"b": [1, 2.25], "a": None}}, fragment)
    found["E9"] = ({"Employee_ID": "E9"}, None)  # staged without a mapping
    return found


def test_records_staged_before_the_upgrade_stay_unchanged_after_it(store_url: str) -> None:
    old = connect_store(store_url)
    command.upgrade(_alembic_config(old.engine), "0004")
    now = clock.now()
    # the table as revision 0004 has it (a `resolved` flag where later revisions keep a stamp)
    legacy = sa.table(
        "source_records",
        *(sa.column(c.name, c.type) for c in source_records.c if c.name != "staged_seq"),
        sa.column("resolved", sa.Boolean),
    )
    with old.engine.begin() as conn:
        for key, (payload, fragment) in _records().items():
            conn.execute(
                legacy.insert().values(
                    instance="workday", stream="workers", record_key=key, entity="person",
                    content_hash=_legacy_hash(payload, fragment), payload=payload, fragment=fragment,
                    first_seen_at=now, last_changed_at=now, last_run_id="old", resolved=key != "E4",
                )
            )  # fmt: skip
    old.dispose()

    store = open_store(store_url)  # upgrades to head
    with store.engine.connect() as conn:
        pending = conn.scalars(sa.select(source_records.c.record_key).where(horizons(conn).pending())).all()
    assert pending == ["E4"], "what was resolved stays resolved, what was not stays pending"
    writer = RecordWriter(store, "workday", "workers", "", "after-upgrade")
    records = _records()
    records["E3"][1]["title"] = "Lead"  # one changed in the source meanwhile
    staged = [StagedRecord(k, p, "person", f, content_hash(p, f)) for k, (p, f) in records.items()]
    writer.write_batch(staged)

    counts = writer.counts
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 5)
    with store.engine.connect() as conn:
        rewritten = conn.scalars(
            sa.select(source_records.c.record_key).where(source_records.c.last_run_id == "after-upgrade")
        ).all()
    assert rewritten == ["E3"]
    with store.engine.connect() as conn:
        pending = conn.scalars(sa.select(source_records.c.record_key).where(horizons(conn).pending())).all()
    assert sorted(pending) == ["E3", "E4"]


def test_resolution_reads_an_entitys_match_keys_through_the_entity_id_index(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with store.engine.connect() as conn:
        query = keys_query(conn, 3)
        found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", ("person", "p1", "p2", "p3"))
        plan = " ".join(row[-1] for row in found)
    assert "ix_match_keys_entity_entity_id (entity=? AND entity_id=?)" in plan


def test_a_new_sqlite_store_has_16k_pages_and_an_older_store_keeps_its_own(tmp_path: Any) -> None:
    """A 2 KB person row fills a 16 KB page eight to one, where a 4 KB page held one; a store made
    with SQLite's default keeps working with its 4 KB pages (the pragma cannot change them)."""
    new = open_store(f"sqlite:///{tmp_path / 'new.db'}")
    with new.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 16384
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    new.dispose()
    old_path = tmp_path / "old.db"
    plain = sa.create_engine(f"sqlite:///{old_path}")
    with plain.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.exec_driver_sql("CREATE TABLE before_the_hub (x INTEGER)")
    plain.dispose()
    old = open_store(f"sqlite:///{old_path}")
    with old.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert conn.exec_driver_sql("SELECT count(*) FROM persons").scalar() == 0, "migrated and usable"
    old.dispose()
