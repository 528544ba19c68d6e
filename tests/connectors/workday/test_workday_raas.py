"""The workers stream over Reports-as-a-Service: one JSON document per run, a full snapshot whose
rows become the same flat records as Get_Workers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from connectors.workday.streams import WorkersReportStream
from core.errors import AuthError
from tests.connectors.workday.conftest import SCALE, read


def test_report_is_a_full_snapshot_with_the_soap_record_shape(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    raas = make_connector(transport="raas").stream("workers")
    soap = make_connector().stream("workers")
    assert isinstance(raas, WorkersReportStream) and raas.mode == "full_snapshot"
    by_report, by_soap = read(raas).by("Worker_ID"), read(soap).by("Worker_ID")
    assert set(by_report) == set(by_soap) and len(by_report) == SCALE
    for worker_id, record in by_report.items():
        other = by_soap[worker_id]
        for name in (
            "WID",
            "Legal_Last_Name",
            "Email_Work",
            "Supervisory_Organization_Code",
            "Hire_Date",
            "Active",
        ):
            assert record.get(name) == other.get(name), f"{worker_id} {name}"
    assert by_report["E10001"]["Active"] is True, "'1' becomes true"


def test_rescinded_and_terminated_workers_follow_the_report_prompts(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    new_id = tenant.admin("hire", {"given_name": "Nadia", "family_name": "Haddad", "department": "HR"})
    tenant.admin("terminate", {"employee_id": "E10009", "termination_date": "2026-02-01"})
    everyone = read(make_connector(transport="raas").stream("workers")).by("Worker_ID")
    assert new_id in everyone and everyone["E10009"]["Terminated"] is True
    tenant.admin("rescind_hire", {"employee_id": new_id})
    current = make_connector(transport="raas", raas_prompts={"Include_Terminated_Workers": "0"})
    without = read(current.stream("workers")).by("Worker_ID")
    assert new_id not in without, "a rescinded hire is absent: the store's snapshot deletes it"
    assert "E10009" not in without, "the prompt left terminated workers out"


def test_report_with_a_wrong_password_is_an_auth_error(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    connector = make_connector(transport="raas", password="Wrong-Passw0rd-123")
    result = connector.check()
    assert not result.ok and "401" in result.message and "Wrong-Passw0rd-123" not in result.message
    with pytest.raises(AuthError):
        read(connector.stream("workers"))


def test_report_over_oauth(tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]) -> None:
    connector = make_connector(transport="raas", **tenant.oauth_config())
    assert connector.check().ok
    assert len(read(connector.stream("workers")).records) == SCALE
