"""The sandbox's SQL side: SQLite files exposing the MUNIS object names the connector reads.

- `mu_live.db` holds the on-premises base tables (prempmst, prjobcls, famaster), including the
  salary-projection copies (`prem_proj = 1`) a real database carries;
- `PayrollReportingServices.db`, `SystemReportingServices.db`, `FixedAssetReportingServices.db`
  are ATTACHed under those names and read through the reporting-function front
  (`functions.py`): the connector must call `PayrollReportingServices.EmployeeMaster('munis')`
  as on SQL Server. EmployeeMaster and JobPay keep salary-projection copies (`a_projection = 1`)
  beside the live rows (0); JobPay holds a primary job (`primary_job = 'Y'`) per employee and a
  few secondary jobs ('N'), with the column names public agency SQL reads (`a_position_code`).
  The connector reaches them through an ordinary SQLAlchemy URL naming this module's engine
  plugin (`?plugin=munis_sandbox`), which also installs that front, so its own code has no
  SQLite-only path.

Text columns are stored space-padded where MUNIS uses CHAR (names, descriptions), costs as
text with two decimals (SQL Server's decimal(12,2) keeps its scale; SQLite would drop it), and
the reporting objects carry a last-modified column for incremental reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CreateEnginePlugin

from connectors.munis.layouts import EMPLOYEES, FIXED_ASSETS, JOB_CLASSES, ORG_UNITS
from connectors.munis.sandbox.data import MunisData
from connectors.munis.sandbox.functions import MUNIS_USER, serve_reporting_functions
from connectors.munis.sql_columns import TABLE_COLUMNS

#: the base tables' columns (on-premises layout)
PREMPMST = {k: v for k, v in TABLE_COLUMNS["employee_master"].items() if k != "a_projection"}
PRJOBCLS = {k: v for k, v in TABLE_COLUMNS["job_classes"].items() if k != "a_projection"}
FAMASTER = TABLE_COLUMNS["fixed_assets"]
JOB_PAY_FIELDS = ("a_position_number", "a_location", "e_supervisor")
EMPLOYEE_MASTER_COLUMNS = tuple(c for c in EMPLOYEES.columns if c not in JOB_PAY_FIELDS)

SCHEMAS = ("PayrollReportingServices", "SystemReportingServices", "FixedAssetReportingServices")
#: the `sqlalchemy.plugins` entry point of AttachReportingDatabases (pyproject.toml)
PLUGIN = "munis_sandbox"
EMPLOYEE_MODIFIED, ASSET_MODIFIED = "e_changed_datetime", "fa_changed_datetime"
PADDED = {
    "a_name_last": 30,
    "a_job_class_desc": 30,
    "a_department_desc": 40,
    "prem_lname": 30,
    "prjb_long": 30,
}

_DDL = [
    f"CREATE TABLE PayrollReportingServices.EmployeeMaster ({', '.join(c + (' INTEGER' if c == 'a_employee_number' else ' TEXT') for c in EMPLOYEE_MASTER_COLUMNS)}, {EMPLOYEE_MODIFIED} TEXT, a_projection INTEGER, PRIMARY KEY (a_employee_number, a_projection))",
    "CREATE TABLE PayrollReportingServices.JobPay (a_projection INTEGER, a_employee_number INTEGER, "
    "a_job_number INTEGER, primary_job TEXT, a_job_class_code TEXT, a_position_code TEXT, a_location TEXT, "
    "e_supervisor INTEGER, "
    "PRIMARY KEY (a_employee_number, a_projection, a_job_number))",
    f"CREATE TABLE PayrollReportingServices.JobClass ({', '.join(c + ' TEXT' for c in JOB_CLASSES.columns)}, PRIMARY KEY (a_job_class_code))",
    f"CREATE TABLE SystemReportingServices.SystemDepartmentCodes ({', '.join(c + ' TEXT' for c in ORG_UNITS.columns)}, PRIMARY KEY (a_department_code))",
    f"CREATE TABLE FixedAssetReportingServices.FixedAssetMaster ({', '.join(c + ' TEXT' for c in FIXED_ASSETS.columns)}, {ASSET_MODIFIED} TEXT, PRIMARY KEY (a_asset_number))",
    f"CREATE TABLE main.prempmst ({', '.join(c + (' INTEGER' if c in ('prem_emp', 'prem_supervisor') else ' TEXT') for c in PREMPMST.values())}, prem_proj INTEGER, PRIMARY KEY (prem_emp, prem_proj))",
    f"CREATE TABLE main.prjobcls ({', '.join(c + ' TEXT' for c in PRJOBCLS.values())}, prjb_proj INTEGER, PRIMARY KEY (prjb_code, prjb_proj))",
    f"CREATE TABLE main.famaster ({', '.join(c + ' TEXT' for c in FAMASTER.values())}, PRIMARY KEY (fama_asset))",
]  # fmt: skip


def _pad(column: str, value: Any) -> Any:
    width = PADDED.get(column)
    return value.ljust(width) if width and isinstance(value, str) else value


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def reporting_files(main: Path) -> dict[str, Path]:
    """The reporting databases beside `main`, by the schema name they are ATTACHed under."""
    return {schema: main.with_name(f"{schema}.db") for schema in SCHEMAS}


def attach(connection: Any, files: dict[str, Path]) -> None:
    """ATTACH each file under its schema name (a sqlite3 connection, or the DB-API one SQLAlchemy hands over)."""
    for schema, path in files.items():
        connection.execute(f'ATTACH DATABASE ? AS "{schema}"', (str(path),))


class AttachReportingDatabases(CreateEnginePlugin):
    """SQLAlchemy engine plugin for `sqlite:///<folder>/mu_live.db?plugin=munis_sandbox`: every
    new connection ATTACHes the reporting databases lying beside the file, and the reporting
    objects answer as SQL Server's table-valued functions (`functions.py`)."""

    def update_url(self, url: sa.URL) -> sa.URL:
        return url  # the plugin takes no arguments of its own

    def engine_created(self, engine: sa.Engine) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError(
                f"the {PLUGIN} plugin serves the sandbox's SQLite files, not {engine.dialect.name}"
            )
        attached = reporting_files(Path(engine.url.database or ""))

        @sa.event.listens_for(engine, "connect")
        def _attach(dbapi_connection: Any, _record: Any) -> None:
            attach(dbapi_connection, attached)

        serve_reporting_functions(engine)


