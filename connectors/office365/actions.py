"""Executors of the Entra ID actions: disable the account, revoke sessions, remove licences
(group memberships and a joiner's additions are in `group_actions.py`).

Each reads the user first (in `plan()`, and again in `execute()`), so a rerun after a crash
sends nothing for what is already done. They need the write permissions in the README's
"Write actions" section and `actions_enabled: true` on the instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.office365.client import GraphClient, graph_error
from connectors.office365.config import Office365Config
from core.actions import Action, Exchange, Executor, Outcome, Plan, require_opt_in
from core.errors import RecordError
from core.vocabulary import ActionKind

USER_STATE = "accountEnabled,assignedLicenses,signInSessionsValidFromDateTime,userPrincipalName"


class ActionRefusedError(RecordError):
    """Graph refused an action's request (unknown user, a licence the user does not hold...);
    `evidence` keeps every exchange of the attempt, the refused one last, for the audit."""

    evidence: tuple[Exchange, ...] = ()


def _user_path(action: Action) -> str:
    return f"users/{quote(action.target, safe='@.')}"


def _refused(action: Action, status: int, answer: Any) -> ActionRefusedError:
    code, message = graph_error(answer)
    return ActionRefusedError(
        f"{action.instance}: {action.kind} on user {action.target!r}: Graph answered {status} "
        f"{code}: {message}".rstrip(": ")
    )


class GraphExecutor:
    """Shared reading and sending; subclasses say what is wanted and what to send."""

    kind: ClassVar[ActionKind]
    #: the user properties the executor judges by
    select: ClassVar[str] = USER_STATE

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    def read_user(self, action: Action) -> dict[str, Any]:
        response = self.client.http.request_decoded(
            "GET", _user_path(action), params={"$select": self.select}, accept_statuses=(404,)
        )
        if response.status_code == 404:
            raise _refused(action, 404, response.json())
        user: dict[str, Any] = response.json()
        return user

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        raise NotImplementedError

    def requests(
        self, action: Action, user: dict[str, Any]
    ) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
        """(method, path, body, idempotent) to send for what is still needed."""
        raise NotImplementedError

    def read_state(self, action: Action) -> dict[str, Any]:
        """What the executor judges by: the user (group executors add their memberships)."""
        return self.read_user(action)

    def left(self, action: Action, state: dict[str, Any]) -> tuple[str, ...]:
        """What the executor will not touch, and why (left for a technician)."""
        return ()

    def settled(self, method: str, status: int) -> bool:
        """Whether an answer means the change holds (a refusal otherwise)."""
        return status < 400

    def plan(self, action: Action) -> Plan:
        if action.kind != self.kind:
            raise ValueError(f"{type(self).__name__} runs {self.kind}, not {action.kind}")
        state = self.read_state(action)
        return Plan(action, state, self.changes(action, state), self.left(action, state))

    def execute(self, action: Action) -> Outcome:
        plan = self.plan(action)
        if plan.noop:
            return Outcome(plan)
        exchanges = []
        for method, path, body, idempotent in self.requests(action, plan.current):
            status, answer = self.client.write(method, path, body, idempotent=idempotent)
            exchanges.append(Exchange(f"{method} /v1.0/{path}", body, status, answer))
            if not self.settled(method, status):
                refused = _refused(action, status, answer)
                refused.evidence = tuple(exchanges)
                raise refused
        return Outcome(plan, tuple(exchanges))


class DisableAccount(GraphExecutor):
    """`PATCH /users/{id}` with `accountEnabled: false` (User.EnableDisableAccount.All)."""

    kind = "entra.disable_account"

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return ("accountEnabled: true -> false",) if user.get("accountEnabled") is not False else ()

    def requests(
        self, action: Action, user: dict[str, Any]
    ) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
        return [("PATCH", _user_path(action), {"accountEnabled": False}, True)]


class EnableAccount(GraphExecutor):
    """`PATCH /users/{id}` with `accountEnabled: true`: the reversal of `DisableAccount` when the
    termination it served is reversed (same permission)."""

    kind = "entra.enable_account"

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return ("accountEnabled: false -> true",) if user.get("accountEnabled") is not True else ()

    def requests(
        self, action: Action, user: dict[str, Any]
    ) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
        return [("PATCH", _user_path(action), {"accountEnabled": True}, True)]


class RevokeSessions(GraphExecutor):
    """`POST /users/{id}/revokeSignInSessions` (User.RevokeSessions.All). Done when the user's
    `signInSessionsValidFromDateTime` is at or after the moment the hub decided to act."""

    kind = "entra.revoke_sessions"

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        since = user.get("signInSessionsValidFromDateTime")
        asked = action.requested_at.replace(microsecond=0)  # Graph keeps whole seconds
        if since and datetime.fromisoformat(str(since).replace("Z", "+00:00")) >= asked:
            return ()
        return (f"sign-in sessions valid from {since or 'creation'} -> now",)

    def requests(
        self, action: Action, user: dict[str, Any]
    ) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
        return [("POST", f"{_user_path(action)}/revokeSignInSessions", None, True)]


class RemoveLicences(GraphExecutor):
    """`POST /users/{id}/assignLicense` with `removeLicenses` (LicenseAssignment.ReadWrite.All):
    the SKUs in the action's `skus` param (comma-separated skuIds), or all the user holds."""

    kind = "entra.remove_licences"

    def _to_remove(self, action: Action, user: dict[str, Any]) -> list[str]:
        held = [str(lic["skuId"]) for lic in user.get("assignedLicenses") or []]
        wanted = {s.strip().casefold() for s in action.param("skus").split(",") if s.strip()}
        return [s for s in held if not wanted or s.casefold() in wanted]

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"remove licence {sku}" for sku in self._to_remove(action, user))

    def requests(
        self, action: Action, user: dict[str, Any]
    ) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
        body = {"addLicenses": [], "removeLicenses": self._to_remove(action, user)}
        return [("POST", f"{_user_path(action)}/assignLicense", body, False)]


EXECUTORS: tuple[type[GraphExecutor], ...] = (DisableAccount, EnableAccount, RevokeSessions, RemoveLicences)


def executors(config: Office365Config, client: GraphClient, instance: str) -> dict[ActionKind, Executor]:
    """The Entra executors of an instance that opted in; refuses one that has not."""
    from connectors.office365.group_actions import GROUP_EXECUTORS  # they build on this module

    require_opt_in(instance, config.actions_enabled)
    return {cls.kind: cls(client) for cls in (*EXECUTORS, *GROUP_EXECUTORS)}
