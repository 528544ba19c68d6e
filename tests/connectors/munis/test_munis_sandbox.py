"""The MUNIS sandbox is the demo organisation's payroll and asset register: the same people and
devices as the other sandboxes, deterministic, and mutable through named admin operations."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from connectors.munis.sandbox import MunisSandbox
from connectors.munis.sandbox.data import build
from core.sandbox.ca import SandboxCA
from core.sandbox.org import roster


def test_payroll_holds_the_roster_without_contractors() -> None:
    data = build(7, 60)
    people = roster(7, 60)
    for person in people:
        row = data.employees.get(person.employee_id[1:])
        if person.worker_type == "contractor":
            assert row is None
            continue
        assert row is not None
        assert (row["a_name_first"], row["a_name_last"]) == (person.given_name, person.family_name)
        assert row["e_hire_date"] == person.hire_date.isoformat()
        assert (
            row["e_activity_status"]
            == {"active": "A", "pre_hire": "A", "on_leave": "I", "terminated": "T"}[person.status]
        )


def test_every_roster_device_is_in_the_register_with_its_custodian() -> None:
    data = build(7, 60)
    by_tag = {a["fa_tag_number"]: a for a in data.assets.values()}
    for person in roster(7, 60):
        for device in person.devices:
            asset = by_tag[device.asset_tag]
            assert asset["fa_serial_number"].upper() == device.serial_number
            assert asset["fa_cost"] == f"{device.cost:.2f}"
            if asset["fa_status"] == "A":
                assert asset["fa_custodian_employee"] == person.employee_id[1:]
            else:  # a departed worker's returned device sits in storage
                assert person.status == "terminated" and asset["fa_custodian_employee"] is None


def test_the_register_reaches_the_requested_size_and_is_deterministic() -> None:
    first, again, other = build(7, 40, assets=500), build(7, 40, assets=500), build(8, 40, assets=500)
    assert len(first.assets) == 502  # plus the two malformed rows
    assert first.assets == again.assets and first.employees == again.employees
    assert first.employees != other.employees


def test_admin_ops_change_sql_and_the_next_export(munis: MunisSandbox) -> None:
    before = set(munis.export_dir.iterdir())
    result = munis.admin("transfer", {"employee_id": "E10003", "department": "PD"})
    assert munis.data.employees["10003"]["a_org_primary"] == "01300010"
    assert munis.data.employees["10003"]["a_location"] == "PD1"
    written = {p.name for p in set(munis.export_dir.iterdir()) - before}
    assert result["exported"][0] in written and f"{result['exported'][0]}.done" in written


def test_scenarios_may_use_the_workday_argument_names(munis: MunisSandbox) -> None:
    munis.admin(
        "hire",
        {
            "employee_id": "E10031",
            "given_name": "Iñaki",
            "family_name": "Åberg",
            "org": "PW",
            "hire_date": "2026-03-02",
        },
    )
    hired = munis.data.employees["10031"]
    assert (hired["a_name_first"], hired["a_name_last"], hired["e_hire_date"]) == (
        "Iñaki",
        "Åberg",
        "2026-03-02",
    )
    assert hired["a_org_primary"] == "01200010" and hired["e_email"] == "inaki.aberg@agency.example.gov"
    munis.admin("update_employee", {"employee_id": "E10031", "manager_employee_id": "E10005"})
    assert hired["e_supervisor"] == "10005"


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        ("promote", {}, "unknown munis admin op 'promote'"),
        ("terminate", {"employee_id": "E99999"}, "no MUNIS employee 'E99999'"),
        ("hire", {"first_name": "A", "last_name": "B", "department": "ZOO"}, "unknown department 'ZOO'"),
        (
            "hire",
            {"employee_id": "E10001", "first_name": "A", "last_name": "B", "department": "IT"},
            "already exists",
        ),
        ("update_employee", {"employee_id": "E10001", "shoe_size": "9"}, "unknown field 'shoe_size'"),
        ("dispose_asset", {"asset": "AT-404"}, "no fixed asset"),
        ("rehire", {"employee_id": "E10001"}, "is not terminated"),
    ],
)
def test_bad_admin_requests_say_what_is_accepted(
    munis: MunisSandbox, op: str, args: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        munis.admin(op, args)


def test_admin_over_https(sandbox_ca: SandboxCA, tmp_path: Path) -> None:
    munis = MunisSandbox(seed=7, scale=20, ca=sandbox_ca, workdir=tmp_path / "munis")
    with munis:
        response = requests.post(
            f"{munis.url}/_admin/terminate",
            json={"employee_id": "E10004", "termination_date": "2026-02-27"},
            verify=munis.ca_path,
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["result"]["termination_date"] == "2026-02-27"
        assert munis.data.employees["10004"]["e_activity_status"] == "T"
        refused = requests.post(f"{munis.url}/_admin/promote", json={}, verify=munis.ca_path, timeout=10)
        assert refused.status_code == 400 and "known: hire" in refused.json()["error"]
