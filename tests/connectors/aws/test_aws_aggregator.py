"""The at-scale mode: one AWS Config aggregator query per partition gives the same resources as
listing service by service, without entering the member accounts."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.aws.aggregator import select_expression
from connectors.aws.sandbox import AwsSandbox
from connectors.aws.sandbox.recorder import InvalidExpression, parse_query

from .support import ConnectorFactory, read


def _comparable(records: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {r["arn"]: (r["resourceType"], r["resourceId"], r["resourceName"], r["tags"]) for r in records}


def test_the_aggregator_and_the_services_agree(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    services = connect().stream("resources")
    aggregator_connector = connect(aws.aggregator_config())
    aggregated = aggregator_connector.stream("resources")
    compared = 0
    for partition in services.partitions():
        by_service = _comparable(read(services, partition))
        by_aggregator = _comparable(read(aggregated, partition))
        assert by_aggregator == by_service, f"partition {partition}"
        compared += len(by_service)
    assert compared > 20
    calls = aggregator_connector.calls.counts
    assert "sts:AssumeRole" not in calls, "the aggregator is read with the hub's own credentials"
    assert set(calls) == {"config:SelectAggregateResourceConfig"}, "one query per partition, nothing else"


def test_aggregator_results_are_paged(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.account_of("IT"), "region": "us-west-2"}
    aws.admin("launch_instance", {**partition, "count": 7, "tags": {"Owner": "d@agency.example.gov"}})
    connector = connect(aws.aggregator_config(), page_size=5)
    records = read(connector.stream("resources"), partition)
    assert len(records) >= 7 and len({r["arn"] for r in records}) == len(records)
    assert connector.calls.counts["config:SelectAggregateResourceConfig"] == -(-len(records) // 5)


def test_terminated_instances_are_left_out(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.account_of("HR"), "region": "eu-west-1"}
    [arn] = aws.admin("launch_instance", {**partition, "tags": {"Owner": "e@agency.example.gov"}})
    stream = connect(aws.aggregator_config()).stream("resources")
    assert arn in {r["arn"] for r in read(stream, partition)}
    aws.admin("terminate_instance", {"arn": arn})
    assert arn not in {r["arn"] for r in read(stream, partition)}


def test_an_unknown_aggregator_fails_the_check_clearly(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    result = connect(aws.aggregator_config(), config_aggregator_name="no-such-aggregator").check()
    assert not result.ok
    assert (
        "NoSuchConfigurationAggregatorException" in result.message
        and "config:SelectAggregateResourceConfig" in result.message
    )


def test_the_query_uses_only_documented_operators_and_quotes_values() -> None:
    expression = select_expression(["ec2:instance", "s3:bucket"], "123456789012", "us-east-1")
    assert expression.startswith("SELECT resourceId, resourceName, resourceType, arn, accountId, awsRegion")
    assert "resourceType IN ('AWS::EC2::Instance', 'AWS::S3::Bucket')" in expression
    fields, keep = parse_query(expression)
    assert "configuration.instanceType" in fields and "tags" in fields
    item = {"resourceType": "AWS::S3::Bucket", "accountId": "123456789012", "awsRegion": "us-east-1"}
    assert keep(item) and not keep({**item, "awsRegion": "eu-west-1"})


@pytest.mark.parametrize(
    "expression",
    ["SELECT * FROM resources", "SELECT resourceId WHERE resourceType LIKE 'AWS::%'", "DELETE WHERE 1 = 1"],
)
def test_the_fake_refuses_what_it_does_not_understand(expression: str) -> None:
    with pytest.raises(InvalidExpression):
        parse_query(expression)
