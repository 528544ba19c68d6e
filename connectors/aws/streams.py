"""The AWS streams: accounts, IAM users (per account) and resources (per account x region).

All three are full snapshots (AWS has no change cursor for these listings): absence from a
complete read means deletion, decided by the store. Each read ends with one checkpoint that
records when the snapshot completed; a new read always starts over, so an interrupted read
repeats work but never skips any.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from connectors.aws.accounts import AccountDirectory
from connectors.aws.aggregator import AggregatorInventory
from connectors.aws.iam import CredentialReportUsers, PerUserUsers
from connectors.aws.inventory import ServiceInventory
from connectors.aws.session import AwsSessions
from core import clock
from core.connector.contracts import Partition, ReadItem, StateCheckpoint, Stream
from core.errors import ConfigError

TEXT = {"type": "string"}
MAYBE_TEXT = {"type": ["string", "null"]}
MAYBE_BOOL = {"type": ["boolean", "null"]}
TAGS = {"type": "object", "additionalProperties": {"type": "string"}}


def _finished(records: int) -> StateCheckpoint:
    return StateCheckpoint({"snapshot_completed_at": clock.now().isoformat(), "records": records})


class _AwsStream(Stream):
    def __init__(self, sessions: AwsSessions, directory: AccountDirectory) -> None:
        self.sessions = sessions
        self.directory = directory
        self.config = sessions.config

    @staticmethod
    def _field(partition: Partition, name: str, stream: str) -> str:
        value = partition.get(name)
        if not value:
            raise ConfigError(f"aws/{stream} needs a partition with {name!r}; got {partition}")
        return value


class AccountsStream(_AwsStream):
    """Accounts of the organization (organizations:ListAccounts + ListTagsForResource)."""

    name = "accounts"
    primary_key = ("Id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["Id", "Name", "State", "Tags"],
        "properties": {
            "Id": {"type": "string", "pattern": r"^\d{12}$"},
            "Arn": MAYBE_TEXT,
            "Name": TEXT,
            "Email": MAYBE_TEXT,
            "Status": MAYBE_TEXT,
            "State": TEXT,
            "JoinedMethod": MAYBE_TEXT,
            "JoinedTimestamp": MAYBE_TEXT,
            "OrganizationId": MAYBE_TEXT,
            "ManagementAccountId": MAYBE_TEXT,
            "Tags": TAGS,
        },
    }

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        count = 0
        for record in self.directory.account_records():
            count += 1
            yield record
        yield _finished(count)


ACCESS_KEY = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "id": MAYBE_TEXT,
        "status": {"enum": ["Active", "Inactive", "Expired"]},
        "created": MAYBE_TEXT,
        "last_used": MAYBE_TEXT,
        "last_used_service": MAYBE_TEXT,
        "last_used_region": MAYBE_TEXT,
    },
}


class IamUsersStream(_AwsStream):
    """IAM users of each account, with console password, MFA, access keys, groups and tags."""

    name = "iam_users"
    primary_key = ("Arn",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["AccountId", "UserName", "Arn", "Tags", "AccessKeys", "Source"],
        "properties": {
            "AccountId": {"type": "string", "pattern": r"^\d{12}$"},
            "UserName": TEXT,
            "UserId": MAYBE_TEXT,
            "Arn": {"type": "string", "pattern": r"^arn:aws[\w-]*:iam::\d{12}:user/"},
            "Path": MAYBE_TEXT,
            "CreateDate": MAYBE_TEXT,
            "Tags": TAGS,
            "Groups": {"type": "array", "items": TEXT},
            "Policies": {"type": "array", "items": TEXT},
            "PasswordEnabled": MAYBE_BOOL,
            "PasswordLastUsed": MAYBE_TEXT,
            "MfaActive": MAYBE_BOOL,
            "AccessKeys": {"type": "array", "items": ACCESS_KEY},
            "Source": {"enum": ["credential_report", "per_user"]},
            "ReportGeneratedAt": MAYBE_TEXT,
        },
    }

    def partitions(self) -> list[Partition]:
        """One partition per readable account (IAM is global: no region)."""
        return [{"account_id": account_id} for account_id in self.directory.readable_ids()]

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        account_id = self._field(partition, "account_id", self.name)
        api = self.sessions.account(account_id)
        users = (
            CredentialReportUsers(api, account_id, self.config.credential_report_wait_seconds)
            if self.config.iam_source == "credential_report"
            else PerUserUsers(api, account_id)
        )
        count = 0
        for record in users.users():
            count += 1
            yield record
        yield _finished(count)


class ResourcesStream(_AwsStream):
    """EC2 instances, S3 buckets, RDS DB instances and Lambda functions of an account and region."""

    name = "resources"
    primary_key = ("arn",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["arn", "resourceType", "resourceId", "accountId", "awsRegion", "tags", "configuration"],
        "properties": {
            "arn": {"type": "string", "pattern": r"^arn:aws[\w-]*:"},
            "resourceType": {
                "enum": [
                    "AWS::EC2::Instance",
                    "AWS::S3::Bucket",
                    "AWS::RDS::DBInstance",
                    "AWS::Lambda::Function",
                ]
            },
            "resourceId": TEXT,
            "resourceName": MAYBE_TEXT,
            "accountId": {"type": "string", "pattern": r"^\d{12}$"},
            "awsRegion": TEXT,
            "resourceCreationTime": MAYBE_TEXT,
            "tags": TAGS,
            "configuration": {"type": "object"},
            "source": {"enum": ["services", "config_aggregator"]},
        },
    }

    def partitions(self) -> list[Partition]:
        """Account x region: independent units Airflow fans out and retries one by one."""
        return [
            {"account_id": account_id, "region": region}
            for account_id in self.directory.readable_ids()
            for region in self.config.regions
        ]

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        account_id = self._field(partition, "account_id", self.name)
        region = self._field(partition, "region", self.name)
        if self.config.inventory_source == "config_aggregator":
            inventory: ServiceInventory | AggregatorInventory = AggregatorInventory(
                self.sessions.home, self.config.config_aggregator_name or "", account_id, region
            )
        else:
            inventory = ServiceInventory(self.sessions.account(account_id), account_id, region)
        count = 0
        for record in inventory.resources(list(self.config.resource_types)):
            count += 1
            yield record
        yield _finished(count)
