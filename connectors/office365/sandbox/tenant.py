"""The sandbox tenant's state: Entra users, groups, subscribed SKUs and Intune devices, with a
change log that gives delta queries their real semantics.

Every mutation of a user appends `(sequence, user id, changed properties)` to the log. A delta
token names a sequence number; a delta round returns the users changed after it, each with only
the properties that changed (a new or restored user in full), soft-deleted users as
`@removed: changed` and permanently deleted ones as `@removed: deleted`, the way Graph does.
Not thread-safe on its own: the sandbox serialises access with its lock.
"""

from __future__ import annotations

import bisect
import copy
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

UserState = Literal["live", "soft_deleted", "deleted"]
ALL = "*"

#: the user properties this tenant knows (`$select` of anything else is a 400, like Graph)
USER_PROPERTIES = frozenset(
    {
        "id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "employeeId",
        "employeeType", "accountEnabled", "department", "jobTitle", "officeLocation", "companyName",
        "onPremisesImmutableId", "createdDateTime", "assignedLicenses", "usageLocation", "userType",
        "signInActivity", "mobilePhone", "businessPhones", "signInSessionsValidFromDateTime",
    }
)  # fmt: skip
#: properties that delta queries cannot return (Graph: not stored in the directory's main store)
NOT_IN_DELTA = frozenset({"signInActivity"})


@dataclass(frozen=True)
class Change:
    seq: int
    user_id: str
    props: frozenset[str]


@dataclass
class Group:
    id: str
    displayName: str
    description: str
    securityEnabled: bool
    mailEnabled: bool
    groupTypes: list[str]
    members: set[str] = field(default_factory=set)
    #: a dynamic group's rule (`groupTypes` then holds `DynamicMembership`): Entra keeps its members
    membershipRule: str | None = None
    #: synced from on-premises AD: its members are managed there, not through Graph
    onPremisesSyncEnabled: bool | None = None
    #: Entra roles can be assigned to it: changing its members also needs RoleManagement.ReadWrite.Directory
    isAssignableToRole: bool = False

    @property
    def dynamic(self) -> bool:
        return "DynamicMembership" in self.groupTypes

    def as_graph(self) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.group",
            "id": self.id,
            "displayName": self.displayName,
            "description": self.description,
            "securityEnabled": self.securityEnabled,
            "mailEnabled": self.mailEnabled,
            "groupTypes": list(self.groupTypes),
            "membershipRule": self.membershipRule,
            "onPremisesSyncEnabled": self.onPremisesSyncEnabled,
            "isAssignableToRole": self.isAssignableToRole,
        }


