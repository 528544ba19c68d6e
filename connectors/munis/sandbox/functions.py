"""The sandbox's SQL Server front for the MUNIS reporting objects: table-valued functions.

On a real MUNIS, `PayrollReportingServices.EmployeeMaster`, `.JobPay`, ... are table-valued
functions that take the MUNIS user name: `SELECT ... FROM [PayrollReportingServices].[JobPay]('munis')`.
SQLite has no such functions, so the sandbox's engine plugin (`sql.py`, `?plugin=munis_sandbox`)
installs this front on the connector's engine, which then answers as SQL Server does:
- `Schema.Object(<user>)` reads the object's rows for that user (the sandbox's MUNIS user is
  `munis`; any other user sees no rows);
- `Schema.Object` named like a table is refused with SQL Server's Msg 216 ("Parameters were not
  supplied for the function ..."), a call without the argument with Msg 313 ("An insufficient
  number of arguments were supplied ..."), two arguments with Msg 8144.
The rows keep MUNIS's salary-projection copies (`a_projection` other than 0), so a query that
does not filter them returns duplicate employees, as on a real database.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import sqlalchemy as sa

REPORTING_SCHEMAS = ("PayrollReportingServices", "SystemReportingServices", "FixedAssetReportingServices")
MUNIS_USER = "munis"
_OBJECT = re.compile(
    r'(?<![\w"])"?(?P<schema>' + "|".join(REPORTING_SCHEMAS) + r')"?\s*\.\s*"?(?P<name>\w+)"?(?P<call>\s*\()?'
)


#: what may follow a FROM item that is not its alias
_CLAUSES = (
    r"(?:WHERE|JOIN|LEFT|RIGHT|INNER|OUTER|FULL|CROSS|ON|ORDER|GROUP|HAVING|LIMIT|UNION|EXCEPT|INTERSECT)\b"
)
_ALIASED = re.compile(r"\s*(?:AS\b|(?!" + _CLAUSES + r')["\[]?[A-Za-z_])', re.IGNORECASE)


def _closing(statement: str, start: int) -> int:
    """Index just after the parenthesis that closes the one opened before `start`."""
    depth, index, quoted = 1, start, False
    while depth and index < len(statement):
        char = statement[index]
        if char == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    if depth:
        raise sqlite3.OperationalError("Incorrect syntax near ')'.")
    return index


def rewrite(statement: str) -> str:
    """The statement with every reporting function call answered from the sandbox's rows."""
    parts, position = [], 0
    for match in _OBJECT.finditer(statement):
        if match.start() < position:
            continue
        function = f"{match['schema']}.{match['name']}"
        if not match["call"]:
            raise sqlite3.OperationalError(f"Parameters were not supplied for the function '{function}'.")
        end = _closing(statement, match.end())
        argument = statement[match.end() : end - 1].strip()
        if not argument:
            raise sqlite3.OperationalError(
                f"An insufficient number of arguments were supplied for the procedure or function {function}."
            )
        if "," in argument.replace("','", ""):
            raise sqlite3.OperationalError(
                f"Procedure or function {function} has too many arguments specified."
            )
        parts.append(statement[position : match.start()])
        parts.append(
            f'(SELECT * FROM "{match["schema"]}"."{match["name"]}" WHERE munis_reporting_user({argument}))'
        )
        if not _ALIASED.match(statement, end):  # SQL Server lets the function's name qualify columns
            parts.append(f' AS "{match["name"]}"')
        position = end
    parts.append(statement[position:])
    return "".join(parts)


def serve_reporting_functions(engine: sa.Engine) -> None:
    """Make an engine on the sandbox's SQLite files answer reporting-function calls as SQL Server
    does: every statement is rewritten before it runs, every connection knows the MUNIS user."""

    @sa.event.listens_for(engine, "connect")
    def _user_check(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(
            "munis_reporting_user", 1, lambda user: int(user == MUNIS_USER), deterministic=True
        )

    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def _calls(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        return rewrite(statement), parameters
