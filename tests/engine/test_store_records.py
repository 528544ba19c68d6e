"""The store stages records idempotently and commits state with the data it covers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.config.hub_config import StreamPolicy
from core.status import hub_status
from core.store.records import QuarantinedRecord, RecordWriter, StagedRecord, content_hash, load_state
from core.store.resolution_cursor import horizons
from core.store.schema import quarantine, source_records
from core.store.snapshots import finish_snapshot
from tests.engine.staging import make_hub, person, stage


def _rows(hub):
    with hub.store.engine.connect() as conn:
        return {r.record_key: r for r in conn.execute(sa.select(source_records))}


def test_unchanged_records_cause_no_row_write(store_url: str) -> None:
    hub = make_hub(store_url)
    first = stage(hub, "workday", "workers", "person", {"E1": person("E1"), "E2": person("E2")})
    before = _rows(hub)
    second = stage(
        hub, "workday", "workers", "person", {"E1": person("E1"), "E2": person("E2", title="Lead")}
    )
    after = _rows(hub)
    assert (first.counts.inserted, second.counts.unchanged, second.counts.updated) == (2, 1, 1)
    assert after["E1"].last_run_id == before["E1"].last_run_id, "an unchanged record was rewritten"
    assert after["E2"].last_run_id != before["E2"].last_run_id
    assert after["E2"].staged_seq > before["E2"].staged_seq, "the changed record is stamped anew"
    with hub.store.engine.connect() as conn:
        pending = conn.scalars(sa.select(source_records.c.record_key).where(horizons(conn).pending())).all()
    assert sorted(pending) == ["E1", "E2"], "nothing resolved yet: both pending, E2 once"


def test_staged_rows_read_back_as_every_other_row_of_the_store(sqlite_url: str) -> None:
    """Staging writes rows without SQLAlchemy's per-row processing: they must still be stored in
    the forms the rest of the store reads (timestamps as SQLAlchemy stores them, JSON null)."""
    hub = make_hub(sqlite_url)
    writer = stage(hub, "workday", "workers", "person", {"E1": person("E1", family_name="Peña")})
    writer.write_batch([StagedRecord("E2", {"k": 2}, None, None, content_hash({"k": 2}, None))])
    with hub.store.engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT s.first_seen_at, s.last_changed_at, r.started_at, s.fragment, s.staged_seq "
            "FROM source_records s JOIN sync_runs r ON r.run_id = s.last_run_id ORDER BY s.id"
        ).all()
        rows = conn.execute(sa.select(source_records).order_by(source_records.c.id)).all()
    shape = [(len(first), first[10], len(changed), changed[10]) for first, changed, *_ in raw]
    assert shape == [(len(raw[0].started_at), " ", len(raw[0].started_at), " ")] * 2
    assert raw[1].fragment == "null" and raw[1].staged_seq > raw[0].staged_seq
    assert rows[0].payload["family_name"] == "Peña" and rows[0].first_seen_at.tzinfo is not None
    assert rows[1].fragment is None and rows[1].staged_seq == raw[1].staged_seq


def test_a_batch_after_an_all_new_one_still_writes_only_what_changed(store_url: str) -> None:
    """After an all-new batch the next one skips reading stored hashes (a first load); records
    it repeats must still not be written, and a changed one must be."""
    hub = make_hub(store_url)
    writer = RecordWriter(hub.store, "workday", "workers", "", "run-1")

    def staged(key: str, **fields: str) -> StagedRecord:
        fragment = person(key, **fields)
        return StagedRecord(key, fragment, "person", fragment, content_hash(fragment, fragment))

    first = writer.write_batch([staged("E1"), staged("E2"), staged("E3")])
    second = writer.write_batch([staged("E1"), staged("E2", title="Lead"), staged("E4")])
    third = writer.write_batch([staged("E1"), staged("E3"), staged("E4")])  # looked up again
    writer.write_batch([], deletions=["E9"], state={"cursor": "x"})  # no records: decides nothing
    assert writer._look_up, "an unchanged batch keeps reading stored hashes first"
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    assert (third.inserted, third.updated, third.unchanged) == (0, 0, 3)
    assert _rows(hub)["E2"].payload["title"] == "Lead"


def test_state_commits_in_the_same_transaction_as_its_batch(store_url: str) -> None:
    hub = make_hub(store_url)
    writer = RecordWriter(hub.store, "workday", "workers", "", "run-1")
    record = StagedRecord("E1", {"k": 1}, "person", {"employee_id": "E1"}, content_hash({"k": 1}, None))
    writer.write_batch([record], state={"cursor": "2026-01-01T00:00:00Z"})
    assert load_state(hub.store, "workday", "workers", "") == {"cursor": "2026-01-01T00:00:00Z"}
    unserialisable = StagedRecord("E2", {"k": {1, 2}}, "person", {"employee_id": "E2"}, "h")
    with pytest.raises((sa.exc.StatementError, TypeError)):
        writer.write_batch([unserialisable, record], state={"cursor": "2026-02-01T00:00:00Z"})
    assert load_state(hub.store, "workday", "workers", "") == {"cursor": "2026-01-01T00:00:00Z"}


def test_bad_records_are_quarantined_with_their_reason(store_url: str) -> None:
    hub = make_hub(store_url)
    writer = RecordWriter(hub.store, "workday", "workers", "", "run-1")
    writer.write_batch(
        [],
        quarantined=[
            QuarantinedRecord(
                "E9", "hire_date", "date(Hire_Date)", "unparsable date 'soon'", {"Hire_Date": "soon"}
            )
        ],
    )
    with hub.store.engine.connect() as conn:
        row = conn.execute(sa.select(quarantine)).one()
    assert (row.record_key, row.field, row.reason) == ("E9", "hire_date", "unparsable date 'soon'")
    assert writer.counts.quarantined == 1


def test_a_quarantine_entry_is_open_only_while_its_record_is_unusable(store_url: str) -> None:
    hub = make_hub(store_url)
    bad = QuarantinedRecord(
        "E9", "hire_date", "date(Hire_Date)", "unparsable date 'soon'", {"Hire_Date": "soon"}
    )
    for run in ("run-1", "run-2"):  # a full snapshot re-reads the bad record every run
        RecordWriter(hub.store, "workday", "workers", "", run).write_batch([], quarantined=[bad])
    assert hub_status(hub.store)["queues"]["quarantined"] == 1, "the newer entry supersedes the older"

    fixed = person("E9", hire_date="2026-01-05")
    staged = StagedRecord(
        "E9", {"key": "E9", **fixed}, "person", fixed, content_hash({"key": "E9", **fixed}, fixed)
    )
    RecordWriter(hub.store, "workday", "workers", "", "run-3").write_batch([staged])

    assert hub_status(hub.store)["queues"]["quarantined"] == 0, "fixed in the source: released"
    with hub.store.engine.connect() as conn:
        entries = conn.execute(sa.select(quarantine).order_by(quarantine.c.id)).all()
    assert [e.run_id for e in entries] == ["run-1", "run-2"], "kept as history"
    assert all(e.released_at is not None for e in entries)


def test_delta_deletions_mark_the_record_deleted(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "office365", "users", "account", {"u1": {"system": "entra", "external_id": "u1"}})
    deleted = stage(hub, "office365", "users", "account", {"u1": None})
    assert deleted.counts.deleted == 1
    assert _rows(hub)["u1"].deleted_at is not None


def test_absent_records_are_deleted_after_consecutive_complete_snapshots(store_url: str) -> None:
    hub = make_hub(store_url)
    policy = StreamPolicy.model_validate({"deletion": {"missing_snapshots": 2}, "guard": {"max_count": 5}})
    everyone = {f"E{i}": person(f"E{i}") for i in range(10)}
    run = stage(hub, "workday", "workers", "person", everyone, snapshot=True)
    finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=run.run_id, policy=policy
    )
    without_e0 = {k: v for k, v in everyone.items() if k != "E0"}
    for expected_deleted in (0, 1):
        run = stage(hub, "workday", "workers", "person", without_e0, snapshot=True)
        outcome = finish_snapshot(
            hub.store, instance="workday", stream="workers", partition="", run_id=run.run_id, policy=policy
        )
        assert outcome.deleted == expected_deleted
    assert _rows(hub)["E0"].deleted_at is not None


def test_a_record_quarantined_in_a_snapshot_stays_live_in_its_last_good_version(store_url: str) -> None:
    hub = make_hub(store_url)
    policy = StreamPolicy.model_validate({"deletion": {"missing_snapshots": 1}})
    everyone = {f"E{i}": person(f"E{i}") for i in range(10)}
    first = stage(hub, "workday", "workers", "person", everyone, snapshot=True)
    finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=first.run_id, policy=policy
    )

    second = stage(
        hub, "workday", "workers", "person", {k: v for k, v in everyone.items() if k != "E0"}, snapshot=True
    )
    bad = QuarantinedRecord("E0", "hire_date", "date(Hire_Date)", "not a date: '31/02/2020'", {"key": "E0"})
    second.write_batch([], quarantined=[bad])
    outcome = finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=second.run_id, policy=policy
    )

    assert (outcome.newly_missing, outcome.deleted) == (0, 0), "a bad version is no proof of absence"
    assert _rows(hub)["E0"].deleted_at is None and _rows(hub)["E0"].payload["hire_date"] == "2020-01-06"


@pytest.mark.parametrize("snapshot_size", [0, 3], ids=["empty export", "truncated export"])
def test_mass_change_guard_holds_an_empty_or_truncated_snapshot(store_url: str, snapshot_size: int) -> None:
    hub = make_hub(store_url)
    policy = StreamPolicy()  # defaults: 5% or 50, whichever is larger
    everyone = {f"E{i}": person(f"E{i}") for i in range(200)}
    run = stage(hub, "workday", "workers", "person", everyone, snapshot=True)
    finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=run.run_id, policy=policy
    )
    partial = dict(list(everyone.items())[:snapshot_size])
    run = stage(hub, "workday", "workers", "person", partial, snapshot=True)
    outcome = finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=run.run_id, policy=policy
    )
    assert outcome.held and outcome.newly_missing == 200 - snapshot_size
    assert all(r.missing_count == 0 and r.deleted_at is None for r in _rows(hub).values())

    from core.approvals import approve

    result = approve(hub.store, hub.config, run.run_id)
    assert result["state"] == "applied" and result["newly_missing"] == 200 - snapshot_size
    assert sum(r.missing_count for r in _rows(hub).values()) == 200 - snapshot_size
