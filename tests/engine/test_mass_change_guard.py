"""The mass-change guard holds a listing that would remove more than the share OR the count of a
stream's records (whichever trips first), as the runbook and the hold message say."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from core import clock
from core.config.hub_config import GuardPolicy, StreamPolicy, load_hub_config
from core.store.engine import Store, open_store
from core.store.runs import start_run
from core.store.schema import snapshot_seen, source_records
from core.store.snapshots import SnapshotOutcome, finish_snapshot, start_snapshot
from tests.engine.staging import make_hub, person, stage


def _listing(hub, population: int, missing: int, policy: StreamPolicy) -> SnapshotOutcome:
    """A stream of `population` people, then a complete listing that lacks the first `missing`."""
    everyone = {f"E{i:06d}": person(f"E{i:06d}") for i in range(population)}
    first = stage(hub, "workday", "workers", "person", everyone, snapshot=True)
    finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=first.run_id, policy=policy
    )
    shorter = dict(list(everyone.items())[missing:])
    second = stage(hub, "workday", "workers", "person", shorter, snapshot=True)
    return finish_snapshot(
        hub.store, instance="workday", stream="workers", partition="", run_id=second.run_id, policy=policy
    )


@pytest.mark.parametrize(
    ("population", "missing", "held"),
    [
        (200, 45, True),  # the agency whose RaaS export silently lost 22 %: the share trips
        (200, 11, True),  # 5.5 %: over the share, far under the count
        (200, 10, False),  # exactly 5 %: allowed
        (2_000, 51, True),  # 2.6 %: under the share, over the count
        (2_000, 50, False),
    ],
    ids=["200-lost-45", "200-lost-11", "200-lost-10", "2000-lost-51", "2000-lost-50"],
)
def test_the_guard_holds_when_the_share_or_the_count_is_exceeded(
    store_url: str, population: int, missing: int, held: bool
) -> None:
    hub = make_hub(store_url)
    outcome = _listing(hub, population, missing, StreamPolicy())
    assert outcome.held is held, outcome.reason
    with hub.store.engine.connect() as conn:
        marked = conn.scalar(sa.select(sa.func.count()).where(source_records.c.missing_count > 0))
    assert marked == (0 if held else missing), "a held listing changes nothing; an allowed one marks"
    if held:
        assert outcome.reason is not None and f"{missing:,} of {population:,}" in outcome.reason
        assert "None" not in outcome.reason


def test_the_hold_message_says_which_limit_tripped() -> None:
    guard = GuardPolicy()
    assert guard.limit(200) == 10 and guard.limit(2_000) == 50 and guard.limit(100_000) == 50
    assert "5 % of 200" in guard.describe(200) and "50" in guard.describe(200)
    # one record is never a mass change: a 15-person stream may lose one leaver without a hold
    assert guard.limit(15) == 1 and "min_count 1" in guard.describe(15)
    assert not guard.trips(1, 15) and guard.trips(2, 15)
    assert GuardPolicy(min_count=0).trips(1, 15)


def test_a_stream_overrides_share_and_count(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(
        "instances:\n"
        "  - name: workday\n"
        "    type: workday\n"
        "    streams:\n"
        "      workers:\n"
        "        guard: {max_share: 0.25, max_count: 1000}\n"
        "      organizations:\n"
        "        guard: {max_share: null, max_count: 5}\n"
    )
    config = load_hub_config(path)
    workers = config.instance("workday").stream_policy("workers").guard
    organizations = config.instance("workday").stream_policy("organizations").guard
    default = config.instance("workday").stream_policy("other").guard
    assert (workers.limit(200), workers.limit(100_000)) == (50, 1000)
    assert (organizations.limit(200), organizations.limit(100_000)) == (5, 5), "no share: the count alone"
    assert (default.limit(200), default.limit(100_000)) == (10, 50)


def test_a_per_stream_override_lets_a_real_reorganisation_through(store_url: str) -> None:
    hub = make_hub(store_url)
    policy = StreamPolicy.model_validate({"guard": {"max_share": 0.25, "max_count": 1000}})
    assert not _listing(hub, 200, 45, policy).held


def _bulk_listing(store: Store, keys: list[str], *, first: bool) -> SnapshotOutcome:
    """A complete listing of `keys` written straight to the store (staging 100,000 mapped records
    through the writer would only measure JSON encoding)."""
    run_id = start_run(
        store, instance="workday", stream="workers", partition="", state_before=None, full_refresh=False
    )
    start_snapshot(store, "workday", "workers", "", run_id)
    now = clock.now()
    with store.engine.begin() as conn:
        if first:
            conn.execute(
                source_records.insert(),
                [
                    {"instance": "workday", "stream": "workers", "record_key": k, "partition": "",
                     "entity": "person", "content_hash": k, "payload": {}, "first_seen_at": now,
                     "last_changed_at": now}
                    for k in keys
                ],
            )  # fmt: skip
        conn.execute(snapshot_seen.insert(), [{"run_id": run_id, "record_key": k} for k in keys])
    return finish_snapshot(
        store, instance="workday", stream="workers", partition="", run_id=run_id, policy=StreamPolicy()
    )


def test_a_100000_person_agency_holds_past_the_count(tmp_path: Path) -> None:
    """At 100,000 people 5 % would be 5,000 losses; the count (50) trips long before."""
    store = open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    keys = [f"E{i:06d}" for i in range(100_000)]
    assert not _bulk_listing(store, keys, first=True).held
    lost_51 = _bulk_listing(store, keys[51:], first=False)
    assert lost_51.held and (lost_51.live, lost_51.newly_missing) == (100_000, 51)
    lost_50 = _bulk_listing(store, keys[50:], first=False)
    assert not lost_50.held and lost_50.newly_missing == 50
    store.dispose()


def test_the_resolution_guard_reads_current_entities_once_per_chunk_not_per_record(
    store_url: str,
) -> None:
    from core.resolve.engine import resolve
    from core.resolve.guard import CHUNK, held_streams
    from core.store.schema import ENTITY_TABLES

    hub = make_hub(store_url)
    everyone = {f"E{i:04d}": person(f"E{i:04d}") for i in range(CHUNK + 100)}
    stage(hub, "workday", "workers", "person", everyone)
    resolve(hub)
    leavers = {k: {**v, "status": "terminated"} for k, v in everyone.items()}
    leavers["E0000"]["status"] = "active"  # one unchanged in status: not a deactivation
    stage(hub, "workday", "workers", "person", leavers)

    persons = ENTITY_TABLES["person"].name
    statements: list[str] = []

    def count(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if f"FROM {persons}" in statement:
            statements.append(statement)

    sa.event.listen(hub.store.engine, "before_cursor_execute", count)
    with hub.store.engine.begin() as conn:
        held = held_streams(conn, hub.config, "pass-1")
    assert held == {("workday", "workers")}
    assert len(statements) == 2, "one read of the current persons per chunk of pending records"
    with hub.store.engine.connect() as conn:
        reason = conn.execute(
            sa.text("SELECT reason FROM holds WHERE scope = 'resolve:workday/workers'")
        ).scalar()
    assert f"{CHUNK + 99:,} of {CHUNK + 100:,}" in reason
