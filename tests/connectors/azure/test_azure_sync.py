"""`hub sync azure` end to end on SQLite: the sync runner reads every partition through the real
SDK clients, the mapping stages cloud accounts and cloud resources, malformed records land in
quarantine, resolution links owners to people, and a deleted resource goes after two snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.azure.sandbox import AzureSandbox
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.mapping import load_mappings
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.schema import cloud_accounts, cloud_resources, persons, quarantine
from core.sync import sync_instance
from tests.engine.staging import person, stage

SHIPPED = Path(__file__).resolve().parents[3] / "mappings"


@pytest.fixture
def hub(fresh_sandbox: AzureSandbox, sqlite_url: str, tmp_path: Path) -> Hub:
    document = {
        "timezone": "America/Chicago",
        "instances": [
            {"name": "azure", "type": "azure", "config": fresh_sandbox.instance_config()},
            {"name": "workday", "type": "workday"},
        ],
    }
    running = Hub(HubConfig.model_validate(document), open_store(sqlite_url))
    mappings = tmp_path / "mappings"
    (mappings / "lookups").mkdir(parents=True)
    shutil.copy(SHIPPED / "azure.yaml", mappings)
    shutil.copy(SHIPPED / "lookups" / "azure_cost_center_org_units.csv", mappings / "lookups")
    running.__dict__["mappings"] = load_mappings(mappings)  # only the mapping under test
    return running


def stage_roster(hub: Hub, sandbox: AzureSandbox) -> None:
    """The people HR knows (as a Workday sync would stage them), so owner tags can link."""
    people: dict[str, dict[str, Any] | None] = {
        p.employee_id: person(p.employee_id, work_email=p.email, upn=p.email, status=p.status)
        for p in sandbox.estate.people
    }
    stage(hub, "workday", "workers", "person", people)


def test_sync_fills_cloud_accounts_and_resources_and_links_owners(
    hub: Hub, fresh_sandbox: AzureSandbox
) -> None:
    stage_roster(hub, fresh_sandbox)

    summaries = sync_instance(hub, "azure")
    resolve(hub)

    assert {s.status for s in summaries} == {"succeeded"}
    assert sum(s.read for s in summaries if s.stream == "resources") == 202
    assert sum(s.counts.quarantined for s in summaries) == 2
    with hub.store.engine.connect() as conn:
        accounts = conn.execute(sa.select(cloud_accounts.c.account_id)).all()
        resources = conn.execute(
            sa.select(
                cloud_resources.c.resource_id, cloud_resources.c.owner_person_id, cloud_resources.c.attrs
            )
        ).all()
        held = conn.execute(sa.select(quarantine.c.field, quarantine.c.stream)).all()
        departed = conn.execute(
            sa.select(persons.c.id).where(persons.c.employee_id == fresh_sandbox.estate.departed.employee_id)
        ).scalar_one()
    assert len(accounts) == 3
    assert len(resources) == 200 + 25
    assert sorted(held) == [("region", "resources"), ("type", "resources")]
    linked = [r for r in resources if r.owner_person_id]
    assert len(linked) > 80, "owner tags by e-mail, employee ID and odd spellings link to people"
    assert any(r.owner_person_id == departed for r in resources), "a resource still owned by a leaver"
    tbd = [r for r in resources if r.attrs.get("owner_ref") == "TBD"]
    assert tbd and all(r.owner_person_id is None for r in tbd)


def test_a_deleted_resource_is_deleted_after_two_complete_snapshots(
    hub: Hub, fresh_sandbox: AzureSandbox
) -> None:
    sync_instance(hub, "azure", streams=["resources"])
    resolve(hub)
    victim = fresh_sandbox.estate.resource_at(1, 3)
    assert victim is not None
    fresh_sandbox.admin("delete_resource", {"resource_id": victim["id"]})

    first = sync_instance(hub, "azure", streams=["resources"])
    second = sync_instance(hub, "azure", streams=["resources"])
    resolve(hub)

    assert sum(s.missing for s in first) == 1
    assert sum(s.counts.deleted for s in second) == 1
    with hub.store.engine.connect() as conn:
        deleted_at = conn.execute(
            sa.select(cloud_resources.c.deleted_at).where(
                cloud_resources.c.resource_id == victim["id"].lower()
            )
        ).scalar_one()
    assert deleted_at is not None
