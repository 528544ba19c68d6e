"""Requested items go through the Service Catalog API (`order_now`): the instance creates the
request (REQ), the requested item (RITM) and the item's catalog tasks, and the hub finds an order
again by the key in its catalog variable before it would ever order twice. The Table API stays for
incidents and for reading back; an RITM inserted through it is refused, as least privilege does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from connectors.servicenow.config import ServiceNowConfig
from connectors.servicenow.sandbox import ServiceNowSandbox
from connectors.servicenow.sandbox.catalog import LIFECYCLE_ITEM
from connectors.servicenow.sink import ServiceNowSink
from core.errors import ConfigError, HubError
from core.testing.sink_kit import sample_ticket, unique_key

MakeSink = Callable[..., ServiceNowSink]


@pytest.fixture
def catalog_sink(sandbox: ServiceNowSandbox, make_sink: MakeSink) -> ServiceNowSink:
    return make_sink(**sandbox.catalog_config())


def _variables(sandbox: ServiceNowSandbox, ritm: str) -> dict[str, str]:
    store = sandbox.store
    values = {}
    for link in store.query("sc_item_option_mtom", f"request_item={ritm}"):
        option = store.tables["sc_item_option"][link["sc_item_option"]]
        values[store.tables["item_option_new"][option["item_option_new"]]["name"]] = option["value"]
    return values


def test_a_requested_item_is_ordered_with_its_request_variables_and_catalog_tasks(
    sandbox: ServiceNowSandbox, catalog_sink: ServiceNowSink
) -> None:
    key = unique_key("joiner")
    ticket = sample_ticket(key)
    created = catalog_sink.create(ticket)
    ritm = sandbox.store.tables["sc_req_item"][created["external_id"]]
    request = sandbox.store.tables["sc_request"][ritm["request"]]
    assert ritm["number"].startswith("RITM") and request["number"].startswith("REQ")
    assert ritm["cat_item"] == LIFECYCLE_ITEM.sys_id
    assert (ritm["correlation_id"], ritm["correlation_display"]) == (key, "itsm-hub")
    variables = _variables(sandbox, ritm["sys_id"])
    assert variables["hub_key"] == key and variables["employee_id"] == ticket["employee_id"]
    assert "Tasks:" in variables["details"]
    tasks = [t["short_description"] for t in sandbox.store.query("sc_task", f"request_item={ritm['sys_id']}")]
    assert tasks[0] == "Fulfil: Employee lifecycle request", "the item's own flow ran"
    assert tasks[1:] == [t["title"] for t in ticket["tasks"]]
    assert catalog_sink.find(key) == created
    assert catalog_sink.cancel(created["external_id"], "hire rescinded")["state"] == "cancelled"
    assert sandbox.store.tables["sc_req_item"][created["external_id"]]["state"] == "4"  # Closed Incomplete


def test_an_order_whose_answer_was_lost_is_found_by_its_variable_not_ordered_again(
    sandbox: ServiceNowSandbox, catalog_sink: ServiceNowSink
) -> None:
    key = unique_key("leaver")
    ticket = sample_ticket(key)
    catalog_sink.catalog.order(
        ticket, "Details\nTasks:\n- Disable directory account\n- Recover laptop", "2031-03-14 17:00:00"
    )
    before = sandbox.admin("count_records", {"table": "sc_request"})

    found = catalog_sink.find(key)

    assert found is not None
    ritm = sandbox.store.tables["sc_req_item"][found["external_id"]]
    assert ritm["correlation_id"] == key and ritm["correlation_display"] == "itsm-hub"
    tasks = [t["short_description"] for t in sandbox.store.query("sc_task", f"request_item={ritm['sys_id']}")]
    assert tasks[1:] == ["Disable directory account", "Recover laptop"], "finished from the details variable"
    assert sandbox.admin("count_records", {"table": "sc_request"}) == before, "nothing ordered twice"


def test_inserting_a_requested_item_through_the_table_api_is_refused(
    sandbox: ServiceNowSandbox, catalog_sink: ServiceNowSink
) -> None:
    """What the sink used to do (a RITM with no request, no workflow) is refused as the ACLs of a
    least-privilege integration user refuse it, with ServiceNow's error shape."""
    with pytest.raises(HubError, match="ACL Exception Insert Failed"):
        catalog_sink.client.insert("sc_req_item", {"short_description": "x"}, ["sys_id"])
    with pytest.raises(ValidationError, match="table sc_req_item needs catalog_item"):
        ServiceNowConfig.model_validate({**sandbox.instance_config(), "table": "sc_req_item"})


def _order(sandbox: ServiceNowSandbox, item: str, body: Any) -> requests.Response:
    config = sandbox.instance_config()
    return requests.post(
        f"{sandbox.url}/api/sn_sc/servicecatalog/items/{item}/order_now",
        auth=(config["username"], config["password"]),
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        data=body if isinstance(body, str) else None,
        json=None if isinstance(body, str) else body,
        verify=sandbox.ca_path,
        timeout=10,
    )


@pytest.mark.parametrize(
    ("item", "body", "status", "message"),
    [
        (LIFECYCLE_ITEM.sys_id, {"sysparm_quantity": "1", "variables": {"hub_key": "k"}}, 400,
         "Mandatory Variables are required"),
        ("0" * 32, {"sysparm_quantity": "1", "variables": {}}, 404, "No Record found"),
        (LIFECYCLE_ITEM.sys_id, {"sysparm_quantity": "0", "variables": {}}, 400, "Invalid quantity"),
        (LIFECYCLE_ITEM.sys_id, "{not json", 400, "Exception while reading request"),
    ],
)  # fmt: skip
def test_the_catalog_refuses_what_the_instance_refuses(
    sandbox: ServiceNowSandbox, item: str, body: Any, status: int, message: str
) -> None:
    answer = _order(sandbox, item, body)
    assert answer.status_code == status
    assert answer.json()["status"] == "failure" and answer.json()["error"]["message"] == message


def test_a_missing_mandatory_variable_or_two_step_checkout_is_a_config_error(
    sandbox: ServiceNowSandbox, make_sink: MakeSink
) -> None:
    without_employee = make_sink(**sandbox.catalog_config(), catalog_variables={"hub_key": "key"})
    with pytest.raises(ConfigError, match="Mandatory Variables are required: employee_id"):
        without_employee.create(sample_ticket(unique_key("joiner")))
    sandbox.catalog.two_step_checkout = True
    try:
        with pytest.raises(ConfigError, match="two-step checkout"):
            make_sink(**sandbox.catalog_config()).create(sample_ticket(unique_key("joiner")))
    finally:
        sandbox.catalog.two_step_checkout = False
