"""The Azure action against the HTTPS sandbox: tag a leaver's resource `hub-owner-left` through
ARM's Tags API (Get/Update At Scope with Merge), once; and the sandbox refusing what ARM refuses
(no Tag Contributor, no api-version, an unknown resource, a bad body, more than 50 tags, a name
with a forbidden character)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.azure.actions import TAG
from connectors.azure.sandbox import AzureSandbox
from core import clock
from core.actions import Action, ActionsDisabledError
from core.errors import AuthError
from tests.connectors.azure.support import Connect, read_stream

VM = {
    "resource_group": "rg-gis-lab",
    "type": "Microsoft.Compute/virtualMachines",
    "name": "vm-gis-left-01",
    "tags": {"Owner": "leaver@agency.example.gov", "CostCenter": "CC-410"},
}


def tag_action(resource_id: str, day: str = "2026-03-13") -> Action:
    return Action(
        "azure.tag_owner_left",
        "azure",
        resource_id,
        clock.now(),
        reason="E1:e1:leaver",
        params=(("date", day),),
    )


def writes(sandbox: AzureSandbox) -> int:
    return int(sandbox.admin("write_requests", {})["count"])


def test_the_tag_is_merged_once_and_every_other_tag_stays(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    resource_id = fresh_sandbox.admin("create_resource", VM)
    fresh_sandbox.admin("grant_tag_contributor", {})
    run = connect(fresh_sandbox, actions_enabled=True).executors()["azure.tag_owner_left"]

    plan = run.plan(tag_action(resource_id))
    assert plan.changes == (f"tag {TAG}: absent -> 2026-03-13",)
    assert writes(fresh_sandbox) == 0  # a dry run writes nothing

    outcome = run.execute(tag_action(resource_id))
    (exchange,) = outcome.exchanges
    assert exchange.request == f"PATCH {resource_id}/providers/Microsoft.Resources/tags/default"
    assert exchange.body == {"operation": "Merge", "properties": {"tags": {TAG: "2026-03-13"}}}
    assert exchange.answer["properties"]["tags"] == {**VM["tags"], TAG: "2026-03-13"}

    again = run.execute(tag_action(resource_id))
    assert not again.changed and writes(fresh_sandbox) == 1
    # the hub's own reads see the tag too (ARM's listing and the Tags API agree)
    listed = {r["id"].lower(): r for r in read_stream(connect(fresh_sandbox), "resources")}
    assert listed[resource_id.lower()]["tags"] == {**VM["tags"], TAG: "2026-03-13"}


def test_a_tag_name_written_in_another_case_is_the_same_tag(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    resource_id = fresh_sandbox.admin("create_resource", {**VM, "tags": {"HUB-Owner-Left": "2026-03-13"}})
    fresh_sandbox.admin("grant_tag_contributor", {})
    run = connect(fresh_sandbox, actions_enabled=True).executors()["azure.tag_owner_left"]

    assert run.plan(tag_action(resource_id)).noop
    moved = run.execute(tag_action(resource_id, "2026-03-20"))
    assert moved.exchanges[0].answer["properties"]["tags"] == {"HUB-Owner-Left": "2026-03-20"}


def test_without_tag_contributor_arm_refuses_and_nothing_changes(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    resource_id = fresh_sandbox.admin("create_resource", VM)
    run = connect(fresh_sandbox, actions_enabled=True).executors()["azure.tag_owner_left"]

    with pytest.raises(AuthError, match=r"403 AuthorizationFailed.*Microsoft\.Resources/tags/write"):
        run.execute(tag_action(resource_id))
    assert fresh_sandbox.admin("resource_tags", {"resource_id": resource_id})["tags"] == VM["tags"]


def test_an_instance_that_did_not_opt_in_has_no_executor(sandbox: AzureSandbox, connect: Connect) -> None:
    with pytest.raises(ActionsDisabledError, match="write actions are off"):
        connect(sandbox).executors()


@pytest.fixture
def patch(fresh_sandbox: AzureSandbox, connect: Connect) -> Any:
    """PATCH the Tags API as a raw client would (with the hub's token), to see ARM's refusals."""
    connector = connect(fresh_sandbox)
    token = connector.client.credential.get_token(connector.client.config.scope).token
    fresh_sandbox.admin("grant_tag_contributor", {})

    def send(resource_id: str, body: Any, query: str = "?api-version=2021-04-01") -> requests.Response:
        url = f"{fresh_sandbox.url}{resource_id}/providers/Microsoft.Resources/tags/default{query}"
        return requests.patch(
            url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=fresh_sandbox.ca_path,
            timeout=10,
        )

    return send


@pytest.mark.parametrize(
    ("body", "query", "status", "code"),
    [
        ({"operation": "Merge", "properties": {"tags": {"a": "b"}}}, "", 400, "MissingApiVersionParameter"),
        ({"properties": {"tags": {"a": "b"}}}, None, 400, "InvalidRequestContent"),
        ({"operation": "Upsert", "properties": {"tags": {"a": "b"}}}, None, 400, "InvalidRequestContent"),
        ({"operation": "Merge", "properties": {"tags": {"a/b": "c"}}}, None, 400, "InvalidTagNameCharacters"),
        (
            {"operation": "Merge", "properties": {"tags": {"a": "v" * 257}}},
            None,
            400,
            "InvalidTagNameOrValue",
        ),
        (
            {"operation": "Merge", "properties": {"tags": {f"t{i}": "x" for i in range(49)}}},
            None,
            400,
            "InvalidTagCount",
        ),
    ],
)
def test_the_sandbox_refuses_what_arm_refuses(
    fresh_sandbox: AzureSandbox, patch: Any, body: Any, query: str | None, status: int, code: str
) -> None:
    resource_id = fresh_sandbox.admin("create_resource", VM)  # two tags already: 49 more make 51
    answer = patch(resource_id, body) if query is None else patch(resource_id, body, query)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert fresh_sandbox.admin("resource_tags", {"resource_id": resource_id})["tags"] == VM["tags"]


def test_an_unknown_resource_is_not_found(fresh_sandbox: AzureSandbox, patch: Any) -> None:
    resource_id = fresh_sandbox.admin("create_resource", VM)
    answer = patch(resource_id + "-gone", {"operation": "Merge", "properties": {"tags": {"a": "b"}}})
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "ResourceNotFound")
