"""What the hub asks Workday for, checked against what Workday documents: one Worker_Reference per
worker (several IDs in one reference are alternate IDs of ONE worker), small pages, and a
Response_Group that leaves out organization data the hub never reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from connectors.workday.config import WorkdayConfig
from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from connectors.workday.soap import EXCLUDED_ORGANIZATION_DATA, WD, WorkersQuery
from core import clock
from core.errors import FatalError
from tests.connectors.workday.conftest import read

ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"


def _sent_get_workers(connector: WorkdayConnector) -> list[etree._Element]:
    """Every Get_Workers_Request the connector sends from now on (captured off the wire)."""
    sent: list[etree._Element] = []

    def keep(response: Any, *_: Any, **__: Any) -> None:
        body = response.request.body
        root = etree.fromstring(body if isinstance(body, bytes) else body.encode())
        request = root.find(f"{ENV}Body/{WD}Get_Workers_Request")
        if request is not None:
            sent.append(request)

    connector.client.http.session.hooks["response"].append(keep)
    return sent


def test_the_lookahead_names_each_pre_hire_in_its_own_worker_reference(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    """Three people starting the same Monday are looked up in one request, each in their own
    Worker_Reference, and each arrives with their own job, organization and manager."""
    titles = {"Ana Ruiz": "Accountant", "Bo Chen": "Payroll Clerk", "Cy Diaz": "Budget Analyst"}
    for name, title in titles.items():
        given, family = name.split()
        tenant.admin(
            "hire",
            {"given_name": given, "family_name": family, "department": "FIN", "title": title,
             "hire_date": "2026-03-16"},
        )  # fmt: skip
    connector = make_connector()
    sent = _sent_get_workers(connector)
    records = read(connector.stream("workers")).records

    pre_hires = {
        f"{r['Legal_First_Name']} {r['Legal_Last_Name']}": r for r in records if r["Pending_Hire_Date"]
    }
    assert {name: r["Business_Title"] for name, r in pre_hires.items()} == titles
    assert all(r["Supervisory_Organization_Code"] == "FIN" and r["Manager_ID"] for r in pre_hires.values())
    [lookup] = [q for q in sent if q.find(f"{WD}Request_References") is not None]
    references = lookup.findall(f"{WD}Request_References/{WD}Worker_Reference")
    assert [len(ref.findall(f"{WD}ID")) for ref in references] == [1, 1, 1]
    assert {ref.findtext(f"{WD}ID") for ref in references} == {r["WID"] for r in pre_hires.values()}


def test_several_ids_in_one_reference_are_one_worker_and_two_workers_there_are_refused(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector()
    first, second = list(tenant.directory.workers.values())[:2]
    now = clock.now()
    query = WorkersQuery(as_of=now.date(), as_of_entry=now)

    def request_with(reference: str) -> str:
        body = query.body(connector.config.api_version)
        opening = f'wd:version="{connector.config.api_version}">'
        return body.replace(
            opening, f"{opening}<wd:Request_References>{reference}</wd:Request_References>", 1
        )

    alternate_ids = (
        f'<wd:Worker_Reference><wd:ID wd:type="WID">{first.wid}</wd:ID>'
        f'<wd:ID wd:type="Employee_ID">{first.worker_id}</wd:ID></wd:Worker_Reference>'
    )
    answer = connector.client.call("Get_Workers", request_with(alternate_ids))
    assert [w.findtext(f"{WD}Worker_Reference/{WD}ID") for w in answer.iter(f"{WD}Worker")] == [first.wid]

    two_workers = (  # the shape the lookahead used to send: every pre-hire's WID in one reference
        f'<wd:Worker_Reference><wd:ID wd:type="WID">{first.wid}</wd:ID>'
        f'<wd:ID wd:type="WID">{second.wid}</wd:ID></wd:Worker_Reference>'
    )
    with pytest.raises(FatalError) as refused:
        connector.client.call("Get_Workers", request_with(two_workers))
    assert "Client.validationError" in str(refused.value)
    assert "must identify the same worker" in str(refused.value)


def test_pages_are_small_and_leave_out_organization_data_the_hub_never_reads(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    settings = {k: v for k, v in tenant.instance_config().items() if k != "page_size"}
    assert WorkdayConfig.model_validate(settings).page_size == 100, "tens to a hundred, not 999"

    connector = make_connector(page_size=100)
    sent = _sent_get_workers(connector)
    assert len(read(connector.stream("workers")).records) == tenant.scale
    group = sent[0].find(f"{WD}Response_Group")
    assert group is not None
    flags = {etree.QName(flag).localname: flag.text for flag in group}
    assert sent[0].findtext(f"{WD}Response_Filter/{WD}Count") == "100"
    assert all(flags[name] == "true" for name in EXCLUDED_ORGANIZATION_DATA)
    assert flags["Include_Organizations"] == flags["Include_Management_Chain_Data"] == "true"


def test_an_element_workday_does_not_know_in_the_response_group_is_a_validation_fault(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    connector = make_connector()
    now = clock.now()
    body = WorkersQuery(as_of=now.date(), as_of_entry=now).body(connector.config.api_version)
    body = body.replace(
        "<wd:Response_Group>", "<wd:Response_Group><wd:Include_Everything>true</wd:Include_Everything>"
    )
    with pytest.raises(
        FatalError, match=r"Include_Everything.*Response_Group|Response_Group.*Include_Everything"
    ):
        connector.client.call("Get_Workers", body)
