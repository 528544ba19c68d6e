"""A hold is a question about one listing: a later complete listing of the same stream answers it.

A superseded hold records the run that superseded it and can no longer be approved, so approving
a stale empty export after a good sync cannot delete the whole population.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from core.approvals import approve
from core.config.hub_config import StreamPolicy
from core.errors import ConfigError
from core.resolve.engine import resolve
from core.store.schema import holds, snapshot_seen, source_records
from core.store.snapshots import SnapshotOutcome, finish_snapshot
from tests.engine.staging import make_hub, person, stage

EVERYONE = {f"E{i:03d}": person(f"E{i:03d}") for i in range(198)}


def _listing(hub, records: dict[str, Any], partition: str = "") -> tuple[str, SnapshotOutcome]:
    run = stage(hub, "workday", "workers", "person", records, snapshot=True)
    outcome = finish_snapshot(
        hub.store,
        instance="workday",
        stream="workers",
        partition="",
        run_id=run.run_id,
        policy=StreamPolicy(),
    )
    return run.run_id, outcome


def _holds(hub) -> dict[str, Any]:
    with hub.store.engine.connect() as conn:
        return {row.id: row for row in conn.execute(sa.select(holds))}


def _live(hub) -> int:
    with hub.store.engine.connect() as conn:
        return int(
            conn.scalar(
                sa.select(sa.func.count()).where(
                    source_records.c.deleted_at.is_(None), source_records.c.missing_count == 0
                )
            )
            or 0
        )


def test_a_good_listing_supersedes_the_holds_before_it_and_they_cannot_be_approved(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    _, empty1 = _listing(hub, {})
    _, empty2 = _listing(hub, {})
    assert empty1.held and empty2.held and empty1.hold_id != empty2.hold_id
    assert _holds(hub)[empty1.hold_id].state == "superseded", "a newer listing answers the older hold"
    assert _holds(hub)[empty2.hold_id].state == "held"

    good_run, good = _listing(hub, EVERYONE)
    assert not good.held
    for hold_id in (empty1.hold_id, empty2.hold_id):
        hold = _holds(hub)[hold_id]
        assert hold.state == "superseded" and hold.decided_at is not None
        assert hold.details["superseded_by"] in (good_run, _holds(hub)[empty2.hold_id].details["run_id"])
    assert _holds(hub)[empty2.hold_id].details["superseded_by"] == good_run

    for hold_id in (empty1.hold_id, empty2.hold_id):
        with pytest.raises(ConfigError) as refused:
            approve(hub.store, hub.config, hold_id)
        message = str(refused.value)
        assert "superseded" in message and "workday/workers" in message
        assert hold_id in message and "None" not in message
    assert _live(hub) == 198, "approving a stale hold must not mark anyone missing"
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(snapshot_seen)) == 0, (
            "the superseded listings' keys are dropped with them"
        )


def test_approving_by_the_held_run_id_is_refused_the_same_way(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    empty_run, _ = _listing(hub, {})
    good_run, _ = _listing(hub, EVERYONE)
    with pytest.raises(ConfigError, match=f"superseded by run {good_run}"):
        approve(hub.store, hub.config, empty_run)


def test_a_hold_of_another_stream_is_not_superseded(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    run = stage(hub, "munis", "employees", "person", EVERYONE, snapshot=True)
    finish_snapshot(
        hub.store,
        instance="munis",
        stream="employees",
        partition="",
        run_id=run.run_id,
        policy=StreamPolicy(),
    )
    run = stage(hub, "munis", "employees", "person", {}, snapshot=True)
    munis = finish_snapshot(
        hub.store,
        instance="munis",
        stream="employees",
        partition="",
        run_id=run.run_id,
        policy=StreamPolicy(),
    )
    _listing(hub, EVERYONE)
    assert _holds(hub)[munis.hold_id].state == "held"
    assert approve(hub.store, hub.config, munis.hold_id)["state"] == "applied"


def test_an_approved_hold_cannot_be_approved_twice(store_url: str) -> None:
    hub = make_hub(store_url)
    _listing(hub, EVERYONE)
    _, empty = _listing(hub, {})
    approve(hub.store, hub.config, empty.hold_id)
    with pytest.raises(ConfigError, match="already applied"):
        approve(hub.store, hub.config, empty.hold_id)


def test_a_resolution_hold_is_superseded_when_its_stream_no_longer_trips(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", EVERYONE)
    resolve(hub)
    leavers = {
        k: {**v, "status": "terminated", "termination_date": "2026-01-31"} for k, v in EVERYONE.items()
    }
    stage(hub, "workday", "workers", "person", dict(list(leavers.items())[:40]))
    resolve(hub)
    [held] = [h for h in _holds(hub).values() if h.scope == "resolve:workday/workers"]
    assert held.state == "held"

    stage(
        hub, "workday", "workers", "person", dict(list(EVERYONE.items())[:40])
    )  # the source corrected itself
    resolve(hub)
    hold = _holds(hub)[held.id]
    assert hold.state == "superseded" and hold.details["superseded_by"]
    with pytest.raises(ConfigError, match="superseded"):
        approve(hub.store, hub.config, held.id)
