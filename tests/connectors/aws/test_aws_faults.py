"""Throttling and 5xx: the service's real error codes, retried by botocore's retry mode (the hub
adds no retry of its own); beyond the budget the run fails as transient, resumable."""

from __future__ import annotations

import pytest

from connectors.aws.sandbox import AwsSandbox
from core.errors import FatalError, TransientError
from core.sandbox.faults import ServerError, Throttle

from .support import ConnectorFactory, read


@pytest.mark.parametrize(
    ("fault_path", "resource_type", "operation"),
    [
        ("^/ec2/DescribeInstances$", "ec2:instance", "ec2:DescribeInstances"),  # RequestLimitExceeded, 503
        ("^/rds/DescribeDBInstances$", "rds:db", "rds:DescribeDBInstances"),  # Throttling, 400
        (
            "^/lambda/2015-03-31/functions",
            "lambda:function",
            "lambda:ListFunctions",
        ),  # TooManyRequestsException, 429
        ("^/s3/$", "s3:bucket", "s3:ListBuckets"),  # SlowDown, 503
    ],
)
def test_each_services_throttling_is_retried(
    aws: AwsSandbox, connect: ConnectorFactory, fault_path: str, resource_type: str, operation: str
) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.management, "region": "us-east-1"}
    connector = connect(resource_types=[resource_type])
    stream = connector.stream("resources")
    expected = read(stream, partition)
    calls_before = connector.calls.counts[operation]
    fault = Throttle(path=fault_path, times=2, retry_after=0)
    aws.arm(fault)
    assert read(stream, partition) == expected
    assert fault.times == 0
    assert (
        connector.calls.counts[operation] - calls_before == calls_before + 2
    )  # the same calls plus two retries


def test_organizations_throttling_is_retried(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    fault = Throttle(path=aws.throttle_path, times=1)
    aws.arm(fault)
    connector = connect()
    assert len(read(connector.stream("accounts"))) == 8
    assert fault.times == 0 and connector.calls.counts["organizations:ListAccounts"] == 2


def test_throttling_beyond_the_retry_budget_fails_as_transient(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    assert aws.estate is not None
    aws.arm(Throttle(path="^/ec2/DescribeInstances$", times=10, retry_after=0))
    stream = connect(max_retries=1, resource_types=["ec2:instance"]).stream("resources")
    with pytest.raises(TransientError) as failed:
        read(stream, {"account_id": aws.estate.management, "region": "us-east-1"})
    assert "throttled ec2:DescribeInstances" in str(failed.value) and "RequestLimitExceeded" in str(
        failed.value
    )


def test_a_server_error_is_retried(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    fault = ServerError(path="^/iam/GetAccountAuthorizationDetails$", status=503, times=1)
    aws.arm(fault)
    connector = connect()
    records = read(connector.stream("iam_users"), {"account_id": aws.estate.management})
    assert fault.times == 0 and {"svc-backup", "ci-deployer"} <= {r["UserName"] for r in records}
    assert connector.calls.counts["iam:GetAccountAuthorizationDetails"] == 2


def test_only_calls_safe_to_repeat_are_sent_since_botocore_retries_every_call(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    connector = connect()
    api = connector.sessions.home
    sent = connector.calls.total
    with pytest.raises(FatalError, match="not a read"):
        api.call("ec2", "run_instances", ImageId="ami-12345678", MinCount=1, MaxCount=1)
    with pytest.raises(FatalError, match="not a read"):
        list(api.pages("iam", "create_user", UserName="x"))
    assert connector.calls.total == sent, "a write reached AWS"
    assert api.call("iam", "list_account_aliases")["AccountAliases"] is not None
