"""The canonical ITSM model (v1): which fields each entity has and what type each holds.

Mappings produce *fragments* of these entities; resolution merges fragments from many sources
into one canonical row. Field names follow SCIM 2.0 (User + Enterprise extension) where one
exists and common CMDB practice for configuration items. Fields ending in `_ref` or
`*_employee_id`/`*_upn` are link hints: resolution turns them into links between entities.

Value types are deliberately JSON-plain: dates as ISO `YYYY-MM-DD` strings, timestamps as ISO
8601 UTC strings, lists and objects as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.vocabulary import EntityType

FieldType = Literal["string", "date", "datetime", "boolean", "integer", "number", "list", "object"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    description: str
    enum: tuple[str, ...] | None = None


def _fields(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {s.name: s for s in specs}


S: FieldType = "string"
D: FieldType = "date"
DT: FieldType = "datetime"
B: FieldType = "boolean"
INT: FieldType = "integer"
N: FieldType = "number"
L: FieldType = "list"
OBJ: FieldType = "object"

PERSON = _fields(
    FieldSpec("employee_id", S, "HR employee or contingent worker ID (the primary person key)"),
    FieldSpec("worker_id", S, "the HR system's own immutable ID (Workday WID, MUNIS employee number)"),
    FieldSpec("previous_employee_id", S, "employee ID before a worker-type conversion"),
    FieldSpec("given_name", S, "legal given name"),
    FieldSpec("family_name", S, "legal family name"),
    FieldSpec("preferred_name", S, "preferred given name"),
    FieldSpec("display_name", S, "name to show"),
    FieldSpec("work_email", S, "primary work email"),
    FieldSpec("upn", S, "directory user principal name"),
    FieldSpec("title", S, "business title"),
    FieldSpec("job_profile", S, "job profile / job class"),
    FieldSpec("position_id", S, "position identifier"),
    FieldSpec("org_unit", S, "org unit code (supervisory organization / MUNIS org)"),
    FieldSpec("cost_center", S, "cost centre code"),
    FieldSpec("location", S, "work location code or name"),
    FieldSpec("time_zone", S, "IANA time zone of the work location, when known"),
    FieldSpec("manager_employee_id", S, "employee ID of the manager"),
    FieldSpec(
        "worker_type", S, "kind of worker", ("employee", "contractor", "intern", "temporary", "volunteer")
    ),
    FieldSpec("status", S, "employment status", ("pre_hire", "active", "on_leave", "terminated")),
    FieldSpec("hire_date", D, "(most recent) hire / start date"),
    FieldSpec("original_hire_date", D, "first hire date"),
    FieldSpec(
        "employment_start_date",
        D,
        "start of the current employment; a worker-type conversion continues it (the new ID's record leaves it to the old one's)",
    ),
    FieldSpec("termination_date", D, "termination effective date"),
    FieldSpec("last_day_of_work", D, "last day of work, when different from termination date"),
    FieldSpec("leave_return_date", D, "expected return from leave"),
    FieldSpec("previous_termination_date", D, "end of the previous employment (before a rehire)"),
    FieldSpec("previous_hire_date", D, "start of the previous employment (before a rehire)"),
    FieldSpec(
        "previous_employments", OBJ, "every employment ended before the latest hire: hire date -> end date"
    ),
    FieldSpec("pending_transfer_date", D, "effective date of a future-dated transfer or job change"),
    FieldSpec("last_job_change_date", D, "effective date of the latest transfer or job change in effect"),
    FieldSpec("pending_org_unit", S, "org unit a future-dated transfer moves the person to"),
    FieldSpec("pending_title", S, "business title after a future-dated job change"),
    FieldSpec("pending_location", S, "work location after a future-dated transfer"),
    FieldSpec("pending_manager_employee_id", S, "manager after a future-dated transfer"),
    FieldSpec("hire_rescinded", B, "the hire was rescinded (never happened)"),
    FieldSpec("termination_reversed", B, "the latest termination was reversed"),
)

ORG_UNIT = _fields(
    FieldSpec("code", S, "org unit code"),
    FieldSpec("name", S, "org unit name"),
    FieldSpec("kind", S, "supervisory, cost_center, department, ..."),
    FieldSpec("parent_code", S, "parent org unit code"),
    FieldSpec("manager_employee_id", S, "employee ID of the manager"),
    FieldSpec("cost_center", S, "cost centre code"),
    FieldSpec("active", B, "whether the unit is in use"),
)

ACCOUNT = _fields(
    FieldSpec("system", S, "system the account lives in: entra, aws_iam, ..."),
    FieldSpec("external_id", S, "the system's ID of the account"),
    FieldSpec("login", S, "sign-in name (UPN, IAM user name)"),
    FieldSpec("email", S, "mail attribute"),
    FieldSpec("display_name", S, "display name"),
    FieldSpec("enabled", B, "whether sign-in is allowed"),
    FieldSpec("employee_id", S, "employee ID attribute on the account (link hint)"),
    FieldSpec("owner_ref", S, "email, UPN or employee ID of the owner from a tag (link hint)"),
    FieldSpec("immutable_id", S, "on-premises immutable ID"),
    FieldSpec("created_at", DT, "creation time"),
    FieldSpec("last_sign_in", DT, "last sign-in time"),
    FieldSpec("licences", L, "assigned licence SKU IDs or names"),
    FieldSpec("groups", L, "group names or IDs"),
    FieldSpec("cloud_account_id", S, "AWS account ID / Azure subscription of an IAM identity"),
    FieldSpec("arn", S, "ARN of an IAM identity"),
    FieldSpec("console_access", B, "has a console password"),
    FieldSpec("mfa", B, "has MFA enabled"),
    FieldSpec("access_keys", L, "access keys: objects with id, status, last_used"),
    FieldSpec("tags", OBJ, "tags on the account"),
)

ASSET = _fields(
    FieldSpec("asset_tag", S, "asset tag / asset number"),
    FieldSpec("serial_number", S, "manufacturer serial number"),
    FieldSpec("name", S, "device or asset name"),
    FieldSpec("description", S, "description"),
    FieldSpec("model", S, "model"),
    FieldSpec("manufacturer", S, "manufacturer"),
    FieldSpec("category", S, "asset class / category"),
    FieldSpec("status", S, "in_use, in_stock, retired, disposed, lost ..."),
    FieldSpec("location", S, "location code or name"),
    FieldSpec("org_unit", S, "org unit code"),
    FieldSpec("custodian_employee_id", S, "employee ID of the custodian (link hint)"),
    FieldSpec("primary_user_upn", S, "UPN of the primary user (link hint)"),
    FieldSpec("cost", N, "acquisition cost"),
    FieldSpec("acquired_on", D, "acquisition date"),
    FieldSpec("disposed_on", D, "disposal date"),
    FieldSpec("operating_system", S, "operating system and version"),
    FieldSpec("compliance", S, "compliance state"),
    FieldSpec("managed_device_id", S, "Intune managed device ID"),
    FieldSpec("last_sync", DT, "last check-in with the management system"),
)

CLOUD_ACCOUNT = _fields(
    FieldSpec("provider", S, "aws or azure", ("aws", "azure")),
    FieldSpec("account_id", S, "AWS account ID or Azure subscription ID"),
    FieldSpec("name", S, "account or subscription name"),
    FieldSpec("email", S, "root / owner email"),
    FieldSpec("status", S, "ACTIVE, SUSPENDED, Enabled, Disabled ..."),
    FieldSpec("tenant_id", S, "Azure tenant / AWS organization ID"),
    FieldSpec("owner_ref", S, "email, UPN or employee ID of the owner (link hint)"),
    FieldSpec("org_unit", S, "org unit code"),
    FieldSpec("tags", OBJ, "tags"),
)

CLOUD_RESOURCE = _fields(
    FieldSpec("provider", S, "aws or azure", ("aws", "azure")),
    FieldSpec("resource_id", S, "ARN or Azure resource ID"),
    FieldSpec("type", S, "resource type (ec2:instance, Microsoft.Compute/virtualMachines, ...)"),
    FieldSpec("name", S, "resource name"),
    FieldSpec("region", S, "region or location"),
    FieldSpec("cloud_account_id", S, "AWS account ID or Azure subscription ID"),
    FieldSpec("resource_group", S, "Azure resource group"),
    FieldSpec("state", S, "running, stopped, available ..."),
    FieldSpec("created_at", DT, "creation time"),
    FieldSpec("tags", OBJ, "tags"),
    FieldSpec("owner_ref", S, "email, UPN or employee ID of the owner from a tag (link hint)"),
    FieldSpec("org_unit", S, "org unit / cost centre from a tag"),
    FieldSpec("sku", S, "SKU or instance class"),
    FieldSpec("kind", S, "resource kind"),
    FieldSpec("managed_by", S, "managing resource"),
)

LICENCE = _fields(
    FieldSpec("sku_id", S, "licence SKU ID"),
    FieldSpec("sku_part_number", S, "SKU part number, e.g. ENTERPRISEPACK"),
    FieldSpec("name", S, "human name of the licence"),
    FieldSpec("consumed_units", INT, "units assigned"),
    FieldSpec("prepaid_units", INT, "units purchased and enabled"),
)

ENTITY_FIELDS: dict[EntityType, dict[str, FieldSpec]] = {
    "person": PERSON,
    "org_unit": ORG_UNIT,
    "account": ACCOUNT,
    "asset": ASSET,
    "cloud_account": CLOUD_ACCOUNT,
    "cloud_resource": CLOUD_RESOURCE,
    "licence": LICENCE,
}

# The natural key of each entity inside one source: what resolution matches on first.
NATURAL_KEYS: dict[EntityType, tuple[str, ...]] = {
    "person": ("employee_id",),
    "org_unit": ("code",),
    "account": ("system", "external_id"),
    "asset": ("serial_number", "asset_tag"),
    "cloud_account": ("provider", "account_id"),
    "cloud_resource": ("provider", "resource_id"),
    "licence": ("sku_id",),
}
