"""Admin operations of the sandbox tenant: what an identity or endpoint administrator does in the
Entra and Intune portals, for scenarios, tests, benchmarks and the demo.

Users are referred to by object ID, UPN (any case) or employee ID; licences by skuId or
skuPartNumber; devices by ID, serial number or device name. Every operation validates its
arguments and raises ValueError with what to fix.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from connectors.office365.sandbox.tenant import Group, Tenant
from connectors.office365.sandbox.tenant_seed import device_json, stamp
from core import clock
from core.sandbox.org import EMAIL_DOMAIN, LOCATIONS, person_by_employee_id, roster

AdminOp = Callable[[Tenant, dict[str, Any]], Any]


def _arg(args: dict[str, Any], name: str) -> Any:
    if args.get(name) in (None, ""):
        raise ValueError(f"missing argument {name!r}")
    return args[name]


def create_user(tenant: Tenant, args: dict[str, Any], *, seed: int = 7, scale: int = 50) -> dict[str, Any]:
    """New account; with `employee_id` of a roster person, names and department come from HR."""
    fields: dict[str, Any] = {}
    employee_id = args.get("employee_id")
    if employee_id:
        try:
            person = person_by_employee_id(roster(seed, scale), str(employee_id))
        except ValueError:
            person = None
        if person is not None:
            fields = {
                "userPrincipalName": person.email,
                "mail": person.email,
                "displayName": person.display_name,
                "givenName": person.preferred_name or person.given_name,
                "surname": person.family_name,
                "department": person.department.name,
                "jobTitle": person.title,
                "officeLocation": LOCATIONS[person.location][0],
            }
    upn = args.get("user_principal_name") or fields.get("userPrincipalName")
    if not upn:
        raise ValueError("create_user needs user_principal_name (or employee_id of a roster person)")
    if tenant.find_user_or_none(str(upn)) is not None:
        raise ValueError(
            f"another object with the same value for property userPrincipalName already exists: {upn}"
        )
    user = {
        "id": str(uuid.uuid4()),
        "userPrincipalName": upn,
        "mail": args.get("mail", fields.get("mail", upn if str(upn).endswith(EMAIL_DOMAIN) else None)),
        "displayName": args.get("display_name", fields.get("displayName", str(upn).split("@")[0])),
        "givenName": args.get("given_name", fields.get("givenName")),
        "surname": args.get("surname", fields.get("surname")),
        "employeeId": employee_id,
        "employeeType": args.get("employee_type", "Employee" if employee_id else None),
        "accountEnabled": bool(args.get("account_enabled", True)),
        "department": args.get("department", fields.get("department")),
        "jobTitle": args.get("job_title", fields.get("jobTitle")),
        "officeLocation": args.get("office_location", fields.get("officeLocation")),
        "companyName": "Agency",
        "onPremisesImmutableId": None,
        "createdDateTime": stamp(clock.now()),
        "assignedLicenses": [
            {"disabledPlans": [], "skuId": tenant.sku_id(str(s))} for s in args.get("licences", [])
        ],
        "usageLocation": "US",
        "userType": "Member",
        "mobilePhone": None,
        "businessPhones": [],
        "signInActivity": None,
    }
    user_id = tenant.add_user(user)
    return {"id": user_id, "userPrincipalName": upn}


def update_user(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    user_id = tenant.find_user(str(_arg(args, "user")))
    changes = _arg(args, "changes")
    if not isinstance(changes, dict):
        raise ValueError("changes must be an object of Graph user properties, e.g. {jobTitle: Accountant}")
    return {"id": user_id, "changed": tenant.update_user(user_id, changes)}


def set_enabled(enabled: bool) -> AdminOp:
    def op(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
        user_id = tenant.find_user(str(_arg(args, "user")))
        tenant.update_user(user_id, {"accountEnabled": enabled})
        return {"id": user_id, "accountEnabled": enabled}

    return op


def delete_user(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    """Soft delete (restorable for 30 days) unless `permanent: true`; a soft-deleted user can be
    permanently deleted by ID."""
    ref = str(_arg(args, "user"))
    permanent = bool(args.get("permanent", False))
    user_id = ref if tenant.user_state.get(ref) == "soft_deleted" else tenant.find_user(ref)
    tenant.delete_user(user_id, permanent=permanent)
    return {"id": user_id, "permanent": permanent}


def restore_user(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    user_id = str(_arg(args, "user"))
    tenant.restore_user(user_id)
    return {"id": user_id}


def _licences(tenant: Tenant, args: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    user_id = tenant.find_user(str(_arg(args, "user")))
    sku_id = tenant.sku_id(str(_arg(args, "sku")))
    current = [dict(lic) for lic in tenant.users[user_id].get("assignedLicenses") or []]
    return user_id, sku_id, current


def assign_licence(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    user_id, sku_id, current = _licences(tenant, args)
    sku = tenant.skus[sku_id]
    if sku["capabilityStatus"] in ("Suspended", "LockedOut", "Deleted"):
        raise ValueError(
            f"subscription {sku['skuPartNumber']} is {sku['capabilityStatus']}; licences cannot be assigned"
        )
    if tenant.consumed_units()[sku_id] >= sku["prepaidUnits"]["enabled"] + sku["prepaidUnits"]["warning"]:
        raise ValueError(
            f"License assignment failed because no available licenses for {sku['skuPartNumber']}"
        )
    if all(lic["skuId"] != sku_id for lic in current):
        current.append({"disabledPlans": [], "skuId": sku_id})
        tenant.update_user(user_id, {"assignedLicenses": current})
    return {"id": user_id, "assignedLicenses": [lic["skuId"] for lic in current]}


def set_licence_units(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    """The agency's purchase changes: a subscription's enabled prepaid units, given as `enabled`
    (the total) or as `free` (seats left beyond what is consumed now; `free: 0` makes the next
    assignment find no seat)."""
    sku_id = tenant.sku_id(str(_arg(args, "sku")))
    given = [name for name in ("enabled", "free") if args.get(name) is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of 'enabled' (total units) or 'free' (seats left unused)")
    value = args[given[0]]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{given[0]} must be a whole number of units, 0 or more; got {value!r}")
    consumed = tenant.consumed_units()[sku_id]
    units = tenant.skus[sku_id]["prepaidUnits"]
    units.update(enabled=value if given[0] == "enabled" else consumed + value, warning=0)
    return {"skuId": sku_id, "prepaidUnits": dict(units), "consumedUnits": consumed}


def remove_licence(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    user_id, sku_id, current = _licences(tenant, args)
    kept = [lic for lic in current if lic["skuId"] != sku_id]
    tenant.update_user(user_id, {"assignedLicenses": kept})
    return {"id": user_id, "assignedLicenses": [lic["skuId"] for lic in kept]}


def group_member(add: bool) -> AdminOp:
    def op(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
        user_id = tenant.find_user(str(_arg(args, "user")))
        group = tenant.find_group(str(_arg(args, "group")))
        (group.members.add if add else group.members.discard)(user_id)
        return {"id": user_id, "group": group.displayName}

    return op


def create_group(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    """A security group; `dynamic: true` gives it a membership rule (Entra keeps its members),
    `on_premises: true` makes it synced from AD, `role_assignable: true` lets roles be assigned."""
    name = str(_arg(args, "name"))
    if any(g.displayName == name for g in tenant.groups.values()):
        raise ValueError(f"a group named {name!r} already exists")
    dynamic = bool(args.get("dynamic", False))
    group = Group(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.tenant_id}/group/{name}")),
        displayName=name,
        description=str(args.get("description") or ""),
        securityEnabled=True,
        mailEnabled=False,
        groupTypes=["DynamicMembership"] if dynamic else [],
        membershipRule=str(args.get("rule") or '(user.department -eq "IT")') if dynamic else None,
        onPremisesSyncEnabled=True if args.get("on_premises") else None,
        isAssignableToRole=bool(args.get("role_assignable", False)),
    )
    tenant.groups[group.id] = group
    return {"id": group.id, "name": name}


def sign_in(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    user_id = tenant.find_user(str(_arg(args, "user")))
    at = str(args.get("at") or stamp(clock.now()))
    activity = {
        "lastSignInDateTime": at,
        "lastSignInRequestId": str(uuid.uuid4()),
        "lastNonInteractiveSignInDateTime": at,
        "lastNonInteractiveSignInRequestId": str(uuid.uuid4()),
        "lastSuccessfulSignInDateTime": at,
        "lastSuccessfulSignInRequestId": str(uuid.uuid4()),
    }
    tenant.update_user(user_id, {"signInActivity": activity})
    return {"id": user_id, "lastSignInDateTime": at}


def enroll_device(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    """Enrol a company device for a user (Autopilot / Apple business enrolment)."""
    user_id = tenant.find_user(str(_arg(args, "user")))
    user = tenant.users[user_id]
    os_name = str(args.get("operating_system", "Windows"))
    now = clock.now()
    device_id = str(uuid.uuid4())
    tenant.devices[device_id] = device_json(
        device_id,
        name=str(args.get("device_name") or f"AGY-LT-{str(args.get('serial_number', ''))[-6:]}"),
        user=user,
        owner=str(args.get("owner", "company")),
        os=(
            os_name,
            str(args.get("os_version", "10.0.22631.4037")),
            str(args.get("enrollment", "windowsAzureADJoin")),
        ),
        maker=str(args.get("manufacturer", "Dell Inc.")),
        model=str(args.get("model", "Latitude 5450")),
        serial=str(args.get("serial_number", "")),
        compliance=str(args.get("compliance", "inGracePeriod")),
        enrolled=now,
        synced=now,
        azure_ad_device_id=str(uuid.uuid4()),
        imei="",
    )
    return {"id": device_id}


def update_device(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    device_id = tenant.find_device(str(_arg(args, "device")))
    changes = dict(args.get("changes") or {})
    unknown = set(changes) - set(tenant.devices[device_id])
    if unknown:
        raise ValueError(f"unknown managedDevice properties {sorted(unknown)}")
    tenant.devices[device_id].update(changes)
    if args.get("sync", True):
        tenant.devices[device_id]["lastSyncDateTime"] = stamp(clock.now())
    return {"id": device_id}


def remove_device(action: str) -> AdminOp:
    """Retire (company data removed) or wipe (factory reset): the device leaves Intune."""

    def op(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
        device_id = tenant.find_device(str(_arg(args, "device")))
        device = tenant.devices.pop(device_id)
        return {"id": device_id, "serialNumber": device.get("serialNumber"), "action": action}

    return op


def expire_delta_tokens(tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    """Every outstanding delta and skip token now answers 410 resyncRequired."""
    tenant.generation += 1
    return {"generation": tenant.generation}


OPS: dict[str, AdminOp] = {
    "update_user": update_user,
    "disable_user": set_enabled(False),
    "enable_user": set_enabled(True),
    "delete_user": delete_user,
    "restore_user": restore_user,
    "assign_licence": assign_licence,
    "remove_licence": remove_licence,
    "set_licence_units": set_licence_units,
    "create_group": create_group,
    "add_group_member": group_member(True),
    "remove_group_member": group_member(False),
    "sign_in": sign_in,
    "enroll_device": enroll_device,
    "update_device": update_device,
    "retire_device": remove_device("retire"),
    "wipe_device": remove_device("wipe"),
    "expire_delta_tokens": expire_delta_tokens,
}

#: op -> the arguments it takes: scenario files are checked against this before anything runs
ADMIN_ARGUMENTS: dict[str, frozenset[str] | None] = {
    "create_user": frozenset(
        {"user_principal_name", "employee_id", "mail", "display_name", "given_name", "surname"}
        | {"employee_type", "account_enabled", "department", "job_title", "office_location", "licences"}
    ),
    "set_throttle": frozenset({"capacity", "per_second"}),
    "grant_permission": frozenset({"permission"}),
    "user_state": frozenset({"user"}),
    "write_requests": frozenset(),
    "revoke_permission": frozenset({"permission"}),
    "update_user": frozenset({"user", "changes"}),
    "disable_user": frozenset({"user"}),
    "enable_user": frozenset({"user"}),
    "delete_user": frozenset({"user", "permanent"}),
    "restore_user": frozenset({"user"}),
    "assign_licence": frozenset({"user", "sku"}),
    "remove_licence": frozenset({"user", "sku"}),
    "set_licence_units": frozenset({"sku", "enabled", "free"}),
    "create_group": frozenset({"name", "description", "dynamic", "rule", "on_premises", "role_assignable"}),
    "add_group_member": frozenset({"user", "group"}),
    "remove_group_member": frozenset({"user", "group"}),
    "sign_in": frozenset({"user", "at"}),
    "enroll_device": frozenset(
        {"user", "serial_number", "device_name", "manufacturer", "model", "operating_system"}
        | {"os_version", "compliance", "enrollment", "owner"}
    ),
    "update_device": frozenset({"device", "changes", "sync"}),
    "retire_device": frozenset({"device"}),
    "wipe_device": frozenset({"device"}),
    "expire_delta_tokens": frozenset(),
}
