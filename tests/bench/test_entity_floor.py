"""The resolution and evaluation floors stay honest: on the lifecycle bench's records they write
as many entities, links, keys, employments and tickets as the hub does (no timing is asserted)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import clock
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.lifecycle.engine import evaluate
from core.resolve.engine import resolve
from core.store.engine import open_store
from tests.bench import bench_lifecycle
from tests.bench.entity_floor import Target, evaluation_floor, resolution_floor
from tests.bench.floor import forked

PERSONS = 300


def _count(conn: sqlite3.Connection | sa.Connection, table: str) -> int:
    if isinstance(conn, sqlite3.Connection):
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


def test_floors_write_what_the_hub_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_lifecycle, "TOTAL", PERSONS)
    config = HubConfig.model_validate(
        {
            "instances": [
                {"name": "workday", "type": "workday", "streams": {"workers": {"guard": {"max_count": None}}}}
            ],
            "timezone": "America/Chicago",
        }
    )
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = Hub(config, open_store(url))
    target = Target(url, tmp_path / "floor.db")
    target.reset()

    bench_lifecycle._stage(hub, set())
    first = forked(lambda: resolution_floor(target))
    resolve(hub)
    assert forked(lambda: evaluation_floor(target, clock.today())).rows == PERSONS + 1  # employments, cursor
    evaluate(hub)
    leavers = set(range(0, PERSONS, 100))
    bench_lifecycle._stage(hub, leavers)
    again = resolution_floor(target)
    resolve(hub)
    planned = evaluation_floor(target, clock.today())
    result = evaluate(hub).as_dict()

    floor = sqlite3.connect(tmp_path / "floor.db")
    with hub.store.engine.connect() as conn:
        assert _count(floor, "floor_entities") == _count(conn, "persons") == PERSONS
        assert _count(floor, "floor_links") == _count(conn, "entity_links")
        assert _count(floor, "floor_keys") == _count(conn, "match_keys")
        assert _count(floor, "floor_changes") == _count(conn, "change_log") == PERSONS + len(leavers)
        assert (
            _count(floor, "floor_tickets")
            == _count(conn, "tickets")
            == len(result["actions"])
            == len(leavers)
        )
    # entity, key, change and link per person and the horizon; then an update and a change per
    # leaver and the horizon
    assert first.rows == PERSONS * 5 + 1
    assert again.rows == len(leavers) * 2 + 1
    # a leaver's employment, event, ticket and intent, and the cursor
    assert planned.rows == len(leavers) * 4 + 1
