"""The SELECT of each stream, for the reporting objects and for the on-premises base tables.

Both layouts are aliased to the reporting column names (`layouts.py`), so records do not depend
on where they were read. Base tables hold salary-projection copies of every row, so each base
table query keeps only the live rows (`prem_proj = 0`, `prjb_proj = 0`).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from connectors.munis.config import MunisConfig
from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS, JOB_CLASSES, LAYOUTS, ORG_UNITS

#: layout column -> base-table column (on-premises `tables` layout)
PREMPMST = {
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
}
PRJOBCLS = {
    "a_job_class_code": "prjb_code",
    "a_job_class_desc": "prjb_long",
    "a_bargaining_unit": "prjb_barg_unit",
    "a_active_flag": "prjb_active",
}
FAMASTER = {
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
}
JOB_PAY_COLUMNS = ("a_employee_number", "e_primary_job", "a_position_number", "a_location", "e_supervisor")
EMPLOYEE_MASTER_COLUMNS = tuple(c for c in EMPLOYEES.columns if c not in JOB_PAY_COLUMNS[2:])

MODIFIED = "_modified"
KEY = "_key"


def source(name: str, columns: list[str], alias: str) -> Any:
    """A FROM item for `schema.object` (a table or view) or `schema.function()` (a table-valued function)."""
    if name.endswith("()"):
        function = functools.reduce(getattr, name[:-2].split("."), sa.func)
        return function().table_valued(*columns).alias(alias)
    schema, _, table = name.rpartition(".")
    return sa.table(table, *(sa.column(c) for c in columns), schema=schema or None).alias(alias)


def stream_query(config: MunisConfig, stream: str, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    """(select of the layout columns plus `_key` [and `_modified`], key column, modified column)."""
    builder = _TABLES if config.sql_layout == "tables" else _REPORTING
    select, key, mod = builder[stream](config, modified)
    extra = [key.label(KEY)] + ([mod.label(MODIFIED)] if mod is not None else [])
    return select.add_columns(*extra), key, mod


def _columns(obj: Any, names: tuple[str, ...], renames: dict[str, str] | None = None) -> list[Any]:
    renames = renames or {}
    return [obj.c[renames.get(n, n)].label(n) for n in names]


def _simple(role: str, stream: str) -> Any:
    layout = LAYOUTS[stream]

    def build(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
        names = list(layout.columns) + ([modified] if modified else [])
        obj = source(config.object_name(role), names, "src")
        mod = obj.c[modified] if modified else None
        return sa.select(*_columns(obj, layout.columns)), obj.c[layout.key], mod

    return build


def _reporting_employees(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    em_names = list(EMPLOYEE_MASTER_COLUMNS) + ([modified] if modified else [])
    em = source(config.object_name("employee_master"), em_names, "em")
    jp = source(config.object_name("job_pay"), list(JOB_PAY_COLUMNS), "jp")
    joined = em.outerjoin(
        jp, sa.and_(jp.c.a_employee_number == em.c.a_employee_number, jp.c.e_primary_job == "Y")
    )
    cols = [(jp if c in JOB_PAY_COLUMNS[2:] else em).c[c].label(c) for c in EMPLOYEES.columns]
    mod = em.c[modified] if modified else None
    return sa.select(*cols).select_from(joined), em.c.a_employee_number, mod


def _table_employees(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    names = [*PREMPMST.values(), "prem_proj"] + ([modified] if modified else [])
    emp = source(config.object_name("employee_master"), names, "e")
    job = source(config.object_name("job_classes"), [*PRJOBCLS.values(), "prjb_proj"], "j")
    joined = emp.outerjoin(
        job, sa.and_(job.c.prjb_code == emp.c.prem_p_jclass, job.c.prjb_proj == emp.c.prem_proj)
    )
    cols = [
        job.c.prjb_long.label(c) if c == "a_job_class_desc" else emp.c[PREMPMST[c]].label(c)
        for c in EMPLOYEES.columns
    ]
    mod = emp.c[modified] if modified else None
    query = sa.select(*cols).select_from(joined).where(emp.c.prem_proj == 0)
    return query, emp.c.prem_emp, mod


def _table_job_classes(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    names = [*PRJOBCLS.values(), "prjb_proj"] + ([modified] if modified else [])
    job = source(config.object_name("job_classes"), names, "j")
    mod = job.c[modified] if modified else None
    query = sa.select(*_columns(job, JOB_CLASSES.columns, PRJOBCLS)).where(job.c.prjb_proj == 0)
    return query, job.c.prjb_code, mod


def _table_assets(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    names = list(FAMASTER.values()) + ([modified] if modified else [])
    fa = source(config.object_name("fixed_assets"), names, "fa")
    mod = fa.c[modified] if modified else None
    return sa.select(*_columns(fa, FIXED_ASSETS.columns, FAMASTER)), fa.c.fama_asset, mod


_REPORTING = {
    ORG_UNITS.stream: _simple("department_codes", ORG_UNITS.stream),
    JOB_CLASSES.stream: _simple("job_classes", JOB_CLASSES.stream),
    EMPLOYEES.stream: _reporting_employees,
    FIXED_ASSETS.stream: _simple("fixed_assets", FIXED_ASSETS.stream),
}
_TABLES = {
    ORG_UNITS.stream: _simple("department_codes", ORG_UNITS.stream),
    JOB_CLASSES.stream: _table_job_classes,
    EMPLOYEES.stream: _table_employees,
    FIXED_ASSETS.stream: _table_assets,
}
