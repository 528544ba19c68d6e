"""One Workday field list: the parser, the schema and the README all follow `fields.py`."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from lxml import etree

from connectors.workday.fields import WORKER_ELEMENT_FIELDS, WORKER_FIELDS, names
from connectors.workday.parse import report_record
from connectors.workday.schemas import WORKER_SCHEMA
from connectors.workday.worker_xml import worker_record

README = Path(__file__).resolve().parents[3] / "connectors" / "workday" / "README.md"


def test_the_readme_lists_exactly_the_fields_of_the_record() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Flat record fields", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"`([A-Z][A-Za-z_]*)`", section)
    assert listed == [
        *names(source="worker"),
        *names(source="log"),
        "Transactions",
        *names(source="lookahead"),
    ]


def test_the_schema_types_every_field_and_no_other() -> None:
    properties = WORKER_SCHEMA["properties"]
    assert set(properties) == {f.name for f in WORKER_FIELDS} | {"Transactions"}
    assert all(properties[name]["type"] == ["boolean", "null"] for name in names(kind="flag"))


def test_an_empty_worker_element_has_every_field_the_element_gives() -> None:
    worker = etree.fromstring(b'<wd:Worker xmlns:wd="urn:com.workday/bsvc"/>')
    record = worker_record(worker, date(2026, 3, 1))
    assert set(WORKER_ELEMENT_FIELDS) <= set(record)
    assert set(record) - set(WORKER_ELEMENT_FIELDS) == {"Transactions", *names(source="log")}
    assert set(names(source="log")) == {
        "Hire_Rescinded",
        "Termination_Reversed",
        "Pending_Hire_Date",
        "Previous_Termination_Date",
        "Previous_Hire_Date",
        "Previous_Employments",
        "Pending_Job_Change_Date",
        "Last_Job_Change_Date",
    }


def test_a_report_row_s_dates_and_flags_are_normalised_by_the_field_list() -> None:
    row = report_record({"Hire_Date": "2024-01-15-08:00", "Last_Day_of_Work": "2026-01-02Z", "Rehire": "1"})
    assert (row["Hire_Date"], row["Last_Day_of_Work"], row["Rehire"]) == ("2024-01-15", "2026-01-02", True)
