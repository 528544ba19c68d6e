"""Sandbox Microsoft 365 tenant: Entra sign-in (OpenID discovery + v2.0 token endpoint) and
Microsoft Graph v1.0 (users with delta, memberships, licences, Intune devices, `$batch`) over
HTTPS, built from the shared demo roster, with an admin API for identity and device changes.

MSAL runs against it unmodified: `authority=https://127.0.0.1:PORT/{tenant}` with
`instance_discovery=False` and the sandbox CA as `verify`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from connectors.office365.sandbox import admin as sandbox_admin
from connectors.office365.sandbox.graph import GraphApi, TokenBucket
from connectors.office365.sandbox.login import AppRegistration, LoginEndpoints
from connectors.office365.sandbox.tenant_seed import build_tenant, guid
from core.sandbox.base import Sandbox
from core.sandbox.server import Router
from core.sandbox.tokens import TokenStore

CLIENT_SECRET = "sbx~o365.Hub-Client-Secret-Value"
APP_ROLES = {
    "User.Read.All",
    "GroupMember.Read.All",
    "LicenseAssignment.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "AuditLog.Read.All",
}


class Office365Sandbox(Sandbox):
    name = "office365"
    admin_arguments = sandbox_admin.ADMIN_ARGUMENTS
    throttle_path: ClassVar[str] = r"^/v1\.0/users/delta$"
    contract_scale: ClassVar[int] = 60

    def __init__(self, *, delta_page_size: int = 200, premium: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant = build_tenant(self.seed, self.scale)
        self.delta_page_size = delta_page_size
        self.premium = premium  # Entra ID P1/P2: sign-in activity is readable
        self.bucket = TokenBucket()
        self.tokens = TokenStore(ttl_seconds=3599)
        self.app = AppRegistration(guid(self.seed, "app"), CLIENT_SECRET, set(APP_ROLES))
        self._client_key_pem: str | None = None
        self.login = LoginEndpoints(
            self.tenant.tenant_id, ["agencygov.onmicrosoft.com", self.tenant.domain], self.app, self.tokens
        )
        self.graph = GraphApi(self)

    def build_routes(self, router: Router) -> None:
        router.add(
            "GET",
            r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration",
            self.login.openid_configuration,
        )
        router.add("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self.login.token)
        self.graph.build(router)

    def start(self, port: int = 0) -> Sandbox:
        started = super().start(port)
        self.login.base_url = self.url
        return started

    # -- admin ------------------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        with self.lock:
            if op == "create_user":
                return sandbox_admin.create_user(self.tenant, args, seed=self.seed, scale=self.scale)
            if op == "set_throttle":
                self.bucket = TokenBucket(float(args["capacity"]), float(args["per_second"]))
                return {"capacity": self.bucket.capacity, "per_second": self.bucket.per_second}
            if op == "write_requests":
                received = list(self.graph.writes.received) if self.graph.writes else []
                return {"count": len(received), "requests": received}
            if op == "user_state":
                user = self.tenant.users[self.tenant.find_user(str(args["user"]))]
                return {
                    "account_enabled": user.get("accountEnabled"),
                    "licences": len(user.get("assignedLicenses") or []),
                    "sessions_valid_from": user.get("signInSessionsValidFromDateTime"),
                    "groups": sorted(g.displayName for g in self.tenant.member_of(user["id"])),
                }
            if op in ("grant_permission", "revoke_permission"):
                permission = str(args["permission"])
                (self.app.roles.add if op == "grant_permission" else self.app.roles.discard)(permission)
                return {"roles": sorted(self.app.roles)}
            handler = sandbox_admin.OPS.get(op)
            if handler is None:
                known = sorted(
                    [
                        *sandbox_admin.OPS,
                        "create_user",
                        "set_throttle",
                        "grant_permission",
                        "revoke_permission",
                        "user_state",
                        "write_requests",
                    ]
                )
                raise ValueError(f"unknown office365 admin op {op!r}; known: {', '.join(known)}")
            return handler(self.tenant, args)

    # -- what the connector and the contract kit need ---------------------------------------
    def instance_config(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant.tenant_id,
            "client_id": self.app.client_id,
            "client_secret": CLIENT_SECRET,
            "authority_host": self.url,
            "graph_url": self.url,
            "ca_bundle": self.ca_path,
            "sign_in_activity": self.premium,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"client_secret": "wrong~secret-value-1234"}

    def kit_delete(self, stream: str) -> str:
        """Contract kit: permanently delete the last live user (only `users` is a delta stream)."""
        if stream != "users":
            raise ValueError(f"office365 streams other than users are not delta: {stream}")
        with self.lock:
            user_id = self.tenant.live_ids()[-1]
            self.tenant.delete_user(user_id, permanent=True)
        return user_id

    def kit_change(self, stream: str, count: int) -> list[str]:
        """Contract kit: give `count` users a new job title (a delta round then lists them)."""
        if stream != "users":
            return []
        with self.lock:
            changed = self.tenant.live_ids()[:count]
            for user_id in changed:
                self.tenant.update_user(user_id, {"jobTitle": "Changed by the contract kit"})
        return changed

    def certificate_config(self) -> dict[str, Any]:
        """Config using a certificate credential instead of the secret (registers one on first use)."""
        if self._client_key_pem is None:
            issuer = trustme.CA(organization_name="hub app credential", key_type=trustme.KeyType.RSA)
            leaf = issuer.issue_cert("itsm-hub-graph-client", key_type=trustme.KeyType.RSA)
            cert_pem = leaf.cert_chain_pems[0].bytes()
            self.app.certificate_pem = cert_pem
            self._client_key_pem = leaf.private_key_pem.bytes().decode()
        certificate = x509.load_pem_x509_certificate(self.app.certificate_pem or b"")
        config = {k: v for k, v in self.instance_config().items() if k != "client_secret"}
        return {
            **config,
            "client_certificate": self._client_key_pem,
            "certificate_thumbprint": certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303
        }

    def counts(self) -> dict[str, int]:
        """Sizes of the tenant, for tests and benchmarks."""
        with self.lock:
            return {
                "users": len(self.tenant.live_ids()),
                "devices": len(self.tenant.devices),
                "skus": len(self.tenant.skus),
                "groups": len(self.tenant.groups),
            }
