"""The record layout of each MUNIS stream: the columns every transport yields, whatever it reads.

SQL (reporting objects or on-premises tables) and CSV exports all produce the same records: the
column names of the MUNIS reporting layout, every value text or null, dates as `YYYY-MM-DD`.
So one mapping file serves every transport, and switching transport changes no record hash.

Which names come from public MUNIS material and which are this project's assumptions is listed
in the connector's README ("Column names"); `PUBLIC_COLUMNS` below is the machine-readable part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Layout:
    """One stream's record shape: its name, key column and columns in export order."""

    stream: str
    key: str
    columns: tuple[str, ...]
    title: str

    def json_schema(self) -> dict[str, Any]:
        """Every column present, text or null; the key is non-empty text."""
        properties: dict[str, Any] = {c: {"type": ["string", "null"]} for c in self.columns}
        properties[self.key] = {"type": "string", "minLength": 1}
        return {"type": "object", "required": list(self.columns), "properties": properties}


ORG_UNITS = Layout(
    stream="org_units",
    key="a_department_code",
    title="department codes",
    columns=(
        "a_department_code",
        "a_department_desc",
        "a_parent_department",
        "a_department_head",
        "a_active_flag",
    ),
)

JOB_CLASSES = Layout(
    stream="job_classes",
    key="a_job_class_code",
    title="job classes",
    columns=("a_job_class_code", "a_job_class_desc", "a_bargaining_unit", "a_active_flag"),
)

EMPLOYEES = Layout(
    stream="employees",
    key="a_employee_number",
    title="employee master",
    columns=(
        "a_employee_number",
        "a_name_first",
        "a_name_middle",
        "a_name_last",
        "e_email",
        "a_org_primary",
        "a_job_class_code",
        "a_job_class_desc",
        "e_employment_status",
        "e_hire_date",
        "e_term_date",
        "e_activity_status",
        "a_position_number",
        "a_location",
        "e_supervisor",
    ),
)

FIXED_ASSETS = Layout(
    stream="fixed_assets",
    key="a_asset_number",
    title="fixed asset master",
    columns=(
        "a_asset_number",
        "fa_tag_number",
        "fa_serial_number",
        "a_asset_desc",
        "fa_class_code",
        "fa_status",
        "a_department_code",
        "a_location",
        "fa_custodian_employee",
        "fa_acquire_date",
        "fa_cost",
        "fa_disposal_date",
        "fa_manufacturer",
        "fa_model",
    ),
)

#: in dependency order: departments and job classes before the people and assets that cite them
LAYOUTS: dict[str, Layout] = {lay.stream: lay for lay in (ORG_UNITS, JOB_CLASSES, EMPLOYEES, FIXED_ASSETS)}

#: column names seen in public MUNIS material (reporting functions, fa_master), per stream
PUBLIC_COLUMNS: dict[str, frozenset[str]] = {
    "employees": frozenset(
        {
            "a_employee_number",
            "a_name_last",
            "a_name_first",
            "a_org_primary",
            "a_job_class_desc",
            "e_hire_date",
            "e_activity_status",
            "e_email",
            "e_supervisor",
        }
    ),
    "fixed_assets": frozenset(
        {
            "a_asset_number",
            "a_asset_desc",
            "fa_serial_number",
            "a_location",
            "a_department_code",
            "fa_acquire_date",
        }
    ),
    "org_units": frozenset(),
    "job_classes": frozenset(),
}
