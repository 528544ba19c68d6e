"""The demo agency's Microsoft 365 tenant, built from the shared roster (`core.sandbox.org`).

What an integration engineer meets in a real government tenant, deterministically from
(seed, scale): an account per active or on-leave person (UPN = work email, employeeId = the HR
employee ID), terminated people disabled (one left enabled, one still licensed), service
accounts and a guest without an employee ID, one UPN typed in mixed case, an employee ID with
stray whitespace and one that is junk, GCC licences with consumed and prepaid units, department
and access groups, and an Intune device per roster device (serial numbers shared with MUNIS),
plus personal phones without serials and one company device whose serial Intune never read.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from connectors.office365.sandbox.tenant import Group, Tenant
from core import clock
from core.sandbox.org import EMAIL_DOMAIN, LOCATIONS, Device, Person, roster

#: GCC subscriptions: (skuId, skuPartNumber, prepaid headroom, capabilityStatus)
SKUS = [
    ("e823ca47-49c4-46b3-b38d-ca11d5abe3d2", "M365_G3_GOV", 12, "Enabled"),
    ("3f4babde-90ec-47c6-995d-d223749065d1", "STANDARDPACK_GOV", 8, "Enabled"),
    ("c793db86-5237-494e-9b11-dcd4877c2c8c", "EMS_GOV", 8, "Enabled"),
    ("f0612879-44ea-47fb-baf0-3d76d9235576", "POWERBI_PRO_GOV", 3, "Enabled"),
    ("4ae99959-6b0f-43b0-b1ce-68146001bdba", "VISIOCLIENT_GOV", 2, "Enabled"),
    ("074c6829-b3a0-430a-ba3d-aca365e57065", "PROJECTPROFESSIONAL_GOV", 1, "Warning"),
    ("535a3a29-c5f0-42fe-8215-d3b9e1f38c4a", "ENTERPRISEPACK_GOV", 0, "Suspended"),
]
SKU_BY_NAME = {name: sku_id for sku_id, name, _, _ in SKUS}
FRONTLINE = {"PW", "PARKS"}
EMPLOYEE_TYPES = {"employee": "Employee", "contractor": "Contractor", "intern": "Intern", "temporary": "Temp"}


def _as_guid(hex32: str) -> str:
    """A version-4-shaped GUID from 32 hex digits (what uuid.UUID(version=4) gives, faster)."""
    variant = "89ab"[int(hex32[16], 16) & 3]
    return f"{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-{variant}{hex32[17:20]}-{hex32[20:32]}"


def guid(seed: int, *parts: object) -> str:
    """A deterministic object ID for (seed, parts)."""
    return _as_guid(hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).hexdigest())


def random_guid(rng: random.Random) -> str:
    return _as_guid(f"{rng.getrandbits(128):032x}")


def stamp(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, to the second, as Graph writes timestamps."""
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def build_tenant(seed: int, scale: int) -> Tenant:
    """A fresh tenant for the roster of (seed, scale)."""
    rng = random.Random(f"office365:{seed}")
    tenant = Tenant(guid(seed, "tenant"), EMAIL_DOMAIN)
    now = clock.now().replace(microsecond=0)
    _add_skus(tenant)
    groups = _add_groups(tenant, seed)
    people = roster(seed, scale)
    terminated = [p for p in people if p.status == "terminated"]
    still_enabled = terminated[0].index if terminated else -1
    still_licensed = terminated[1].index if len(terminated) > 1 else -1
    mixed_case = next((p.index for p in people if p.status == "active" and p.index >= 5), -1)
    for person in people:
        if person.status == "pre_hire":
            continue  # onboarding creates the account
        user = _user(seed, rng, person, now)
        if person.status == "terminated":
            user["accountEnabled"] = person.index == still_enabled
            if person.index not in (still_enabled, still_licensed):
                user["assignedLicenses"] = []
        if person.index == mixed_case:
            local, _, domain = person.email.partition("@")
            user["userPrincipalName"] = f"{local.title()}@{domain.upper()}"
        _quirks(rng, person, user)
        user_id = tenant.add_user(user)
        _join_groups(rng, groups, person, user_id)
        for n, device in enumerate(person.devices):
            if person.status == "terminated" and rng.random() < 0.5:
                continue  # retired when the person left
            _add_device(tenant, seed, rng, person, user, device, n, now)
        if person.status == "active" and rng.random() < 0.1:
            _add_personal_phone(tenant, seed, rng, person, user, now)
    _add_service_accounts(tenant, seed, groups, now)
    _add_unread_serial_device(tenant, seed, now)
    size_prepaid_units(tenant)
    return tenant


