"""Named mutations of the AWS sandbox (`admin(op, args)` and `POST /_admin/{op}`), for scenarios,
tests and the demo: a joiner gets an IAM user, a leaver's user is deleted, resources are
launched, tagged and terminated. Arguments are validated with messages naming what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.aws.sandbox.actions_access import grant_actions, revoke_actions
from connectors.aws.sandbox.admin import SandboxAdmin
from connectors.aws.sandbox.seed import REGIONS, Estate

Op = Callable[[SandboxAdmin, Estate, dict[str, Any]], Any]


def _text(args: dict[str, Any], name: str, op: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"aws {op} needs {name!r} (a non-empty string)")
    return value


def _account(args: dict[str, Any], estate: Estate, op: str) -> str:
    account = str(args.get("account_id") or estate.management)
    if account not in estate.accounts:
        raise ValueError(
            f"aws {op}: unknown account_id {account!r}; sandbox accounts: {', '.join(estate.accounts)}"
        )
    return account


def _region(args: dict[str, Any], op: str) -> str:
    region = str(args.get("region") or REGIONS[0])
    if region not in REGIONS:
        raise ValueError(f"aws {op}: region {region!r} is not one of {', '.join(REGIONS)}")
    return region


def _tags(args: dict[str, Any], op: str) -> dict[str, str]:
    tags = args.get("tags") or {}
    if not isinstance(tags, dict):
        raise ValueError(f"aws {op}: tags must be an object of tag name to value")
    return {str(k): str(v) for k, v in tags.items()}


def create_user(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> dict[str, Any]:
    return admin.create_user(
        _account(args, estate, "create_user"),
        _text(args, "user_name", "create_user"),
        tags=_tags(args, "create_user"),
        console_password=bool(args.get("console_password")),
        mfa=bool(args.get("mfa")),
        access_key=bool(args.get("access_key")),
    )


def delete_user(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> str:
    name = _text(args, "user_name", "delete_user")
    admin.delete_user(_account(args, estate, "delete_user"), name)
    return name


def create_access_key(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> str:
    return admin.create_access_key(
        _account(args, estate, "create_access_key"), _text(args, "user_name", "create_access_key")
    )


def user_state(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> dict[str, Any]:
    """What a scenario asserts after the hub acted: the user's keys, console profile, policies."""
    account, name = _account(args, estate, "user_state"), _text(args, "user_name", "user_state")
    iam = admin.client("iam", account)
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    try:
        iam.get_login_profile(UserName=name)
        profile = True
    except iam.exceptions.NoSuchEntityException:
        profile = False
    policies = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]]
    return {
        "keys_active": sum(1 for k in keys if k["Status"] == "Active"),
        "keys_inactive": sum(1 for k in keys if k["Status"] == "Inactive"),
        "login_profile": profile,
        "policies": policies,
    }


def tag_resource(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> str:
    arn = _text(args, "arn", "tag_resource")
    admin.tag_resource(arn, _tags(args, "tag_resource"), account=args.get("account_id"))
    return arn


def launch_instance(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> list[str]:
    count = int(args.get("count") or 1)
    if not 1 <= count <= 50:
        raise ValueError("aws launch_instance: count must be 1..50")
    return admin.launch_instances(
        _account(args, estate, "launch_instance"),
        _region(args, "launch_instance"),
        count,
        _tags(args, "launch_instance"),
        str(args.get("instance_type") or "t3.micro"),
    )


def terminate_instance(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> str:
    arn = _text(args, "arn", "terminate_instance")
    if ":ec2:" not in arn or ":instance/" not in arn:
        raise ValueError(f"aws terminate_instance needs an EC2 instance ARN; got {arn!r}")
    admin.terminate_instance(arn)
    return arn


OPS: dict[str, Op] = {
    "create_user": create_user,
    "delete_user": delete_user,
    "create_access_key": create_access_key,
    "tag_resource": tag_resource,
    "launch_instance": launch_instance,
    "terminate_instance": terminate_instance,
    "grant_actions": grant_actions,
    "revoke_actions": revoke_actions,
    "user_state": user_state,
}


#: op -> the arguments it takes: scenario files are checked against this before anything runs
ADMIN_ARGUMENTS: dict[str, frozenset[str] | None] = {
    "create_user": frozenset({"account_id", "user_name", "tags", "console_password", "mfa", "access_key"}),
    "delete_user": frozenset({"account_id", "user_name"}),
    "create_access_key": frozenset({"account_id", "user_name"}),
    "tag_resource": frozenset({"arn", "tags", "account_id"}),
    "launch_instance": frozenset({"account_id", "region", "tags", "count", "instance_type"}),
    "terminate_instance": frozenset({"arn"}),
    "grant_actions": frozenset(),
    "revoke_actions": frozenset(),
    "user_state": frozenset({"account_id", "user_name"}),
    "write_requests": frozenset(),
}


def apply(admin: SandboxAdmin, estate: Estate, op: str, args: dict[str, Any]) -> Any:
    handler = OPS.get(op)
    if handler is None:
        raise ValueError(f"unknown aws admin op {op!r}; known: {', '.join([*OPS, 'write_requests'])}")
    return handler(admin, estate, args)
