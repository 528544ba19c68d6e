"""A fake Azure tenant over HTTPS: Entra ID's token endpoint, Azure Resource Manager's read API
and Azure Resource Graph, all on one host, so the real `azure-identity` credentials and
`azure-mgmt-*` clients run against it unmodified (authority and ARM endpoint set to its URL,
instance discovery off, the sandbox CA trusted).

Admin ops for scenarios: create_resource, tag_resource, delete_resource, create_subscription,
disable_subscription, register_certificate.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from connectors.azure.sandbox.arm import ArmApi
from connectors.azure.sandbox.auth import AppRegistration, EntraTokenIssuer, ManagedIdentity
from connectors.azure.sandbox.data import DASH, AzureEstate, Subscription
from connectors.azure.sandbox.graph import ResourceGraphApi, UserQuota
from connectors.azure.sandbox.kinds import stable_uuid
from connectors.azure.sandbox.tags_api import TagsApi, apply_tags
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import DEPARTMENTS
from core.sandbox.server import Router

CLIENT_SECRET = "sbx~azure-reader-secret-value"
TAG_OPERATIONS = ("merge", "replace", "delete")


class AzureSandbox(Sandbox):
    name = "azure"
    admin_arguments: ClassVar[dict[str, frozenset[str] | None]] = {
        "create_resource": frozenset(
            {
                "subscription_id",
                "resource_group",
                "type",
                "name",
                "location",
                "sku",
                "kind",
                "managed_by",
                "tags",
            }
        ),
        "tag_resource": frozenset({"resource_id", "tags", "operation"}),
        "delete_resource": frozenset({"resource_id"}),
        "create_subscription": frozenset(
            {"subscription_id", "display_name", "department", "environment", "tags"}
        ),
        "disable_subscription": frozenset({"subscription_id"}),
        "register_certificate": frozenset({"certificate_pem"}),
        "grant_tag_contributor": frozenset(),
        "resource_tags": frozenset({"resource_id", "name"}),
        "write_requests": frozenset(),
    }
    #: the first request of the first stream (subscriptions) is the one the contract kit throttles
    throttle_path: ClassVar[str] = r"^/subscriptions$"

    def __init__(
        self,
        *,
        resource_count: int | None = None,
        graph_quota: int = 15,
        graph_window_seconds: float = 5.0,
        arm_read_bucket: tuple[int, float] = (250, 25.0),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.estate = AzureEstate(self.seed, self.scale, resource_count)
        self.estate.subscriptions.append(
            Subscription(
                subscription_id=stable_uuid("subscription", self.seed, "restricted"),
                display_name=f"Agency Security {DASH} Restricted",
                department=DEPARTMENTS[3],
                environment="prod",
                readable=False,
            )
        )
        self.app = AppRegistration(stable_uuid("client", self.seed), CLIENT_SECRET)
        self.issuer = EntraTokenIssuer(self.estate.tenant_id, self.app, lambda: self.url)
        self.arm_api = ArmApi(
            self.estate,
            authorize=self.issuer.challenge,
            base_url=lambda: self.url,
            lock=self.lock,
            read_bucket=arm_read_bucket,
        )
        self.tags_api = TagsApi(self.estate, authorize=self.issuer.challenge, lock=self.lock)
        self.graph_api = ResourceGraphApi(
            self.estate,
            authorize=self.issuer.challenge,
            lock=self.lock,
            quota=UserQuota(graph_quota, graph_window_seconds),
        )

    def build_routes(self, router: Router) -> None:
        self.issuer.routes(router)
        self.graph_api.routes(router)
        self.tags_api.routes(router)
        self.arm_api.routes(router)

    # -- admin ------------------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        ops = {
            "create_resource": self._create_resource,
            "tag_resource": self._tag_resource,
            "delete_resource": self._delete_resource,
            "create_subscription": self._create_subscription,
            "disable_subscription": self._disable_subscription,
            "register_certificate": self._register_certificate,
            "grant_tag_contributor": self._grant_tag_contributor,
            "resource_tags": self._resource_tags,
            "write_requests": self._write_requests,
        }
        if op not in ops:
            raise ValueError(f"unknown azure admin op {op!r}; known: {', '.join(ops)}")
        with self.lock:
            result = ops[op](args)
            self.estate.version += 1
            return result

    def _subscription_arg(self, args: dict[str, Any]) -> Subscription:
        wanted = args.get("subscription_id")
        if wanted is None:
            return self.estate.subscriptions[0]
        sub = self.estate.subscription(str(wanted))
        if sub is None:
            raise ValueError(f"no subscription {wanted!r} in the azure sandbox")
        return sub

    def _create_resource(self, args: dict[str, Any]) -> str:
        """Add a resource (creating its resource group if needed); returns its resource ID."""
        sub = self._subscription_arg(args)
        group, rtype, name = str(args["resource_group"]), str(args["type"]), str(args["name"])
        if rtype.count("/") < 1 or not name:
            raise ValueError("type must look like 'Microsoft.Compute/virtualMachines' and name must be set")
        resource_id = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group}/providers/{rtype}/{name}"
        if self.estate.find(resource_id) is not None:
            raise ValueError(f"resource {resource_id} already exists")
        location = str(args.get("location", "eastus"))
        if not self.estate.has_group(sub, group):
            groups = self.estate.extra_groups.setdefault(sub.subscription_id, {})
            groups[group.lower()] = self.estate._group(
                f"/subscriptions/{sub.subscription_id}/resourceGroups", group, location, None
            )
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        resource: dict[str, Any] = {"id": resource_id, "name": name, "type": rtype, "location": location}
        for key, field in (("sku", "sku"), ("kind", "kind"), ("managed_by", "managedBy")):
            if args.get(key) is not None:
                resource[field] = args[key]
        if args.get("tags"):
            resource["tags"] = {str(k): str(v) for k, v in dict(args["tags"]).items()}
        resource.update(createdTime=stamp, changedTime=stamp, provisioningState="Succeeded")
        self.estate.added.setdefault(sub.subscription_id, []).append(resource)
        self.estate.deleted.discard(resource_id.lower())
        return resource_id

    def _tag_resource(self, args: dict[str, Any]) -> dict[str, str]:
        """Tags - Update At Scope: merge (default), replace or delete tags; returns the new tags."""
        found = self.estate.find(str(args["resource_id"]))
        if found is None:
            raise ValueError(f"no resource {args['resource_id']!r} in the azure sandbox")
        operation = str(args.get("operation", "merge")).lower()
        if operation not in TAG_OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(TAG_OPERATIONS)}")
        _, resource = found
        given = {str(k): str(v) for k, v in dict(args.get("tags") or {}).items()}
        tags = apply_tags(dict(resource.get("tags") or {}), given, operation)
        changed = {k: v for k, v in resource.items() if k != "tags"}
        if tags:
            changed["tags"] = tags
        changed["changedTime"] = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        self.estate.changed[resource["id"].lower()] = changed
        return tags

    def _grant_tag_contributor(self, args: dict[str, Any]) -> dict[str, bool]:
        """The hub's principal may write tags (an agency assigns it Tag Contributor)."""
        self.tags_api.writable = True
        return {"writable": True}

    def _resource_tags(self, args: dict[str, Any]) -> dict[str, Any]:
        """The tags a resource holds now, by its ID or by the name a scenario gave it."""
        resource_id = args.get("resource_id") or next(
            (
                r["id"]
                for added in self.estate.added.values()
                for r in added
                if r.get("name") == args.get("name")
            ),
            None,
        )
        found = self.estate.find(str(resource_id)) if resource_id else None
        if found is None:
            raise ValueError(
                f"no resource {args.get('resource_id') or args.get('name')!r} in the azure sandbox"
            )
        return {"tags": dict(found[1].get("tags") or {}), **dict(found[1].get("tags") or {})}

    def _write_requests(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"count": len(self.tags_api.received), "requests": list(self.tags_api.received)}

    def _delete_resource(self, args: dict[str, Any]) -> str:
        resource_id = str(args["resource_id"])
        if self.estate.find(resource_id) is None:
            raise ValueError(f"no resource {resource_id!r} in the azure sandbox")
        self.estate.deleted.add(resource_id.lower())
        return resource_id

    def _create_subscription(self, args: dict[str, Any]) -> str:
        number = len(self.estate.subscriptions)
        code = str(args.get("department", "IT")).upper()
        department = next((d for d in DEPARTMENTS if d.code == code), None)
        if department is None:
            raise ValueError(f"unknown department {code!r}; known: {', '.join(d.code for d in DEPARTMENTS)}")
        sub = Subscription(
            subscription_id=str(
                args.get("subscription_id") or stable_uuid("subscription", self.seed, "new", number)
            ),
            display_name=str(args.get("display_name") or f"Agency {department.name} {DASH} Project {number}"),
            department=department,
            environment=str(args.get("environment", "prod")),
            tags={
                str(k): str(v)
                for k, v in dict(args.get("tags") or {"CostCenter": department.cost_center}).items()
            },
        )
        if self.estate.subscription(sub.subscription_id) is not None:
            raise ValueError(f"subscription {sub.subscription_id} already exists")
        self.estate.subscriptions.append(sub)
        return sub.subscription_id

    def _disable_subscription(self, args: dict[str, Any]) -> str:
        sub = self._subscription_arg({"subscription_id": args["subscription_id"]})
        sub.state = "Disabled"
        return sub.subscription_id

    def _register_certificate(self, args: dict[str, Any]) -> str:
        """Upload a public certificate (PEM) to the app registration; returns its x5t thumbprint."""
        return self.app.add_certificate(str(args["certificate_pem"]).encode())

    # -- config -----------------------------------------------------------------------------
    def instance_config(self) -> dict[str, Any]:
        return {
            "tenant_id": self.estate.tenant_id,
            "client_id": self.app.client_id,
            "client_secret": CLIENT_SECRET,
            "authority_host": self.url,
            "arm_endpoint": self.url,
            "instance_discovery": False,
            "ca_bundle": self.ca_path,
            "page_size": 25,
        }

    def managed_identity_env(self) -> dict[str, str]:
        """The environment App Service gives a process whose host carries a managed identity
        (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`); azure-identity finds the endpoint through it."""
        if self.issuer.managed_identity is None:
            self.issuer.managed_identity = ManagedIdentity(
                stable_uuid("managed-identity", self.seed), secrets.token_urlsafe(16)
            )
        return {
            "IDENTITY_ENDPOINT": f"{self.url}/msi/token",
            "IDENTITY_HEADER": self.issuer.managed_identity.header_secret,
        }

    def managed_identity_config(self) -> dict[str, Any]:
        """`instance_config()` signing in as the host's user-assigned identity: no secret at all."""
        self.managed_identity_env()
        assert self.issuer.managed_identity is not None
        config = {k: v for k, v in self.instance_config().items() if k != "client_secret"}
        return {**config, "auth": "managed_identity", "client_id": self.issuer.managed_identity.client_id}

    def bad_credentials(self) -> dict[str, Any]:
        return {"client_secret": "sbx~not-the-right-secret"}
