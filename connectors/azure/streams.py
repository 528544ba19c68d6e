"""The Azure streams: subscriptions, resource groups and resources, all full snapshots.

Resource groups and (in the `arm` listing) resources are partitioned by subscription, so an
orchestrator fans subscriptions out and retries one alone. The `resource_graph` listing reads
every subscription in one partition through Resource Graph.

Each partition checkpoints once, after its last page: ARM skip tokens are short-lived, so a
resume from a stored token would often fail. A failed partition is re-read whole (its work unit
is small); the store keeps the partition's snapshot open across the failure, so the records the
failed run listed still count as seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from connectors.azure.client import AzureClient
from core import clock
from core.connector.contracts import Partition, ReadItem, StateCheckpoint, Stream

GRAPH_PARTITION: Partition = {"scope": "resource_graph"}

_TAGS = {"type": ["object", "null"], "additionalProperties": {"type": "string"}}
_NULLABLE_TEXT = {"type": ["string", "null"]}


def _completed(count: int) -> StateCheckpoint:
    return StateCheckpoint({"completed_at": clock.now().isoformat(), "records": count})


class SubscriptionsStream(Stream):
    name = "subscriptions"
    primary_key = ("subscriptionId",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "subscriptionId", "displayName", "state"],
        "properties": {
            "id": {"type": "string"},
            "subscriptionId": {"type": "string"},
            "displayName": {"type": "string"},
            "state": {"type": "string", "enum": ["Enabled", "Warned", "PastDue", "Disabled", "Deleted"]},
            "tenantId": _NULLABLE_TEXT,
            "authorizationSource": _NULLABLE_TEXT,
            "tags": _TAGS,
            "subscriptionPolicies": {"type": ["object", "null"]},
            "managedByTenants": {"type": ["array", "null"]},
        },
    }

    def __init__(self, client: AzureClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        count = 0
        for subscription in self.client.subscriptions():
            count += 1
            yield subscription
        yield _completed(count)


class _PerSubscriptionStream(Stream):
    """A stream with one partition per readable subscription."""

    def __init__(self, client: AzureClient) -> None:
        self.client = client

    def partitions(self) -> list[Partition]:
        return [{"subscription_id": s["subscriptionId"]} for s in self.client.subscriptions()]


class ResourceGroupsStream(_PerSubscriptionStream):
    name = "resource_groups"
    primary_key = ("id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "name", "location", "subscriptionId"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "type": {"type": "string"},
            "location": {"type": "string"},
            "managedBy": _NULLABLE_TEXT,
            "tags": _TAGS,
            "properties": {"type": ["object", "null"]},
            "subscriptionId": {"type": "string"},
        },
    }

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        subscription_id = partition["subscription_id"]
        count = 0
        for page in self.client.resource_group_pages(subscription_id):
            for group in page:
                count += 1
                yield {**group, "subscriptionId": subscription_id}
        yield _completed(count)


class ResourcesStream(_PerSubscriptionStream):
    """Resources as ARM lists them, or as Resource Graph returns them (`resource_graph`).

    Both shapes carry `subscriptionId` and `resourceGroup` (the connector adds them to ARM's
    records, taken from the resource ID). Resource Graph lower-cases `type` and `resourceGroup`
    and has no `createdTime`; ARM has no `properties`.
    """

    name = "resources"
    primary_key = ("id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "name", "type", "location", "subscriptionId", "resourceGroup"],
        "properties": {
            "id": {"type": "string", "pattern": "^/subscriptions/[^/]+/resource[gG]roups/[^/]+/providers/"},
            "name": {"type": "string"},
            "type": {"type": "string"},
            "location": {"type": "string"},
            "kind": _NULLABLE_TEXT,
            "managedBy": _NULLABLE_TEXT,
            "sku": {"type": ["object", "null"]},
            "plan": {"type": ["object", "null"]},
            "identity": {"type": ["object", "null"]},
            "tags": _TAGS,
            "createdTime": _NULLABLE_TEXT,
            "changedTime": _NULLABLE_TEXT,
            "provisioningState": _NULLABLE_TEXT,
            "properties": {"type": ["object", "null"]},
            "subscriptionId": {"type": "string"},
            "resourceGroup": {"type": "string"},
        },
    }

    def partitions(self) -> list[Partition]:
        if self.client.config.resource_listing == "resource_graph":
            return [dict(GRAPH_PARTITION)]
        return super().partitions()

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        count = 0
        if partition.get("scope") == GRAPH_PARTITION["scope"]:
            for page in self.client.graph_pages(self.client.config.subscription_ids):
                for row in page:
                    count += 1
                    yield row
        else:
            for page in self.client.resource_pages(partition["subscription_id"]):
                for resource in page:
                    count += 1
                    yield _with_scope(resource)
        yield _completed(count)


def _with_scope(resource: dict[str, Any]) -> dict[str, Any]:
    """Add the subscription and resource group that ARM leaves inside the resource ID."""
    parts = resource["id"].split("/")
    return {**resource, "subscriptionId": parts[2], "resourceGroup": parts[4]}
