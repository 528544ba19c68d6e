"""Resources per account and region: EC2, S3, RDS and Lambda in AWS Config's item shape, with
tags as one dict, terminated instances gone from the snapshot, and describe calls paged."""

from __future__ import annotations

from collections import Counter
from typing import Any

from connectors.aws.sandbox import AwsSandbox

from .support import ConnectorFactory, read, read_all

TYPES = {"AWS::EC2::Instance", "AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::Lambda::Function"}


def test_every_partition_reads_only_its_account_and_region(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    stream = connect().stream("resources")
    seen: Counter[str] = Counter()
    for partition in stream.partitions():
        for record in read(stream, partition):
            assert (record["accountId"], record["awsRegion"]) == (
                partition["account_id"],
                partition["region"],
            )
            seen[record["resourceType"]] += 1
    assert set(seen) == TYPES, "the seed has every resource type"
    assert sum(seen.values()) == len({r["arn"] for r in read_all(stream)})


def test_records_carry_tags_and_the_configuration_subset(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    records = read_all(connect().stream("resources"))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["resourceType"], []).append(record)
    instance = by_type["AWS::EC2::Instance"][0]
    assert (
        instance["arn"]
        == f"arn:aws:ec2:{instance['awsRegion']}:{instance['accountId']}:instance/{instance['resourceId']}"
    )
    assert instance["configuration"]["state"]["name"] == "running"
    assert instance["configuration"]["instanceType"] in ("t3.micro", "t3.large", "m6i.xlarge")
    assert instance["resourceName"] == instance["tags"]["Name"]
    db = by_type["AWS::RDS::DBInstance"][0]
    assert (
        db["configuration"]["dBInstanceClass"] == "db.t3.medium"
        and db["configuration"]["engine"] == "postgres"
    )
    function = by_type["AWS::Lambda::Function"][0]
    assert function["configuration"]["runtime"] == "python3.12" and function["resourceCreationTime"] is None
    bucket = by_type["AWS::S3::Bucket"][0]
    assert bucket["arn"] == f"arn:aws:s3:::{bucket['resourceId']}"
    tags = [r["tags"] for r in records]
    assert any(t.get("Owner", "").endswith("@agency.example.gov") for t in tags)
    assert any(t.get("Owner", "").strip().startswith("e1") for t in tags), "an employee ID typed by hand"
    assert any("CreatedBy" in t for t in tags) and any(t.get("Owner") == "TBD" for t in tags)
    assert any("Owner" not in t and "CreatedBy" not in t for t in tags), "an unowned resource"
    assert any(t.get("CostCenter", "").startswith("CC") for t in tags)


def test_buckets_appear_only_in_their_own_region(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None and aws.admin_api is not None
    account = aws.estate.management
    arn = aws.admin_api.create_bucket(
        account, "eu-west-1", "agency-region-check-bucket", {"Owner": "x@agency.example.gov"}
    )
    stream = connect(resource_types=["s3:bucket"]).stream("resources")
    mine = [p for p in stream.partitions() if p["account_id"] == account]
    regions = {p["region"] for p in mine if arn in {r["arn"] for r in read(stream, p)}}
    assert regions == {"eu-west-1"}


def test_a_terminated_instance_leaves_the_snapshot_and_tags_are_current(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.account_of("PARKS"), "region": "us-west-2"}
    [kept, gone] = aws.admin(
        "launch_instance", {**partition, "count": 2, "tags": {"Owner": "a@agency.example.gov"}}
    )
    aws.admin(
        "tag_resource", {"arn": kept, "tags": {"Owner": "b@agency.example.gov", "CostCenter": "CC4000"}}
    )
    aws.admin("terminate_instance", {"arn": gone})
    records = {
        r["arn"]: r for r in read(connect(resource_types=["ec2:instance"]).stream("resources"), partition)
    }
    assert gone not in records
    assert records[kept]["tags"] == {"Owner": "b@agency.example.gov", "CostCenter": "CC4000"}


def test_describe_instances_is_paged(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.account_of("IT"), "region": "eu-west-1"}
    launched = [
        aws.admin("launch_instance", {**partition, "tags": {"Owner": "c@agency.example.gov"}})[0]
        for _ in range(6)
    ]
    connector = connect(
        page_size=5, resource_types=["ec2:instance"]
    )  # EC2 pages by reservation: 6 launches, 2+ pages
    arns = [r["arn"] for r in read(connector.stream("resources"), partition)]
    assert set(launched) <= set(arns) and len(arns) == len(set(arns))
    assert connector.calls.counts["ec2:DescribeInstances"] >= 2


def test_only_the_configured_resource_types_are_read(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    connector = connect(resource_types=["rds:db"], regions=["us-east-1"])
    records = read_all(connector.stream("resources"))
    assert {r["resourceType"] for r in records} <= {"AWS::RDS::DBInstance"}
    assert set(connector.calls.counts) <= {
        "sts:GetCallerIdentity",
        "organizations:ListAccounts",
        "sts:AssumeRole",
        "rds:DescribeDBInstances",
    }
