"""Every function of the library, on realistic values: one table row per behaviour.

A function added to the library without a row here fails `test_every_function_is_specified`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.mapping.failures import EvalError
from core.mapping.functions import FUNCTIONS

Evaluate = Callable[..., Any]

WORKER: dict[str, Any] = {
    "Worker_ID": "E10042",
    "First": "  José ",
    "Preferred": "",
    "Last": "NÚÑEZ-O'BRIEN",
    "Blank": "   ",
    "Code": 101,
    "Flag": "Y",
    "Amount": "1234.50",
    "Padded": "0042",
    "Hire_Date": "2024-01-15-06:00",
    "US_Date": "03/01/2019",
    "Bad_Date": "2024-02-30",
    "Last_Login": "2024-03-10T01:30:00-05:00",
    "Local_Time": "2024-07-01 09:00",
    "Epoch_ms": 1705305600000,
    "Ms_Json": "/Date(1705305600000)/",
    "Zone": "America/Chicago",
    "Emails": [
        {"Usage": "HOME", "Address": "jose@home.example"},
        {"Usage": "WORK", "Address": "Jose.Nunez@Agency.example.gov"},
    ],
    "Tags": [
        {"Key": "Owner", "Value": "jose.nunez@agency.example.gov"},
        {"Key": "CostCenter", "Value": "4100"},
    ],
    "Groups": "Finance",  # an XML list of one collapsed into a value
    "Attributes": {"b": 2, "a": 1},
    "Status": "Active",
}

CASES: list[tuple[str, Any]] = [
    # text
    ("lower(Worker_ID)", "e10042"),
    ("upper(Last)", "NÚÑEZ-O'BRIEN"),
    ("trim(First)", "José"),
    ("trim(Missing)", None),
    ("lower(Code)", "101"),
    ("concat(trim(First), ' ', Missing, 'x')", "José x"),
    ("concat(Missing, Missing)", None),
    ("join(['a', null, '', 'b'], ', ')", "a, b"),
    ("join(Groups, ';')", "Finance"),
    ("join([], ';')", None),
    ("split('a;b;;c', ';')", ["a", "b", "", "c"]),
    ("split(Missing, ';')", None),
    ("replace('555-0100', '-', '')", "5550100"),
    (r"regex_extract('CC4100 Finance', '^CC(\d+)', 1)", "4100"),
    (r"regex_extract('CC4100 Finance', 'CC(?P<cc>\d+)', 'cc')", "4100"),
    (r"regex_extract('CC4100', '\d+')", "4100"),
    (r"regex_extract('none', '\d+')", None),
    (r"regex_match(Worker_ID, '^E\d{5}$')", True),
    (r"regex_match(Missing, '.*')", False),
    (r"regex_replace('(555) 010-0100', '\D', '')", "5550100100"),
    (r"regex_replace('Lee, Ann', '(\w+), (\w+)', '\2 \1')", "Ann Lee"),
    ("ascii('José Núñez Łukasz Straße Øyvind')", "Jose Nunez Lukasz Strasse Oyvind"),
    ("title_case(\"MARY-JANE O'NEIL it's\")", "Mary-Jane O'Neil It's"),
    ("substring('E10042', 1)", "10042"),
    ("substring('E10042', 0, 1)", "E"),
    ("substring('E10042', -2)", "42"),
    ("pad_left('42', 5)", "00042"),
    ("pad_left(42, 4, ' ')", "  42"),
    ("starts_with(Worker_ID, 'E1')", True),
    ("ends_with(Worker_ID, '43')", False),
    ("contains('Finance Dept', 'Dept')", True),
    ("contains(['a', 'b'], 'b')", True),
    ("contains(Missing, 'b')", False),
    # logic
    ("coalesce(Preferred, Blank, trim(First))", "José"),
    ("coalesce(Missing, null)", None),
    ("coalesce(Worker_ID, to_int(Status))", "E10042"),  # a fallback that would fail is not evaluated
    ("default(Missing, 'n/a')", "n/a"),
    ("default(Worker_ID, 'n/a')", "E10042"),
    ("if(eq(Flag, 'Y'), 'yes', 'no')", "yes"),
    ("if(Missing, 'yes')", None),
    ("if(Missing, to_int(Status), 'safe')", "safe"),  # the branch not taken is not evaluated
    ("eq(Code, '101')", True),
    ("eq('TRUE', true)", True),
    ("eq(Missing, null)", True),
    ("ne(Status, 'Terminated')", True),
    ("in(Status, ['Active', 'On Leave'])", True),
    ("in(Code, [101, 102])", True),
    ("in(Missing, ['a'])", False),
    ("in('b', split('a,b', ','))", True),
    ("not(Missing)", True),
    ("not('x')", False),
    ("and(Worker_ID, eq(Status, 'Active'))", True),
    ("and(Worker_ID, Missing)", False),
    ("or(Missing, Blank, 0, Status)", True),
    ("is_null(Blank)", True),
    ("is_null([])", True),
    ("is_null(0)", False),
    ("gt(Amount, 1000)", True),
    ("ge('2024-01-15', '2024-01-15')", True),
    ("lt(date(Hire_Date), '2024-02-01')", True),
    ("le(Missing, 1)", False),
    ("switch(Status, {'Active': 'active', 'Terminated': 'terminated'})", "active"),
    ("switch('Retired', {'Active': 'active'}, 'terminated')", "terminated"),
    ("switch('Retired', {'Active': 'active'})", None),
    ("switch(Code, {'101': 'Main Street'})", "Main Street"),
    ("switch(Missing, {'Active': 'active'}, Status)", "Active"),
    ("lookup('sites', Code)", "Main Street"),
    ("lookup('sites', 'nope', 'Unknown')", "Unknown"),
    ("lookup('sites', 'nope')", None),
    ("switch(' active ', {'Active': 'active'})", "active"),
    ("switch('ACTIVE', {'Active': 'active', 'ACTIVE': 'shouting'})", "shouting"),
    ("switch('active', {'Active': 'a', 'ACTIVE': 'b'})", None),
    ("lookup('sites', 'hq')", "Headquarters"),
    # dates
    ("date(Hire_Date)", "2024-01-15"),
    ("date('2024-01-15')", "2024-01-15"),
    ("date(US_Date, '%m/%d/%Y')", "2019-03-01"),
    ("date(Last_Login)", "2024-03-10"),
    ("date(Last_Login, null, 'UTC')", "2024-03-10"),
    ("date('2024-03-10T03:30:00Z', null, 'America/Chicago')", "2024-03-09"),
    ("date(Epoch_ms)", "2024-01-15"),
    ("date(Ms_Json)", "2024-01-15"),
    ("date(Missing)", None),
    ("date(Blank)", None),
    ("datetime(Last_Login)", "2024-03-10T06:30:00Z"),
    ("datetime(Local_Time, '%Y-%m-%d %H:%M', 'America/Chicago')", "2024-07-01T14:00:00Z"),
    ("datetime(Local_Time, '%Y-%m-%d %H:%M', Zone)", "2024-07-01T14:00:00Z"),
    ("datetime('2024-01-15')", "2024-01-15T00:00:00Z"),
    ("datetime(1705305600)", "2024-01-15T08:00:00Z"),
    ("format_date(Hire_Date, '%m/%d/%Y')", "01/15/2024"),
    ("format_date(Last_Login, '%Y-%m-%d %H:%M', 'America/Chicago')", "2024-03-10 00:30"),
    ("format_date(Missing, '%Y')", None),
    ("date_add(Hire_Date, 30)", "2024-02-14"),
    ("date_add('2024-03-01', -1)", "2024-02-29"),
    ("date_add(Missing, 1)", None),
    # conversions
    ("to_int(Padded)", 42),
    ("to_int('12.0')", 12),
    ("to_int(Blank)", None),
    ("to_number(Amount)", 1234.5),
    ("to_number('7')", 7),
    ("to_bool(Flag)", True),
    ("to_bool('Disabled')", False),
    ("to_bool(0)", False),
    ("to_bool(Missing)", None),
    ("to_text(42)", "42"),
    ("to_text(12.0)", "12"),
    ("to_text(true)", "true"),
    # lists and objects
    ("first(Emails).Usage", "HOME"),
    ("first(Groups)", "Finance"),
    ("first([])", None),
    ("last(Emails).Usage", "WORK"),
    ("length(Emails)", 2),
    ("length(Worker_ID)", 6),
    ("length(Missing)", None),
    ("pluck(Emails, 'Address')", ["jose@home.example", "Jose.Nunez@Agency.example.gov"]),
    ("pluck(Emails, 'Nope')", []),
    ("filter_eq(Emails, 'Usage', 'WORK')[0].Address", "Jose.Nunez@Agency.example.gov"),
    ("filter_eq(Missing, 'Usage', 'WORK')", []),
    ("find(Emails, 'Usage', 'WORK').Address", "Jose.Nunez@Agency.example.gov"),
    ("find(Emails, 'Usage', 'FAX')", None),
    ("to_object(Tags, 'Key', 'Value')", {"Owner": "jose.nunez@agency.example.gov", "CostCenter": "4100"}),
    ("to_object(Tags, 'Key', 'Value').Owner", "jose.nunez@agency.example.gov"),
    ("to_object(Missing, 'Key', 'Value')", None),
    ("keys(Attributes)", ["b", "a"]),
    ("values(Attributes)", [2, 1]),
    ("get(Attributes, 'a')", 1),
    ("get(Emails, 1).Usage", "WORK"),
    ("get(to_object(Tags, 'Key', 'Value'), concat('Cost', 'Center'))", "4100"),
    ("get(Attributes, Missing)", None),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_function(evaluate: Evaluate, expression: str, expected: Any) -> None:
    assert evaluate(expression, WORKER, sites={"101": "Main Street", "HQ": "Headquarters"}) == expected


def test_every_function_is_specified() -> None:
    specified = {name for name in FUNCTIONS if any(f"{name}(" in expression for expression, _ in CASES)}
    assert sorted(set(FUNCTIONS) - specified) == []


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lower(Emails)", "lower() needs text, got list"),
        ("date(US_Date)", "date(): text '03/01/2019' is not an ISO date; give its format"),
        ("date(Bad_Date)", "date(): text '2024-02-30' is not a real date"),
        ("date(Worker_ID, '%Y-%m-%d')", "date(): text 'E10042' does not match the format '%Y-%m-%d'"),
        ("datetime(Local_Time, '%Y-%m-%d %H:%M', Worker_ID)", "unknown time zone 'E10042'"),
        ("to_int(Amount)", "to_int() needs a whole number, got text '1234.50'"),
        ("to_number(Worker_ID)", "to_number() needs a number, got text 'E10042'"),
        ("to_bool(Worker_ID)", "to_bool() needs true/false"),
        ("to_text(Emails)", "use join() for a list"),
        ("keys(Emails)", "keys() needs an object, got list"),
        ("values(Worker_ID)", "values() needs an object"),
        ("length(Code)", "length() needs text, a list or an object, got number 101"),
        ("split(Worker_ID, Missing)", "split(): the separator is empty"),
        ("replace(Worker_ID, '', 'x')", "replace(): the text to find is empty"),
        ("pad_left(Worker_ID, 2, 'ab')", "the fill must be one character"),
        ("substring(Worker_ID, 0, -1)", "the length is negative"),
        ("gt(Worker_ID, 5)", "gt() needs a number, got text 'E10042'"),
        ("date_add(Hire_Date, Worker_ID)", "date_add() needs a whole number"),
        ("coalesce(Missing, to_int(Status))", "to_int() needs a whole number, got text 'Active'"),
    ],
)
def test_values_that_cannot_be_mapped_raise_eval_errors(
    evaluate: Evaluate, expression: str, message: str
) -> None:
    with pytest.raises(EvalError) as caught:
        evaluate(expression, WORKER)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "expression", ["lower(Huge)", "to_bool(Huge)", "date(Huge)", "to_text(Huge)", "switch(Huge, {})"]
)
def test_integers_too_long_for_text_are_eval_errors(evaluate: Evaluate, expression: str) -> None:
    try:
        evaluate(expression, {"Huge": 10**5000})
    except EvalError as exc:
        assert "too long" in exc.message or "4300 digits" in exc.message
