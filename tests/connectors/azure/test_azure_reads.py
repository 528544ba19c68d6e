"""Reading the sandbox tenant with the real azure-mgmt clients: subscriptions, resource groups and
resources, nextLink paging (ARM) and $skipToken paging (Resource Graph), one partition per
subscription, and the same inventory from both listings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.azure.config import AzureConfig
from connectors.azure.sandbox import AzureSandbox
from core.testing.contract_kit import read_all
from tests.connectors.azure.support import Connect, read_stream


def readable(sandbox: AzureSandbox) -> list[str]:
    return [s.subscription_id for s in sandbox.estate.subscriptions if s.readable]


def live_resources(sandbox: AzureSandbox) -> int:
    estate = sandbox.estate
    return sum(estate.live_count(i) for i, s in enumerate(estate.subscriptions) if s.readable)


def test_subscriptions_are_every_readable_one_with_state_tenant_and_tags(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    records = read_stream(connect(sandbox), "subscriptions")

    assert sorted(r["subscriptionId"] for r in records) == sorted(readable(sandbox))
    restricted = next(s for s in sandbox.estate.subscriptions if not s.readable)
    assert restricted.subscription_id not in {r["subscriptionId"] for r in records}
    for record in records:
        assert record["id"] == f"/subscriptions/{record['subscriptionId']}"
        assert record["tenantId"] == sandbox.estate.tenant_id
        assert record["state"] == "Enabled"
        assert record["tags"]["CostCenter"].startswith("CC")
    assert any("\u2013" in r["displayName"] for r in records), "display names keep non-ASCII text"


def test_resources_follow_next_links_until_every_resource_of_every_subscription_is_read(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    connector = connect(sandbox, page_size=25)
    stream = connector.stream("resources")

    partitions = stream.partitions()
    assert partitions == [{"subscription_id": s} for s in readable(sandbox)]
    per_partition = {p["subscription_id"]: read_all(stream, None, p)[0] for p in partitions}

    assert all(len(records) > 25 for records in per_partition.values()), "several pages per subscription"
    every = [r for records in per_partition.values() for r in records]
    assert len(every) == live_resources(sandbox) == 202
    assert len({r["id"] for r in every}) == len(every)
    for subscription_id, records in per_partition.items():
        assert {r["subscriptionId"] for r in records} == {subscription_id}
        assert all(r["id"].split("/")[4] == r["resourceGroup"] for r in records)
    assert all("createdTime" in r and "provisioningState" in r for r in every), "$expand kept on next pages"
    assert not any("properties" in r for r in every), "ARM's list does not return properties"


def test_resource_records_carry_sku_kind_and_managed_by_as_arm_returns_them(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    records = read_stream(connect(sandbox), "resources")
    by_type: dict[str, list[dict]] = {}
    for record in records:
        by_type.setdefault(record["type"], []).append(record)

    disk = by_type["Microsoft.Compute/disks"][0]
    assert disk["managedBy"].lower() in {
        r["id"].lower() for r in by_type["Microsoft.Compute/virtualMachines"]
    }
    assert disk["sku"]["name"] in ("Premium_LRS", "StandardSSD_LRS")
    assert {r["kind"] for r in by_type["Microsoft.Storage/storageAccounts"]} == {"StorageV2"}
    assert any("identity" in r for r in by_type["Microsoft.Compute/virtualMachines"])
    assert any("tags" not in r for r in records), "untagged resources come without a tags key"


def test_resource_groups_are_listed_per_subscription(sandbox: AzureSandbox, connect: Connect) -> None:
    connector = connect(sandbox, page_size=3)
    stream = connector.stream("resource_groups")

    for partition in stream.partitions():
        records, _, state = read_all(stream, None, partition)
        names = {r["name"] for r in records}
        assert {"NetworkWatcherRG", "DefaultResourceGroup-EUS"} <= names
        assert len(records) > 3, "groups are paged too"
        assert {r["subscriptionId"] for r in records} == {partition["subscription_id"]}
        assert state is not None and state["records"] == len(records)


def test_resource_graph_reads_the_same_inventory_in_one_partition_with_skip_tokens(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    arm = read_stream(connect(sandbox), "resources")
    connector = connect(sandbox, resource_listing="resource_graph", page_size=30)
    stream = connector.stream("resources")

    assert stream.partitions() == [{"scope": "resource_graph"}]
    graph, _, state = read_all(stream, None, stream.partitions()[0])

    assert len(graph) == len(arm) > 30
    assert state is not None and state["records"] == len(graph)
    assert {r["id"].lower() for r in graph} == {r["id"].lower() for r in arm}
    assert all(r["type"] == r["type"].lower() for r in graph), "Resource Graph lower-cases types"
    assert {r["subscriptionId"] for r in graph} == set(readable(sandbox))
    vm = next(r for r in graph if r["type"] == "microsoft.compute/virtualmachines")
    assert vm["properties"]["extended"]["instanceView"]["powerState"]["code"].startswith("PowerState/")


def test_pinned_subscriptions_limit_partitions_and_the_graph_query(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    chosen = readable(sandbox)[1]
    arm = connect(sandbox, subscription_ids=[chosen])
    graph = connect(sandbox, subscription_ids=[chosen], resource_listing="resource_graph")

    assert arm.stream("resources").partitions() == [{"subscription_id": chosen}]
    assert [r["subscriptionId"] for r in read_stream(arm, "subscriptions")] == [chosen]
    assert {r["subscriptionId"] for r in read_stream(graph, "resources")} == {chosen}


def test_a_resource_filter_is_sent_to_arm(sandbox: AzureSandbox, connect: Connect) -> None:
    vms = connect(sandbox, resource_filter="resourceType eq 'Microsoft.Compute/virtualMachines'")

    records = read_stream(vms, "resources")

    assert records and {r["type"] for r in records} == {"Microsoft.Compute/virtualMachines"}


def test_a_tag_filter_is_refused_because_arm_would_drop_the_tags(sandbox: AzureSandbox) -> None:
    config = {**sandbox.instance_config(), "resource_filter": "tagName eq 'Owner'"}

    with pytest.raises(ValidationError, match="without their tags"):
        AzureConfig.model_validate(config)


def test_reading_twice_gives_identical_records(sandbox: AzureSandbox, connect: Connect) -> None:
    first = read_stream(connect(sandbox), "resources")
    second = read_stream(connect(sandbox), "resources")

    assert first == second, "the sandbox is deterministic: an unchanged estate reads the same"
