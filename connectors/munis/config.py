"""Config of the Tyler MUNIS connector: one of two transports, SQL or CSV export files.

```yaml
# SQL: read-only access to the MUNIS reporting functions (SaaS ODBC or on-premises SQL Server)
transport: sql
sql_url: mssql+pyodbc://munis_hub_reader@munis-sql.agency.local/mu_live?driver=ODBC+Driver+18+for+SQL+Server
sql_password: {env: MUNIS_SQL_PASSWORD}
munis_user: munis        # the MUNIS user the reporting functions take: [JobPay]('munis')

# Files: scheduled CSV exports dropped on an SFTP server (or a local/mounted directory)
transport: sftp
sftp_host: sftp.agency.example.gov
sftp_username: munis-export-reader
sftp_password: {env: MUNIS_SFTP_PASSWORD}
sftp_host_key: "ecdsa-sha2-nistp256 AAAA..."
file_dir: /outbound/munis
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from connectors.munis.sql_columns import REPORTING_COLUMNS, TABLE_COLUMNS, unknown_columns
from core.connector.contracts import ConnectorConfig
from core.secrets import Secret

Transport = Literal["sql", "sftp", "directory"]
SqlLayout = Literal["reporting", "tables"]

#: default MUNIS object names per layout (override any of them with `sql_objects`); in the
#: reporting layout every object is a table-valued function taking the MUNIS user name
REPORTING_OBJECTS: dict[str, str] = {
    "employee_master": "PayrollReportingServices.EmployeeMaster",
    "job_pay": "PayrollReportingServices.JobPay",
    "job_classes": "PayrollReportingServices.JobClass",
    "department_codes": "SystemReportingServices.SystemDepartmentCodes",
    "fixed_assets": "FixedAssetReportingServices.FixedAssetMaster",
}
TABLE_OBJECTS: dict[str, str] = {
    "employee_master": "prempmst",
    "job_classes": "prjobcls",
    "department_codes": "SystemReportingServices.SystemDepartmentCodes",
    "fixed_assets": "famaster",
}
DEFAULT_PATTERNS: dict[str, str] = {
    "org_units": "departments_*.csv",
    "job_classes": "job_classes_*.csv",
    "employees": "employees_*.csv",
    "fixed_assets": "fixed_assets_*.csv",
}


def is_reporting_function(name: str) -> bool:
    """Objects of the MUNIS reporting services (`…ReportingServices.Object`) are table-valued
    functions that take the MUNIS user name; anything else is a table or view."""
    schema, _, _ = name.rpartition(".")
    return schema.strip("[]").endswith("ReportingServices")


class MunisConfig(ConnectorConfig):
    transport: Transport = Field(description="sql (reporting objects), sftp or directory (CSV exports)")

    # -- SQL transport ------------------------------------------------------------------------
    sql_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL without the password (mssql+pyodbc://user@host/db?driver=...)",
    )
    sql_password: Secret | None = Field(default=None, description="password of the read-only SQL login")
    sql_layout: SqlLayout = Field(
        default="reporting",
        description="reporting (…ReportingServices objects) or tables (prempmst, famaster…)",
    )
    munis_user: str | None = Field(
        default=None,
        description="reporting layout: the MUNIS user name every reporting function is called with "
        "(`[PayrollReportingServices].[JobPay]('munis')`), the MUNIS login that owns the reporting services",
    )
    sql_objects: dict[str, str] = Field(
        default_factory=dict,
        description="object name overrides: employee_master, job_pay, job_classes, department_codes, "
        "fixed_assets (schema.name, no parentheses: reporting objects are always called with munis_user)",
    )
    sql_columns: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="per object, record column (or a_projection / primary_job) -> the object's column "
        "where your MUNIS names it differently, e.g. {job_pay: {a_position_number: a_position_code}}",
    )
    sql_modified_columns: dict[str, str] = Field(
        default_factory=dict,
        description="stream -> last-modified column; such streams read incrementally, others as full snapshots",
    )
    sql_fetch_rows: int = Field(
        default=2000, ge=10, le=100_000, description="rows fetched (and checkpointed) at a time"
    )

    # -- file transports (sftp, directory) ----------------------------------------------------
    sftp_host: str | None = None
    sftp_port: int = Field(default=22, ge=1, le=65535)
    sftp_username: str | None = None
    sftp_password: Secret | None = Field(default=None, description="SFTP password (or use sftp_private_key)")
    sftp_private_key: Secret | None = Field(
        default=None, description="PEM private key text for key authentication"
    )
    sftp_private_key_passphrase: Secret | None = None
    sftp_host_key: str | None = Field(
        default=None, description="the server's public host key line(s), e.g. 'ecdsa-sha2-nistp256 AAAA...'"
    )
    file_dir: str = Field(default="/", description="remote (sftp) or local (directory) folder of the exports")
    file_patterns: dict[str, str] = Field(
        default_factory=dict, description="stream -> file name glob (defaults: employees_*.csv, ...)"
    )
    file_layouts: dict[str, list[str]] = Field(
        default_factory=dict, description="stream -> expected header columns when the export differs"
    )
    allow_extra_columns: bool = Field(default=False, description="tolerate header columns beyond the layout")
    completion: Literal["marker", "rename"] = Field(
        default="marker",
        description="marker: a file is complete once NAME.done exists; rename: the exporter writes a "
        "temporary name and renames it, so every matching file is complete",
    )
    marker_suffix: str = Field(default=".done", min_length=1)
    partial_suffixes: list[str] = Field(default_factory=lambda: [".part", ".tmp", ".filepart", ".partial"])
    encoding: Literal["auto", "utf-8", "cp1252"] = Field(
        default="auto", description="auto: UTF-8 (with or without BOM), else Windows-1252"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    file_extracts: Literal["full", "changes"] = Field(
        default="full",
        description="full: each file lists every row, so a row absent from a newer file is missing "
        "(deleted per the stream policy); changes: files hold changed rows only, absence means nothing",
    )
    first_run: Literal["latest", "all"] = Field(
        default="latest", description="with an empty ledger, load only the newest file or every file"
    )
    checkpoint_rows: int = Field(default=5000, ge=1, description="rows between checkpoints inside one file")
    ledger_size: int = Field(default=500, ge=10, description="processed files remembered per stream")

    @model_validator(mode="after")
    def _transport_settings(self) -> MunisConfig:
        if self.transport == "sql" and not self.sql_url:
            raise ValueError("transport sql needs sql_url")
        if self.transport == "sftp":
            missing = [n for n in ("sftp_host", "sftp_username", "sftp_host_key") if not getattr(self, n)]
            if missing:
                raise ValueError(f"transport sftp needs {', '.join(missing)}")
            if self.sftp_password is None and self.sftp_private_key is None:
                raise ValueError("transport sftp needs sftp_password or sftp_private_key")
        unknown = set(self.file_patterns) | set(self.file_layouts) | set(self.sql_modified_columns)
        unknown -= set(DEFAULT_PATTERNS)
        if unknown:
            raise ValueError(f"unknown stream(s) {sorted(unknown)}; known: {', '.join(DEFAULT_PATTERNS)}")
        bad_objects = (set(self.sql_objects) | set(self.sql_columns)) - set(REPORTING_OBJECTS)
        if bad_objects:
            raise ValueError(
                f"unknown sql_objects/sql_columns object(s) {sorted(bad_objects)}; known: {', '.join(REPORTING_OBJECTS)}"
            )
        bad_columns = unknown_columns(self.sql_columns)
        if bad_columns:
            raise ValueError(f"sql_columns names unknown record columns {bad_columns}")
        called = sorted(n for n in self.sql_objects.values() if n.strip().endswith(")"))
        if called:
            raise ValueError(
                f"sql_objects names objects without parentheses ({', '.join(called)}): reporting "
                "functions are always called with munis_user"
            )
        functions = [
            self.object_name(role) for role in self._roles() if is_reporting_function(self.object_name(role))
        ]
        if self.transport == "sql" and functions and not self.munis_user:
            raise ValueError(
                f"munis_user is needed to call {', '.join(functions)}: the MUNIS user name the reporting "
                "functions take as their argument, e.g. [PayrollReportingServices].[EmployeeMaster]('munis')"
            )
        return self

    def object_name(self, role: str) -> str:
        defaults = REPORTING_OBJECTS if self.sql_layout == "reporting" else TABLE_OBJECTS
        return self.sql_objects.get(role) or defaults[role]

    def _roles(self) -> list[str]:
        return list(REPORTING_OBJECTS if self.sql_layout == "reporting" else TABLE_OBJECTS)

    def columns(self, role: str) -> dict[str, str]:
        """Record column -> the object's column, for this layout with `sql_columns` applied."""
        defaults = REPORTING_COLUMNS if self.sql_layout == "reporting" else TABLE_COLUMNS
        return {**defaults[role], **self.sql_columns.get(role, {})}

    def pattern(self, stream: str) -> str:
        return self.file_patterns.get(stream) or DEFAULT_PATTERNS[stream]
