"""mappings/workday.yaml applied to the sandbox tenant's real records, and `hub sync` of both
streams filling Person and OrgUnit (malformed workers quarantined with their reason)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from core.config.hub_config import HubConfig
from core.errors import RecordError
from core.hub import SHIPPED_MAPPINGS, Hub
from core.mapping import MappingSet, load_mappings
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.schema import org_units, persons, quarantine
from core.sync.runner import sync_stream
from tests.connectors.workday.conftest import SCALE, later, read


@pytest.fixture(scope="module")
def mappings() -> MappingSet:
    return load_mappings(SHIPPED_MAPPINGS, [])


def _apply(mappings: MappingSet, stream: str, record: dict[str, Any]) -> dict[str, Any]:
    mapping = mappings.for_stream("workday", stream)
    assert mapping is not None
    fragment = mapping.apply(record)
    assert fragment is not None
    return fragment.fields


def test_every_roster_worker_maps_except_the_two_malformed(
    mappings: MappingSet, make_connector: Callable[..., WorkdayConnector]
) -> None:
    records = read(make_connector().stream("workers")).by("Worker_ID")
    reasons = {}
    people = {}
    for worker_id, record in records.items():
        try:
            people[worker_id] = _apply(mappings, "workers", record)
        except RecordError as exc:
            reasons[worker_id] = (exc.field, exc.message)
    assert set(reasons) == {"E10014", "E10030"}
    field, message = reasons["E10014"]
    assert field == "hire_date" and re.fullmatch(r"date\(\): text '\d{4}-02-30' is not a real date", message)
    assert reasons["E10030"] == (
        "given_name",
        "required field is empty (the expression gave null or blank text)",
    )
    assert len(people) == SCALE - 2
    ceo = people["E10001"]
    assert (
        ceo["org_unit"] == "ADM" and ceo["cost_center"] == "CC1000" and ceo["time_zone"] == "America/Chicago"
    )
    assert ceo["upn"] == ceo["work_email"] == "keiko.kealoha@agency.example.gov"
    assert Counter(p["worker_type"] for p in people.values()).keys() <= {"employee", "contractor", "intern"}
    assert all(p["manager_employee_id"] for i, p in people.items() if i != "E10001")


def test_lifecycle_facts_map_to_canonical_status_and_dates(
    tenant: WorkdaySandbox, mappings: MappingSet, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector()
    first = read(connector.stream("workers"))
    later(hours=1)
    pre_hire = tenant.admin(
        "hire",
        {"given_name": "Eun-ji", "family_name": "Novak", "department": "IT", "hire_date": "2026-03-23"},
    )
    tenant.admin(
        "terminate",
        {"employee_id": "E10004", "termination_date": "2026-03-31", "last_day_of_work": "2026-03-27"},
    )
    tenant.admin("leave", {"employee_id": "E10006", "return_date": "2026-04-15"})
    contractor = next(w.worker_id for w in tenant.directory.workers.values() if w.contingent)
    converted = tenant.admin("convert", {"employee_id": contractor})
    changed = {
        i: _apply(mappings, "workers", r)
        for i, r in read(connector.stream("workers"), first.state).by("Worker_ID").items()
    }
    assert (changed[pre_hire]["status"], changed[pre_hire]["hire_date"]) == ("pre_hire", "2026-03-23")
    assert changed[pre_hire]["org_unit"] == "IT" and changed[pre_hire]["title"]
    leaver = changed["E10004"]
    assert (leaver["status"], leaver["termination_date"], leaver["last_day_of_work"]) == (
        "active",
        "2026-03-31",
        "2026-03-27",
    )
    assert (changed["E10006"]["status"], changed["E10006"]["leave_return_date"]) == ("on_leave", "2026-04-15")
    assert (
        changed[converted]["previous_employee_id"] == contractor
        and changed[converted]["worker_type"] == "employee"
    )
    assert changed[contractor]["termination_date"] is None, "a conversion is not a leaver"

    later(hours=1)
    tenant.admin("rescind_hire", {"employee_id": pre_hire})
    tenant.admin("reverse_termination", {"employee_id": "E10004"})
    undone = {
        i: _apply(mappings, "workers", r)
        for i, r in read(connector.stream("workers"), first.state).by("Worker_ID").items()
    }
    assert undone[pre_hire]["hire_rescinded"] is True and undone[pre_hire]["status"] == "terminated"
    assert undone["E10004"]["termination_reversed"] is True and undone["E10004"]["termination_date"] is None


def test_organizations_map_to_org_units_with_parents(
    mappings: MappingSet, make_connector: Callable[..., WorkdayConnector]
) -> None:
    units = {
        u["code"]: u
        for u in (
            _apply(mappings, "organizations", r)
            for r in read(make_connector().stream("organizations")).records
        )
    }
    assert units["FIN"] == {
        "code": "FIN",
        "name": "Finance",
        "kind": "supervisory",
        "parent_code": "AGENCY",
        "manager_employee_id": "E10002",
        "cost_center": None,
        "active": True,
    }
    assert units["CC1300"]["kind"] == "cost_center" and units["CC1300"]["cost_center"] == "CC1300"
    assert units["AGENCY"]["parent_code"] is None


def test_hub_sync_fills_person_and_org_unit(tenant: WorkdaySandbox, tmp_path: Path) -> None:
    document = {
        "instances": [{"name": "workday", "type": "workday", "config": tenant.instance_config()}],
        "timezone": "America/Chicago",
    }
    hub = Hub(HubConfig.model_validate(document), open_store(f"sqlite:///{tmp_path / 'hub.db'}"))
    try:
        [orgs] = sync_stream(hub, "workday", "organizations")
        [workers] = sync_stream(hub, "workday", "workers")
        assert (orgs.status, orgs.counts.inserted) == ("succeeded", 17)
        assert (workers.status, workers.read, workers.counts.quarantined) == ("succeeded", SCALE, 2)
        resolve(hub)
        with hub.store.engine.connect() as conn:
            people = conn.execute(sa.select(persons.c.employee_id)).scalars().all()
            codes = conn.execute(sa.select(org_units.c.code)).scalars().all()
            reasons = conn.execute(sa.select(quarantine.c.record_key, quarantine.c.field)).all()
        assert len(people) == SCALE - 2 and "E10001" in people
        assert {"AGENCY", "FIN", "CC1000"} <= set(codes)
        assert sorted(field for _, field in reasons) == ["given_name", "hire_date"]
        later(hours=1)
        tenant.admin("transfer", {"employee_id": "E10010", "department": "PARKS"})
        [again] = sync_stream(hub, "workday", "workers")
        assert (again.read, again.counts.updated) == (1, 1), "the incremental sync fetched only the mover"
    finally:
        hub.close()
