"""Resolution at scale: 100,000 persons from Workday and MUNIS with their Entra accounts, and
50,000 assets from MUNIS and Intune; then a re-resolution with nothing changed (no writes)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.bench import Bench
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from core.store.schema import change_log, entity_links, match_keys

PERSONS = int(os.environ.get("HUB_BENCH_PERSONS", "100000"))
ASSETS = PERSONS // 2
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


STREAMS = [
    ("workday", "workers", "person", PERSONS, _workday),
    ("munis", "employees", "person", PERSONS, _munis),
    ("office365", "users", "account", PERSONS, _entra),
    ("munis", "fixed_assets", "asset", ASSETS, _asset_munis),
    ("office365", "managed_devices", "asset", ASSETS, _asset_intune),
]


def _batches(total: int, build: Any, entity: str) -> Iterator[list[StagedRecord]]:
    for start in range(0, total, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, total)):
            fields = build(i)
            batch.append(StagedRecord(f"k{i}", fields, entity, fields, content_hash(fields, fields)))
        yield batch


def _stage(hub: Hub) -> int:
    staged = 0
    for instance, stream, entity, total, build in STREAMS:
        run_id = start_run(
            hub.store, instance=instance, stream=stream, partition="", state_before=None, full_refresh=False
        )
        writer = RecordWriter(hub.store, instance, stream, "", run_id)
        for batch in _batches(total, build, entity):
            writer.write_batch(batch)
            staged += len(batch)
    return staged


def _rows(hub: Hub) -> int:
    with hub.store.engine.connect() as conn:
        return sum(
            int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
            for t in (change_log, entity_links, match_keys)
        )


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        instances = [{"name": n, "type": n} for n in ("workday", "munis", "office365")]
        hub = Hub(
            HubConfig.model_validate({"instances": instances}), open_store(f"sqlite:///{Path(tmp) / 'b.db'}")
        )
        staged = _stage(hub)
        with bench.case(
            f"resolve {PERSONS:,} persons (3 sources) + {ASSETS:,} assets (2 sources), SQLite"
        ) as case:
            summary = resolve(hub).as_dict()
            case.records = staged
            case.extra["created"] = summary["created"]
        before = _rows(hub)
        with bench.case("re-resolve with nothing changed") as case:
            resolve(hub)
            case.records = staged
            case.extra["rows written"] = _rows(hub) - before
