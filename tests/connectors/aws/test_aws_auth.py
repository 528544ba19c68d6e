"""Credentials, the role and least privilege: failures say what to fix and never show a secret;
the sandbox enforces the README's policies, so a call the connector is not allowed fails here."""

from __future__ import annotations

import pytest

from connectors.aws import policies
from connectors.aws.sandbox import AwsSandbox
from core.errors import AuthError

from .support import ConnectorFactory, read


def test_check_proves_credentials_listing_and_role(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    result = connect().check()
    assert result.ok, result.message
    assert (
        "arn:aws:iam::123456789012:user/itsm-hub" in result.message
        and "role ItsmHubReadOnly assumed" in result.message
    )


def test_a_wrong_secret_fails_the_check_without_showing_it(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    secret = "wrong-secret-access-key-0000000000000000"
    result = connect(secret_access_key=secret).check()
    assert not result.ok and result.details["kind"] == "auth"
    assert (
        "SignatureDoesNotMatch" in result.message
        and "check the access key ID and secret access key" in result.message
    )
    assert secret not in result.message and aws.instance_config()["access_key_id"] not in result.message


def test_an_unknown_access_key_is_refused(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    result = connect(access_key_id="AKIAIOSFODNN7EXAMPLE").check()
    assert not result.ok and "InvalidClientTokenId" in result.message


def test_a_wrong_external_id_is_refused_by_the_trust_policy(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    result = connect(external_id="guessed").check()
    assert not result.ok
    assert "cannot assume arn:aws:iam::" in result.message and ":role/ItsmHubReadOnly" in result.message
    assert "AccessDenied" in result.message and "trust policy in connectors/aws/README.md" in result.message


def test_a_missing_role_is_named(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    result = connect(role_name="NoSuchRole").check()
    assert not result.ok and ":role/NoSuchRole" in result.message


def test_the_role_allows_only_what_the_readme_lists(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    api = connect().sessions.account(aws.estate.account_of("FIN"))
    api.call("ec2", "describe_instances", region="us-east-1")  # listed: allowed
    with pytest.raises(AuthError) as denied:
        api.call("iam", "list_roles")  # not listed: denied by moto's policy evaluation
    assert "may not call iam:ListRoles" in str(denied.value) and "allow iam:ListRoles" in str(denied.value)
    assert "iam:ListRoles" not in policies.READ_ONLY_ACTIONS


def test_the_own_account_can_be_read_through_the_role_too(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    connector = connect(own_account_access="assume_role")
    records = read(connector.stream("iam_users"), {"account_id": aws.estate.management})
    assert {"itsm-hub", "svc-backup"} <= {r["UserName"] for r in records}
    assert connector.calls.counts["sts:AssumeRole"] == 1


def test_an_expired_session_is_renewed_and_the_read_goes_on(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.account_of("HR"), "region": "us-east-1"}
    connector = connect(resource_types=["ec2:instance", "rds:db"])
    stream = connector.stream("resources")
    first = read(stream, partition)
    assert connector.calls.counts["sts:AssumeRole"] == 1
    aws.faults.arm_from_dict({"kind": "expire_tokens", "path": "^/ec2/"})
    again = read(stream, partition)
    assert [r["arn"] for r in again] == [r["arn"] for r in first]
    assert connector.calls.counts["sts:AssumeRole"] == 2, "re-assumed once after ExpiredToken"


def test_a_listing_resumes_after_its_last_page_when_the_session_expires_mid_way(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    """The role's session expiring between page 2 and page 3 costs one re-assume and one repeated
    request, never the pages already read: each instance is listed exactly once (EC2 pages by
    `NextToken`; the listing restarts from `PaginationConfig.StartingToken`)."""
    assert aws.estate is not None
    where = {"account_id": aws.estate.account_of("HR"), "region": "eu-west-1"}
    launched = [arn for _ in range(12) for arn in aws.admin("launch_instance", where)]
    try:
        api = connect(page_size=5).sessions.account(where["account_id"])

        def reservations() -> list[str]:
            pages = api.pages("ec2", "describe_instances", region="eu-west-1")
            return [r["ReservationId"] for page in pages for r in page["Reservations"]]

        expected = reservations()
        assert len(expected) > 10, "three pages of five or more"
        sent_before = api.sessions.calls.counts["ec2:DescribeInstances"]
        aws.faults.arm_from_dict({"kind": "expire_tokens", "path": "^/ec2/DescribeInstances", "after": 2})
        assert reservations() == expected, "no page twice, none skipped"
        assert api.sessions.calls.counts["sts:AssumeRole"] == 2, "re-assumed once"
        pages = -(-len(expected) // 5)
        assert api.sessions.calls.counts["ec2:DescribeInstances"] - sent_before == pages + 1, (
            "only the refused request is sent again"
        )
    finally:
        for arn in launched:
            aws.admin("terminate_instance", {"arn": arn})
