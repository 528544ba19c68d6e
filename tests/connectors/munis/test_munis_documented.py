"""MUNIS reporting SQL as public agency SQL writes it (`documented/`): the hub's generated T-SQL
calls the same functions the same way (one string argument, the MUNIS user) with the same join
keys and filters, and the sandbox answers the documented statements with the documented columns."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from connectors.munis.connector import MunisConnector
from connectors.munis.sandbox import MunisSandbox
from core.testing.documented import load_examples
from tests.connectors.munis.test_munis_reporting_functions import called_objects, t_sql

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


def _documented(name: str) -> exp.Expression:
    return sqlglot.parse_one(DOCUMENTED[name].request_body, read="tsql")


def test_the_hub_calls_the_documented_functions_the_documented_way() -> None:
    documented = {
        **called_objects(_documented("employee_master_join")),
        **called_objects(_documented("fixed_asset_master")),
    }
    generated = {**called_objects(t_sql("employees")), **called_objects(t_sql("fixed_assets"))}
    assert (
        generated
        == documented
        == {
            "payrollreportingservices.jobpay": ["munis"],
            "payrollreportingservices.employeemaster": ["munis"],
            "fixedassetreportingservices.fixedassetmaster": ["munis"],
        }
    )


def _conditions(tree: exp.Expression) -> set[str]:
    """Equality conditions of joins and WHERE, as `column = value` with table aliases dropped."""
    found = set()
    for eq in tree.find_all(exp.EQ):
        sides = [s.name if isinstance(s, exp.Column) else s.sql("tsql") for s in (eq.left, eq.right)]
        found.add(" = ".join(sorted(sides)))
    return found


def test_the_hub_joins_and_filters_job_pay_as_the_documented_sql_does() -> None:
    documented = _conditions(_documented("employee_master_join"))
    generated = _conditions(t_sql("employees"))
    wanted = {
        "'Y' = primary_job",
        "0 = a_projection",
        "a_employee_number = a_employee_number",
        "a_projection = a_projection",
    }
    assert wanted <= documented and wanted <= generated


def test_the_sandbox_answers_the_documented_statements(munis: MunisSandbox, connect: object) -> None:
    connector = connect(munis.sql_config())  # type: ignore[operator]
    assert isinstance(connector, MunisConnector) and connector.database is not None
    with connector.database.engine.connect() as conn:
        for name, example in DOCUMENTED.items():
            statement = sqlglot.transpile(example.request_body, read="tsql", write="sqlite")[0]
            result = conn.execute(sa.text(statement))
            columns, rows = list(result.keys()), result.fetchall()
            assert set(example.body["columns"]) <= set(columns), name
            assert rows, f"{name}: the sandbox has rows for the documented statement"
