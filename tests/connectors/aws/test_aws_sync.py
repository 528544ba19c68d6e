"""`hub sync aws` end to end on SQLite: every partition read through boto3 over HTTPS, the mapping
stages cloud accounts, IAM accounts and cloud resources, and resolution links owners to people -
the leaver's IAM users and tagged resources are found; the untagged service user is not anyone's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.aws.sandbox import AwsSandbox
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.mapping import load_mappings
from core.resolve.engine import resolve
from core.sandbox.org import roster
from core.store.engine import open_store
from core.store.schema import accounts, cloud_accounts, cloud_resources, persons, quarantine
from core.sync import sync_instance
from tests.engine.staging import person, stage

from .conftest import SCALE

SHIPPED = Path(__file__).resolve().parents[3] / "mappings"


@pytest.fixture
def hub(aws: AwsSandbox, sqlite_url: str, tmp_path: Path) -> Hub:
    document = {
        "timezone": "America/Chicago",
        "instances": [
            {"name": "aws", "type": "aws", "config": aws.instance_config()},
            {"name": "workday", "type": "workday"},
        ],
    }
    running = Hub(HubConfig.model_validate(document), open_store(sqlite_url))
    mappings = tmp_path / "mappings"
    (mappings / "lookups").mkdir(parents=True)
    shutil.copy(SHIPPED / "aws.yaml", mappings)
    shutil.copy(SHIPPED / "lookups" / "aws_cost_center_org_units.csv", mappings / "lookups")
    running.__dict__["mappings"] = load_mappings(mappings)  # only the mapping under test
    return running


def test_sync_fills_cloud_accounts_accounts_and_resources_and_links_owners(hub: Hub, aws: AwsSandbox) -> None:
    assert aws.estate is not None
    people: dict[str, dict[str, Any] | None] = {
        p.employee_id: person(p.employee_id, work_email=p.email, upn=p.email, status=p.status)
        for p in roster(7, SCALE)
    }
    stage(hub, "workday", "workers", "person", people)

    summaries = sync_instance(hub, "aws")
    resolve(hub)

    assert {s.status for s in summaries} == {"succeeded"}
    runs = {(s.stream, s.partition) for s in summaries}
    assert len([r for r in runs if r[0] == "resources"]) == len(aws.estate.accounts) * 3, (
        "one run per account x region"
    )
    assert sum(s.counts.quarantined for s in summaries) == 0
    with hub.store.engine.connect() as conn:
        clouds = conn.execute(sa.select(cloud_accounts.c.account_id)).all()
        iam = conn.execute(sa.select(accounts.c.external_id, accounts.c.person_id, accounts.c.enabled).where(
            accounts.c.system == "aws_iam")).all()  # fmt: skip
        resources = conn.execute(
            sa.select(cloud_resources.c.resource_id, cloud_resources.c.owner_person_id)
        ).all()
        held = conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar_one()
        employee_of = dict(conn.execute(sa.select(persons.c.id, persons.c.employee_id)).all())
    assert len(clouds) == len(aws.estate.accounts) + 1 and held == 0
    read_users = sum(s.read for s in summaries if s.stream == "iam_users")
    read_resources = sum(s.read for s in summaries if s.stream == "resources")
    assert len(iam) == read_users and len(resources) == read_resources
    by_arn = {row.external_id: row for row in iam}
    backup = by_arn[f"arn:aws:iam::{aws.estate.management}:user/svc-backup"]
    assert backup.person_id is None and backup.enabled is True, "an enabled key nobody owns"
    linked_users = [row for row in iam if row.person_id]
    assert (
        len(linked_users) >= len(iam) - 5
    )  # all staff users; not the hub, admin, service and contractor users
    linked = [r for r in resources if r.owner_person_id]
    assert 0.5 * len(resources) < len(linked) < len(resources), "most resources are owned, some are not"
    assert all(employee_of[r.owner_person_id].startswith("E1") for r in linked)
