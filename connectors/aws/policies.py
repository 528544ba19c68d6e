"""The exact IAM policies the connector needs (least privilege), as data.

The README prints these documents and a test checks it prints them verbatim; the sandbox attaches
them to the hub's user and role, and moto enforces them, so a call the connector makes without
listing it here fails the tests.
"""

from __future__ import annotations

import json
from typing import Any

#: what the read-only role needs in every account the hub reads
READ_ONLY_ACTIONS = [
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "iam:ListAccessKeys",
    "iam:ListAccountAliases",
    "iam:ListUsers",
    "iam:ListUserTags",
    "iam:ListGroupsForUser",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetLoginProfile",
    "iam:ListMFADevices",
    "iam:GetAccessKeyLastUsed",
    "ec2:DescribeInstances",
    "s3:ListAllMyBuckets",
    "s3:GetBucketTagging",
    "rds:DescribeDBInstances",
    "lambda:ListFunctions",
    "lambda:ListTags",
]
#: what the hub's own principal needs in the management (or delegated administrator) account
ORGANIZATION_ACTIONS = [
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListTagsForResource",
]

#: what the separate actions role needs (README "Write actions"); never iam:DeleteUser
ACTION_ACTIONS = ["iam:UpdateAccessKey", "iam:DeleteLoginProfile", "iam:AttachUserPolicy"]
#: read calls the action executors make to check the current state first
ACTION_READ_ACTIONS = ["iam:ListAccessKeys", "iam:GetLoginProfile", "iam:ListAttachedUserPolicies"]
#: AWS's managed policy that denies every action: the "deny-all" an offboarding attaches
DENY_ALL_POLICY_ARN = "arn:aws:iam::aws:policy/AWSDenyAll"


def action_role_policy() -> dict[str, Any]:
    """Permissions policy of the `ItsmHubActions` role: the three writes, and AttachUserPolicy
    only with the deny-all policy (a condition on `iam:PolicyARN`), so the role cannot grant
    anyone more rights."""
    writes = [a for a in ACTION_ACTIONS if a != "iam:AttachUserPolicy"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ItsmHubActionsRead", "Effect": "Allow", "Action": ACTION_READ_ACTIONS, "Resource": "*"},
            {
                "Sid": "ItsmHubActionsWrite",
                "Effect": "Allow",
                "Action": writes,
                "Resource": "arn:aws:iam::*:user/*",
            },
            {
                "Sid": "ItsmHubActionsDenyAllOnly",
                "Effect": "Allow",
                "Action": "iam:AttachUserPolicy",
                "Resource": "arn:aws:iam::*:user/*",
                "Condition": {"ArnEquals": {"iam:PolicyARN": DENY_ALL_POLICY_ARN}},
            },
        ],
    }


def hub_actions_policy(action_role_name: str = "ItsmHubActions") -> dict[str, Any]:
    """Added to the hub's own principal only when actions are enabled: assume the actions role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ItsmHubAssumeActionsRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/{action_role_name}",
            }
        ],
    }


def read_only_role_policy() -> dict[str, Any]:
    """Permissions policy of the `ItsmHubReadOnly` role in each account."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ItsmHubInventoryRead", "Effect": "Allow", "Action": READ_ONLY_ACTIONS, "Resource": "*"}
        ],
    }


def trust_policy(hub_principal_arn: str, external_id: str) -> dict[str, Any]:
    """Trust policy of the role: only the hub's principal, only with the agreed external ID."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": hub_principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def hub_principal_policy(
    role_name: str = "ItsmHubReadOnly", *, direct_own_account: bool = True
) -> dict[str, Any]:
    """Policy of the hub's own user or role: list the organization, assume the read-only role,
    query a Config aggregator and (with own_account_access: direct) read its own account."""
    statements: list[dict[str, Any]] = [
        {"Sid": "ItsmHubOrganization", "Effect": "Allow", "Action": ORGANIZATION_ACTIONS, "Resource": "*"},
        {
            "Sid": "ItsmHubAssumeReadOnlyRole",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::*:role/{role_name}",
        },
        {
            "Sid": "ItsmHubConfigAggregator",
            "Effect": "Allow",
            "Action": "config:SelectAggregateResourceConfig",
            "Resource": "*",
        },
    ]
    if direct_own_account:
        statements.append(
            {"Sid": "ItsmHubOwnAccountRead", "Effect": "Allow", "Action": READ_ONLY_ACTIONS, "Resource": "*"}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2)
