"""The sandbox tenant's Azure estate: subscriptions, resource groups and resources, derived on
demand from (seed, position) so 200,000 resources cost no memory until they are changed.

Resources come in *workloads* of ten (a VM with its OS disk and NIC, a public IP, an NSG, a
storage account, an App Service plan and web app, a SQL server, a key vault). Workloads are dealt
round-robin to subscriptions, so the k-th resource of a subscription is a pure function of k.
Owner tags come from the shared demo roster (`core.sandbox.org`): e-mails or employee IDs in
varied spellings, a few workloads untagged, one resource owned by a departed person.
Mutations (admin ops) live in small overlays: added, changed and deleted resources.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connectors.azure.sandbox.kinds import SLOTS, stable_uuid
from core import clock
from core.sandbox.org import DEPARTMENTS, Department, Person, roster

WORKLOAD = 10
APPS = ["web", "gis", "erp", "records", "data", "backup"]
LOCATIONS = ["eastus", "eastus", "eastus2", "centralus", "southcentralus", "westus2"]
DASH = "\u2013"  # an en dash: display names are not ASCII-only
_WORKLOAD_NUMBER = re.compile(r"(\d{5,})")
SUBSCRIPTION_POLICIES = {
    "locationPlacementId": "Public_2014-09-01",
    "quotaId": "EnterpriseAgreement_2014-09-01",
    "spendingLimit": "Off",
}


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    department: Department
    environment: str
    state: str = "Enabled"
    tags: dict[str, str] = field(default_factory=dict)
    #: the sandbox principal holds Reader here (False: listed nowhere, 403 on direct reads)
    readable: bool = True


@dataclass(frozen=True)
class Workload:
    """Ten related resources that share an owner, a cost centre, a location and a group."""

    number: int
    subscription: int
    app: str
    location: str
    tags: dict[str, str] | None
    created: str


class AzureEstate:
    """Deterministic subscriptions/resources plus the overlays the admin ops write."""

    def __init__(self, seed: int, scale: int, resource_count: int | None = None) -> None:
        self.seed = seed
        self.tenant_id = stable_uuid("tenant", seed)
        #: generated timestamps count back from here, so every read of a resource is identical
        self.anchor = clock.now().replace(microsecond=0)
        self.total_generated = resource_count if resource_count is not None else scale * 4
        self.people = roster(seed, scale)
        self._owners = [p for p in self.people if p.status in ("active", "on_leave")] or list(self.people)
        self.departed = self._departed_person(seed, scale)
        self.generated_subscriptions = max(3, min(40, math.ceil(self.total_generated / 5000)))
        self.subscriptions = [self._subscription(k) for k in range(self.generated_subscriptions)]
        self.added: dict[str, list[dict[str, Any]]] = {}
        self.changed: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.extra_groups: dict[str, dict[str, dict[str, Any]]] = {}
        #: bumped by every mutation (cached query totals key on it)
        self.version = 0
        first = self.subscriptions[0]
        self.added[first.subscription_id] = self._malformed(first)
        legacy = f"rg-legacy-{first.environment}"
        self.extra_groups[first.subscription_id] = {
            legacy: self._group(
                f"/subscriptions/{first.subscription_id}/resourceGroups", legacy, "eastus", None
            )
        }

    # -- subscriptions ------------------------------------------------------------------------
    def _departed_person(self, seed: int, scale: int) -> Person:
        """A terminated person of the roster; at scales without one, someone HR no longer lists."""
        for person in self.people:
            if person.status == "terminated":
                return person
        wider = roster(seed, max(scale * 4, 200))
        return next(p for p in wider[scale:] if p.status == "terminated")

    def _subscription(self, k: int) -> Subscription:
        department = DEPARTMENTS[(k * 3) % len(DEPARTMENTS)]
        environment = "prod" if k % 3 != 2 else "devtest"
        label = "Production" if environment == "prod" else "Dev/Test"
        head = next((p for p in self.people if p.department.code == department.code), self.people[0])
        return Subscription(
            subscription_id=stable_uuid("subscription", self.seed, k),
            display_name=f"Agency {department.name} {DASH} {label}"
            + (f" {k // len(DEPARTMENTS)}" if k >= 8 else ""),
            department=department,
            environment=environment,
            tags={"Owner": head.email, "CostCenter": department.cost_center, "Environment": environment},
        )

    def _malformed(self, sub: Subscription) -> list[dict[str, Any]]:
        """Two records a misbehaving resource provider returns: no type; no location."""
        prefix = f"/subscriptions/{sub.subscription_id}/resourceGroups/rg-legacy-{sub.environment}/providers"
        stamp = (self.anchor - timedelta(days=3000)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        common = {"createdTime": stamp, "changedTime": stamp, "provisioningState": "Failed"}
        return [
            {
                "id": f"{prefix}/Microsoft.ClassicCompute/domainNames/cs-legacy-records",
                "name": "cs-legacy-records",
                "type": "",
                "location": "eastus",
                **common,
            },
            {
                "id": f"{prefix}/Microsoft.Insights/components/appi-legacy-web",
                "name": "appi-legacy-web",
                "type": "Microsoft.Insights/components",
                "location": "",
                "kind": "web",
                "tags": {"Owner": self._owners[0].email},
                **common,
            },
        ]

    def subscription(self, subscription_id: str) -> Subscription | None:
        wanted = subscription_id.lower()
        return next((s for s in self.subscriptions if s.subscription_id == wanted), None)

    def subscription_record(self, sub: Subscription) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{sub.subscription_id}",
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": dict(sub.tags),
            "subscriptionId": sub.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": sub.display_name,
            "state": sub.state,
            "subscriptionPolicies": dict(SUBSCRIPTION_POLICIES),
        }

    # -- resource groups ----------------------------------------------------------------------
    def resource_groups(self, sub: Subscription) -> list[dict[str, Any]]:
        prefix = f"/subscriptions/{sub.subscription_id}/resourceGroups"
        groups = [
            self._group(
                prefix, f"rg-{app}-{sub.environment}", "eastus", {"CostCenter": sub.department.cost_center}
            )
            for app in APPS
        ]
        groups.append(self._group(prefix, "NetworkWatcherRG", "eastus", None))
        groups.append(self._group(prefix, "DefaultResourceGroup-EUS", "eastus", None))
        groups.extend(self.extra_groups.get(sub.subscription_id, {}).values())
        return groups

    @staticmethod
    def _group(prefix: str, name: str, location: str, tags: dict[str, str] | None) -> dict[str, Any]:
        group: dict[str, Any] = {
            "id": f"{prefix}/{name}",
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if tags:
            group["tags"] = dict(tags)
        return group

    def has_group(self, sub: Subscription, name: str) -> bool:
        return any(g["name"].lower() == name.lower() for g in self.resource_groups(sub))

    # -- resources ----------------------------------------------------------------------------
    def generated_count(self, sub_index: int) -> int:
        """How many generated resources subscription `sub_index` holds."""
        if sub_index >= self.generated_subscriptions:
            return 0
        workloads = math.ceil(self.total_generated / WORKLOAD)
        mine = len(range(sub_index, workloads, self.generated_subscriptions))
        count = mine * WORKLOAD
        last = workloads - 1
        if last % self.generated_subscriptions == sub_index:
            count -= workloads * WORKLOAD - self.total_generated
        return count

    def positions(self, sub_index: int) -> int:
        """Positions of a subscription's listing: generated ones, then added ones."""
        sub = self.subscriptions[sub_index]
        return self.generated_count(sub_index) + len(self.added.get(sub.subscription_id, []))

    def live_count(self, sub_index: int) -> int:
        """Resources a subscription holds now (listing positions minus deletions)."""
        prefix = f"/subscriptions/{self.subscriptions[sub_index].subscription_id}/"
        return self.positions(sub_index) - sum(1 for key in self.deleted if key.startswith(prefix))

    def resource_at(self, sub_index: int, position: int) -> dict[str, Any] | None:
        """The resource at a listing position, or None where one was deleted."""
        sub = self.subscriptions[sub_index]
        generated = self.generated_count(sub_index)
        if position < generated:
            workload = sub_index + (position // WORKLOAD) * self.generated_subscriptions
            resource = self._generated(workload * WORKLOAD + position % WORKLOAD)
        else:
            added = self.added.get(sub.subscription_id, [])
            if position - generated >= len(added):
                return None
            resource = added[position - generated]
        key = resource["id"].lower()
        if key in self.deleted:
            return None
        return self.changed.get(key, resource)

    def workload(self, number: int) -> Workload:
        rng = random.Random(self.seed * 1_000_003 + number)
        sub_index = number % self.generated_subscriptions
        sub = self.subscriptions[sub_index]
        app = APPS[(number // self.generated_subscriptions) % len(APPS)]
        created = self.anchor - timedelta(days=rng.randint(5, 1500), seconds=rng.randint(0, 86_399))
        return Workload(
            number=number,
            subscription=sub_index,
            app=app,
            location=rng.choice(LOCATIONS),
            tags=self._workload_tags(rng, number, sub),
            created=created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randint(0, 9_999_999):07d}Z",
        )

    def _workload_tags(self, rng: random.Random, number: int, sub: Subscription) -> dict[str, str] | None:
        if number == 0:
            departed = self.departed
            return {
                "Owner": departed.email,
                "CostCenter": departed.department.cost_center,
                "Environment": sub.environment,
            }
        roll = rng.random()
        if roll < 0.08:
            return None
        person = rng.choice(self._owners)
        owner_key, owner = self._owner_tag(person, number, rng.random())
        tags: dict[str, str] = {
            owner_key: owner,
            "Environment": sub.environment,
            "Application": APPS[number % len(APPS)],
        }
        if rng.random() < 0.9:
            tags["CostCenter"] = person.department.cost_center
        return tags

    @staticmethod
    def _owner_tag(person: Person, number: int, roll: float) -> tuple[str, str]:
        """How people write owner tags; workloads 1-6 show each spelling once at any scale."""
        spellings = [
            (0.55, "Owner", person.email),
            (0.80, "Owner", person.employee_id),
            (0.88, "owner", person.email.title()),
            (0.94, "Owner", f" {person.email.upper()} "),
            (0.97, "Owner", "TBD"),
            (1.00, "CreatedBy", person.email),
        ]
        if 1 <= number <= len(spellings):
            _, key, value = spellings[number - 1]
            return key, value
        return next((key, value) for limit, key, value in spellings if roll < limit or limit == 1.0)

    def _generated(self, index: int) -> dict[str, Any]:
        w = self.workload(index // WORKLOAD)
        return self._build(w, index % WORKLOAD)

    def _build(self, w: Workload, slot: int) -> dict[str, Any]:
        sub = self.subscriptions[w.subscription]
        rng = random.Random((self.seed * 1_000_003 + w.number) * 16 + slot)
        group = f"rg-{w.app}-{sub.environment}"
        prefix = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group}/providers"
        base = f"{w.app}-{w.number:05d}"
        vm_id = f"{prefix}/Microsoft.Compute/virtualMachines/vm-{base}"
        kind_type, name, extra = SLOTS[slot](base, rng, vm_id, self.tenant_id)
        resource: dict[str, Any] = {
            "id": f"{prefix}/{kind_type}/{name}",
            "name": name,
            "type": kind_type,
            "location": w.location,
            **extra,
        }
        tags = w.tags
        if tags is not None and slot in (1, 2) and rng.random() < 0.5:
            tags = None  # tags do not inherit: disks and NICs are often left untagged
        if tags is not None:
            resource["tags"] = dict(tags)
        resource["createdTime"] = w.created
        resource["changedTime"] = w.created
        resource["provisioningState"] = "Succeeded"
        return resource

    def find(self, resource_id: str) -> tuple[int, dict[str, Any]] | None:
        """(subscription index, resource) of a live resource by ID (case-insensitive)."""
        key = resource_id.lower()
        if key in self.deleted:
            return None
        for index, sub in enumerate(self.subscriptions):
            if not key.startswith(f"/subscriptions/{sub.subscription_id}/"):
                continue
            for resource in self.added.get(sub.subscription_id, []):
                if resource["id"].lower() == key:
                    return index, self.changed.get(key, resource)
            generated = self._parse_generated(key)
            if generated is not None and generated["id"].lower() == key:
                return index, self.changed.get(key, generated)
        return None

    def _parse_generated(self, key: str) -> dict[str, Any] | None:
        """Generated names carry their workload number (`vm-gis-00042-nic`): regenerate and compare."""
        match = _WORKLOAD_NUMBER.search(key.rsplit("/", 1)[-1])
        if match is None:
            return None
        number = int(match.group(1))
        for slot in range(WORKLOAD):
            index = number * WORKLOAD + slot
            if index < self.total_generated:
                candidate = self._generated(index)
                if candidate["id"].lower() == key:
                    return candidate
        return None
