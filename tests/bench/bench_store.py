"""Store upsert throughput: 100k new records, the same 100k unchanged, and peak RSS."""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.bench import Bench
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run

TOTAL, BATCH = 100_000, 500


def _records(start: int, version: str = "v1"):
    for i in range(start, min(start + BATCH, TOTAL)):
        payload = {
            "Employee_ID": f"E{i:06d}",
            "Legal_Name": f"Worker {i}",
            "Status": "Active",
            "v": version,
            "Email": f"worker{i}@example.gov",
            "Org": f"ORG{i % 40}",
            "Hire_Date": "2020-01-01",
        }
        fragment = {
            "employee_id": payload["Employee_ID"],
            "family_name": payload["Legal_Name"],
            "status": "active",
        }
        yield StagedRecord(
            payload["Employee_ID"], payload, "person", fragment, content_hash(payload, fragment)
        )


def _load(store, version: str) -> RecordWriter:
    run_id = start_run(
        store, instance="bench", stream="workers", partition="", state_before=None, full_refresh=False
    )
    writer = RecordWriter(store, "bench", "workers", "", run_id)
    for start in range(0, TOTAL, BATCH):
        writer.write_batch(list(_records(start, version)), state={"cursor": str(start)})
    return writer


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with bench.case("store (SQLite): upsert 100,000 new records") as case:
            writer = _load(store, "v1")
            case.records, case.extra["inserted"] = TOTAL, writer.counts.inserted
        with bench.case("store (SQLite): re-upsert the same 100,000 unchanged") as case:
            writer = _load(store, "v1")
            case.records, case.extra["row writes"] = TOTAL, writer.counts.inserted + writer.counts.updated
    try:
        store = open_store("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    except Exception as exc:
        print(f"PostgreSQL bench skipped: {exc}")
        return
    from tests.conftest import _reset_postgres

    _reset_postgres("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    store = open_store("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with bench.case("store (PostgreSQL): upsert 100,000 new records") as case:
        writer = _load(store, "v1")
        case.records = TOTAL
    with bench.case("store (PostgreSQL): re-upsert the same 100,000 unchanged") as case:
        writer = _load(store, "v1")
        case.records, case.extra["row writes"] = TOTAL, writer.counts.inserted + writer.counts.updated
