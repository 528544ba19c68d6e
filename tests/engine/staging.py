"""Test support: a hub over a real store, and staging of mapped records as a sync would stage them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.config.hub_config import HubConfig
from core.hub import Hub
from core.sandbox import fake_clock
from core.store.engine import open_store
from core.store.records import RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run
from core.store.snapshots import start_snapshot

INSTANCES = [
    {"name": "workday", "type": "workday"},
    {"name": "munis", "type": "munis"},
    {"name": "office365", "type": "office365"},
    {"name": "aws", "type": "aws"},
]


def make_hub(store_url: str, **config: Any) -> Hub:
    document = {"instances": INSTANCES, "timezone": "America/Chicago", **config}
    return Hub(HubConfig.model_validate(document), open_store(store_url))


def stage(
    hub: Hub,
    instance: str,
    stream: str,
    entity: str,
    records: dict[str, dict[str, Any] | None],
    *,
    snapshot: bool = False,
) -> RecordWriter:
    """Stage fragments by key (None deletes the key), as one sync run of that stream would."""
    run_id = start_run(
        hub.store, instance=instance, stream=stream, partition="", state_before=None, full_refresh=False
    )
    if snapshot:
        start_snapshot(hub.store, instance, stream, "", run_id)
    writer = RecordWriter(hub.store, instance, stream, "", run_id, snapshot_id=run_id if snapshot else None)
    staged = [
        StagedRecord(k, {"key": k, **v}, entity, v, content_hash({"key": k, **v}, v))
        for k, v in records.items()
        if v is not None
    ]
    writer.write_batch(staged, deletions=[k for k, v in records.items() if v is None])
    return writer


def person(employee_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "employee_id": employee_id,
        "given_name": "Ana",
        "family_name": "Ruiz",
        "status": "active",
        "worker_type": "employee",
        "hire_date": "2020-01-06",
        "org_unit": "FIN",
        "title": "Analyst",
    }
    return {**base, **fields}


def set_today(day: str) -> None:
    fake_clock.set_now(datetime.fromisoformat(day + "T15:00:00+00:00"))
