"""Workday as Workday documents it (`documented/`): the connector reads a documented
Get_Workers answer, stops on a documented validation fault naming the element, and reads a
documented RaaS report, each served verbatim; the sandbox tenant answers the same requests in
the same shape (elements present where the document has them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.workday.config import WorkdayConfig
from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from connectors.workday.soap import WD, WorkersQuery, parse, response_of
from core import clock
from core.errors import FatalError
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples
from tests.connectors.workday.conftest import read

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


def _connector(sandbox: WorkdaySandbox, replay: ReplayServer, **overrides: Any) -> WorkdayConnector:
    settings = {**sandbox.instance_config(), "base_url": replay.url, "tenant": "documented", "max_retries": 0}
    connector = WorkdayConnector(WorkdayConfig.model_validate({**settings, **overrides}), instance="workday")
    connector.client._sleep = lambda seconds: None
    return connector


def test_the_connector_reads_the_documented_get_workers_answer(
    tenant: WorkdaySandbox, sandbox_ca: SandboxCA
) -> None:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        connector = _connector(tenant, replay)
        try:
            [worker] = read(connector.stream("workers")).records
        finally:
            connector.close()
    assert worker["WID"] == "3aa5550b7fe348b98d7b5741afc65534" and worker["Worker_ID"] == "21001"
    assert (worker["Legal_First_Name"], worker["Legal_Last_Name"]) == ("Logan", "McNeil")
    assert worker["Email_Work"] == "lmcneil@workday.net"
    assert (
        worker["Business_Title"] == "Chief Human Resources Officer"
        and worker["Location_Name"] == "San Francisco"
    )
    assert worker["Supervisory_Organization_Code"] == "HR" and worker["Active"] is True
    assert worker["Hire_Date"] == "2000-01-01"


def test_a_documented_validation_fault_stops_the_read_naming_the_element(
    tenant: WorkdaySandbox, sandbox_ca: SandboxCA
) -> None:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        connector = _connector(tenant, replay, tenant="documented-fault")
        try:
            with pytest.raises(FatalError) as refused:
                read(connector.stream("workers"))
        finally:
            connector.close()
    message = str(refused.value)
    assert "Client.validationError" in message and "Request_References/Worker_Reference/ID" in message


def test_the_connector_reads_the_documented_report(tenant: WorkdaySandbox, sandbox_ca: SandboxCA) -> None:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        connector = _connector(
            tenant, replay, transport="raas", raas_owner="ISU_ITSM_Hub", raas_report="ITSM_Workers"
        )
        try:
            [entry] = read(connector.stream("workers")).records
        finally:
            connector.close()
    assert entry["Worker_ID"] == "21001" and entry["Active"] is True and entry["Hire_Date"] == "2000-01-01"


def _paths(element: etree._Element, prefix: str = "") -> set[str]:
    """Every element path under `element` (local names), to compare documents by structure."""
    found = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        path = f"{prefix}/{etree.QName(child).localname}"
        found.add(path)
        found |= _paths(child, path)
    return found


def test_the_sandbox_answers_get_workers_with_the_documented_elements(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    connector = make_connector()
    now = clock.now()
    answer = connector.client.call(
        "Get_Workers", WorkersQuery(as_of=now.date(), as_of_entry=now, count=1).body("v42.0")
    )
    documented = response_of(parse(DOCUMENTED["get_workers_response"].body.encode()), "Get_Workers")
    # the sandbox's first worker is an ordinary active employee, like the documented one
    missing = _paths(documented) - _paths(answer)
    assert missing == set(), sorted(missing)
    assert answer.find(f"{WD}Response_Results/{WD}Total_Pages") is not None
