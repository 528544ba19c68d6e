"""Executors of the Entra ID group and licence actions: a leaver's group memberships removed
(and restored when the termination is reversed), a joiner's groups and licences added.

Like the others they read first (the user, their memberships, the groups and SKUs the playbook
names) and send only what is missing. Groups whose members are not Graph's to change are never
sent a request: a dynamic group (Entra keeps its members by rule), one synced from on-premises AD,
and a role-assignable one (changing it also needs RoleManagement.ReadWrite.Directory, which the
hub does not ask for). They are left for a technician, with why, and the task stays open.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from connectors.office365.actions import ActionRefusedError, GraphExecutor, _user_path
from core.actions import Action
from core.vocabulary import ActionKind

MEMBERSHIP_STATE = "id,userPrincipalName,usageLocation,assignedLicenses"
GROUP_STATE = "id,displayName,groupTypes,membershipRule,onPremisesSyncEnabled,isAssignableToRole"
Request = tuple[str, str, dict[str, Any] | None, bool]


def _label(group: dict[str, Any]) -> str:
    return f"{group.get('displayName')} ({group['id']})"


def not_graphs_to_change(group: dict[str, Any]) -> str | None:
    """Why Graph would refuse to change this group's members, or None when it would not."""
    if "DynamicMembership" in (group.get("groupTypes") or []):
        rule = group.get("membershipRule") or "its rule"
        return f"{_label(group)} is a dynamic group: Entra keeps its members by {rule}; change the rule or the user's attributes"
    if group.get("onPremisesSyncEnabled"):
        return f"{_label(group)} is synced from on-premises AD: change its members there"
    if group.get("isAssignableToRole"):
        return (
            f"{_label(group)} is role-assignable: changing its members needs "
            "RoleManagement.ReadWrite.Directory, which the hub is not granted"
        )
    return None


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _names(action: Action, param: str) -> list[str]:
    return [n.strip() for n in action.param(param).split(",") if n.strip()]


class MembershipExecutor(GraphExecutor):
    """Reads the user with their group memberships (`GET /users/{id}/memberOf`, groups only)."""

    select = MEMBERSHIP_STATE

    def read_state(self, action: Action) -> dict[str, Any]:
        user = self.read_user(action)
        groups = [
            group
            for page in self.client.pages(f"{_user_path(action)}/memberOf", {"$select": GROUP_STATE})
            for group in page["value"]
            if group.get("@odata.type") == "#microsoft.graph.group"
        ]
        return {**user, "memberOf": groups}

    def _member_ids(self, state: dict[str, Any]) -> set[str]:
        return {str(g["id"]) for g in state["memberOf"]}


class RemoveGroups(MembershipExecutor):
    """`DELETE /groups/{id}/members/{user-id}/$ref` per group the leaver is a direct member of
    (GroupMember.ReadWrite.All). A 404 means the membership is already gone (removed by someone
    else since the read): that is what the action wanted."""

    kind = "entra.remove_groups"

    def _removable(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        return [g for g in state["memberOf"] if not_graphs_to_change(g) is None]

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"remove from group {_label(g)}" for g in self._removable(user))

    def left(self, action: Action, state: dict[str, Any]) -> tuple[str, ...]:
        return tuple(why for g in state["memberOf"] if (why := not_graphs_to_change(g)) is not None)

    def settled(self, method: str, status: int) -> bool:
        return status < 400 or (method == "DELETE" and status == 404)

    def requests(self, action: Action, user: dict[str, Any]) -> list[Request]:
        return [
            ("DELETE", f"groups/{g['id']}/members/{user['id']}/$ref", None, True)
            for g in self._removable(user)
        ]


