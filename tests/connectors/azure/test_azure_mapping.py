"""mappings/azure.yaml applied to the sandbox's real records (through core.mapping.load_mappings):
subscriptions become cloud accounts, groups and resources cloud resources, owners and org units
come from tags, malformed provider records are quarantined, and both listings agree."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.azure.sandbox import AzureSandbox
from core.errors import RecordError
from core.mapping import MappingSet, load_mappings
from core.model import CLOUD_RESOURCE
from core.sandbox.org import DEPARTMENTS
from tests.connectors.azure.support import Connect, read_stream

SHIPPED = Path(__file__).resolve().parents[3] / "mappings"
SHARED_FIELDS = ("resource_id", "type", "name", "region", "cloud_account_id", "resource_group", "owner_ref",
                 "org_unit", "tags", "kind")  # fmt: skip


@pytest.fixture(scope="module")
def mappings(tmp_path_factory: pytest.TempPathFactory) -> MappingSet:
    """The shipped Azure mapping and its lookup table alone (other connectors' files are not under test)."""
    directory = tmp_path_factory.mktemp("mappings")
    shutil.copy(SHIPPED / "azure.yaml", directory / "azure.yaml")
    (directory / "lookups").mkdir()
    shutil.copy(SHIPPED / "lookups" / "azure_cost_center_org_units.csv", directory / "lookups")
    return load_mappings(directory)


def map_all(
    mappings: MappingSet, stream: str, records: list[dict[str, Any]]
) -> tuple[list[dict], list[RecordError]]:
    mapping = mappings.for_stream("azure", stream)
    assert mapping is not None
    mapped, failed = [], []
    for record in records:
        try:
            fragment = mapping.apply(record)
        except RecordError as exc:
            failed.append(exc)
            continue
        assert fragment is not None
        mapped.append(fragment.fields)
    return mapped, failed


@pytest.fixture(scope="module")
def arm_records(sandbox: AzureSandbox) -> dict[str, list[dict]]:
    from connectors.azure.config import AzureConfig
    from connectors.azure.connector import AzureConnector

    connector = AzureConnector(AzureConfig.model_validate(sandbox.instance_config()), instance="azure")
    try:
        return {s.name: read_stream(connector, s.name) for s in connector.streams()}
    finally:
        connector.close()


def test_every_stream_maps_to_its_entity(mappings: MappingSet) -> None:
    entities = {m.stream: m.entity for m in mappings.for_connector("azure")}

    assert entities == {
        "subscriptions": "cloud_account",
        "resource_groups": "cloud_resource",
        "resources": "cloud_resource",
    }


def test_subscriptions_become_cloud_accounts_with_owner_and_org_unit(
    sandbox: AzureSandbox, mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    accounts, failed = map_all(mappings, "subscriptions", arm_records["subscriptions"])

    assert not failed
    emails = {p.email for p in sandbox.estate.people}
    for account in accounts:
        assert account["provider"] == "azure" and account["status"] == "Enabled"
        assert account["tenant_id"] == sandbox.estate.tenant_id
        assert account["owner_ref"] in emails
        assert account["org_unit"] in {d.code for d in DEPARTMENTS}


def test_owner_tags_become_owner_refs_in_every_spelling_and_untagged_resources_have_none(
    sandbox: AzureSandbox, mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    resources, _ = map_all(mappings, "resources", arm_records["resources"])
    people = sandbox.estate.people
    emails, employee_ids = {p.email for p in people}, {p.employee_id for p in people}

    def kind(owner: str | None) -> str:
        if owner is None:
            return "none"
        return "person" if owner.lower() in emails or owner.upper() in employee_ids else owner

    owners = Counter(kind(r["owner_ref"]) for r in resources)

    assert owners["person"] > 80 and owners["none"] > 30, owners
    assert set(owners) <= {"person", "none", "TBD"}
    assert all(r["owner_ref"] is None or r["owner_ref"] == r["owner_ref"].strip() for r in resources)
    assert any(r["owner_ref"] and r["owner_ref"].startswith("E1") for r in resources), "employee IDs"
    assert any(
        r["owner_ref"] and r["owner_ref"] != r["owner_ref"].lower() and "@" in r["owner_ref"]
        for r in resources
    )
    assert any(r["tags"] and "CreatedBy" in r["tags"] for r in resources if r["owner_ref"]), (
        "CreatedBy counts"
    )


def test_one_resource_is_owned_by_a_person_who_has_left(
    sandbox: AzureSandbox, mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    resources, _ = map_all(mappings, "resources", arm_records["resources"])
    departed = sandbox.estate.departed

    owned = [r for r in resources if r["owner_ref"] == departed.email]

    assert departed.status == "terminated"
    assert owned and {r["name"] for r in owned} >= {"vm-web-00000"}


def test_cost_centre_tags_become_org_unit_codes(
    mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    resources, _ = map_all(mappings, "resources", arm_records["resources"])
    by_cost_center = {d.cost_center: d.code for d in DEPARTMENTS}

    for resource in resources:
        cost_center = (resource["tags"] or {}).get("CostCenter")
        assert resource["org_unit"] == by_cost_center.get(str(cost_center))
    assert Counter(r["org_unit"] is None for r in resources)[False] > 100


def test_malformed_provider_records_are_quarantined_naming_the_field(
    mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    resources, failed = map_all(mappings, "resources", arm_records["resources"])

    assert len(resources) == 200
    assert sorted(f.field or "" for f in failed) == ["region", "type"]
    assert all("required field is empty" in f.message for f in failed)


def test_both_listings_give_the_same_canonical_resources(
    sandbox: AzureSandbox, mappings: MappingSet, arm_records: dict[str, list[dict]], connect: Connect
) -> None:
    graph = read_stream(connect(sandbox, resource_listing="resource_graph"), "resources")
    from_arm, _ = map_all(mappings, "resources", arm_records["resources"])
    from_graph, _ = map_all(mappings, "resources", graph)

    def shared(fields: dict) -> tuple:
        return tuple(fields[name] for name in SHARED_FIELDS)

    assert sorted(map(shared, from_arm), key=str) == sorted(map(shared, from_graph), key=str)
    assert all(r["created_at"] for r in from_arm) and not any(r["created_at"] for r in from_graph)
    assert {r["state"] for r in from_graph} >= {"running", "succeeded"}


def test_resource_groups_map_to_cloud_resources_of_their_own_type(
    mappings: MappingSet, arm_records: dict[str, list[dict]]
) -> None:
    groups, failed = map_all(mappings, "resource_groups", arm_records["resource_groups"])

    assert not failed and len(groups) == 25
    assert {g["type"] for g in groups} == {"microsoft.resources/resourcegroups"}
    assert all(set(g) <= set(CLOUD_RESOURCE) for g in groups)


TAG_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    tags=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["Owner", "owner", "CostCenter", "CreatedBy", "env"]) | TAG_TEXT,
            TAG_TEXT,
            max_size=6,
        ),
    )
)
def test_any_tags_map_without_failing_and_owner_refs_are_trimmed(
    mappings: MappingSet, tags: dict | None
) -> None:
    record = {
        "id": "/subscriptions/0000/resourceGroups/rg-x/providers/Microsoft.Web/sites/app-x",
        "name": "app-x",
        "type": "Microsoft.Web/sites",
        "location": "eastus",
        "subscriptionId": "0000",
        "resourceGroup": "rg-x",
        "tags": tags,
    }
    mapping = mappings.for_stream("azure", "resources")
    assert mapping is not None

    fragment = mapping.apply(record)

    assert fragment is not None
    owner = fragment.fields["owner_ref"]
    spelled = [(tags or {}).get(k) for k in ("Owner", "owner", "OWNER", "CreatedBy")]
    expected = next((v.strip() for v in spelled if v and not v.isspace()), None)  # coalesce skips blanks
    assert owner == expected
