"""mappings/munis.yaml on the sandbox's real records, and a sync + resolution from hub.yaml filling
Person, OrgUnit and Asset with the custodian linked (the same people and devices as the roster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from connectors.munis.sandbox import MunisSandbox
from core.errors import RecordError
from core.hub import SHIPPED_MAPPINGS, Hub
from core.mapping import MappingSet, load_mappings
from core.resolve.engine import resolve
from core.sandbox.org import roster
from core.store.engine import open_store
from core.store.schema import assets, org_units, persons, quarantine
from core.sync.runner import sync_instance
from core.testing.reading import read

MALFORMED = {
    "employees": {"99901": "hire_date", "99902": "family_name"},
    "org_units": {"9900": "name"},
}


@pytest.fixture(scope="module")
def mappings() -> MappingSet:
    return load_mappings(SHIPPED_MAPPINGS)


def mapped(
    mappings: MappingSet, munis: MunisSandbox, stream: str
) -> tuple[dict[str, Any], dict[str, RecordError]]:
    """(fields by record key, errors by record key) of every sandbox record of a stream."""
    from connectors.munis.config import MunisConfig
    from connectors.munis.connector import MunisConnector

    connector = MunisConnector(MunisConfig.model_validate(munis.directory_config()), instance="munis")
    mapping = mappings.for_stream("munis", stream)
    assert mapping is not None
    key = connector.stream(stream).primary_key[0]
    fields, errors = {}, {}
    for record in read(connector.stream(stream)).records:
        try:
            fragment = mapping.apply(record)
            assert fragment is not None
            fields[record[key]] = fragment.fields
        except RecordError as exc:
            errors[record[key]] = exc
    return fields, errors


def test_employees_become_people_with_e_prefixed_ids(mappings: MappingSet, munis: MunisSandbox) -> None:
    people, errors = mapped(mappings, munis, "employees")
    assert {k: e.field for k, e in errors.items()} == MALFORMED["employees"]
    assert "is not a real date" in str(errors["99901"])
    first = roster(7, 30)[0]
    person = people[first.employee_id[1:]]
    assert person["employee_id"] == first.employee_id
    assert (person["given_name"], person["family_name"]) == (first.given_name, first.family_name)
    assert person["org_unit"] == first.department.code
    assert person["cost_center"] == first.department.cost_center
    assert person["location"] == "City Hall" and person["time_zone"] == "America/Chicago"
    for p in roster(7, 30):
        if p.worker_type != "contractor":
            mapped_person = people[p.employee_id[1:]]
            assert mapped_person["manager_employee_id"] == p.manager_employee_id
            assert mapped_person["status"] == {"pre_hire": "active"}.get(p.status, p.status)


def test_department_codes_become_the_agency_org_units(mappings: MappingSet, munis: MunisSandbox) -> None:
    units, errors = mapped(mappings, munis, "org_units")
    assert {k: e.field for k, e in errors.items()} == MALFORMED["org_units"]
    assert units["1300"] == {
        "code": "IT",
        "name": "Information Technology",
        "kind": "department",
        "parent_code": "ADM",
        "manager_employee_id": units["1300"]["manager_employee_id"],
        "cost_center": "CC1300",
        "active": True,
    }
    assert units["9100"]["active"] is False and units["9100"]["code"] == "9100"


def test_fixed_assets_link_devices_to_their_custodians(mappings: MappingSet, munis: MunisSandbox) -> None:
    register, errors = mapped(mappings, munis, "fixed_assets")
    assert sorted(str(e.field) for e in errors.values()) == ["asset_tag", "cost"]
    assert any("needs a number, got text '1,2O9.00'" in str(e) for e in errors.values())
    by_serial = {a["serial_number"]: a for a in register.values() if a["serial_number"]}
    for person in roster(7, 30):
        for device in person.devices:
            asset = by_serial[device.serial_number]  # upper-cased even where MUNIS holds it in lower case
            assert asset["asset_tag"] == device.asset_tag and asset["cost"] == device.cost
            if asset["status"] == "in_use":
                assert asset["custodian_employee_id"] == person.employee_id
    assert {a["category"] for a in register.values()} >= {"computer", "phone", "vehicle", "furniture"}
    assert any(a["status"] == "disposed" and a["disposed_on"] for a in register.values())


def test_hub_sync_and_resolve_fill_people_org_units_and_assets(munis: MunisSandbox, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub_yaml = tmp_path / "hub.yaml"
    hub_yaml.write_text(
        yaml.safe_dump(
            {
                "store": {"url": store_url},
                "timezone": "America/Chicago",
                "instances": [{"name": "munis", "type": "munis", "config": munis.instance_config()}],
            }
        )
    )
    hub = Hub.load(hub_yaml)  # what `hub sync munis` and `hub resolve` run
    try:
        runs = {run.stream: run.as_dict() for run in sync_instance(hub, "munis")}
        resolve(hub)
    finally:
        hub.close()
    assert runs["employees"]["quarantined"] == 2 and runs["fixed_assets"]["quarantined"] == 2
    assert runs["org_units"]["quarantined"] == 1 and runs["employees"]["inserted"] == 29

    store = open_store(store_url)
    with store.engine.connect() as conn:
        people = {r.employee_id: r for r in conn.execute(sa.select(persons))}
        units = {r.code for r in conn.execute(sa.select(org_units.c.code))}
        laptop = conn.execute(sa.select(assets).where(assets.c.asset_tag == "AT-100000")).one()
        held = conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar()
    store.dispose()
    payroll = [p for p in roster(7, 30) if p.worker_type != "contractor"]
    assert set(people) == {p.employee_id for p in payroll}
    assert units >= {"ADM", "FIN", "HR", "IT", "PW", "PD", "PARKS", "LIB"}
    assert laptop.custodian_person_id == people["E10001"].id
    assert held == 5