class SandboxDatabase:
    """Writes MunisData into the SQLite files and keeps them current after each mutation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.main = folder / "mu_live.db"
        self.attached = reporting_files(self.main)

    def connection_config(self) -> dict[str, Any]:
        """The connector settings that point at these files."""
        return {
            "transport": "sql",
            "sql_url": f"sqlite:///{self.main}?plugin={PLUGIN}",
            "munis_user": MUNIS_USER,
        }

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.main)
        attach(conn, self.attached)
        return conn

    def create(self, data: MunisData, stamps: dict[str, str]) -> None:
        for path in (self.main, *self.attached.values()):
            path.unlink(missing_ok=True)
        with self._connect() as conn:
            for statement in _DDL:
                conn.execute(statement)
            self._departments(conn, data.departments.values())
            self._job_classes(conn, data.job_classes.values())
            self._employees(conn, data, data.employees.values(), stamps)
            self._assets(conn, data.assets.values(), stamps)
        conn.close()

    # -- writes (INSERT OR REPLACE keeps them idempotent) --------------------------------------
    def upsert(self, data: MunisData, stream: str, keys: Iterable[str], stamps: dict[str, str]) -> None:
        rows = {"org_units": data.departments, "job_classes": data.job_classes}.get(stream)
        with self._connect() as conn:
            if stream == "employees":
                self._employees(conn, data, [data.employees[k] for k in keys], stamps)
            elif stream == "fixed_assets":
                self._assets(conn, [data.assets[k] for k in keys], stamps)
            elif stream == "org_units" and rows is not None:
                self._departments(conn, [rows[k] for k in keys])
            elif rows is not None:
                self._job_classes(conn, [rows[k] for k in keys])
        conn.close()

    def delete_asset(self, number: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM FixedAssetMaster WHERE a_asset_number = ?", (number,))
            conn.execute("DELETE FROM famaster WHERE fama_asset = ?", (number,))
        conn.close()

    @staticmethod
    def _departments(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]]) -> None:
        cols = ORG_UNITS.columns
        conn.executemany(
            f"INSERT OR REPLACE INTO SystemDepartmentCodes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[_pad(c, r[c]) for c in cols] for r in rows],
        )

    @staticmethod
    def _job_classes(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        cols = JOB_CLASSES.columns
        conn.executemany(
            f"INSERT OR REPLACE INTO JobClass ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[_pad(c, r[c]) for c in cols] for r in rows],
        )
        table = [PRJOBCLS[c] for c in cols]
        live = [[_pad(PRJOBCLS[c], r[c]) for c in cols] + [0] for r in rows]
        projected = [
            [*row[:1], _pad("prjb_long", f"{row[1].strip()} (FY projection)"), *row[2:-1], 1] for row in live
        ]
        conn.executemany(
            f"INSERT OR REPLACE INTO prjobcls ({', '.join(table)}, prjb_proj) VALUES ({', '.join('?' * (len(cols) + 1))})",
            live + projected,
        )

    @staticmethod
    def _employees(
        conn: sqlite3.Connection, data: MunisData, rows: Iterable[dict[str, Any]], stamps: dict[str, str]
    ) -> None:
        rows = list(rows)
        em_cols = list(EMPLOYEE_MASTER_COLUMNS)
        master, jobs = [], []
        for r in rows:
            number = _int(r["a_employee_number"])
            live = [number if c == "a_employee_number" else _pad(c, r[c]) for c in em_cols]
            stamp = stamps[f"employees:{r['a_employee_number']}"]
            projected_class = data.projections.get(r["a_employee_number"])
            master.append([*live, stamp, 0])
            job_class = r["a_job_class_code"]
            jobs.append(
                [
                    0,
                    number,
                    1,
                    "Y",
                    job_class,
                    r["a_position_number"],
                    r["a_location"],
                    _int(r["e_supervisor"]),
                ]
            )
            if projected_class:  # next year's salary projection: a copy of the employee and the job
                master.append(
                    [
                        projected_class if c == "a_job_class_code" else v
                        for c, v in zip(em_cols, live, strict=True)
                    ]
                    + [stamp, 1]
                )
                jobs.append(
                    [
                        1,
                        number,
                        1,
                        "Y",
                        projected_class,
                        r["a_position_number"],
                        r["a_location"],
                        _int(r["e_supervisor"]),
                    ]
                )
            second = data.secondary_jobs.get(r["a_employee_number"])
            if second:
                jobs.append(
                    [0, number, 2, "N", job_class, second["a_position_number"], second["a_location"], None]
                )
        conn.executemany(
            f"INSERT OR REPLACE INTO EmployeeMaster ({', '.join(em_cols)}, {EMPLOYEE_MODIFIED}, a_projection) "
            f"VALUES ({', '.join('?' * (len(em_cols) + 2))})",
            master,
        )
        conn.executemany(
            "DELETE FROM JobPay WHERE a_employee_number = ?", [[_int(r["a_employee_number"])] for r in rows]
        )
        conn.executemany("INSERT INTO JobPay VALUES (?, ?, ?, ?, ?, ?, ?, ?)", jobs)
        table = list(PREMPMST.values())
        base = []
        for r in rows:
            row = [
                _int(r[c]) if c in ("a_employee_number", "e_supervisor") else _pad(PREMPMST[c], r[c])
                for c in PREMPMST
            ]
            base.append([*row, 0])
            projected = data.projections.get(r["a_employee_number"])
            if projected:
                base.append(
                    [projected if c == "a_job_class_code" else v for c, v in zip(PREMPMST, row, strict=True)]
                    + [1]
                )
        conn.executemany(
            f"INSERT OR REPLACE INTO prempmst ({', '.join(table)}, prem_proj) VALUES ({', '.join('?' * (len(table) + 1))})",
            base,
        )

    @staticmethod
    def _assets(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]], stamps: dict[str, str]) -> None:
        rows = list(rows)
        cols = FIXED_ASSETS.columns
        conn.executemany(
            f"INSERT OR REPLACE INTO FixedAssetMaster ({', '.join(cols)}, {ASSET_MODIFIED}) "
            f"VALUES ({', '.join('?' * (len(cols) + 1))})",
            [[r[c] for c in cols] + [stamps[f"fixed_assets:{r['a_asset_number']}"]] for r in rows],
        )
        table = [FAMASTER[c] for c in cols]
        conn.executemany(
            f"INSERT OR REPLACE INTO famaster ({', '.join(table)}) VALUES ({', '.join('?' * len(cols))})",
            [[r[c] for c in cols] for r in rows],
        )
