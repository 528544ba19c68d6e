"""Which column of each MUNIS object feeds each record column, per SQL layout.

Records always carry the reporting layout's names (`layouts.py`); these maps say where each one
is read. A deployment whose MUNIS names a column differently overrides it per object with
`sql_columns` instead of patching code. Two keys are not record columns:
- `a_projection`: the salary-projection number; live rows are 0, projection copies are not;
- `primary_job`: JobPay's flag of the employee's primary job ('Y').

Public agency SQL against the reporting functions reads JobPay's `a_employee_number`,
`a_location`, `a_position_code`, `e_supervisor`, `primary_job` and `a_projection`, and joins
EmployeeMaster on (`a_employee_number`, `a_projection`); the on-premises base tables carry
`prem_proj` / `prjb_proj` for the same purpose.
"""

from __future__ import annotations

from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS, JOB_CLASSES, ORG_UNITS

#: JobPay columns that come from the primary job rather than the employee master
JOB_FIELDS = ("a_position_number", "a_location", "e_supervisor")
EMPLOYEE_MASTER_FIELDS = tuple(c for c in EMPLOYEES.columns if c not in JOB_FIELDS)
PROJECTION, PRIMARY_JOB = "a_projection", "primary_job"


def _same(names: tuple[str, ...]) -> dict[str, str]:
    return {n: n for n in names}


REPORTING_COLUMNS: dict[str, dict[str, str]] = {
    "employee_master": {**_same(EMPLOYEE_MASTER_FIELDS), PROJECTION: "a_projection"},
    "job_pay": {
        "a_employee_number": "a_employee_number",
        "a_position_number": "a_position_code",
        "a_location": "a_location",
        "e_supervisor": "e_supervisor",
        PRIMARY_JOB: "primary_job",
        PROJECTION: "a_projection",
    },
    "job_classes": _same(JOB_CLASSES.columns),
    "department_codes": _same(ORG_UNITS.columns),
    "fixed_assets": _same(FIXED_ASSETS.columns),
}

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "employee_master": {
        "a_employee_number": "prem_emp",
        "a_name_first": "prem_fname",
        "a_name_middle": "prem_minit",
        "a_name_last": "prem_lname",
        "e_email": "prem_email",
        "a_org_primary": "prem_p_org",
        "a_job_class_code": "prem_p_jclass",
        "e_employment_status": "prem_status",
        "e_hire_date": "prem_hire",
        "e_term_date": "prem_term_date",
        "e_activity_status": "prem_act_stat",
        "a_position_number": "prem_p_pos",
        "a_location": "prem_loc",
        "e_supervisor": "prem_supervisor",
        PROJECTION: "prem_proj",
    },
    "job_classes": {
        "a_job_class_code": "prjb_code",
        "a_job_class_desc": "prjb_long",
        "a_bargaining_unit": "prjb_barg_unit",
        "a_active_flag": "prjb_active",
        PROJECTION: "prjb_proj",
    },
    "department_codes": _same(ORG_UNITS.columns),
    "fixed_assets": {
        "a_asset_number": "fama_asset",
        "fa_tag_number": "fama_tag",
        "fa_serial_number": "fama_serial",
        "a_asset_desc": "fama_desc",
        "fa_class_code": "fama_class",
        "fa_status": "fama_status",
        "a_department_code": "fama_dept",
        "a_location": "fama_loc",
        "fa_custodian_employee": "fama_custodian",
        "fa_acquire_date": "fama_acq_date",
        "fa_cost": "fama_cost",
        "fa_disposal_date": "fama_disp_date",
        "fa_manufacturer": "fama_mfr",
        "fa_model": "fama_model",
    },
}


def unknown_columns(overrides: dict[str, dict[str, str]]) -> list[str]:
    """`object.column` overrides that name no column of that object in either layout."""
    return sorted(
        f"{role}.{column}"
        for role, columns in overrides.items()
        for column in columns
        if column not in REPORTING_COLUMNS.get(role, {}) and column not in TABLE_COLUMNS.get(role, {})
    )
