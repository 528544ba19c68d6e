"""Executors of the AWS IAM actions: deactivate access keys, delete the console login profile,
attach the deny-all policy. Never delete the user (its history and resources stay reviewable).

They run as the separate `action_role_name` role in the user's account (never the read-only
role), read the user's state first in `plan()` and again in `execute()`, and send only what is
still needed, so a rerun after a crash changes nothing twice. The target is `account_id/user_name`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from connectors.aws.config import AwsConfig
from connectors.aws.policies import DENY_ALL_POLICY_ARN
from connectors.aws.session import AccountApi, AwsSessions
from core.actions import Action, Exchange, Executor, Outcome, Plan, require_opt_in
from core.errors import RecordError
from core.vocabulary import ActionKind

_TARGET = re.compile(r"^(?P<account>\d{12})/(?P<user>[\w+=,.@-]{1,64})$")


class ActionRefusedError(RecordError):
    """The target is malformed or IAM does not know the user."""


def split_target(action: Action) -> tuple[str, str]:
    match = _TARGET.match(action.target)
    if match is None:
        raise ActionRefusedError(
            f"{action.instance}: {action.kind}: target {action.target!r} is not account_id/user_name "
            "(12-digit account ID, IAM user name)"
        )
    return match["account"], match["user"]


def action_sessions(config: AwsConfig) -> AwsSessions:
    """Sessions that assume the actions role in every account, the hub's own included."""
    return AwsSessions(
        config.model_copy(update={"role_name": config.action_role_name, "own_account_access": "assume_role"})
    )


def _evidence(operation: str, params: dict[str, Any], result: dict[str, Any] | None) -> Exchange:
    meta = (result or {}).get("ResponseMetadata", {})
    answer = {"RequestId": meta.get("RequestId")} if result is not None else {"Error": "NoSuchEntity"}
    api_name = "".join(
        part.capitalize() for part in operation.split("_")
    )  # update_access_key -> UpdateAccessKey
    return Exchange(f"iam:{api_name}", params, int(meta.get("HTTPStatusCode", 404)), answer)


class IamExecutor:
    """Shared reading of the user; subclasses say what is wanted and which writes to make."""

    kind: ClassVar[ActionKind]

    def __init__(self, sessions: AwsSessions) -> None:
        self.sessions = sessions

    def api(self, action: Action) -> tuple[AccountApi, str]:
        account, user = split_target(action)
        return self.sessions.account(account), user

    def read(self, api: AccountApi, user: str) -> dict[str, Any]:
        raise NotImplementedError

    def changes(self, current: dict[str, Any]) -> tuple[str, ...]:
        raise NotImplementedError

    def writes(self, user: str, current: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        raise NotImplementedError

    def plan(self, action: Action) -> Plan:
        if action.kind != self.kind:
            raise ValueError(f"{type(self).__name__} runs {self.kind}, not {action.kind}")
        api, user = self.api(action)
        keys = api.find("iam", "list_access_keys", ("NoSuchEntity",), UserName=user)
        if keys is None:
            raise ActionRefusedError(f"{action.instance}: {action.kind}: no IAM user {action.target!r}")
        current = {"user": user, "access_keys": keys.get("AccessKeyMetadata", []), **self.read(api, user)}
        return Plan(action, current, self.changes(current))

    def execute(self, action: Action) -> Outcome:
        plan = self.plan(action)
        if plan.noop:
            return Outcome(plan)
        api, user = self.api(action)
        exchanges = []
        for operation, params in self.writes(user, plan.current):
            result = api.write(operation, ("NoSuchEntity",), **params)
            exchanges.append(_evidence(operation, params, result))
        return Outcome(plan, tuple(exchanges))


class DeactivateAccessKeys(IamExecutor):
    """`UpdateAccessKey Status=Inactive` for each active key (reversible, unlike deleting it)."""

    kind = "aws.deactivate_access_keys"

    def read(self, api: AccountApi, user: str) -> dict[str, Any]:
        return {}

    @staticmethod
    def _active(current: dict[str, Any]) -> list[str]:
        return [k["AccessKeyId"] for k in current["access_keys"] if k.get("Status") == "Active"]

    def changes(self, current: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"access key {key}: Active -> Inactive" for key in self._active(current))

    def writes(self, user: str, current: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [
            ("update_access_key", {"UserName": user, "AccessKeyId": key, "Status": "Inactive"})
            for key in self._active(current)
        ]


class ReactivateAccessKeys(IamExecutor):
    """`UpdateAccessKey Status=Active` for the keys in the `keys` param (comma-separated): the
    reversal of `DeactivateAccessKeys`, for exactly the keys it deactivated, never others."""

    kind = "aws.reactivate_access_keys"

    def __init__(self, sessions: AwsSessions) -> None:
        super().__init__(sessions)
        self.keys: set[str] = set()

    def plan(self, action: Action) -> Plan:
        self.keys = {k.strip() for k in action.param("keys").split(",") if k.strip()}
        return super().plan(action)

    def read(self, api: AccountApi, user: str) -> dict[str, Any]:
        return {}

    def _inactive(self, current: dict[str, Any]) -> list[str]:
        return [
            k["AccessKeyId"]
            for k in current["access_keys"]
            if k.get("Status") == "Inactive" and k["AccessKeyId"] in self.keys
        ]

    def changes(self, current: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"access key {key}: Inactive -> Active" for key in self._inactive(current))

    def writes(self, user: str, current: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [
            ("update_access_key", {"UserName": user, "AccessKeyId": key, "Status": "Active"})
            for key in self._inactive(current)
        ]


class DeleteLoginProfile(IamExecutor):
    """`DeleteLoginProfile`: the user can no longer sign in to the console."""

    kind = "aws.delete_login_profile"

    def read(self, api: AccountApi, user: str) -> dict[str, Any]:
        profile = api.find("iam", "get_login_profile", ("NoSuchEntity",), UserName=user)
        return {"login_profile": profile is not None}

    def changes(self, current: dict[str, Any]) -> tuple[str, ...]:
        return ("console login profile: present -> deleted",) if current["login_profile"] else ()

    def writes(self, user: str, current: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [("delete_login_profile", {"UserName": user})]


class AttachDenyAll(IamExecutor):
    """`AttachUserPolicy` of AWS's managed `AWSDenyAll`: every call the user makes is denied."""

    kind = "aws.attach_deny_all"

    def read(self, api: AccountApi, user: str) -> dict[str, Any]:
        attached = api.call("iam", "list_attached_user_policies", UserName=user)
        return {"attached_policies": [p["PolicyArn"] for p in attached.get("AttachedPolicies", [])]}

    def changes(self, current: dict[str, Any]) -> tuple[str, ...]:
        if DENY_ALL_POLICY_ARN in current["attached_policies"]:
            return ()
        return (f"attach {DENY_ALL_POLICY_ARN}",)

    def writes(self, user: str, current: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [("attach_user_policy", {"UserName": user, "PolicyArn": DENY_ALL_POLICY_ARN})]


EXECUTORS: tuple[type[IamExecutor], ...] = (
    DeactivateAccessKeys,
    ReactivateAccessKeys,
    DeleteLoginProfile,
    AttachDenyAll,
)


def executors(
    config: AwsConfig, instance: str, sessions: AwsSessions | None = None
) -> dict[ActionKind, Executor]:
    """The IAM executors of an instance that opted in (sharing one set of actions-role sessions)."""
    require_opt_in(instance, config.actions_enabled)
    sessions = sessions or action_sessions(config)
    return {cls.kind: cls(sessions) for cls in EXECUTORS}
