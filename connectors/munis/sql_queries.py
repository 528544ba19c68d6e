"""The SELECT of each stream, for the reporting functions and for the on-premises base tables.

- Reporting layout: every object (`PayrollReportingServices.EmployeeMaster`, `.JobPay`, ...) is a
  table-valued function called with the MUNIS user name, as SQL Server requires:
  `FROM PayrollReportingServices.EmployeeMaster('munis') AS em`.
- Tables layout: the base tables (`prempmst`, `prjobcls`, `famaster`) by name.

Both read only live rows (projection number 0: MUNIS keeps salary-projection copies of employee
and job rows, which would otherwise come back as duplicate employees) and alias every column to
the reporting column names (`layouts.py`), so records do not depend on where they were read.
Employees take position, location and supervisor from their primary JobPay row (`primary_job = 'Y'`).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from connectors.munis.config import MunisConfig, is_reporting_function
from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS, JOB_CLASSES, LAYOUTS, ORG_UNITS
from connectors.munis.sql_columns import JOB_FIELDS, PRIMARY_JOB, PROJECTION

MODIFIED = "_modified"
KEY = "_key"
LIVE_PROJECTION = 0
PRIMARY = "Y"


class ObjectColumns:
    """One MUNIS object in a query: its FROM item and its columns by record column name."""

    def __init__(
        self, config: MunisConfig, role: str, wanted: list[str], alias: str, extra: list[str]
    ) -> None:
        self.names = config.columns(role)
        source_columns = list(dict.fromkeys([self.names[c] for c in wanted] + extra))
        self.item = _from_item(config, config.object_name(role), source_columns, alias)

    def __getitem__(self, record_column: str) -> Any:
        return self.item.c[self.names[record_column]]

    def raw(self, source_column: str) -> Any:
        return self.item.c[source_column]

    def has(self, record_column: str) -> bool:
        return record_column in self.names


def _from_item(config: MunisConfig, name: str, columns: list[str], alias: str) -> Any:
    """`schema.function(:munis_user)` for a reporting object, `schema.table` for a base table."""
    if is_reporting_function(name):
        function = functools.reduce(getattr, name.split("."), sa.func)
        user = sa.bindparam("munis_user", config.munis_user, type_=sa.String)
        return function(user).table_valued(*columns).alias(alias)
    schema, _, table = name.rpartition(".")
    return sa.table(table, *(sa.column(c) for c in columns), schema=schema or None).alias(alias)


def stream_query(config: MunisConfig, stream: str, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    """(select of the layout columns plus `_key` [and `_modified`], key column, modified column)."""
    select, key, mod = _BUILDERS[stream](config, modified)
    extra = [key.label(KEY)] + ([mod.label(MODIFIED)] if mod is not None else [])
    return select.add_columns(*extra), key, mod


def _live(obj: ObjectColumns) -> list[Any]:
    return [obj[PROJECTION] == LIVE_PROJECTION] if obj.has(PROJECTION) else []


def _simple(role: str, stream: str) -> Any:
    layout = LAYOUTS[stream]

    def build(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
        wanted = list(layout.columns) + ([PROJECTION] if PROJECTION in config.columns(role) else [])
        obj = ObjectColumns(config, role, wanted, "src", [modified] if modified else [])
        mod = obj.raw(modified) if modified else None
        query = sa.select(*(obj[c].label(c) for c in layout.columns)).where(*_live(obj))
        return query, obj[layout.key], mod

    return build


def _employees(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    if config.sql_layout == "tables":
        return _table_employees(config, modified)
    em_wanted = [c for c in EMPLOYEES.columns if c not in JOB_FIELDS] + [PROJECTION]
    em = ObjectColumns(config, "employee_master", em_wanted, "em", [modified] if modified else [])
    jp = ObjectColumns(
        config, "job_pay", ["a_employee_number", *JOB_FIELDS, PRIMARY_JOB, PROJECTION], "jp", []
    )
    joined = em.item.outerjoin(
        jp.item,
        sa.and_(
            jp["a_employee_number"] == em["a_employee_number"],
            jp[PROJECTION] == em[PROJECTION],
            jp[PRIMARY_JOB] == PRIMARY,
        ),
    )
    cols = [(jp if c in JOB_FIELDS else em)[c].label(c) for c in EMPLOYEES.columns]
    mod = em.raw(modified) if modified else None
    query = sa.select(*cols).select_from(joined).where(em[PROJECTION] == LIVE_PROJECTION)
    return query, em["a_employee_number"], mod


def _table_employees(config: MunisConfig, modified: str | None) -> tuple[sa.Select[Any], Any, Any]:
    emp = ObjectColumns(
        config,
        "employee_master",
        [*(c for c in EMPLOYEES.columns if c != "a_job_class_desc"), PROJECTION],
        "e",
        [modified] if modified else [],
    )
    job = ObjectColumns(config, "job_classes", ["a_job_class_code", "a_job_class_desc", PROJECTION], "j", [])
    joined = emp.item.outerjoin(
        job.item,
        sa.and_(job["a_job_class_code"] == emp["a_job_class_code"], job[PROJECTION] == emp[PROJECTION]),
    )
    cols = [(job if c == "a_job_class_desc" else emp)[c].label(c) for c in EMPLOYEES.columns]
    mod = emp.raw(modified) if modified else None
    query = sa.select(*cols).select_from(joined).where(emp[PROJECTION] == LIVE_PROJECTION)
    return query, emp["a_employee_number"], mod


_BUILDERS = {
    ORG_UNITS.stream: _simple("department_codes", ORG_UNITS.stream),
    JOB_CLASSES.stream: _simple("job_classes", JOB_CLASSES.stream),
    EMPLOYEES.stream: _employees,
    FIXED_ASSETS.stream: _simple("fixed_assets", FIXED_ASSETS.stream),
}
