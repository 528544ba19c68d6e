"""Resolution at scale: 100,000 persons from Workday and MUNIS with their Entra accounts, and
50,000 assets from MUNIS and Intune; then a re-resolution with nothing changed (no writes) and
one after a tenth of the Workday workers changed title. The same on PostgreSQL (a quarter of the
size by default) when it is reachable.

Each resolution stands beside its floor (`tests/bench/entity_floor.py`): the same records grouped
by the same match keys and their entities, links, keys, change rows and resolved marks written by
the driver alone into bare keyed tables, in a forked copy of this process just before the case.
"rows written" counts every row the hub's statements wrote (conflicts and stage locks included),
"floor rows" the floor's."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.bench import Bench, Case
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from tests.bench.entity_floor import Target, resolution_floor
from tests.bench.floor import RowsWritten, forked

PERSONS = int(os.environ.get("HUB_BENCH_PERSONS", "100000"))
PG_PERSONS = int(os.environ.get("HUB_BENCH_PG_PERSONS", str(PERSONS // 4)))
#: the bench empties this database (its public schema): point it at one nobody else is using
PG_URL = os.environ.get("HUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 1000


def _workday(i: int) -> dict[str, Any]:
    return {
        "employee_id": f"E{i:06d}",
        "given_name": "Worker",
        "family_name": f"Number {i}",
        "title": "Analyst",
        "org_unit": f"ORG{i % 40}",
        "status": "active",
        "hire_date": "2019-05-06",
    }


def _munis(i: int) -> dict[str, Any]:
    return {
        "employee_id": f"E{i:06d}",
        "given_name": "Worker",
        "family_name": f"Number {i}",
        "title": "Analyst II",
    }


def _entra(i: int) -> dict[str, Any]:
    upn = f"worker{i}@agency.example.gov"
    return {
        "system": "entra",
        "external_id": f"oid-{i}",
        "login": upn,
        "email": upn,
        "enabled": True,
        "employee_id": f"E{i:06d}",
    }


def _asset_munis(i: int) -> dict[str, Any]:
    return {
        "serial_number": f"SN-{i:08d}",
        "asset_tag": f"AT-{i:07d}",
        "custodian_employee_id": f"E{i:06d}",
        "status": "in_use",
    }


def _asset_intune(i: int) -> dict[str, Any]:
    return {
        "serial_number": f"sn {i:08d}",
        "name": f"AGY-LT-{i}",
        "operating_system": "Windows 11",
        "primary_user_upn": f"worker{i}@agency.example.gov",
    }


def _streams(persons: int) -> list[tuple[str, str, str, int, Any]]:
    assets = persons // 2
    return [
        ("workday", "workers", "person", persons, _workday),
        ("munis", "employees", "person", persons, _munis),
        ("office365", "users", "account", persons, _entra),
        ("munis", "fixed_assets", "asset", assets, _asset_munis),
        ("office365", "managed_devices", "asset", assets, _asset_intune),
    ]


def _batches(total: int, build: Any, entity: str, every: int = 1) -> Iterator[list[StagedRecord]]:
    """Records 0..total (every `every`-th one), in write batches."""
    indexes = range(0, total, every)
    for start in range(0, len(indexes), BATCH):
        batch = []
        for i in indexes[start : start + BATCH]:
            fields = build(i)
            batch.append(StagedRecord(f"k{i}", fields, entity, fields, content_hash(fields, fields)))
        yield batch


def _stage(hub: Hub, streams: list[tuple[str, str, str, int, Any]], every: int = 1) -> int:
    staged = 0
    for instance, stream, entity, total, build in streams:
        run_id = start_run(
            hub.store, instance=instance, stream=stream, partition="", state_before=None, full_refresh=False
        )
        writer = RecordWriter(hub.store, instance, stream, "", run_id)
        for batch in _batches(total, build, entity, every):
            writer.write_batch(batch)
            staged += len(batch)
    return staged


def _promoted(i: int) -> dict[str, Any]:
    return {**_workday(i), "title": "Senior Analyst"}


def _cases(bench: Bench, url: str, persons: int, backend: str, target: Target) -> None:
    instances = [{"name": n, "type": n} for n in ("workday", "munis", "office365")]
    hub = Hub(HubConfig.model_validate({"instances": instances}), open_store(url))
    written = RowsWritten(hub.store.engine)
    target.reset()
    staged = _stage(hub, _streams(persons))
    floor = forked(lambda: resolution_floor(target))
    before = written.rows
    with bench.case(
        f"resolve {persons:,} persons (3 sources) + {persons // 2:,} assets (2 sources), {backend}"
    ) as case:
        summary = resolve(hub).as_dict()
        case.records = staged
        floor.into(case)
        _written(case, written.rows - before, floor.rows, persons)
        case.extra |= {"created": summary["created"], "conflicts": summary["conflicts"]}
    before = written.rows
    with bench.case(f"re-resolve with nothing changed, {backend}") as case:
        resolve(hub)
        case.records = staged
        case.extra["rows written"] = written.rows - before
    changed = _stage(hub, [("workday", "workers", "person", persons, _promoted)], every=10)
    floor = forked(lambda: resolution_floor(target))
    before = written.rows
    with bench.case(f"re-resolve after {changed:,} workers changed title, {backend}") as case:
        summary = resolve(hub).as_dict()
        case.records = changed
        floor.into(case)
        _written(case, written.rows - before, floor.rows, persons)
        case.extra["updated"] = summary["updated"]


def _written(case: Case, rows: int, floor_rows: int, persons: int) -> None:
    case.extra |= {"rows written": rows, "floor rows": floor_rows, "rows/person": round(rows / persons, 2)}


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'b.db'}"
        _cases(bench, url, PERSONS, "SQLite", Target(url, Path(tmp) / "floor.db"))
    try:
        open_store(PG_URL).engine.dispose()
    except Exception as exc:
        print(f"PostgreSQL resolution bench skipped: {exc}")
        return
    from tests.conftest import _reset_postgres

    _reset_postgres(PG_URL)
    _cases(bench, PG_URL, PG_PERSONS, "PostgreSQL", Target(PG_URL))
