"""mappings/aws.yaml on the sandbox's real records (through core.mapping.load_mappings): accounts
become cloud accounts, IAM users accounts linked by tag, e-mail user name or employee ID, and
resources cloud resources whose owner and org unit come from tags; both inventory modes map alike."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.aws.sandbox import AwsSandbox
from core.mapping import MappingSet, load_mappings
from core.sandbox.org import DEPARTMENTS, roster

from .conftest import SCALE
from .support import ConnectorFactory, read_all

SHIPPED = Path(__file__).resolve().parents[3] / "mappings"
ORG_UNIT_OF = {d.cost_center: d.code for d in DEPARTMENTS}


@pytest.fixture(scope="module")
def mappings(tmp_path_factory: pytest.TempPathFactory) -> MappingSet:
    """The shipped AWS mapping and its lookup table alone (other connectors' files are not under test)."""
    directory = tmp_path_factory.mktemp("mappings")
    shutil.copy(SHIPPED / "aws.yaml", directory / "aws.yaml")
    (directory / "lookups").mkdir()
    shutil.copy(SHIPPED / "lookups" / "aws_cost_center_org_units.csv", directory / "lookups")
    return load_mappings(directory)


def map_all(mappings: MappingSet, stream: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Canonical fields of every record (a mapping failure fails the test: AWS records are well formed)."""
    mapping = mappings.for_stream("aws", stream)
    assert mapping is not None
    mapped = []
    for record in records:
        fragment = mapping.apply(record)
        assert fragment is not None
        mapped.append(fragment.fields)
    return mapped


@pytest.fixture(scope="module")
def records(aws: AwsSandbox) -> dict[str, list[dict[str, Any]]]:
    from connectors.aws.config import AwsConfig
    from connectors.aws.connector import AwsConnector

    connector = AwsConnector(AwsConfig.model_validate(aws.instance_config()), instance="aws")
    try:
        return {s.name: read_all(s) for s in connector.streams()}
    finally:
        connector.close()


def test_every_stream_maps_to_its_entity(mappings: MappingSet) -> None:
    entities = {m.stream: m.entity for m in mappings.for_connector("aws")}
    assert entities == {"accounts": "cloud_account", "iam_users": "account", "resources": "cloud_resource"}


def test_accounts_become_cloud_accounts_with_owner_and_org_unit(
    aws: AwsSandbox, mappings: MappingSet, records: dict[str, list[dict[str, Any]]]
) -> None:
    assert aws.estate is not None
    accounts = {a["account_id"]: a for a in map_all(mappings, "accounts", records["accounts"])}
    finance = accounts[aws.estate.account_of("FIN")]
    assert (
        finance["provider"] == "aws" and finance["org_unit"] == "FIN" and finance["name"] == "agency-fin-prod"
    )
    assert finance["owner_ref"].endswith("@agency.example.gov") and finance["tenant_id"].startswith("o-")
    assert accounts[aws.estate.management]["org_unit"] == "IT"
    assert accounts[aws.estate.closed]["status"] == "SUSPENDED"


def test_iam_users_link_by_tag_email_name_or_employee_id(
    mappings: MappingSet, records: dict[str, list[dict[str, Any]]]
) -> None:
    people = roster(7, SCALE)
    emails, employee_ids = {p.email for p in people}, {p.employee_id for p in people}
    users = {u["login"]: u for u in map_all(mappings, "iam_users", records["iam_users"])}
    assert all(u["system"] == "aws_iam" and u["external_id"] == u["arn"] for u in users.values())
    backup = users["svc-backup"]
    assert (backup["owner_ref"], backup["employee_id"], backup["email"]) == (None, None, None)
    assert backup["enabled"] is True and backup["access_keys"][0]["status"] == "Active"
    assert backup["access_keys"][0]["created"] < backup["access_keys"][0]["last_used"]
    assert users["contractor-temp"]["employee_id"] is None, "an EmployeeId tag that is not an employee ID"
    assert users["contractor-temp"]["enabled"] is True and users["contractor-temp"]["console_access"] is True
    staff = [
        u
        for u in users.values()
        if u["login"] not in ("sandbox-admin", "itsm-hub", "svc-backup", "contractor-temp")
    ]
    for user in staff:
        hints = {user["employee_id"], user["owner_ref"], user["email"]} - {None}
        assert hints & (emails | employee_ids), f"{user['login']} links to nobody"
    assert any(u["email"] == u["login"] for u in staff), "a user named by its e-mail"
    assert any(u["employee_id"] and not u["owner_ref"] for u in staff), "a user known only by employee ID"
    assert any(u["mfa"] for u in staff) and any(u["console_access"] is False for u in staff)


def test_resources_get_owner_org_unit_state_and_type(
    mappings: MappingSet, records: dict[str, list[dict[str, Any]]]
) -> None:
    people = roster(7, SCALE)
    emails, employee_ids = {p.email for p in people}, {p.employee_id for p in people}
    resources = map_all(mappings, "resources", records["resources"])
    assert {r["type"] for r in resources} == {"ec2:instance", "s3:bucket", "rds:db", "lambda:function"}
    for resource, raw in zip(resources, records["resources"], strict=True):
        tags = raw["tags"]
        owner = (tags.get("Owner") or "").strip()
        if "@" in owner:
            assert resource["owner_ref"] == owner
        elif owner.upper().startswith("E1"):
            assert resource["owner_ref"].upper() in employee_ids
        elif "CreatedBy" in tags:
            assert (
                resource["owner_ref"] == f"{tags['CreatedBy']}@agency.example.gov"
                and resource["owner_ref"] in emails
            )
        else:  # TBD or no owner tag at all: unowned
            assert resource["owner_ref"] is None
        assert resource["org_unit"] == ORG_UNIT_OF.get(tags.get("CostCenter", ""))
        assert resource["cloud_account_id"] == raw["accountId"] and resource["region"] == raw["awsRegion"]
    by_type = {r["type"]: r for r in resources}
    assert by_type["ec2:instance"]["state"] == "running" and by_type["ec2:instance"]["sku"].startswith(
        ("t3", "m6i")
    )
    assert by_type["rds:db"]["state"] == "available" and by_type["rds:db"]["kind"] == "postgres"
    assert by_type["s3:bucket"]["state"] == "available" and by_type["lambda:function"]["sku"] == "python3.12"
    assert sum(r["owner_ref"] is None for r in resources) >= 1


def test_both_inventory_modes_map_to_the_same_fragments(
    aws: AwsSandbox, connect: ConnectorFactory, mappings: MappingSet, records: dict[str, list[dict[str, Any]]]
) -> None:
    aggregated = read_all(connect(aws.aggregator_config()).stream("resources"))
    by_service = {r["resource_id"]: r for r in map_all(mappings, "resources", records["resources"])}
    by_aggregator = {r["resource_id"]: r for r in map_all(mappings, "resources", aggregated)}
    assert by_service.keys() <= by_aggregator.keys()  # later tests' resources are in the newer read only
    for arn, fields in by_service.items():
        assert by_aggregator[arn] == fields, arn


OWNER_PATTERN = r"^([^@\s]+@[^@\s]+|[Ee]\d+)$"


@settings(max_examples=200, deadline=None)
@given(
    owner=st.one_of(
        st.none(),
        st.emails().map(lambda e: f"  {e} "),
        st.from_regex(r"[Ee]1\d{4}", fullmatch=True),
        st.text(max_size=20),
    ),
    created_by=st.one_of(st.none(), st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}", fullmatch=True)),
)
def test_owner_ref_is_an_email_an_employee_id_or_nothing(
    mappings: MappingSet, owner: str | None, created_by: str | None
) -> None:
    import re

    tags = {k: v for k, v in {"Owner": owner, "CreatedBy": created_by}.items() if v is not None}
    record = {"arn": "arn:aws:s3:::b", "resourceType": "AWS::S3::Bucket", "resourceId": "b", "resourceName": "b",
              "accountId": "123456789012", "awsRegion": "us-east-1", "resourceCreationTime": None,
              "tags": tags, "configuration": {}}  # fmt: skip
    mapping = mappings.for_stream("aws", "resources")
    assert mapping is not None
    fragment = mapping.apply(record)
    assert fragment is not None
    owner_ref = fragment.fields["owner_ref"]
    if owner is not None and re.match(OWNER_PATTERN, owner.strip()):
        assert owner_ref == owner.strip()
    elif created_by is not None:
        assert owner_ref == f"{created_by}@agency.example.gov"
    else:
        assert owner_ref is None
