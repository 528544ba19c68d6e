"""Scenario admin ops change what the next read sees, through both listings: resources created,
retagged and deleted, subscriptions created and disabled."""

from __future__ import annotations

import json

import pytest
import requests

from connectors.azure.sandbox import AzureSandbox
from tests.connectors.azure.support import Connect, read_stream

NEW_VM = {
    "resource_group": "rg-hr-onboarding",
    "type": "Microsoft.Compute/virtualMachines",
    "name": "vm-hr-kiosk-01",
    "location": "centralus",
    "tags": {"Owner": "E10003", "CostCenter": "CC1200"},
}


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"].lower(): r for r in records}


@pytest.mark.parametrize("listing", ["arm", "resource_graph"])
def test_a_created_resource_is_read_with_its_tags_and_group(
    fresh_sandbox: AzureSandbox, connect: Connect, listing: str
) -> None:
    resource_id = fresh_sandbox.admin("create_resource", NEW_VM)

    records = by_id(read_stream(connect(fresh_sandbox, resource_listing=listing), "resources"))

    created = records[resource_id.lower()]
    assert created["tags"] == NEW_VM["tags"]
    assert created["location"] == "centralus"
    assert created["resourceGroup"].lower() == "rg-hr-onboarding"
    groups = read_stream(connect(fresh_sandbox), "resource_groups")
    assert "rg-hr-onboarding" in {g["name"] for g in groups}, "the group was created with the resource"


def test_retagging_merges_replaces_and_deletes_tags(fresh_sandbox: AzureSandbox, connect: Connect) -> None:
    resource_id = fresh_sandbox.admin("create_resource", NEW_VM)

    fresh_sandbox.admin("tag_resource", {"resource_id": resource_id, "tags": {"Owner": "E10004"}})
    merged = by_id(read_stream(connect(fresh_sandbox), "resources"))[resource_id.lower()]
    fresh_sandbox.admin(
        "tag_resource", {"resource_id": resource_id, "tags": {"Owner": "E10005"}, "operation": "replace"}
    )
    replaced = by_id(read_stream(connect(fresh_sandbox), "resources"))[resource_id.lower()]
    fresh_sandbox.admin(
        "tag_resource", {"resource_id": resource_id, "tags": {"Owner": ""}, "operation": "delete"}
    )
    deleted = by_id(read_stream(connect(fresh_sandbox), "resources"))[resource_id.lower()]

    assert merged["tags"] == {"Owner": "E10004", "CostCenter": "CC1200"}
    assert merged["changedTime"] >= merged["createdTime"]
    assert replaced["tags"] == {"Owner": "E10005"}
    assert "tags" not in deleted


def test_retagging_a_generated_resource_changes_only_that_resource(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    before = read_stream(connect(fresh_sandbox), "resources")
    target = next(r for r in before if r["type"] == "Microsoft.Web/sites")

    fresh_sandbox.admin("tag_resource", {"resource_id": target["id"], "tags": {"Owner": "E10009"}})
    after = by_id(read_stream(connect(fresh_sandbox), "resources"))

    assert after[target["id"].lower()]["tags"]["Owner"] == "E10009"
    changed = [r for r in before if after[r["id"].lower()] != r]
    assert [r["id"] for r in changed] == [target["id"]]


@pytest.mark.parametrize("listing", ["arm", "resource_graph"])
def test_a_deleted_resource_is_no_longer_listed(
    fresh_sandbox: AzureSandbox, connect: Connect, listing: str
) -> None:
    before = read_stream(connect(fresh_sandbox, resource_listing=listing), "resources")
    victim = before[40]["id"]

    fresh_sandbox.admin("delete_resource", {"resource_id": victim})
    after = read_stream(connect(fresh_sandbox, resource_listing=listing), "resources")

    assert victim.lower() not in by_id(after)
    assert len(after) == len(before) - 1


def test_a_new_subscription_is_a_new_partition_and_a_disabled_one_stays_readable(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    new_id = fresh_sandbox.admin(
        "create_subscription", {"display_name": "Agency Library Makerspace", "department": "LIB"}
    )
    first = fresh_sandbox.estate.subscriptions[0].subscription_id
    fresh_sandbox.admin("disable_subscription", {"subscription_id": first})
    fresh_sandbox.admin("create_resource", {**NEW_VM, "subscription_id": new_id})

    connector = connect(fresh_sandbox)
    subscriptions = {s["subscriptionId"]: s for s in read_stream(connector, "subscriptions")}
    partitions = connector.stream("resources").partitions()
    resources = read_stream(connector, "resources")

    assert subscriptions[new_id]["displayName"] == "Agency Library Makerspace"
    assert subscriptions[new_id]["tags"] == {"CostCenter": "CC5000"}
    assert subscriptions[first]["state"] == "Disabled"
    assert {"subscription_id": new_id} in partitions
    assert [r["name"] for r in resources if r["subscriptionId"] == new_id] == ["vm-hr-kiosk-01"]
    assert any(r["subscriptionId"] == first for r in resources), (
        "a disabled subscription is read-only, not gone"
    )


def test_admin_ops_work_over_https_and_unknown_ops_are_refused(fresh_sandbox: AzureSandbox) -> None:
    def post(op: str, body: dict) -> requests.Response:
        # verify= per request: REQUESTS_CA_BUNDLE would override a session's verify
        url = f"{fresh_sandbox.url}/_admin/{op}"
        return requests.post(url, data=json.dumps(body), verify=fresh_sandbox.ca_path, timeout=10)

    created = post("create_resource", NEW_VM)
    unknown = post("resize_resource", {})
    missing = post("delete_resource", {"resource_id": "/subscriptions/x"})

    assert created.status_code == 200 and created.json()["result"].endswith("/vm-hr-kiosk-01")
    assert unknown.status_code == 400
    assert "known: create_resource, tag_resource, delete_resource" in unknown.json()["error"]
    assert missing.status_code == 400 and "no resource" in missing.json()["error"]
    with pytest.raises(ValueError, match="already exists"):
        fresh_sandbox.admin("create_resource", NEW_VM)
