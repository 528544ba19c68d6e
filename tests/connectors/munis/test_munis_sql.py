"""SQL transport on the sandbox's SQLite stand-in for the MUNIS database: reporting objects and
base tables, full snapshots and incremental windows, and errors that say what to fix."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from connectors.munis.config import MunisConfig
from connectors.munis.connector import MunisConnector
from connectors.munis.sandbox import MunisSandbox
from connectors.munis.sql_client import MunisDatabase
from core.errors import AuthError
from core.testing.reading import read

Connect = Callable[..., MunisConnector]
STREAMS = ("org_units", "job_classes", "employees", "fixed_assets")


@pytest.mark.parametrize("layout", ["reporting", "tables"])
def test_every_layout_reads_exactly_the_rows_the_exports_carry(
    munis: MunisSandbox, connect: Connect, layout: str
) -> None:
    sql, folder = connect(munis.sql_config(layout)), connect(munis.directory_config())
    for name in STREAMS:
        by_key = sorted(read(sql.stream(name)).records, key=lambda r: str(r[sql.stream(name).primary_key[0]]))
        exported = sorted(
            read(folder.stream(name)).records, key=lambda r: str(r[sql.stream(name).primary_key[0]])
        )
        assert by_key == exported, name


def test_char_padding_is_trimmed_and_numbers_become_text(munis: MunisSandbox, connect: Connect) -> None:
    records = {
        r["a_employee_number"]: r for r in read(connect(munis.sql_config()).stream("employees")).records
    }
    assert records["10001"]["a_job_class_desc"] == munis.data.employees["10001"]["a_job_class_desc"]
    assert records["10002"]["e_supervisor"] == "10001"


def test_a_secondary_job_does_not_duplicate_the_employee(munis: MunisSandbox, connect: Connect) -> None:
    number, second = next(iter(munis.data.secondary_jobs.items()))
    records = read(connect(munis.sql_config()).stream("employees")).records
    rows = [r for r in records if r["a_employee_number"] == number]
    assert len(rows) == 1 and rows[0]["a_position_number"] != second["a_position_number"]


def test_base_tables_ignore_salary_projection_rows(munis: MunisSandbox, connect: Connect) -> None:
    number, projected_class = next(iter(munis.data.projections.items()))
    assert projected_class != munis.data.employees[number]["a_job_class_code"]
    records = read(connect(munis.sql_config("tables")).stream("employees")).records
    rows = [r for r in records if r["a_employee_number"] == number]
    assert len(rows) == 1
    assert rows[0]["a_job_class_code"] == munis.data.employees[number]["a_job_class_code"]
    assert not any("projection" in (r["a_job_class_desc"] or "") for r in records)


def test_incremental_reads_only_what_changed_since_the_cursor(munis: MunisSandbox, connect: Connect) -> None:
    assets = connect(munis.sql_config()).stream("fixed_assets")
    assert assets.mode == "incremental"
    first = read(assets)
    assert len(first.records) == len(munis.data.assets)
    assert read(assets, first.state).records == []
    munis.admin("dispose_asset", {"asset": "AT-100000"})
    munis.admin("assign_asset", {"asset": "AT-100001", "employee_id": "E10007"})
    second = read(assets, first.state)
    assert [(r["fa_tag_number"], r["fa_status"], r["fa_custodian_employee"]) for r in second.records] == [
        ("AT-100000", "D", None),
        ("AT-100001", "A", "10007"),
    ]
    assert second.state["cursor"] > first.state["cursor"]  # type: ignore[index]


def test_rows_sharing_a_timestamp_survive_a_checkpoint_between_them(
    munis: MunisSandbox, connect: Connect
) -> None:
    with sqlite3.connect(munis.database.attached["FixedAssetReportingServices"]) as conn:
        conn.execute("UPDATE FixedAssetMaster SET fa_changed_datetime = '2026-01-01 00:00:00.000000'")
    conn.close()
    assets = connect(munis.sql_config(), sql_fetch_rows=10).stream("fixed_assets")
    head = read(assets, stop_after_checkpoints=1)
    tail = read(assets, head.state)
    keys = head.keys("a_asset_number") + tail.keys("a_asset_number")
    assert len(head.records) == 10 and sorted(keys) == sorted(munis.data.assets)


def test_a_full_snapshot_no_longer_carries_a_purged_asset(munis: MunisSandbox, connect: Connect) -> None:
    assets = connect(munis.sql_config(incremental=False)).stream("fixed_assets")
    assert assets.mode == "full_snapshot"
    purged = munis.admin("purge_asset", {"asset": "AT-100004"})["asset_number"]
    after = read(assets)
    assert purged not in after.keys("a_asset_number")
    assert after.state == {"snapshot_rows": len(munis.data.assets)}


def test_a_missing_object_fails_check_naming_it(munis: MunisSandbox, connect: Connect) -> None:
    overrides = {"sql_objects": {"job_pay": "PayrollReportingServices.JobPayHistory"}}
    result = connect({**munis.sql_config(), **overrides}).check()
    assert not result.ok and result.details["kind"] == "config"
    assert "JobPayHistory" in result.message and "sql_objects" in result.message


def test_a_rejected_login_is_an_auth_error_without_the_password() -> None:
    config = MunisConfig.model_validate(
        {
            "transport": "sql",
            "sql_url": "mssql+pyodbc://hub@munis/mu_live",
            "sql_password": "s3cret-pw",
            "munis_user": "munis",
        }
    )
    error = MunisDatabase(config).translate(
        sa.exc.OperationalError(
            "connect", {}, Exception("Login failed for user 'hub' (pwd s3cret-pw). (18456)")
        ),
        "connecting",
    )
    assert isinstance(error, AuthError)
    assert "s3cret-pw" not in str(error) and "Login failed for user 'hub'" in str(error)


def test_an_unreachable_database_fails_check_cleanly(connect: Connect) -> None:
    result = connect(
        {"transport": "sql", "sql_url": "sqlite:////nonexistent/folder/mu_live.db", "munis_user": "munis"}
    ).check()
    assert not result.ok and result.details["kind"] == "transient"
    assert "unable to open database file" in result.message and "the next run retries" in result.message


def test_the_connector_itself_has_no_sqlite_attachments(munis: MunisSandbox, connect: Connect) -> None:
    """Without the sandbox's engine plugin in the URL, the reporting objects are not there: the
    attachments are the sandbox's doing, never a path of the production client."""
    bare = str(munis.database.main)
    result = connect({**munis.sql_config(), "sql_url": f"sqlite:///{bare}"}).check()
    assert not result.ok and result.details["kind"] == "config"
    assert "ReportingServices." in result.message and "sql_objects" in result.message


def test_the_old_sql_attach_setting_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as refused:
        MunisConfig.model_validate(
            {"transport": "sql", "sql_url": "sqlite:///mu_live.db", "sql_attach": {"dbo": "/tmp/dbo.db"}}
        )
    assert "sql_attach" in str(refused.value) and "Extra inputs are not permitted" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "missing"),
    [
        ("mssql+pymssql://hub@munis/mu_live", "pymssql"),  # a driver this installation lacks
        ("sqlite:////tmp/mu_live.db?plugin=no_such_plugin", "no_such_plugin"),  # a plugin nobody provides
    ],
)
def test_a_driver_that_cannot_be_loaded_fails_check_saying_what_to_install(
    connect: Connect, url: str, missing: str
) -> None:
    result = connect(
        {"transport": "sql", "sql_url": url, "sql_password": "s3cret-pw", "munis_user": "munis"}
    ).check()
    assert not result.ok and result.details["kind"] == "config"
    assert "database driver cannot be loaded" in result.message and missing in result.message
    assert "munis-sql extra" in result.message and "ODBC Driver 18" in result.message
    assert "s3cret-pw" not in result.message
