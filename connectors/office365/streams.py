"""The Microsoft 365 streams: what each reads from Graph, its key, its mode and its record shape.

Records are Graph's JSON as returned (OData annotations dropped), with `$select` limited to what
`mappings/office365.yaml` uses, so a tenant's other attributes never reach the hub.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from connectors.office365.client import BatchAnswer, DeltaExpired, GraphClient
from core.connector.contracts import (
    Partition,
    ReadItem,
    RecordDeleted,
    SnapshotCompleted,
    SnapshotStarted,
    StateCheckpoint,
    Stream,
)
from core.errors import AuthError, ConfigError, FatalError

log = logging.getLogger("hub.office365")

STR = {"type": ["string", "null"]}
BOOL = {"type": ["boolean", "null"]}

USER_SELECT = [
    "id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "employeeId",
    "employeeType", "accountEnabled", "department", "jobTitle", "officeLocation", "companyName",
    "onPremisesImmutableId", "createdDateTime", "assignedLicenses", "userType",
]  # fmt: skip
DEVICE_SELECT = [
    "id", "deviceName", "serialNumber", "model", "manufacturer", "operatingSystem", "osVersion",
    "complianceState", "lastSyncDateTime", "enrolledDateTime", "userPrincipalName", "userId",
    "managedDeviceOwnerType", "azureADDeviceId", "imei",
]  # fmt: skip
SKU_SELECT = ["skuId", "skuPartNumber", "capabilityStatus", "consumedUnits", "prepaidUnits", "appliesTo"]


def without_annotations(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("@odata.")}


def _fail_item(what: str, answer: BatchAnswer) -> FatalError | AuthError:
    body = answer.body if isinstance(answer.body, dict) else {}
    error = body.get("error") or {}
    message = (
        f"office365: {what}: {answer.status} {error.get('code', '')}: {error.get('message', '')}".strip()
    )
    if answer.status in (401, 403):
        return AuthError(
            message, hint="grant the permission named in the connector README and admin-consent it"
        )
    return FatalError(message)


class UsersStream(Stream):
    """Entra users by delta query. State is the round's `@odata.deltaLink` (or, mid-round, the
    `@odata.nextLink`); a refused token starts a full resync once, logged.

    An initial round lists every live user, so it is a snapshot: a user deleted while the delta
    token was dead (and so never reported `@removed`) is missing from it and the store says so.
    """

    name = "users"
    primary_key = ("id",)
    mode = "delta"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "userPrincipalName", "accountEnabled"],
        "properties": {
            "id": {"type": "string"},
            "userPrincipalName": {"type": "string"},
            "accountEnabled": {"type": "boolean"},
            "mail": STR, "displayName": STR, "givenName": STR, "surname": STR, "employeeId": STR,
            "employeeType": STR, "department": STR, "jobTitle": STR, "officeLocation": STR,
            "companyName": STR, "onPremisesImmutableId": STR, "createdDateTime": STR, "userType": STR,
            "assignedLicenses": {
                "type": "array",
                "items": {"type": "object", "required": ["skuId"], "properties": {"skuId": {"type": "string"}}},
            },
        },
    }  # fmt: skip

    def __init__(self, client: GraphClient, instance: str = "office365") -> None:
        self.client = client
        self.instance = instance

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        state = state or {}
        url: str = state.get("delta_link") or state.get("next_link") or "users/delta"
        self._refuse_foreign_link(url)
        params: dict[str, Any] | None = None if url != "users/delta" else {"$select": ",".join(USER_SELECT)}
        phase = "delta" if state.get("delta_link") else state.get("phase", "initial")
        resynced = False
        if url == "users/delta":
            yield SnapshotStarted()
        while True:
            try:
                page = self.client.delta_page(url, params)
            except DeltaExpired as exc:
                if resynced or url == "users/delta":
                    raise FatalError(f"office365: Graph refused a fresh users delta query ({exc})") from None
                log.warning("office365 users: delta token refused (%s); starting a full resync", exc)
                url, params, phase, resynced = (
                    "users/delta",
                    {"$select": ",".join(USER_SELECT)},
                    "initial",
                    True,
                )
                yield SnapshotStarted()
                continue
            yield from self._page_items(page.get("value") or [])
            next_link = page.get("@odata.nextLink")
            if next_link:
                yield StateCheckpoint({"next_link": next_link, "phase": phase})
                url, params = str(next_link), None
                continue
            delta_link = page.get("@odata.deltaLink")
            if not delta_link:
                raise FatalError(
                    "office365: a users delta page had neither @odata.nextLink nor @odata.deltaLink"
                )
            if phase == "initial":
                yield SnapshotCompleted()
            yield StateCheckpoint({"delta_link": str(delta_link)})
            return

    def _refuse_foreign_link(self, url: str) -> None:
        """A saved link is followed as is; one naming another host than `graph_url` (the tenant's
        endpoint moved, a sandbox restarted on another port) would fail on every retry, so it is
        a config error that says how to start over, not a transient one."""
        saved, serving = urlsplit(url), urlsplit(self.client.config.graph_base)
        if not saved.netloc or (saved.scheme, saved.netloc) == (serving.scheme, serving.netloc):
            return
        raise ConfigError(
            f"office365 users: the saved delta link names {saved.scheme}://{saved.netloc}, but instance "
            f"{self.instance} now reads {serving.scheme}://{serving.netloc}; the saved cursor cannot be followed",
            hint=f"run a full refresh: `hub sync {self.instance} --stream users --full-refresh` "
            f"(in Airflow: trigger hub_sync_{self.instance} with full_refresh on)",
        )

    def _page_items(self, entries: list[dict[str, Any]]) -> Iterator[ReadItem]:
        partial: list[str] = []
        for entry in entries:
            removed = entry.get("@removed")
            if removed is not None:
                reason = str((removed or {}).get("reason") or "deleted")
                yield RecordDeleted(str(entry["id"]), permanent=reason == "deleted", reason=reason)
            elif all(name in entry for name in USER_SELECT):
                yield without_annotations(entry)
            else:  # delta rounds return changed users with only the changed properties
                partial.append(str(entry["id"]))
        if partial:
            yield from self._hydrate(partial)

    def _hydrate(self, user_ids: list[str]) -> Iterator[ReadItem]:
        select = ",".join(USER_SELECT)
        answers = self.client.batch_get({uid: f"/users/{uid}?$select={select}" for uid in user_ids})
        for user_id in user_ids:
            answer = answers[user_id]
            if answer.status == 200 and isinstance(answer.body, dict):
                yield without_annotations(answer.body)
            elif answer.status == 404:
                log.debug(
                    "office365 users: %s vanished before it was read; the next round reports it", user_id
                )
            else:
                raise _fail_item(f"reading changed user {user_id}", answer)


class SubscribedSkusStream(Stream):
    """The tenant's licence subscriptions with consumed and prepaid units (a small full snapshot)."""

    name = "subscribed_skus"
    primary_key = ("skuId",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["skuId", "skuPartNumber", "consumedUnits", "prepaidUnits"],
        "properties": {
            "skuId": {"type": "string"},
            "skuPartNumber": {"type": "string"},
            "capabilityStatus": STR,
            "appliesTo": STR,
            "consumedUnits": {"type": "integer"},
            "prepaidUnits": {"type": "object", "properties": {"enabled": {"type": "integer"}}},
        },
    }

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        for page in self.client.pages("subscribedSkus", {"$select": ",".join(SKU_SELECT)}):
            for sku in page.get("value") or []:
                yield without_annotations(sku)


