"""Role trust policies, evaluated as AWS does for cross-account sts:AssumeRole (moto checks
them only within one account): the role must exist, an Allow statement must name the caller (its
ARN, its account's root or its account ID) and its `StringEquals` conditions on `sts:ExternalId`
must hold."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import iam_backends

from connectors.aws.sandbox.protocol import AwsCall


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _user_arn_of_key(access_key: str) -> str | None:
    """ARN of the IAM user owning a long-term access key (None for session keys)."""
    for _, partitions in list(iam_backends.items()):
        backend = partitions["aws"]
        key = backend.access_keys.get(access_key)
        user_name = getattr(key, "user_name", None)
        if user_name:
            user = backend.users.get(user_name)
            if user is not None:
                return str(user.arn)
    return None


def _names_caller(principal: Any, caller_arn: str) -> bool:
    account = caller_arn.split(":")[4]
    accepted = {caller_arn, f"arn:aws:iam::{account}:root", account, "*"}
    if principal == "*":
        return True
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    return any(p in accepted for p in _as_list(aws))


def _conditions_hold(condition: dict[str, Any] | None, external_id: str | None) -> bool:
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            if key.lower() != "sts:externalid":
                continue
            if operator != "StringEquals" or external_id not in _as_list(expected):
                return False
    return True


def trusts(document: str | dict[str, Any], caller_arn: str, external_id: str | None) -> bool:
    policy = json.loads(document) if isinstance(document, str) else document
    for statement in _as_list(policy.get("Statement")):
        actions = _as_list(statement.get("Action"))
        if statement.get("Effect") != "Allow" or not {"sts:AssumeRole", "sts:*", "*"} & set(actions):
            continue
        if _names_caller(statement.get("Principal"), caller_arn) and _conditions_hold(
            statement.get("Condition"), external_id
        ):
            return True
    return False


class TrustCheck:
    """Denies sts:AssumeRole calls the target role's trust policy does not allow."""

    def denial(self, call: AwsCall) -> str | None:
        """AWS's AccessDenied message, or None when the call may proceed to moto."""
        role_arn = call.arg("RoleArn") or ""
        caller = _user_arn_of_key(call.access_key or "")
        if caller is None or role_arn.count(":") < 5:
            return None  # unknown or session credentials: moto answers (signature errors etc.)
        account, role_name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
        backend = iam_backends[account]["aws"]
        role = next((r for r in backend.roles.values() if r.name == role_name), None)
        if role is not None and trusts(role.assume_role_policy_document, caller, call.arg("ExternalId")):
            return None
        return f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
