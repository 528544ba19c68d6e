"""The ten resource kinds of a sandbox workload, as ARM describes them: type, name, and the
fields that kind carries (SKU, kind, managedBy, identity; VM properties for Resource Graph)."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

VM_SIZES = ["Standard_D2s_v5", "Standard_D4s_v5", "Standard_B2ms", "Standard_E4s_v5"]
POWER_STATES = ["PowerState/running"] * 5 + ["PowerState/deallocated", "PowerState/stopped"]
_DIGITS_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def stable_uuid(*parts: object) -> str:
    """A GUID derived from its parts (subscription, tenant and principal IDs look real)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _vm(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    extra: dict[str, Any] = {
        "zones": [str(rng.randint(1, 3))],
        "properties": {
            "hardwareProfile": {"vmSize": rng.choice(VM_SIZES)},
            "extended": {"instanceView": {"powerState": {"code": rng.choice(POWER_STATES)}}},
        },
    }
    if rng.random() < 0.3:
        extra["identity"] = {
            "type": "SystemAssigned",
            "principalId": stable_uuid("principal", vm_id),
            "tenantId": tenant,
        }
    return "Microsoft.Compute/virtualMachines", f"vm-{base}", extra


def _disk(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    suffix = hashlib.sha256(vm_id.encode()).hexdigest()[:32]
    sku = rng.choice([("Premium_LRS", "Premium"), ("StandardSSD_LRS", "Standard")])
    return (
        "Microsoft.Compute/disks",
        f"vm-{base}_OsDisk_1_{suffix}",
        {"managedBy": vm_id, "sku": {"name": sku[0], "tier": sku[1]}},
    )


def _nic(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return "Microsoft.Network/networkInterfaces", f"vm-{base}-nic", {}


def _public_ip(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return (
        "Microsoft.Network/publicIPAddresses",
        f"pip-{base}",
        {"sku": {"name": "Standard", "tier": "Regional"}},
    )


def _nsg(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return "Microsoft.Network/networkSecurityGroups", f"nsg-{base}", {}


def _storage(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    letters = hashlib.sha256(vm_id.encode()).hexdigest()[:4].translate(_DIGITS_TO_LETTERS)
    name = ("st" + base.replace("-", "") + letters)[:24]  # 3-24 lowercase letters and digits
    sku = rng.choice([("Standard_LRS", "Standard"), ("Standard_GRS", "Standard"), ("Premium_LRS", "Premium")])
    return (
        "Microsoft.Storage/storageAccounts",
        name,
        {"sku": {"name": sku[0], "tier": sku[1]}, "kind": "StorageV2"},
    )


def _plan(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    sku = {
        "name": "P1v3",
        "tier": "PremiumV3",
        "size": "P1v3",
        "family": "Pv3",
        "capacity": rng.randint(1, 3),
    }
    return "Microsoft.Web/serverFarms", f"asp-{base}", {"sku": sku, "kind": rng.choice(["app", "linux"])}


def _site(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return "Microsoft.Web/sites", f"app-{base}", {"kind": rng.choice(["app", "app,linux", "functionapp"])}


def _sql(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return "Microsoft.Sql/servers", f"sql-{base}", {"kind": "v12.0"}


def _vault(base: str, rng: random.Random, vm_id: str, tenant: str) -> tuple[str, str, dict[str, Any]]:
    return "Microsoft.KeyVault/vaults", f"kv-{base}"[:24], {}


SLOTS = [_vm, _disk, _nic, _public_ip, _nsg, _storage, _plan, _site, _sql, _vault]
