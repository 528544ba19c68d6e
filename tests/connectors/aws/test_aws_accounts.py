"""Accounts: the organization's member accounts through Organizations, their tags, and the
account x region partitions the other streams fan out over."""

from __future__ import annotations

from connectors.aws.sandbox import AwsSandbox
from connectors.aws.sandbox.seed import REGIONS

from .support import ConnectorFactory, read


def test_every_account_of_the_organization_is_read_with_its_tags(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    estate = aws.estate
    assert estate is not None
    records = read(connect().stream("accounts"))
    assert sorted(r["Id"] for r in records) == sorted([*estate.accounts, estate.closed])
    org_ids = {r["OrganizationId"] for r in records}
    assert len(org_ids) == 1 and next(iter(org_ids)).startswith("o-")
    for record in records:
        assert record["ManagementAccountId"] == estate.management
        assert record["State"] == ("SUSPENDED" if record["Id"] == estate.closed else "ACTIVE")
    finance = next(r for r in records if r["Id"] == estate.account_of("FIN"))
    assert finance["Name"] == "agency-fin-prod"
    assert finance["Tags"]["CostCenter"] == "CC1100"
    assert finance["Tags"]["Owner"].endswith("@agency.example.gov")


def test_list_accounts_is_paged(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    connector = connect(page_size=5)
    records = read(connector.stream("accounts"))
    assert len(records) == 8
    assert connector.calls.counts["organizations:ListAccounts"] == 2  # 5 + 3


def test_partitions_are_account_by_region(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    connector = connect()
    resources = connector.stream("resources").partitions()
    assert len(resources) == len(aws.estate.accounts) * len(REGIONS)
    assert {p["account_id"] for p in resources} == set(aws.estate.accounts)  # not the closed account
    assert {p["region"] for p in resources} == set(REGIONS)
    users = connector.stream("iam_users").partitions()
    assert users == [{"account_id": a} for a in aws.estate.accounts]  # IAM is global: one per account
    assert connector.calls.counts["organizations:ListAccounts"] == 1  # the listing is cached per connector


def test_accounts_and_exclusions_narrow_the_partitions(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    finance, hr = aws.estate.account_of("FIN"), aws.estate.account_of("HR")
    only = connect(accounts=[finance, hr], exclude_accounts=[hr], regions=["us-west-2"])
    assert only.stream("resources").partitions() == [{"account_id": finance, "region": "us-west-2"}]


def test_without_organizations_the_listed_accounts_are_read_through_the_role(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    assert aws.estate is not None
    finance = aws.estate.account_of("FIN")
    connector = connect(use_organizations=False, accounts=[finance])
    records = read(connector.stream("accounts"))
    assert sorted(r["Id"] for r in records) == sorted([aws.estate.management, finance])
    assert all(r["OrganizationId"] is None for r in records)
    assert "organizations:ListAccounts" not in connector.calls.counts
    assert connector.calls.counts["sts:AssumeRole"] == 1  # the member account is entered with the role
