"""The sandbox's tables: schemas, records as ServiceNow stores them, and encoded queries.

Faithful where it bites an integration: every value is a string; unknown fields are silently
dropped on insert and an unknown field in `sysparm_query` is silently ignored (the platform's
default, which makes a typo return every record); reference fields render as {link, value}
unless `sysparm_exclude_reference_link=true`; journal fields (work_notes, comments) append and
read back empty.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TASK_FIELDS = [
    "sys_id",
    "number",
    "state",
    "active",
    "short_description",
    "description",
    "correlation_id",
    "correlation_display",
    "due_date",
    "assignment_group",
    "assigned_to",
    "priority",
    "urgency",
    "impact",
    "opened_at",
    "closed_at",
    "close_notes",
    "work_notes",
    "comments",
    "parent",
    "sys_class_name",
    "sys_created_on",
    "sys_updated_on",
    "sys_created_by",
    "sys_updated_by",
]
SCHEMAS: dict[str, set[str]] = {
    "incident": {*TASK_FIELDS, "caller_id", "close_code", "incident_state", "category", "resolved_at"},
    "incident_task": {*TASK_FIELDS, "incident"},
    "sc_request": {*TASK_FIELDS, "requested_for", "request_state", "stage", "price"},
    "sc_req_item": {*TASK_FIELDS, "request", "requested_for", "cat_item", "stage", "quantity"},
    "sc_task": {*TASK_FIELDS, "request_item", "request"},
    "sc_cat_item": {"sys_id", "name", "short_description", "active", "sys_created_on", "sys_updated_on"},
    "item_option_new": {
        "sys_id", "name", "question_text", "cat_item", "mandatory", "active", "order", "sys_created_on",
        "sys_updated_on",
    },
    "sc_item_option": {"sys_id", "item_option_new", "value", "order", "sys_created_on", "sys_updated_on"},
    "sc_item_option_mtom": {"sys_id", "request_item", "sc_item_option", "sys_created_on", "sys_updated_on"},
    "sys_user_group": {"sys_id", "name", "active", "description", "email", "sys_created_on", "sys_updated_on"},
    "sys_user": {
        "sys_id", "user_name", "first_name", "last_name", "email", "employee_number", "active",
        "department", "sys_created_on", "sys_updated_on",
    },
}  # fmt: skip
REFERENCES = {
    "assignment_group": "sys_user_group",
    "assigned_to": "sys_user",
    "caller_id": "sys_user",
    "requested_for": "sys_user",
    "incident": "incident",
    "request_item": "sc_req_item",
    "request": "sc_request",
    "cat_item": "sc_cat_item",
    "item_option_new": "item_option_new",
    "sc_item_option": "sc_item_option",
    "parent": "task",
}
JOURNAL = {"work_notes", "comments"}
PREFIXES = {
    "incident": "INC",
    "incident_task": "TASK",
    "sc_request": "REQ",
    "sc_req_item": "RITM",
    "sc_task": "SCTASK",
}
#: ticket table -> (task table, reference from task to ticket)
CHILDREN = {"incident": ("incident_task", "incident"), "sc_req_item": ("sc_task", "request_item")}
INACTIVE_STATES = {"incident": {"6", "7", "8"}}
TASK_FAMILY_INACTIVE = {"3", "4", "7"}

_TERM = re.compile(
    r"^(?P<field>[a-z_][a-z0-9_.]*?)"
    r"(?P<op>ISNOTEMPTY|ISEMPTY|STARTSWITH|ENDSWITH|NOTLIKE|LIKE|NOT IN|IN|!=|>=|<=|=|>|<)(?P<value>.*)$",
    re.DOTALL,
)


#: (record, "reference.field.field") -> the value at the end of the dot-walk ("" when broken)
Walk = Callable[[dict[str, Any], str], str]


@dataclass
class Condition:
    field: str
    op: str
    value: str

    def test(self, record: dict[str, Any], walk: Walk | None = None) -> bool:
        if "." in self.field and walk is not None:
            actual = walk(record, self.field)
        else:
            actual = str(record.get(self.field, "") or "")
        op, value = self.op, self.value
        if op == "=":
            return actual == value
        if op == "!=":
            return actual != value
        if op == "ISEMPTY":
            return actual == ""
        if op == "ISNOTEMPTY":
            return actual != ""
        if op == "STARTSWITH":
            return actual.startswith(value)
        if op == "ENDSWITH":
            return actual.endswith(value)
        if op == "LIKE":
            return value.lower() in actual.lower()
        if op == "NOTLIKE":
            return value.lower() not in actual.lower()
        if op in ("IN", "NOT IN"):
            return (actual in value.split(",")) == (op == "IN")
        return {">": actual > value, "<": actual < value, ">=": actual >= value, "<=": actual <= value}[op]


@dataclass
class EncodedQuery:
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    @classmethod
    def parse(cls, text: str, schema: set[str]) -> EncodedQuery:
        query = cls()
        for term in filter(None, text.split("^")):
            if term.startswith("ORDERBYDESC"):
                query.order.append((term[11:], True))
            elif term.startswith("ORDERBY"):
                query.order.append((term[7:], False))
            else:
                match = _TERM.match(term)
                if match and match["field"].split(".")[0] in schema:  # unknown fields: silently ignored
                    query.conditions.append(Condition(match["field"], match["op"], match["value"]))
        return query

    def run(self, records: list[dict[str, Any]], walk: Walk | None = None) -> list[dict[str, Any]]:
        found = [r for r in records if all(c.test(r, walk) for c in self.conditions)]
        for name, descending in reversed(self.order):
            found.sort(key=lambda r: str(r.get(name, "")), reverse=descending)
        return found


class TableStore:
    """Records by table and sys_id, numbered like the platform (INC0010001)."""

    def __init__(self, stamp: str) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SCHEMAS}
        self.journal: dict[str, list[dict[str, str]]] = {}
        self.counters: dict[str, int] = dict.fromkeys(PREFIXES, 10000)
        self.stamp = stamp
        self.sequence = 0

    def now(self) -> str:
        """Strictly increasing timestamps, so ORDERBYsys_created_on is a total order."""
        self.sequence += 1
        seconds = self.sequence % 60
        minutes = self.sequence // 60 % 60
        hours = self.sequence // 3600 % 24
        return f"{self.stamp} {hours:02d}:{minutes:02d}:{seconds:02d}"

    def insert(self, table: str, values: dict[str, Any], user: str) -> dict[str, Any]:
        schema = SCHEMAS[table]
        now = self.now()
        record: dict[str, Any] = dict.fromkeys(schema - JOURNAL, "")
        record.update(
            sys_id=uuid.uuid4().hex,
            sys_created_on=now,
            sys_updated_on=now,
            sys_created_by=user,
            active="true",
        )
        if table in PREFIXES:
            self.counters[table] += 1
            record.update(
                number=f"{PREFIXES[table]}{self.counters[table]:07d}", opened_at=now, sys_class_name=table
            )
            record["state"] = "1"
        self.tables[table][record["sys_id"]] = record
        return self.update(table, record["sys_id"], values, user)

    def update(self, table: str, sys_id: str, values: dict[str, Any], user: str) -> dict[str, Any]:
        record = self.tables[table][sys_id]
        for name, value in values.items():
            if name in JOURNAL:
                if value:
                    self.journal.setdefault(sys_id, []).append(
                        {"element": name, "value": str(value), "by": user}
                    )
            elif name in SCHEMAS[table] and name not in ("sys_id", "number", "sys_created_on"):
                record[name] = "" if value is None else str(value)
        record["sys_updated_on"], record["sys_updated_by"] = self.now(), user
        self._business_rules(table, record)
        return record

    def _business_rules(self, table: str, record: dict[str, Any]) -> None:
        if table not in PREFIXES:
            return
        inactive = INACTIVE_STATES.get(table, TASK_FAMILY_INACTIVE)
        record["active"] = "false" if record["state"] in inactive else "true"
        if record["active"] == "false" and not record["closed_at"]:
            record["closed_at"] = record["sys_updated_on"]
        if table == "incident":
            record["incident_state"] = record["state"]
            record["priority"] = str(
                min(5, max(1, int(record["urgency"] or 3) + int(record["impact"] or 3) - 1))
            )

    def query(self, table: str, encoded: str) -> list[dict[str, Any]]:
        records = list(self.tables[table].values())
        return EncodedQuery.parse(encoded, SCHEMAS[table]).run(records, self.walk)

    def walk(self, record: dict[str, Any], path: str) -> str:
        """Dot-walk references (`sc_item_option.item_option_new.name`), as encoded queries may."""
        *hops, last = path.split(".")
        current: dict[str, Any] | None = record
        for hop in hops:
            target = REFERENCES.get(hop)
            if current is None or target is None:
                return ""
            current = self.tables.get(target, {}).get(str(current.get(hop) or ""))
        return str((current or {}).get(last, "") or "")

    def find(self, sys_id: str) -> tuple[str, dict[str, Any]] | None:
        for table, records in self.tables.items():
            if sys_id in records:
                return table, records[sys_id]
        return None

    def render(
        self, table: str, record: dict[str, Any], fields: list[str] | None, base_url: str, links: bool
    ) -> dict[str, Any]:
        """A record as the API returns it (only `fields` when given; journal fields read empty)."""
        names = [f for f in fields if f in SCHEMAS[table]] if fields else sorted(SCHEMAS[table])
        out: dict[str, Any] = {}
        for name in names:
            value = "" if name in JOURNAL else record.get(name, "")
            target = REFERENCES.get(name)
            if links and target and value:
                out[name] = {"link": f"{base_url}/api/now/table/{target}/{value}", "value": value}
            else:
                out[name] = value
        return out
