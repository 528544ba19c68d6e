"""Azure Resource Manager and Resource Graph as Microsoft documents them (`documented/`): the
connector (through the Azure SDK) reads the documented list answers served verbatim, signing in
against the sandbox's Entra endpoints, and the sandbox answers the same requests in the same
shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from connectors.azure.connector import AzureConnector
from connectors.azure.sandbox import AzureSandbox
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape
from core.testing.reading import read

DOCUMENTED = load_examples(Path(__file__).parent / "documented")
SUBSCRIPTION = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"
PARTITION = {"subscription_id": SUBSCRIPTION}


def test_the_connector_reads_the_documented_answers(
    sandbox: AzureSandbox, connect: Callable[..., AzureConnector], sandbox_ca: SandboxCA
) -> None:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        arm = connect(sandbox, arm_endpoint=replay.url, max_retries=0)
        [subscription] = read(arm.stream("subscriptions")).records
        [group] = read(arm.stream("resource_groups"), partition=PARTITION).records
        [resource] = read(arm.stream("resources"), partition=PARTITION).records
        graph = connect(sandbox, arm_endpoint=replay.url, resource_listing="resource_graph", max_retries=0)
        stream = graph.stream("resources")
        [row] = read(stream, partition=stream.partitions()[0]).records
    assert (subscription["subscriptionId"], subscription["displayName"], subscription["state"]) == (
        SUBSCRIPTION,
        "Example Subscription",
        "Enabled",
    )
    assert group["name"] == "my-resource-group" and group["subscriptionId"] == SUBSCRIPTION
    assert resource["name"] == "vm-hr-01" and resource["resourceGroup"].lower() == "my-resource-group"
    assert resource["tags"] == {"Owner": "dana.reyes@agency.example.gov"}
    assert row["type"] == "microsoft.compute/virtualmachines" and row["subscriptionId"] == SUBSCRIPTION
    graph_query = next(r for r in replay.requests if r.path.endswith("Microsoft.ResourceGraph/resources"))
    assert graph_query.arg("api-version") == "2021-03-01", "the version the documented answer belongs to"


def test_the_sandbox_answers_in_the_documented_shapes(
    sandbox: AzureSandbox, connect: Callable[..., AzureConnector]
) -> None:
    connector = connect(sandbox)
    token = connector.client.credential.get_token(connector.config.scope).token
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(
            method, f"{sandbox.url}{path}", headers=headers, verify=sandbox.ca_path, timeout=30, **kwargs
        )
        answer.raise_for_status()
        return answer.json()

    subscriptions = call("GET", "/subscriptions", params={"api-version": "2022-12-01"})
    assert missing_shape(DOCUMENTED["subscriptions_list"].body, subscriptions) == []
    subscription = subscriptions["value"][0]["subscriptionId"]
    groups = call(
        "GET", f"/subscriptions/{subscription}/resourcegroups", params={"api-version": "2022-09-01"}
    )
    assert missing_shape(DOCUMENTED["resource_groups_list"].body, groups) == []
    resources = call(
        "GET",
        f"/subscriptions/{subscription}/resources",
        params={"api-version": "2022-09-01", "$expand": "createdTime,changedTime,provisioningState"},
    )
    assert missing_shape(DOCUMENTED["resources_list"].body, resources) == []
    rows = call(
        "POST",
        "/providers/Microsoft.ResourceGraph/resources",
        params={"api-version": "2021-03-01"},
        json={
            "subscriptions": [subscription],
            "query": "Resources | project id, name, type, location, subscriptionId, resourceGroup, tags",
            "options": {"resultFormat": "objectArray"},
        },
    )
    assert missing_shape(DOCUMENTED["resource_graph_query"].body, rows) == []