def _add_skus(tenant: Tenant) -> None:
    for sku_id, part, _, status in SKUS:
        tenant.skus[sku_id] = {
            "id": f"{tenant.tenant_id}_{sku_id}",
            "accountId": tenant.tenant_id,
            "accountName": "Agency",
            "appliesTo": "User",
            "capabilityStatus": status,
            "consumedUnits": 0,
            "prepaidUnits": {"enabled": 0, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [],
            "skuId": sku_id,
            "skuPartNumber": part,
        }


def size_prepaid_units(tenant: Tenant) -> None:
    """Prepaid units = what is consumed plus headroom; a suspended SKU has only suspended units."""
    consumed = tenant.consumed_units()
    for sku_id, _, headroom, status in SKUS:
        units = tenant.skus[sku_id]["prepaidUnits"]
        total = consumed[sku_id] + headroom + consumed[sku_id] // 10
        if status == "Suspended":
            units.update(enabled=0, suspended=25)
        elif status == "Warning":
            units.update(enabled=0, warning=max(total, 1))
        else:
            units.update(enabled=total)


def _add_groups(tenant: Tenant, seed: int) -> dict[str, Group]:
    from core.sandbox.org import DEPARTMENTS

    specs = [("All Staff", "Everyone at the agency", True, ["Unified"])]
    specs += [(f"DEPT-{d.code} Staff", f"{d.name} department", False, []) for d in DEPARTMENTS]
    specs += [
        ("VPN Users", "Remote access (GlobalProtect)", False, []),
        ("CJIS Access", "Criminal Justice Information Services systems", False, []),
        ("Service Accounts", "Non-person accounts; reviewed quarterly", False, []),
    ]
    for name, description, unified, types in specs:
        group = Group(
            id=guid(seed, "group", name),
            displayName=name,
            description=description,
            securityEnabled=not unified,
            mailEnabled=unified,
            groupTypes=types,
        )
        tenant.groups[group.id] = group
    return {g.displayName: g for g in tenant.groups.values()}


def _user(seed: int, rng: random.Random, person: Person, now: datetime) -> dict[str, Any]:
    created = datetime.combine(person.hire_date, datetime.min.time(), now.tzinfo) - timedelta(
        days=rng.randint(1, 10), hours=rng.randint(0, 9), minutes=rng.randint(0, 59)
    )
    code = person.department.code
    licences = ["STANDARDPACK_GOV", "EMS_GOV"] if code in FRONTLINE else ["M365_G3_GOV"]
    if (code == "FIN" and rng.random() < 0.5) or (
        person.title.endswith("Director") and code in ("IT", "FIN")
    ):
        licences.append("POWERBI_PRO_GOV")
    if person.title in ("Civil Engineer", "GIS Analyst"):
        licences.append("VISIOCLIENT_GOV")
    if person.title in ("IT Director", "Public Works Director"):
        licences.append("PROJECTPROFESSIONAL_GOV")
    return {
        "id": guid(seed, "user", person.index),
        "userPrincipalName": person.email,
        "mail": person.email,
        "displayName": person.display_name,
        "givenName": person.preferred_name or person.given_name,
        "surname": person.family_name,
        "employeeId": person.employee_id,
        "employeeType": EMPLOYEE_TYPES.get(person.worker_type, "Employee"),
        "accountEnabled": True,
        "department": person.department.name,
        "jobTitle": person.title,
        "officeLocation": LOCATIONS[person.location][0],
        "companyName": "Agency",
        "onPremisesImmutableId": base64.b64encode(
            bytes.fromhex(guid(seed, "ad", person.index).replace("-", ""))
        ).decode(),
        "createdDateTime": stamp(created) if rng.random() > 0.03 else None,  # pre-2014 accounts: null
        "assignedLicenses": [{"disabledPlans": [], "skuId": SKU_BY_NAME[name]} for name in licences],
        "usageLocation": "US",
        "userType": "Member",
        "mobilePhone": None,
        "businessPhones": [f"+1 555 01{person.index % 100:02d}"],
        "signInActivity": _sign_in(rng, person, now),
    }


def _sign_in(rng: random.Random, person: Person, now: datetime) -> dict[str, Any] | None:
    if rng.random() < 0.02:
        return None  # never signed in
    if person.status == "terminated" and person.termination_date:
        last = datetime.combine(person.termination_date, datetime.min.time(), now.tzinfo) - timedelta(hours=7)
    elif person.status == "on_leave":
        last = now - timedelta(days=rng.randint(20, 60), minutes=rng.randint(0, 600))
    else:
        last = now - timedelta(minutes=rng.randint(5, 4 * 24 * 60))
    interactive = stamp(last)
    return {
        "lastSignInDateTime": interactive,
        "lastSignInRequestId": random_guid(rng),
        "lastNonInteractiveSignInDateTime": stamp(last + timedelta(minutes=rng.randint(1, 90))),
        "lastNonInteractiveSignInRequestId": random_guid(rng),
        "lastSuccessfulSignInDateTime": interactive,
        "lastSuccessfulSignInRequestId": random_guid(rng),
    }


def _quirks(rng: random.Random, person: Person, user: dict[str, Any]) -> None:
    """Hand-typed attributes: stray whitespace and case, junk placeholders."""
    if person.index % 97 == 11:
        user["employeeId"] = f" {person.employee_id.lower()} "
    elif person.index % 97 == 23 and person.worker_type == "contractor":
        user["employeeId"] = "TEMP"
    if person.index % 13 == 7:
        user["jobTitle"] = None
        user["officeLocation"] = None


def _join_groups(rng: random.Random, groups: dict[str, Group], person: Person, user_id: str) -> None:
    if person.status != "terminated":
        groups["All Staff"].members.add(user_id)
    groups[f"DEPT-{person.department.code} Staff"].members.add(user_id)
    if person.department.code == "IT" or rng.random() < 0.2:
        groups["VPN Users"].members.add(user_id)
    if person.department.code == "PD":
        groups["CJIS Access"].members.add(user_id)


OS = {
    "Apple": ("iOS", "17.5.1", "appleBulkWithUser", "Apple"),
    "Samsung": ("Android", "14", "androidEnterpriseFullyManaged", "samsung"),
    "Dell": ("Windows", "10.0.22631.4037", "windowsAzureADJoin", "Dell Inc."),
    "Lenovo": ("Windows", "10.0.22631.3880", "windowsAzureADJoin", "LENOVO"),
    "HP": ("Windows", "10.0.19045.4651", "windowsAzureADJoin", "HP"),
}


def _compliance(rng: random.Random) -> str:
    roll = rng.random()
    return (
        "compliant"
        if roll < 0.85
        else "noncompliant"
        if roll < 0.93
        else "inGracePeriod"
        if roll < 0.97
        else "unknown"
    )


def _add_device(
    tenant: Tenant,
    seed: int,
    rng: random.Random,
    person: Person,
    user: dict[str, Any],
    device: Device,
    n: int,
    now: datetime,
) -> None:
    os_name, version, enrollment, maker = OS[device.manufacturer]
    if device.kind == "laptop":
        name = f"AGY-LT-{device.serial_number[-6:]}"
    else:
        name = f"{person.given_name.split()[0]}'s {device.model}"
    if person.status == "terminated" and person.termination_date:
        synced = datetime.combine(person.termination_date, datetime.min.time(), now.tzinfo)
    elif person.status == "on_leave":
        synced = now - timedelta(days=rng.randint(15, 45))
    else:
        synced = now - timedelta(minutes=rng.randint(10, 72 * 60))
    enrolled = datetime.combine(device.acquired_on, datetime.min.time(), now.tzinfo) + timedelta(hours=10)
    device_id = guid(seed, "device", person.index, n)
    tenant.devices[device_id] = device_json(
        device_id,
        name=name,
        user=user,
        owner="company",
        os=(os_name, version, enrollment),
        maker=maker,
        model=device.model,
        serial=device.serial_number,
        compliance=_compliance(rng),
        enrolled=enrolled,
        synced=synced,
        azure_ad_device_id=guid(seed, "aad-device", person.index, n),
        imei=f"35{rng.randint(10**12, 10**13 - 1)}" if device.kind == "phone" else "",
    )


def _add_personal_phone(
    tenant: Tenant, seed: int, rng: random.Random, person: Person, user: dict[str, Any], now: datetime
) -> None:
    device_id = guid(seed, "byod", person.index)
    tenant.devices[device_id] = device_json(
        device_id,
        name=f"{person.given_name.split()[0]}'s iPhone",
        user=user,
        owner="personal",
        os=("iOS", "17.4", "userEnrollment"),
        maker="Apple",
        model="iPhone 14",
        serial="",  # Intune does not inventory serial numbers of personally owned iOS devices
        compliance=_compliance(rng),
        enrolled=now - timedelta(days=rng.randint(30, 400)),
        synced=now - timedelta(minutes=rng.randint(10, 72 * 60)),
        azure_ad_device_id=guid(seed, "aad-byod", person.index),
        imei="",
    )


def _add_unread_serial_device(tenant: Tenant, seed: int, now: datetime) -> None:
    """A shared kiosk tablet enrolled without a user whose serial Intune never read."""
    device_id = guid(seed, "kiosk")
    tenant.devices[device_id] = device_json(
        device_id,
        name="LIB-KIOSK-01",
        user=None,
        owner="company",
        os=("Android", "13", "androidEnterpriseDedicatedDevice"),
        maker="samsung",
        model="Galaxy Tab A8",
        serial="",
        compliance="compliant",
        enrolled=now - timedelta(days=200),
        synced=now - timedelta(hours=3),
        azure_ad_device_id=guid(seed, "aad-kiosk"),
        imei="",
    )


def device_json(
    device_id: str,
    *,
    name: str,
    user: dict[str, Any] | None,
    owner: str,
    os: tuple[str, str, str],
    maker: str,
    model: str,
    serial: str,
    compliance: str,
    enrolled: datetime,
    synced: datetime,
    azure_ad_device_id: str,
    imei: str,
) -> dict[str, Any]:
    os_name, version, enrollment = os
    return {
        "id": device_id,
        "userId": user["id"] if user else "",
        "deviceName": name,
        "managedDeviceOwnerType": owner,
        "enrolledDateTime": stamp(enrolled),
        "lastSyncDateTime": stamp(synced),
        "operatingSystem": os_name,
        "complianceState": compliance,
        "jailBroken": "False" if os_name in ("iOS", "Android") else "Unknown",
        "managementAgent": "mdm",
        "osVersion": version,
        "azureADRegistered": True,
        "deviceEnrollmentType": enrollment,
        "emailAddress": user["mail"] if user else "",
        "azureADDeviceId": azure_ad_device_id,
        "deviceRegistrationState": "registered",
        "isEncrypted": os_name != "Android" or owner == "company",
        "userPrincipalName": user["userPrincipalName"] if user else "",
        "userDisplayName": user["displayName"] if user else "",
        "model": model,
        "manufacturer": maker,
        "imei": imei,
        "serialNumber": serial,
        "managementState": "managed",
    }


def _add_service_accounts(tenant: Tenant, seed: int, groups: dict[str, Group], now: datetime) -> None:
    accounts = [
        ("svc-scan2mail", "Scan to Email (copiers)", None),
        ("svc-backup", "Backup Service", None),
        ("ext-consultant", "Jordan Lee (Contoso Consulting)", "Guest"),
    ]
    for n, (local, display, user_type) in enumerate(accounts):
        guest = user_type == "Guest"
        upn = (
            "jordan.lee_contoso.example#EXT#@agencygov.onmicrosoft.com"
            if guest
            else f"{local}@{EMAIL_DOMAIN}"
        )
        user_id = tenant.add_user(
            {
                "id": guid(seed, "service", n),
                "userPrincipalName": upn,
                "mail": "jordan.lee@contoso.example" if guest else None,
                "displayName": display,
                "givenName": None,
                "surname": None,
                "employeeId": None,
                "employeeType": None,
                "accountEnabled": True,
                "department": None if guest else "Information Technology",
                "jobTitle": None,
                "officeLocation": None,
                "companyName": "Contoso Consulting" if guest else None,
                "onPremisesImmutableId": None,
                "createdDateTime": stamp(now - timedelta(days=900 - 200 * n)),
                "assignedLicenses": [],
                "usageLocation": "US",
                "userType": user_type or "Member",
                "mobilePhone": None,
                "businessPhones": [],
                "signInActivity": None,
            }
        )
        if not guest:
            groups["Service Accounts"].members.add(user_id)
