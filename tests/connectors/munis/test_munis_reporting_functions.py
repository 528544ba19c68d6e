"""The MUNIS reporting objects are table-valued functions that take the MUNIS user name
(`[PayrollReportingServices].[JobPay]('munis')`). The generated T-SQL is parsed by a T-SQL parser,
and the sandbox answers as SQL Server does: a function named like a table, or called without its
argument, is refused; salary-projection copies are there for a query that forgets them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
import sqlglot
from pydantic import ValidationError
from sqlalchemy.dialects import mssql
from sqlglot import exp

from connectors.munis.config import MunisConfig
from connectors.munis.connector import MunisConnector
from connectors.munis.sandbox import MunisSandbox
from connectors.munis.sql_queries import stream_query
from core.testing.reading import read

Connect = Callable[..., MunisConnector]
PRODUCTION = {
    "transport": "sql",
    "sql_url": "mssql+pyodbc://munis_hub_reader@munis-sql/mu_live?driver=ODBC+Driver+18+for+SQL+Server",
    "munis_user": "munis",
}


def t_sql(stream: str, **settings: object) -> exp.Expression:
    """The stream's query as SQL Server receives it (values inlined), parsed as T-SQL."""
    config = MunisConfig.model_validate({**PRODUCTION, **settings})
    query, _, _ = stream_query(config, stream, config.sql_modified_columns.get(stream))
    text = str(query.compile(dialect=mssql.dialect(), compile_kwargs={"literal_binds": True}))
    return sqlglot.parse_one(text, read="tsql")


def called_objects(tree: exp.Expression) -> dict[str, list[str]]:
    """Every FROM/JOIN item: `schema.function` -> its literal arguments (tables get no entry)."""
    found: dict[str, list[str]] = {}
    for table in tree.find_all(exp.Table):
        call = table.this
        if isinstance(call, exp.Anonymous | exp.Func):
            name = f"{table.db}.{call.name}" if table.db else call.name
            found[name.lower()] = [a.name for a in call.expressions]
    return found


@pytest.mark.parametrize(
    ("stream", "functions"),
    [
        ("employees", {"payrollreportingservices.employeemaster", "payrollreportingservices.jobpay"}),
        ("fixed_assets", {"fixedassetreportingservices.fixedassetmaster"}),
        ("org_units", {"systemreportingservices.systemdepartmentcodes"}),
        ("job_classes", {"payrollreportingservices.jobclass"}),
    ],
)
def test_default_queries_parse_as_t_sql_and_call_each_function_with_the_munis_user(
    stream: str, functions: set[str]
) -> None:
    calls = called_objects(t_sql(stream))
    assert set(calls) == functions
    assert all(arguments == ["munis"] for arguments in calls.values())


def test_employees_join_the_primary_live_job_and_keep_live_rows_only() -> None:
    tree = t_sql("employees")
    [join] = list(tree.find_all(exp.Join))
    on = join.args["on"].sql("tsql")
    assert "jp.primary_job = 'Y'" in on and "jp.a_projection = em.a_projection" in on
    assert tree.args["where"].sql("tsql") == "WHERE em.a_projection = 0"
    selected = {e.alias_or_name: e.this.sql("tsql") for e in tree.expressions}
    assert selected["a_position_number"] == "jp.a_position_code", "the name public agency SQL reads"


def test_the_tables_layout_reads_base_tables_and_only_live_projection_rows() -> None:
    tree = t_sql("employees", sql_layout="tables")
    assert called_objects(tree) == {}
    assert {t.name for t in tree.find_all(exp.Table)} == {"prempmst", "prjobcls"}
    assert "e.prem_proj = 0" in tree.args["where"].sql("tsql")


def test_each_objects_columns_can_be_renamed_to_the_tenants_names() -> None:
    tree = t_sql(
        "employees",
        sql_columns={"job_pay": {"a_position_number": "a_pos_num", "primary_job": "e_primary_job"}},
    )
    selected = {e.alias_or_name: e.this.sql("tsql") for e in tree.expressions}
    assert selected["a_position_number"] == "jp.a_pos_num"
    assert "jp.e_primary_job = 'Y'" in tree.find(exp.Join).args["on"].sql("tsql")  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match=r"job_pay.a_job_title"):
        MunisConfig.model_validate({**PRODUCTION, "sql_columns": {"job_pay": {"a_job_title": "x"}}})


def test_a_function_needs_the_munis_user_and_no_parentheses_in_its_name() -> None:
    without_user = {k: v for k, v in PRODUCTION.items() if k != "munis_user"}
    with pytest.raises(
        ValidationError, match=r"munis_user is needed to call PayrollReportingServices\.EmployeeMaster"
    ):
        MunisConfig.model_validate(without_user)
    with pytest.raises(ValidationError, match="without parentheses"):
        MunisConfig.model_validate(
            {**PRODUCTION, "sql_objects": {"job_pay": "PayrollReportingServices.JobPay()"}}
        )


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("SELECT a_employee_number FROM PayrollReportingServices.EmployeeMaster AS em",
         "Parameters were not supplied for the function 'PayrollReportingServices.EmployeeMaster'"),
        ("SELECT a_employee_number FROM PayrollReportingServices.EmployeeMaster() AS em",
         "An insufficient number of arguments were supplied"),
        ("SELECT a_employee_number FROM PayrollReportingServices.JobPay('munis', 2) AS jp",
         "has too many arguments specified"),
    ],
)  # fmt: skip
def test_the_sandbox_refuses_what_sql_server_refuses(
    munis: MunisSandbox, statement: str, refusal: str
) -> None:
    engine = sa.create_engine(munis.sql_config()["sql_url"])
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match=refusal):
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_the_sandbox_keeps_projection_rows_and_serves_only_its_munis_user(
    munis: MunisSandbox, connect: Connect
) -> None:
    database = connect(munis.sql_config()).database
    assert database is not None
    with database.engine.connect() as conn:
        projected = conn.execute(
            sa.text(
                "SELECT count(*) FROM PayrollReportingServices.EmployeeMaster('munis') WHERE a_projection <> 0"
            )
        ).scalar_one()
        other_user = conn.execute(
            sa.text("SELECT count(*) FROM PayrollReportingServices.EmployeeMaster('someone.else')")
        ).scalar_one()
    assert projected == len(munis.data.projections) > 0, "the sandbox keeps salary-projection rows"
    assert other_user == 0, "another MUNIS user sees none of the rows"


def test_a_function_named_like_a_table_fails_check_with_a_config_error(
    munis: MunisSandbox, connect: Connect
) -> None:
    """The shape the connector used to send (an object named without its argument) is refused the
    way SQL Server refuses it, and `check()` says what to set."""
    result = connect(munis.sql_config("tables"), sql_objects={"employee_master": "prempmst"}).check()
    assert result.ok, result.message
    database = connect(munis.sql_config()).database
    assert database is not None
    with database.engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as refused:
        conn.execute(sa.text("SELECT a_employee_number FROM PayrollReportingServices.EmployeeMaster"))
    error = database.translate(refused.value, "reading employee master")
    assert error.kind == "config" and "munis_user" in str(error)


def test_projection_copies_never_become_employees(munis: MunisSandbox, connect: Connect) -> None:
    number, projected_class = next(iter(munis.data.projections.items()))
    records = read(connect(munis.sql_config()).stream("employees")).records
    rows = [r for r in records if r["a_employee_number"] == number]
    assert len(rows) == 1 and rows[0]["a_job_class_code"] == munis.data.employees[number]["a_job_class_code"]
    assert rows[0]["a_job_class_code"] != projected_class
    assert len({r["a_employee_number"] for r in records}) == len(records)