class AddGroups(MembershipExecutor):
    """`POST /groups/{id}/members/$ref` per group of the playbook's `groups:` (display names or
    ids) the joiner is not in yet (GroupMember.ReadWrite.All). A name no group has, or that two
    groups share, is a refusal naming it: the hub never guesses a group."""

    kind: ClassVar[ActionKind] = "entra.add_groups"

    def read_state(self, action: Action) -> dict[str, Any]:
        state = super().read_state(action)
        return {**state, "wanted": [self._find(action, ref) for ref in _names(action, "groups")]}

    def _find(self, action: Action, ref: str) -> dict[str, Any]:
        """The group `ref` names: by id when it is one, else by display name (exactly one)."""
        found = self._by_id(ref) if _is_guid(ref) else []
        if not found:
            quoted = ref.replace("'", "''")
            query = {"$filter": f"displayName eq '{quoted}'", "$select": GROUP_STATE}
            found = [group for page in self.client.pages("groups", query) for group in page["value"]]
        if len(found) != 1:
            what = "no group" if not found else f"{len(found)} groups"
            raise ActionRefusedError(
                f"{action.instance}: {action.kind} on user {action.target!r}: {what} named {ref!r} in the "
                "tenant; name the group by its id in the playbook's `groups:`"
            )
        return found[0]

    def _by_id(self, ref: str) -> list[dict[str, Any]]:
        response = self.client.http.request_decoded(
            "GET", f"groups/{ref}", params={"$select": GROUP_STATE}, accept_statuses=(400, 404)
        )
        return [response.json()] if response.status_code == 200 else []

    def _missing(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        held = self._member_ids(state)
        return [g for g in state["wanted"] if g["id"] not in held and not_graphs_to_change(g) is None]

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"add to group {_label(g)}" for g in self._missing(user))

    def left(self, action: Action, state: dict[str, Any]) -> tuple[str, ...]:
        held = self._member_ids(state)
        return tuple(
            why
            for g in state["wanted"]
            if g["id"] not in held and (why := not_graphs_to_change(g)) is not None
        )

    def requests(self, action: Action, user: dict[str, Any]) -> list[Request]:
        reference = {"@odata.id": f"{self.client.config.graph_base}/directoryObjects/{user['id']}"}
        # not idempotent: a POST whose answer was lost is re-planned from the memberships, never re-sent
        return [("POST", f"groups/{g['id']}/members/$ref", reference, False) for g in self._missing(user)]


class RestoreGroups(AddGroups):
    """The reversal of `RemoveGroups`: re-adds the groups (by id) its evidence says it removed."""

    kind = "entra.restore_groups"


class AddLicences(GraphExecutor):
    """`POST /users/{id}/assignLicense` with `addLicenses` for the playbook's `licences:`
    (skuPartNumbers or skuIds, looked up in `GET /subscribedSkus`) the joiner lacks
    (LicenseAssignment.ReadWrite.All). Graph refuses it for a user without `usageLocation`: that
    refusal is the evidence, and the task stays open for someone to set the location."""

    kind = "entra.add_licences"
    select = MEMBERSHIP_STATE

    def read_state(self, action: Action) -> dict[str, Any]:
        user = self.read_user(action)
        skus = [sku for page in self.client.pages("subscribedSkus") for sku in page["value"]]
        wanted = []
        for ref in _names(action, "licences"):
            match = [
                s
                for s in skus
                if ref.casefold() in (str(s["skuId"]).casefold(), str(s["skuPartNumber"]).casefold())
            ]
            if not match:
                raise ActionRefusedError(
                    f"{action.instance}: {action.kind} on user {action.target!r}: the tenant subscribes to no "
                    f"licence {ref!r}; known: {', '.join(sorted(str(s['skuPartNumber']) for s in skus))}"
                )
            wanted.append({"skuId": match[0]["skuId"], "skuPartNumber": match[0]["skuPartNumber"]})
        return {**user, "wanted": wanted}

    def _missing(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        held = {str(lic["skuId"]).casefold() for lic in state.get("assignedLicenses") or []}
        return [w for w in state["wanted"] if str(w["skuId"]).casefold() not in held]

    def changes(self, action: Action, user: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"add licence {w['skuPartNumber']} ({w['skuId']})" for w in self._missing(user))

    def requests(self, action: Action, user: dict[str, Any]) -> list[Request]:
        adds = [{"disabledPlans": [], "skuId": w["skuId"]} for w in self._missing(user)]
        return [
            (
                "POST",
                f"{_user_path(action)}/assignLicense",
                {"addLicenses": adds, "removeLicenses": []},
                False,
            )
        ]


GROUP_EXECUTORS: tuple[type[GraphExecutor], ...] = (RemoveGroups, AddGroups, RestoreGroups, AddLicences)
