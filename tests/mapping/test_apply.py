"""StreamMapping.apply: canonical fragments with values coerced to the model's types, the `when:`
filter, required fields, and quarantine reasons that name the field, expression and value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import RecordError
from core.mapping import Fragment, StreamMapping, load_mappings

FIXTURES = Path(__file__).parent / "fixtures"


def stream(tmp_path: Path, entity: str, fields: dict[str, Any], **extra: Any) -> StreamMapping:
    body = {"entity": entity, "fields": fields, **extra}
    (tmp_path / "m.yaml").write_text(
        json.dumps({"connector": "test", "streams": {"s": body}}), encoding="utf-8"
    )
    mapping = load_mappings(tmp_path, []).for_stream("test", "s")
    assert mapping is not None
    return mapping


def test_workday_worker_becomes_a_person_fragment() -> None:
    workers = load_mappings(FIXTURES / "shipped", []).for_stream("workday", "workers")
    assert workers is not None
    record = json.loads((FIXTURES / "records" / "workday_worker.json").read_text(encoding="utf-8"))
    fragment = workers.apply(record)
    assert fragment == Fragment(
        "person",
        json.loads((FIXTURES / "records" / "workday_worker.fragment.json").read_text(encoding="utf-8")),
    )


def test_fragment_keeps_every_mapped_field_with_null_for_missing_values(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "person", {"employee_id": "Id", "title": "Title", "location": "Site"})
    fragment = mapping.apply({"Id": "E1", "Title": "   "})
    assert fragment is not None
    assert fragment.fields == {"employee_id": "E1", "title": None, "location": None}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("employee_id", 10042, "10042"),  # text fields take numbers as text
        ("employee_id", 10042.0, "10042"),
        ("hire_date", "2024-01-15", "2024-01-15"),
        ("hire_date", "2024-01-15T22:00:00-05:00", "2024-01-15"),
        ("hire_date", "2024-01-15-06:00", "2024-01-15"),
        ("hire_rescinded", "Y", True),
        ("hire_rescinded", 0, False),
    ],
)
def test_values_are_coerced_to_the_field_type(tmp_path: Path, field: str, value: Any, expected: Any) -> None:
    fragment = stream(tmp_path, "person", {field: "V"}).apply({"V": value})
    assert fragment is not None and fragment.fields[field] == expected


@pytest.mark.parametrize(
    ("entity", "field", "value", "expected"),
    [
        ("account", "created_at", "2024-03-10T01:30:00.123-05:00", "2024-03-10T06:30:00Z"),
        ("account", "last_sign_in", "2024-03-10 06:30:00", "2024-03-10T06:30:00Z"),
        ("account", "licences", "ENTERPRISEPACK", ["ENTERPRISEPACK"]),
        ("account", "tags", {"Owner": "x"}, {"Owner": "x"}),
        ("licence", "consumed_units", "25", 25),
        ("asset", "cost", "1234.50", 1234.5),
    ],
)
def test_other_types(tmp_path: Path, entity: str, field: str, value: Any, expected: Any) -> None:
    fragment = stream(tmp_path, entity, {field: "V"}).apply({"V": value})
    assert fragment is not None and fragment.fields[field] == expected


@pytest.mark.parametrize(
    ("entity", "field", "value", "reason"),
    [
        ("person", "hire_date", "15/01/2024", "text '15/01/2024' is not an ISO date; give its format"),
        (
            "person",
            "status",
            "Active",
            "text 'Active' is not one of pre_hire, active, on_leave, terminated; translate it with switch()",
        ),
        ("person", "title", ["a", "b"], "a text field cannot hold a list; use join() or first()"),
        ("person", "hire_rescinded", "maybe", "needs true/false"),
        ("licence", "consumed_units", "2.5", "needs a whole number, got text '2.5'"),
        ("account", "tags", "Owner=x", "an object field cannot hold text 'Owner=x'"),
    ],
)
def test_a_value_that_does_not_fit_quarantines_the_record(
    tmp_path: Path, entity: str, field: str, value: Any, reason: str
) -> None:
    mapping = stream(tmp_path, entity, {field: "V"})
    with pytest.raises(RecordError) as caught:
        mapping.apply({"V": value, "Payload": "x" * 5000})
    assert caught.value.field == field
    assert caught.value.expression == "V"
    assert reason in caught.value.message
    assert "xxxxx" not in str(caught.value)  # the message names the value, never the whole record


def test_required_field_empty_quarantines_naming_the_field_and_expression(tmp_path: Path) -> None:
    mapping = stream(
        tmp_path, "person", {"employee_id": "trim(Id)", "given_name": "First"}, required=["employee_id"]
    )
    with pytest.raises(RecordError) as caught:
        mapping.apply({"Id": "  ", "First": "Ann"})
    assert (caught.value.field, caught.value.expression) == ("employee_id", "trim(Id)")
    assert "required field is empty" in caught.value.message


def test_eval_error_names_the_field_and_expression(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "person", {"employee_id": "Id", "hire_date": "date(Hired, '%m/%d/%Y')"})
    with pytest.raises(RecordError) as caught:
        mapping.apply({"Id": "E1", "Hired": "2024-01-15"})
    assert caught.value.field == "hire_date"
    assert caught.value.expression == "date(Hired, '%m/%d/%Y')"
    assert caught.value.message == "date(): text '2024-01-15' does not match the format '%m/%d/%Y'"


def test_when_false_returns_none_and_errors_in_when_quarantine(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "person", {"employee_id": "Id"}, when="ne(Type, 'Board_Member')")
    assert mapping.apply({"Id": "E1", "Type": "Board_Member"}) is None
    assert mapping.apply({"Id": "E1", "Type": "Regular"}) == Fragment("person", {"employee_id": "E1"})
    failing = stream(tmp_path, "person", {"employee_id": "Id"}, when="gt(to_int(Grade), 3)")
    with pytest.raises(RecordError) as caught:
        failing.apply({"Id": "E1", "Grade": "senior"})
    assert caught.value.field == "when" and caught.value.expression == "gt(to_int(Grade), 3)"


def test_yaml_scalars_are_literals(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "account", {"system": "'entra'", "enabled": True, "mfa": False, "login": None})
    assert mapping.apply({}) == Fragment("account", {"system": "entra", "enabled": True, "mfa": False})


def test_a_record_that_is_not_an_object_is_quarantined(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "person", {"employee_id": "Id"})
    with pytest.raises(RecordError, match="must be a JSON object"):
        mapping.apply(["E1"])  # type: ignore[arg-type]


def test_fragment_is_frozen() -> None:
    fragment = Fragment("person", {"employee_id": "E1"})
    with pytest.raises(AttributeError):
        fragment.entity = "account"  # type: ignore[misc]


def test_a_switch_to_allowed_values_needs_no_check_but_other_values_still_quarantine(tmp_path: Path) -> None:
    mapping = stream(tmp_path, "person", {
        "status": "switch(S, {'A': 'active', 'T': 'terminated'})",
        "worker_type": "switch(W, {'R': 'employee', 'X': 'Staff'})",
    })  # fmt: skip
    plans = {p.name: p for p in mapping.fields}
    assert plans["status"].coerce is None and plans["worker_type"].coerce is not None
    assert mapping.apply({"S": "A", "W": "R"}) == Fragment(
        "person", {"status": "active", "worker_type": "employee"}
    )
    with pytest.raises(RecordError, match="text 'Staff' is not one of employee, contractor"):
        mapping.apply({"S": "T", "W": "X"})
