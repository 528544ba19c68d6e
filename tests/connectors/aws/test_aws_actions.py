"""IAM actions against moto over HTTPS with IAM enforced: dry run, execution, rerun, opt-in, the
separate actions role, and IAM refusing what it refuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.aws.actions import ActionRefusedError, executors
from connectors.aws.config import AwsConfig
from connectors.aws.policies import DENY_ALL_POLICY_ARN
from connectors.aws.sandbox import AwsSandbox
from core import clock
from core.actions import Action, ActionsDisabledError, Executor
from core.errors import AuthError
from core.vocabulary import ActionKind

from .support import ConnectorFactory

LEAVER = "leaver.actions"


@pytest.fixture
def granted(aws: AwsSandbox) -> Iterator[AwsSandbox]:
    aws.admin("grant_actions", {})
    yield aws
    aws.admin("revoke_actions", {})


@pytest.fixture
def leaver(aws: AwsSandbox) -> Iterator[str]:
    """`account_id/user_name` of a user with a console password and two active keys."""
    assert aws.estate is not None
    account = aws.estate.account_of("PW")
    aws.admin("create_user", {"account_id": account, "user_name": LEAVER, "console_password": True, "access_key": True})  # fmt: skip
    aws.admin("create_access_key", {"account_id": account, "user_name": LEAVER})
    yield f"{account}/{LEAVER}"
    aws.admin("delete_user", {"account_id": account, "user_name": LEAVER})


@pytest.fixture
def run(connect: ConnectorFactory) -> Callable[[ActionKind], Executor]:
    made = connect(actions_enabled=True).executors()
    return lambda kind: made[kind]


def action(kind: ActionKind, target: str) -> Action:
    return Action(kind, "aws", target, clock.now(), reason="leaver E1")


def iam(aws: AwsSandbox, target: str) -> tuple[Any, str]:
    assert aws.admin_api is not None
    account, user = target.split("/")
    return aws.admin_api.client("iam", account), user


def test_deactivate_access_keys_sets_every_active_key_inactive_once(granted, leaver, run) -> None:
    client, user = iam(granted, leaver)
    deactivate = action("aws.deactivate_access_keys", leaver)

    plan = run("aws.deactivate_access_keys").plan(deactivate)
    assert len(plan.changes) == 2 and all(c.endswith("Active -> Inactive") for c in plan.changes)
    assert {k["Status"] for k in client.list_access_keys(UserName=user)["AccessKeyMetadata"]} == {"Active"}

    outcome = run("aws.deactivate_access_keys").execute(deactivate)
    assert [(e.request, e.body["Status"], e.status) for e in outcome.exchanges] == [
        ("iam:UpdateAccessKey", "Inactive", 200)
    ] * 2
    assert {k["Status"] for k in client.list_access_keys(UserName=user)["AccessKeyMetadata"]} == {"Inactive"}
    assert run("aws.deactivate_access_keys").execute(deactivate).exchanges == ()


def test_delete_login_profile_removes_the_console_password_once(granted, leaver, run) -> None:
    client, user = iam(granted, leaver)
    delete = action("aws.delete_login_profile", leaver)

    assert run("aws.delete_login_profile").plan(delete).changes == (
        "console login profile: present -> deleted",
    )
    outcome = run("aws.delete_login_profile").execute(delete)
    assert [(e.request, e.status) for e in outcome.exchanges] == [("iam:DeleteLoginProfile", 200)]
    with pytest.raises(client.exceptions.NoSuchEntityException):
        client.get_login_profile(UserName=user)
    assert run("aws.delete_login_profile").execute(delete).exchanges == ()


def test_attach_deny_all_attaches_the_managed_policy_once_and_keeps_the_user(granted, leaver, run) -> None:
    client, user = iam(granted, leaver)
    attach = action("aws.attach_deny_all", leaver)

    assert run("aws.attach_deny_all").plan(attach).changes == (f"attach {DENY_ALL_POLICY_ARN}",)
    run("aws.attach_deny_all").execute(attach)
    attached = client.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [DENY_ALL_POLICY_ARN]
    assert run("aws.attach_deny_all").execute(attach).exchanges == ()
    assert client.get_user(UserName=user)["User"]["UserName"] == user  # never deleted


def test_an_instance_that_has_not_opted_in_gets_no_executors(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    connector = connect()
    assert connector.config.actions_enabled is False
    with pytest.raises(ActionsDisabledError, match="actions_enabled: true"):
        connector.executors()
    with pytest.raises(ActionsDisabledError):
        executors(AwsConfig.model_validate(aws.instance_config()), "aws")


def test_the_read_only_role_cannot_be_the_actions_role(aws: AwsSandbox) -> None:
    with pytest.raises(ValueError, match="action_role_name must differ from role_name"):
        AwsConfig.model_validate(
            {
                **aws.instance_config(),
                "actions_enabled": True,
                "action_role_name": aws.instance_config()["role_name"],
            }
        )


def test_without_the_actions_role_granted_iam_refuses_and_nothing_changes(aws, leaver, run) -> None:
    client, user = iam(aws, leaver)
    with pytest.raises(AuthError, match="ItsmHubActions"):
        run("aws.deactivate_access_keys").execute(action("aws.deactivate_access_keys", leaver))
    assert {k["Status"] for k in client.list_access_keys(UserName=user)["AccessKeyMetadata"]} == {"Active"}


def test_an_unknown_user_or_a_malformed_target_is_refused_by_name(granted, run) -> None:
    assert granted.estate is not None
    account = granted.estate.account_of("PW")
    with pytest.raises(ActionRefusedError, match="no IAM user"):
        run("aws.delete_login_profile").plan(action("aws.delete_login_profile", f"{account}/nobody.here"))
    with pytest.raises(ActionRefusedError, match="not account_id/user_name"):
        run("aws.delete_login_profile").plan(action("aws.delete_login_profile", "nobody.here"))