class Tenant:
    """One Entra tenant with Intune; ids are GUID strings, timestamps ISO 8601 UTC with `Z`."""

    def __init__(self, tenant_id: str, domain: str) -> None:
        self.tenant_id = tenant_id
        self.domain = domain
        self.users: dict[str, dict[str, Any]] = {}
        self.user_state: dict[str, UserState] = {}
        self.order: list[str] = []  # creation order: stable paging of initial rounds and lists
        self.log: list[Change] = []
        self._log_seqs: list[int] = []
        self.seq = 0
        self.generation = 1  # bumped by `expire_delta_tokens` (tenant maintenance)
        self.skus: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, Group] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        self._by_upn: dict[str, str] = {}
        self._by_employee_id: dict[str, str] = {}

    # -- users ------------------------------------------------------------------------------
    def _record(self, user_id: str, props: frozenset[str]) -> None:
        self.seq += 1
        self.log.append(Change(self.seq, user_id, props))
        self._log_seqs.append(self.seq)

    def add_user(self, user: dict[str, Any]) -> str:
        user.setdefault("id", str(uuid.uuid4()))
        self.users[user["id"]] = user
        self.user_state[user["id"]] = "live"
        self.order.append(user["id"])
        self._index(user)
        self._record(user["id"], frozenset({ALL}))
        return str(user["id"])

    def _index(self, user: dict[str, Any]) -> None:
        if user.get("userPrincipalName"):
            self._by_upn[str(user["userPrincipalName"]).casefold()] = user["id"]
        if user.get("employeeId"):
            self._by_employee_id[str(user["employeeId"])] = user["id"]

    def update_user(self, user_id: str, changes: dict[str, Any]) -> list[str]:
        """Apply property changes; only real changes are logged. Returns the changed names."""
        user = self.live_user(user_id)
        unknown = set(changes) - USER_PROPERTIES - {"password"}
        if unknown:
            raise ValueError(f"unknown user properties {sorted(unknown)}; known: {sorted(USER_PROPERTIES)}")
        changed = [k for k, v in changes.items() if k in USER_PROPERTIES and user.get(k) != v]
        for name in changed:
            user[name] = copy.deepcopy(changes[name])
        self._index(user)
        tracked = frozenset(changed) - NOT_IN_DELTA
        if tracked:
            self._record(user_id, tracked)
        return changed

    def delete_user(self, user_id: str, *, permanent: bool) -> None:
        state = self.user_state.get(user_id)
        if state is None or state == "deleted" or (state == "soft_deleted" and not permanent):
            raise ValueError(f"user {user_id} is not in the tenant (or already deleted)")
        self.user_state[user_id] = "deleted" if permanent else "soft_deleted"
        self._record(user_id, frozenset({"@removed"}))

    def restore_user(self, user_id: str) -> None:
        if self.user_state.get(user_id) != "soft_deleted":
            raise ValueError(f"user {user_id} is not in deleted items (only soft-deleted users restore)")
        self.user_state[user_id] = "live"
        self._record(user_id, frozenset({ALL}))

    def live_user(self, user_id: str) -> dict[str, Any]:
        if self.user_state.get(user_id) != "live":
            raise KeyError(user_id)
        return self.users[user_id]

    def find_user(self, ref: str) -> str:
        """A live user's id from its id, UPN (any case) or employee ID."""
        if self.user_state.get(ref) == "live":
            return ref
        for user_id in (self._by_upn.get(ref.casefold()), self._by_employee_id.get(ref)):
            if user_id is None or self.user_state[user_id] != "live":
                continue
            user = self.users[user_id]
            if (
                str(user.get("userPrincipalName", "")).casefold() == ref.casefold()
                or user.get("employeeId") == ref
            ):
                return user_id
        raise ValueError(f"no live user with id, UPN or employee ID {ref!r}")

    def find_user_or_none(self, ref: str) -> str | None:
        try:
            return self.find_user(ref)
        except ValueError:
            return None

    def live_ids(self) -> list[str]:
        return [u for u in self.order if self.user_state[u] == "live"]

    # -- delta ------------------------------------------------------------------------------
    def changes_between(self, since: int, until: int) -> list[tuple[str, frozenset[str]]]:
        """Users changed in (since, until], in first-change order, with the union of changed props."""
        start = bisect.bisect_right(self._log_seqs, since)
        end = bisect.bisect_right(self._log_seqs, until)
        merged: dict[str, set[str]] = {}
        for change in self.log[start:end]:
            merged.setdefault(change.user_id, set()).update(change.props)
        return [(user_id, frozenset(props)) for user_id, props in merged.items()]

    def delta_entry(self, user_id: str, props: frozenset[str], select: list[str]) -> dict[str, Any]:
        """How a changed user appears in a delta round."""
        state = self.user_state[user_id]
        if state == "deleted":
            return {"id": user_id, "@removed": {"reason": "deleted"}}
        if state == "soft_deleted":
            return {"id": user_id, "@removed": {"reason": "changed"}}
        wanted = select if ALL in props or "@removed" in props else [p for p in select if p in props]
        return self.project(self.users[user_id], wanted)

    @staticmethod
    def project(user: dict[str, Any], select: list[str]) -> dict[str, Any]:
        out = {name: copy.deepcopy(user.get(name)) for name in select if name != "id"}
        out["id"] = user["id"]
        return out

    # -- licences ---------------------------------------------------------------------------
    def sku_id(self, ref: str) -> str:
        for sku in self.skus.values():
            if ref.casefold() in (sku["skuId"].casefold(), sku["skuPartNumber"].casefold()):
                return str(sku["skuId"])
        known = ", ".join(s["skuPartNumber"] for s in self.skus.values())
        raise ValueError(f"no subscribed SKU {ref!r}; known: {known}")

    def consumed_units(self) -> dict[str, int]:
        counts = dict.fromkeys(self.skus, 0)
        for user_id in self.live_ids():
            for licence in self.users[user_id].get("assignedLicenses") or []:
                if licence["skuId"] in counts:
                    counts[licence["skuId"]] += 1
        return counts

    def subscribed_skus(self) -> list[dict[str, Any]]:
        consumed = self.consumed_units()
        return [
            {**copy.deepcopy(sku), "consumedUnits": consumed[sku_id]} for sku_id, sku in self.skus.items()
        ]

    # -- groups -----------------------------------------------------------------------------
    def find_group(self, ref: str) -> Group:
        for group in self.groups.values():
            if ref in (group.id, group.displayName):
                return group
        raise ValueError(f"no group {ref!r}; known: {', '.join(g.displayName for g in self.groups.values())}")

    def member_of(self, user_id: str) -> list[Group]:
        return [g for g in self.groups.values() if user_id in g.members]

    # -- devices ----------------------------------------------------------------------------
    def find_device(self, ref: str) -> str:
        if ref in self.devices:
            return ref
        for device_id, device in self.devices.items():
            if ref and ref in (device.get("serialNumber"), device.get("deviceName")):
                return device_id
        raise ValueError(f"no managed device with id, serial number or name {ref!r}")
