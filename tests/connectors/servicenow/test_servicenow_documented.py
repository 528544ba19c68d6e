"""ServiceNow as ServiceNow documents it (`documented/`): the sink reads the documented Table API
and Service Catalog answers served verbatim, and the sandbox answers the same requests in the
same shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.servicenow.config import ServiceNowConfig
from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sandbox.catalog import LIFECYCLE_ITEM
from connectors.servicenow.sink import ServiceNowSink
from core.errors import FatalError
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


@pytest.fixture
def documented_sink(sandbox: ServiceNowSandbox, sandbox_ca: SandboxCA) -> Any:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        settings = {
            **sandbox.instance_config(),
            "instance_url": replay.url,
            "auth": "basic",
            "max_retries": 0,
        }
        sink = ServiceNowSink(ServiceNowConfig.model_validate(settings), instance="servicenow")
        yield sink, replay
        sink.close()


def test_the_sink_reads_the_documented_table_api_answers(documented_sink: Any) -> None:
    sink, replay = documented_sink
    found = sink.find("leaver:E10042:2031-03-14")
    assert found is not None
    assert (found["external_id"], found["state"]) == ("9d385017c611228701d22104cc95c371", "in_progress")
    query = replay.requests[0]
    assert query.arg("sysparm_exclude_reference_link") == "true"
    assert query.arg("sysparm_query", "").startswith("correlation_id=leaver:E10042:2031-03-14^")
    with pytest.raises(FatalError, match="incident record 0123456789abcdef0123456789abcdef not found"):
        sink.fetch_status("0123456789abcdef0123456789abcdef")
    inserted = sink.client.insert("incident", {"short_description": "x"}, ["sys_id", "number"])
    assert inserted["number"] == "INC0010003"


def test_the_client_reads_the_documented_order_now_answer(documented_sink: Any) -> None:
    sink, replay = documented_sink
    result = sink.client.order_now(LIFECYCLE_ITEM.sys_id, {"hub_key": "k"}, None)
    assert (result["request_id"], result["number"]) == ("ec7c5bc3db5b0010e3b1c3ee3b9619e0", "REQ0010044")
    sent = replay.requests[-1].json()
    assert sent == {"sysparm_quantity": "1", "variables": {"hub_key": "k"}}


def _call(sandbox: ServiceNowSandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    config = sandbox.instance_config()
    return requests.request(
        method,
        f"{sandbox.url}{path}",
        auth=(config["username"], config["password"]),
        headers={"Accept": "application/json"},
        verify=sandbox.ca_path,
        timeout=30,
        **kwargs,
    )


def test_the_sandbox_answers_in_the_documented_shapes(sandbox: ServiceNowSandbox) -> None:
    fields = "sys_id,number,state,correlation_id,correlation_display,description"
    params = {"sysparm_fields": fields, "sysparm_exclude_reference_link": "true", "sysparm_limit": "1"}
    listed = _call(sandbox, "GET", "/api/now/table/incident", params=params)
    assert missing_shape(DOCUMENTED["table_get_incidents"].body, listed.json()) == []
    assert listed.headers["X-Total-Count"].isdigit()

    created = _call(
        sandbox, "POST", "/api/now/table/incident", params=params, json={"short_description": "documented"}
    )
    assert created.status_code == DOCUMENTED["table_post_incident"].status
    assert missing_shape(DOCUMENTED["table_post_incident"].body, created.json()) == []

    missing = _call(sandbox, "GET", "/api/now/table/incident/0123456789abcdef0123456789abcdef")
    assert missing.status_code == 404 and missing.json() == DOCUMENTED["table_get_missing_record"].body

    ordered = _call(
        sandbox,
        "POST",
        f"/api/sn_sc/servicecatalog/items/{LIFECYCLE_ITEM.sys_id}/order_now",
        json={"sysparm_quantity": "1", "variables": {"hub_key": "documented-1", "employee_id": "E1"}},
    )
    assert missing_shape(DOCUMENTED["catalog_order_now"].body, ordered.json()) == []
