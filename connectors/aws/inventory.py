"""Cloud resources of one account and region, listed service by service.

Every resource becomes one record in AWS Config's configuration-item vocabulary (`arn`,
`resourceType`, `resourceId`, `resourceName`, `accountId`, `awsRegion`, `resourceCreationTime`,
`tags`, `configuration`), so the per-service listing here and the Config aggregator query in
`aggregator.py` produce the same records and one mapping serves both. `configuration` keeps a
documented subset of the describe output (keys lower-camel-cased, as AWS Config does), not the
whole payload: records are stored and hashed on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.aws.config import ResourceType
from connectors.aws.records import camel, iso, jsonable, pick, tags_dict
from connectors.aws.session import AccountApi

CONFIG_TYPES: dict[ResourceType, str] = {
    "ec2:instance": "AWS::EC2::Instance",
    "s3:bucket": "AWS::S3::Bucket",
    "rds:db": "AWS::RDS::DBInstance",
    "lambda:function": "AWS::Lambda::Function",
}
#: the configuration properties kept per type (AWS Config property paths)
CONFIGURATION_FIELDS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::Instance": (
        "instanceId", "instanceType", "state.name", "launchTime", "imageId", "platformDetails",
        "privateIpAddress", "vpcId", "subnetId", "iamInstanceProfile.arn",
    ),
    "AWS::S3::Bucket": ("name", "creationDate"),
    "AWS::RDS::DBInstance": (
        "dBInstanceIdentifier", "dBInstanceClass", "dBInstanceStatus", "engine", "engineVersion",
        "multiAZ", "storageEncrypted", "allocatedStorage",
    ),
    "AWS::Lambda::Function": ("functionName", "runtime", "handler", "memorySize", "lastModified", "role", "packageType"),
}  # fmt: skip
GONE_STATES = frozenset({"terminated", "shutting-down", "deleting"})


def partition_of(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws-cn" if region.startswith("cn-") else "aws"


def resource_item(
    config_type: str,
    *,
    resource_id: str,
    name: str | None,
    arn: str,
    account_id: str,
    region: str,
    created: Any,
    tags: dict[str, str],
    raw: dict[str, Any],
    source: str,
) -> dict[str, Any]:
    """One resource record; `raw` is the describe output (PascalCase) of the resource."""
    configuration = pick(camel(jsonable(raw)), CONFIGURATION_FIELDS[config_type])
    return {
        "arn": arn,
        "resourceType": config_type,
        "resourceId": resource_id,
        "resourceName": name,
        "accountId": account_id,
        "awsRegion": region,
        "resourceCreationTime": iso(created),
        "tags": tags,
        "configuration": configuration,
        "source": source,
    }


class ServiceInventory:
    """Describe/list calls for the configured resource types in one account and region."""

    def __init__(self, api: AccountApi, account_id: str, region: str) -> None:
        self.api = api
        self.account_id = account_id
        self.region = region
        self.partition = partition_of(region)

    def resources(self, types: list[ResourceType]) -> Iterator[dict[str, Any]]:
        readers: dict[ResourceType, Callable[[], Iterator[dict[str, Any]]]] = {
            "ec2:instance": self.ec2_instances,
            "s3:bucket": self.s3_buckets,
            "rds:db": self.rds_instances,
            "lambda:function": self.lambda_functions,
        }
        for resource_type in types:
            yield from readers[resource_type]()

    def _item(self, config_type: str, **fields: Any) -> dict[str, Any]:
        return resource_item(
            config_type, account_id=self.account_id, region=self.region, source="services", **fields
        )

    def ec2_instances(self) -> Iterator[dict[str, Any]]:
        """ec2:DescribeInstances; terminated instances are left out (absence means deletion)."""
        for page in self.api.pages("ec2", "describe_instances", region=self.region):
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    if instance.get("State", {}).get("Name") in GONE_STATES:
                        continue
                    tags = tags_dict(instance.get("Tags"))
                    instance_id = instance["InstanceId"]
                    yield self._item(
                        "AWS::EC2::Instance",
                        resource_id=instance_id,
                        name=tags.get("Name"),
                        arn=f"arn:{self.partition}:ec2:{self.region}:{self.account_id}:instance/{instance_id}",
                        created=instance.get("LaunchTime"),
                        tags=tags,
                        raw=instance,
                    )

    def s3_buckets(self) -> Iterator[dict[str, Any]]:
        """s3:ListAllMyBuckets filtered to this region, then s3:GetBucketTagging per bucket."""
        for page in self.api.pages("s3", "list_buckets", region=self.region, BucketRegion=self.region):
            for bucket in page.get("Buckets", []):
                name = bucket["Name"]
                tagging = self.api.find(
                    "s3", "get_bucket_tagging", ("NoSuchTagSet",), region=self.region, Bucket=name
                )
                yield self._item(
                    "AWS::S3::Bucket",
                    resource_id=name,
                    name=name,
                    arn=f"arn:{self.partition}:s3:::{name}",
                    created=bucket.get("CreationDate"),
                    tags=tags_dict((tagging or {}).get("TagSet")),
                    raw=bucket,
                )

    def rds_instances(self) -> Iterator[dict[str, Any]]:
        """rds:DescribeDBInstances (tags come with it)."""
        for page in self.api.pages("rds", "describe_db_instances", region=self.region):
            for db in page["DBInstances"]:
                if db.get("DBInstanceStatus") in GONE_STATES:
                    continue
                yield self._item(
                    "AWS::RDS::DBInstance",
                    resource_id=db.get("DbiResourceId") or db["DBInstanceIdentifier"],
                    name=db["DBInstanceIdentifier"],
                    arn=db["DBInstanceArn"],
                    created=db.get("InstanceCreateTime"),
                    tags=tags_dict(db.get("TagList")),
                    raw=db,
                )

    def lambda_functions(self) -> Iterator[dict[str, Any]]:
        """lambda:ListFunctions, then lambda:ListTags per function (Lambda has no creation date)."""
        for page in self.api.pages("lambda", "list_functions", region=self.region):
            for function in page["Functions"]:
                arn = function["FunctionArn"]
                tags = self.api.call("lambda", "list_tags", region=self.region, Resource=arn).get("Tags")
                yield self._item(
                    "AWS::Lambda::Function",
                    resource_id=function["FunctionName"],
                    name=function["FunctionName"],
                    arn=arn,
                    created=None,
                    tags=tags_dict(tags),
                    raw=function,
                )