class ManagedDevicesStream(Stream):
    """Intune managed devices (company and personal); a full snapshot, as Intune has no delta."""

    name = "managed_devices"
    primary_key = ("id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "deviceName", "serialNumber", "operatingSystem", "complianceState"],
        "properties": {
            "id": {"type": "string"},
            **{name: STR for name in DEVICE_SELECT if name != "id"},
        },
    }

    def __init__(self, client: GraphClient, page_size: int) -> None:
        self.client = client
        self.page_size = page_size

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        params = {"$select": ",".join(DEVICE_SELECT), "$top": min(self.page_size, 1000)}
        for page in self.client.pages("deviceManagement/managedDevices", params):
            for device in page.get("value") or []:
                yield without_annotations(device)


class GroupMembershipsStream(Stream):
    """Each user's direct group memberships (`/users/{id}/memberOf`, 20 users per `$batch`)."""

    name = "group_memberships"
    primary_key = ("id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "userPrincipalName", "groups", "group_ids"],
        "properties": {
            "id": {"type": "string"},
            "userPrincipalName": {"type": "string"},
            "groups": {"type": "array", "items": {"type": "string"}},
            "group_ids": {"type": "array", "items": {"type": "string"}},
        },
    }

    def __init__(self, client: GraphClient, page_size: int) -> None:
        self.client = client
        self.page_size = page_size
        self._warned = False

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        params = {"$select": "id,userPrincipalName", "$top": self.page_size}
        for page in self.client.pages("users", params):
            users = {str(u["id"]): str(u.get("userPrincipalName") or "") for u in page.get("value") or []}
            urls = {uid: f"/users/{uid}/memberOf?$select=id,displayName" for uid in users}
            answers = self.client.batch_get(urls)
            for user_id, upn in users.items():
                answer = answers[user_id]
                if answer.status == 404:
                    continue  # deleted since the page was read
                if answer.status != 200 or not isinstance(answer.body, dict):
                    raise _fail_item(f"reading group memberships of {user_id}", answer)
                groups = self._groups(answer.body)
                yield {
                    "id": user_id,
                    "userPrincipalName": upn,
                    "groups": sorted(name for _, name in groups),
                    "group_ids": sorted(gid for gid, _ in groups),
                }

    def _groups(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        entries = list(body.get("value") or [])
        if body.get("@odata.nextLink"):
            for page in self.client.pages(str(body["@odata.nextLink"])):
                entries.extend(page.get("value") or [])
        found = []
        for entry in entries:
            if entry.get("@odata.type", "#microsoft.graph.group") != "#microsoft.graph.group":
                continue  # directory roles and administrative units
            name = entry.get("displayName")
            if name is None and not self._warned:
                self._warned = True
                log.warning("office365: group names are hidden; grant GroupMember.Read.All to read them")
            found.append((str(entry["id"]), str(name or entry["id"])))
        return found


class SignInActivityStream(Stream):
    """Users' last sign-in (`signInActivity`; needs AuditLog.Read.All and Entra ID P1 or P2)."""

    name = "sign_in_activity"
    primary_key = ("id",)
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["id", "userPrincipalName"],
        "properties": {
            "id": {"type": "string"},
            "userPrincipalName": {"type": "string"},
            "signInActivity": {"type": ["object", "null"]},
        },
    }

    def __init__(self, client: GraphClient, page_size: int) -> None:
        self.client = client
        self.page_size = page_size

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        params = {"$select": "id,userPrincipalName,signInActivity", "$top": min(self.page_size, 120)}
        for page in self.client.pages("users", params):
            for user in page.get("value") or []:
                yield without_annotations(user)
