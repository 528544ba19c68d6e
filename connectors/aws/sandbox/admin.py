"""The sandbox's administrator: boto3 over HTTPS as `sandbox-admin` (management account) or
through `OrganizationAccountAccessRole` (member accounts), like an operator would - plus the
few things no AWS API can express (when a key was last used, when a user was created), written
into moto's model. Every resource it creates, tags or deletes is also recorded for the Config fake.
"""

from __future__ import annotations

import contextlib
import io
import threading
import zipfile
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from moto.iam.models import AccessKeyLastUsed, iam_backends

from connectors.aws.records import camel, jsonable, tags_dict
from connectors.aws.sandbox.recorder import ConfigRecorder

ADMIN_ROLE = "OrganizationAccountAccessRole"
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, s3={"addressing_style": "path"})


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class SandboxAdmin:
    """Clients and mutations used by the seed and by `admin(op, args)`; thread-safe."""

    def __init__(
        self, url: str, ca_path: str, key_id: str, secret: str, management: str, recorder: ConfigRecorder
    ):
        self.url, self.ca_path, self.management = url, ca_path, management
        self.key_id, self.secret = key_id, secret
        self.recorder = recorder
        self._lock = threading.Lock()
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    # -- clients ------------------------------------------------------------------------------
    def _session(self, account: str) -> boto3.Session:
        session = self._sessions.get(account)
        if session is None:
            base = boto3.Session(aws_access_key_id=self.key_id, aws_secret_access_key=self.secret)
            if account == self.management:
                session = base
            else:
                sts = base.client(
                    "sts", region_name="us-east-1", endpoint_url=self.url, verify=self.ca_path, config=_CONFIG
                )
                creds = sts.assume_role(
                    RoleArn=f"arn:aws:iam::{account}:role/{ADMIN_ROLE}", RoleSessionName="sandbox-admin"
                )["Credentials"]
                session = boto3.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                )
            self._sessions[account] = session
        return session

    def client(self, service: str, account: str | None = None, region: str = "us-east-1") -> Any:
        account = account or self.management
        with self._lock:
            client = self._clients.get((service, account, region))
            if client is None:
                client = self._session(account).client(
                    service,
                    region_name=region,
                    endpoint_url=self.url,
                    verify=self.ca_path,
                    config=_CONFIG,  # type: ignore[call-overload]
                )
                self._clients[(service, account, region)] = client
            return client

    def forget_sessions(self) -> None:
        """Drop assumed-role sessions (after an expire_tokens fault they are refused)."""
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if k == self.management}
            self._clients = {k: v for k, v in self._clients.items() if k[1] == self.management}

    # -- IAM users ------------------------------------------------------------------------------
    def create_user(
        self,
        account: str,
        user_name: str,
        tags: dict[str, str] | None = None,
        console_password: bool = False,
        mfa: bool = False,
        access_key: bool = False,
    ) -> dict[str, Any]:
        iam = self.client("iam", account)
        user = iam.create_user(UserName=user_name, Tags=_tag_list(tags or {}))["User"]
        if console_password:
            iam.create_login_profile(
                UserName=user_name, Password="Sandbox-Passw0rd!", PasswordResetRequired=False
            )
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user_name.replace("@", "-"))[
                "VirtualMFADevice"
            ]
            iam.enable_mfa_device(
                UserName=user_name,
                SerialNumber=serial["SerialNumber"],
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        keys = [self.create_access_key(account, user_name)] if access_key else []
        return {"arn": user["Arn"], "user_name": user_name, "access_keys": keys}

    def create_access_key(self, account: str, user_name: str) -> str:
        """A new key's ID (its secret is not kept: nobody signs with seeded user keys)."""
        key = self.client("iam", account).create_access_key(UserName=user_name)["AccessKey"]
        return str(key["AccessKeyId"])

    def delete_user(self, account: str, user_name: str) -> None:
        """Deletes a user the way IAM requires: keys, password, MFA, policies, groups first."""
        iam = self.client("iam", account)
        for key in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_login_profile(UserName=user_name)
        for device in iam.list_mfa_devices(UserName=user_name)["MFADevices"]:
            iam.deactivate_mfa_device(UserName=user_name, SerialNumber=device["SerialNumber"])
        for policy in iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=user_name, PolicyArn=policy["PolicyArn"])
        for name in iam.list_user_policies(UserName=user_name)["PolicyNames"]:
            iam.delete_user_policy(UserName=user_name, PolicyName=name)
        for group in iam.list_groups_for_user(UserName=user_name)["Groups"]:
            iam.remove_user_from_group(UserName=user_name, GroupName=group["GroupName"])
        iam.delete_user(UserName=user_name)

    def backdate(
        self,
        account: str,
        user_name: str,
        *,
        created: datetime | None = None,
        key_created: datetime | None = None,
        key_last_used: datetime | None = None,
        password_last_used: datetime | None = None,
    ) -> None:
        """History no API can write: creation and last-use times, set in moto's IAM model."""
        user: Any = iam_backends[account]["aws"].users[user_name]
        if created is not None:
            user.create_date = created
        if password_last_used is not None:
            user.password_last_used = password_last_used
        for key in user.access_keys:
            if key_created is not None:
                key.create_date = key_created
            if key_last_used is not None:
                key.last_used = AccessKeyLastUsed(timestamp=key_last_used, service="s3", region="us-east-1")

    # -- resources ------------------------------------------------------------------------------
    def _record(self, config_type: str, arn: str, resource_id: str, name: str | None, account: str, region: str,
                created: Any, tags: dict[str, str], raw: dict[str, Any]) -> None:  # fmt: skip
        self.recorder.record(
            {
                "arn": arn,
                "resourceType": config_type,
                "resourceId": resource_id,
                "resourceName": name,
                "accountId": account,
                "awsRegion": region,
                "resourceCreationTime": jsonable(created),
                "tags": [{"key": k, "value": v} for k, v in tags.items()],
                "configuration": camel(
                    jsonable({k: v for k, v in raw.items() if k not in ("Tags", "TagList")})
                ),
            }
        )

    def launch_instances(
        self, account: str, region: str, count: int, tags: dict[str, str], instance_type: str = "t3.micro"
    ) -> list[str]:
        ec2 = self.client("ec2", account, region)
        spec = [{"ResourceType": "instance", "Tags": _tag_list(tags)}] if tags else []
        launched = ec2.run_instances(
            ImageId="ami-0abcdef1234567890",
            MinCount=count,
            MaxCount=count,
            InstanceType=instance_type,
            TagSpecifications=spec,
        )["Instances"]
        ids = [i["InstanceId"] for i in launched]
        arns = []
        for reservation in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
            for instance in reservation["Instances"]:
                arn = f"arn:aws:ec2:{region}:{account}:instance/{instance['InstanceId']}"
                tag_map = tags_dict(instance.get("Tags"))
                self._record("AWS::EC2::Instance", arn, instance["InstanceId"], tag_map.get("Name"), account, region,
                             instance.get("LaunchTime"), tag_map, instance)  # fmt: skip
                arns.append(arn)
        return arns

    def terminate_instance(self, arn: str) -> None:
        _, _, _, region, account, resource = arn.split(":", 5)
        self.client("ec2", account, region).terminate_instances(InstanceIds=[resource.split("/", 1)[1]])
        self.recorder.delete(arn)

    def create_bucket(self, account: str, region: str, name: str, tags: dict[str, str]) -> str:
        s3 = self.client("s3", account, region)
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**params)
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(tags)})
            tags = tags_dict(s3.get_bucket_tagging(Bucket=name)["TagSet"])  # as S3 stored them
        bucket = next(b for b in s3.list_buckets(BucketRegion=region)["Buckets"] if b["Name"] == name)
        arn = f"arn:aws:s3:::{name}"
        self._record(
            "AWS::S3::Bucket", arn, name, name, account, region, bucket.get("CreationDate"), tags, bucket
        )
        return arn

    def create_db(
        self, account: str, region: str, identifier: str, tags: dict[str, str], engine: str = "postgres"
    ) -> str:
        db = self.client("rds", account, region).create_db_instance(
            DBInstanceIdentifier=identifier, Engine=engine, DBInstanceClass="db.t3.medium", AllocatedStorage=50,
            MasterUsername="dbadmin", MasterUserPassword="Sandbox-Passw0rd!", Tags=_tag_list(tags),
        )["DBInstance"]  # fmt: skip
        self._record("AWS::RDS::DBInstance", db["DBInstanceArn"], db.get("DbiResourceId") or identifier, identifier,
                     account, region, db.get("InstanceCreateTime"), tags, db)  # fmt: skip
        return str(db["DBInstanceArn"])

    def create_function(
        self, account: str, region: str, name: str, tags: dict[str, str], role_arn: str
    ) -> str:
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handle(event, context):\n    return {'ok': True}\n")
        function = self.client("lambda", account, region).create_function(
            FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="handler.handle",
            Code={"ZipFile": code.getvalue()}, Tags=tags,
        )  # fmt: skip
        self._record(
            "AWS::Lambda::Function",
            function["FunctionArn"],
            name,
            name,
            account,
            region,
            None,
            tags,
            function,
        )
        return str(function["FunctionArn"])

    def tag_resource(self, arn: str, tags: dict[str, str], account: str | None = None) -> None:
        """Adds (or overwrites) tags on an EC2 instance, S3 bucket, RDS instance, Lambda function or IAM user."""
        parts = arn.split(":", 5)
        if len(parts) < 6:
            raise ValueError(f"not an ARN: {arn!r}")
        service, region, owner, resource = parts[2], parts[3], parts[4], parts[5]
        if service == "ec2" and resource.startswith("instance/"):
            self.client("ec2", owner, region).create_tags(
                Resources=[resource.split("/", 1)[1]], Tags=_tag_list(tags)
            )
        elif service == "s3":
            item = self.recorder.items.get(arn)
            bucket_account = account or (item["accountId"] if item else self.management)
            bucket_region = item["awsRegion"] if item else "us-east-1"
            s3 = self.client("s3", bucket_account, bucket_region)
            try:
                current = tags_dict(s3.get_bucket_tagging(Bucket=resource)["TagSet"])
            except s3.exceptions.ClientError:
                current = {}
            s3.put_bucket_tagging(Bucket=resource, Tagging={"TagSet": _tag_list(current | tags)})
        elif service == "rds":
            self.client("rds", owner, region).add_tags_to_resource(ResourceName=arn, Tags=_tag_list(tags))
        elif service == "lambda":
            self.client("lambda", owner, region).tag_resource(Resource=arn, Tags=tags)
        elif service == "iam" and resource.startswith("user/"):
            self.client("iam", owner).tag_user(UserName=resource.rsplit("/", 1)[-1], Tags=_tag_list(tags))
        else:
            raise ValueError(
                f"tag_resource supports EC2 instances, S3 buckets, RDS, Lambda and IAM users; got {arn}"
            )
        self.recorder.retag(arn, tags)
