"""The Microsoft 365 source connector: Entra users (delta), group memberships, sign-in activity,
licence subscriptions and Intune managed devices, through Microsoft Graph v1.0."""

from __future__ import annotations

from typing import Any

from connectors.office365.client import GraphClient
from connectors.office365.config import Office365Config
from connectors.office365.streams import (
    GroupMembershipsStream,
    ManagedDevicesStream,
    SignInActivityStream,
    SubscribedSkusStream,
    UsersStream,
)
from core.connector.contracts import CheckResult, SourceConnector, Stream
from core.errors import HubError

#: per stream, the application permissions any one of which lets it read (least privileged first)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "users": ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All"),
    "group_memberships": ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"),
    "sign_in_activity": ("AuditLog.Read.All",),
    "subscribed_skus": ("LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All"),
    "managed_devices": (
        "DeviceManagementManagedDevices.Read.All",
        "DeviceManagementManagedDevices.ReadWrite.All",
    ),
}


class Office365Connector(SourceConnector):
    type_name = "office365"
    title = "Microsoft 365 (Entra ID, licences, Intune)"
    config_model = Office365Config
    sandbox = "connectors.office365.sandbox:Office365Sandbox"
    pool_slots = 4

    def __init__(self, config: Office365Config, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: Office365Config = config
        self.client = GraphClient(config)

    def streams(self) -> list[Stream]:
        size = self.config.page_size
        streams: list[Stream] = [UsersStream(self.client, self.instance)]
        if self.config.group_memberships:
            streams.append(GroupMembershipsStream(self.client, size))
        if self.config.sign_in_activity:
            streams.append(SignInActivityStream(self.client, size))
        streams.append(SubscribedSkusStream(self.client))
        if self.config.intune:
            streams.append(ManagedDevicesStream(self.client, size))
        return streams

    def streams_switched_off(self) -> dict[str, str]:
        switches = {
            "group_memberships": (self.config.group_memberships, "group_memberships: true"),
            "sign_in_activity": (
                self.config.sign_in_activity,
                f"sign_in_activity: true (needs Entra ID P1 or P2 and {PERMISSIONS['sign_in_activity'][0]})",
            ),
            "managed_devices": (
                self.config.intune,
                f"intune: true (needs {PERMISSIONS['managed_devices'][0]})",
            ),
        }
        return {name: setting for name, (on, setting) in switches.items() if not on}

    def check(self) -> CheckResult:
        """A token is issued, it carries the permissions the enabled streams need, and each
        endpoint answers."""
        try:
            roles = set(self.client.auth.roles())
            missing = [
                f"{stream.name}: {PERMISSIONS[stream.name][0]}"
                for stream in self.streams()
                if not roles & set(PERMISSIONS[stream.name])
            ]
            if missing:
                return CheckResult(
                    False,
                    f"the app's token lacks application permissions ({'; '.join(missing)}); add them under "
                    "API permissions > Microsoft Graph > Application permissions and grant admin consent",
                    {"roles": sorted(roles)},
                )
            details = self._probe()
        except HubError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(
            True,
            f"token issued for tenant {self.config.tenant_id}; users, licences"
            f"{', devices' if self.config.intune else ''} readable at {self.config.graph_base}",
            {"roles": sorted(roles), **details},
        )

    def _probe(self) -> dict[str, Any]:
        client = self.client
        client.get("users", {"$select": "id", "$top": 1})
        skus = client.get("subscribedSkus", {"$select": "skuId"}).get("value") or []
        details: dict[str, Any] = {"subscribed_skus": len(skus)}
        if self.config.intune:
            client.get("deviceManagement/managedDevices", {"$select": "id", "$top": 1})
        if self.config.sign_in_activity:
            client.get("users", {"$select": "id,signInActivity", "$top": 1})
        return details

    def close(self) -> None:
        self.client.close()
