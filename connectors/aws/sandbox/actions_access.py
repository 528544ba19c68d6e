"""What a customer does to let the hub act, done in the sandbox on request (`grant_actions`).

The default estate gives the hub only read access (the README's read-only policies). Granting
actions creates the `ItsmHubActions` role in every account with the README's action policy and
the same trust policy as the read-only role, and adds the assume-role statement to the hub's
user: exactly the README's "Write actions" section, so moto enforces what it documents.
moto evaluates an IAM call against the resource "*" and cannot evaluate an `iam:PolicyARN`
condition (it denies the statement), so the role's policy is attached as `as_moto_evaluates()`
makes it: the same actions, every resource, no condition. The sandbox therefore enforces the
action list; the user-ARN scope and the deny-all-only condition are AWS's to enforce.
AWS's managed `AWSDenyAll` exists in every real account; moto loads managed policies only on
request (all ~1,000 of them), so the sandbox installs that one policy into each account.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

from connectors.aws import policies
from connectors.aws.sandbox.admin import SandboxAdmin
from connectors.aws.sandbox.seed import EXTERNAL_ID, HUB_USER, Estate

ACTION_ROLE = "ItsmHubActions"


def as_moto_evaluates(document: dict[str, Any]) -> dict[str, Any]:
    """The README's policy with resources widened to "*" and conditions dropped (see above)."""
    statements = [
        {k: ("*" if k == "Resource" else v) for k, v in statement.items() if k != "Condition"}
        for statement in document["Statement"]
    ]
    return {**document, "Statement": statements}


def install_deny_all(account: str) -> None:
    backend = iam_backends[account]["aws"]
    if policies.DENY_ALL_POLICY_ARN in backend.managed_policies:
        return
    data = json.loads(aws_managed_policies_data)["AWSDenyAll"]
    policy = AWSManagedPolicy.from_data("AWSDenyAll", account, "us-east-1", data)
    backend.managed_policies[policy.arn] = policy


def grant_actions(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> dict[str, Any]:
    """Create the actions role everywhere and let the hub's user assume it (idempotent)."""
    iam = admin.client("iam")
    hub_arn = iam.get_user(UserName=HUB_USER)["User"]["Arn"]
    iam.put_user_policy(
        UserName=HUB_USER,
        PolicyName="ItsmHubActions",
        PolicyDocument=json.dumps(policies.hub_actions_policy(ACTION_ROLE)),
    )
    trust = json.dumps(policies.trust_policy(hub_arn, EXTERNAL_ID))
    for account in estate.accounts:
        install_deny_all(account)
        account_iam = admin.client("iam", account)
        with contextlib.suppress(account_iam.exceptions.EntityAlreadyExistsException):
            account_iam.create_role(
                RoleName=ACTION_ROLE, AssumeRolePolicyDocument=trust, Description="ITSM hub actions"
            )
        account_iam.put_role_policy(
            RoleName=ACTION_ROLE,
            PolicyName="ItsmHubActions",
            PolicyDocument=json.dumps(as_moto_evaluates(policies.action_role_policy())),
        )
    return {"role": ACTION_ROLE, "accounts": list(estate.accounts)}


def revoke_actions(admin: SandboxAdmin, estate: Estate, args: dict[str, Any]) -> dict[str, Any]:
    """Take the hub's right to assume the actions role away again (the roles stay, unusable)."""
    iam = admin.client("iam")
    with contextlib.suppress(iam.exceptions.NoSuchEntityException):
        iam.delete_user_policy(UserName=HUB_USER, PolicyName="ItsmHubActions")
    return {"role": ACTION_ROLE, "revoked": True}
