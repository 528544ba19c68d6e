"""The expression grammar: paths, literals, lists, objects, calls; errors carry the column."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.mapping.failures import ExpressionError
from core.mapping.parser import MAX_DEPTH, Call, ListExpr, Literal, ObjectExpr, Path, parse, parse_path

Evaluate = Callable[..., Any]

WORKER = {
    "Worker_ID": "E10001",
    "Name": {"First": "Ann", "Last": "Lee"},
    "Emails": [{"Address": "a@x.gov", "Type": {"Code": "WORK"}}, {"Address": "b@x.gov"}],
    "Job Title": "Clerk",
    "wd:Worker_Type": "Regular",
    "Cost-Center": "CC100",
    "@id": "w1",
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Worker_ID", "E10001"),
        ("Name.First", "Ann"),
        ("Emails[0].Address", "a@x.gov"),
        ("Emails[-1].Address", "b@x.gov"),
        ("Emails[0].Type.Code", "WORK"),
        ("Emails[5].Address", None),
        ("Name['Last']", "Lee"),
        ("`Job Title`", "Clerk"),
        ("wd:Worker_Type", "Regular"),
        ("Cost-Center", "CC100"),
        ("@id", "w1"),
        ("$.Worker_ID", "E10001"),
        ("Missing.Deeper[0].Still", None),
        ("Worker_ID[0]", "E10001"),  # a single value is a one-item list (collapsed XML lists)
        ("Name.First.Nope", None),
    ],
)
def test_paths_read_nested_records(evaluate: Evaluate, expression: str, expected: object) -> None:
    assert evaluate(expression, WORKER) == expected


def test_dollar_is_the_whole_record(evaluate: Evaluate) -> None:
    assert evaluate("$", WORKER) is WORKER


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'text'", "text"),
        ('"double"', "double"),
        (r"'it\'s'", "it's"),
        (r"'\d+'", r"\d+"),  # unknown escapes keep their backslash: regexes read naturally
        ("42", 42),
        ("-3.5", -3.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 'a', null]", [1, "a", None]),
        ("[]", []),
        ("{'a': 1, b: 'x', 3: true}", {"a": 1, "b": "x", "3": True}),
        ("{}", {}),
        ("{'first': Name.First}", {"first": "Ann"}),
        ("split('a b', ' ')[1]", "b"),
        ("{'k': 'v'}.k", "v"),
    ],
)
def test_literals(evaluate: Evaluate, expression: str, expected: object) -> None:
    assert evaluate(expression, WORKER) == expected


def test_syntax_tree_shapes() -> None:
    tree = parse("coalesce(A.B[0], 'x', [1], {'k': 2})")
    assert isinstance(tree, Call) and tree.name == "coalesce"
    path, text, items, obj = tree.args
    assert isinstance(path, Path) and path.steps == ("A", "B", 0)
    assert isinstance(text, Literal) and text.value == "x"
    assert isinstance(items, ListExpr) and isinstance(obj, ObjectExpr)


@pytest.mark.parametrize(
    ("expression", "column", "words"),
    [
        ("", 1, "empty expression"),
        ("trim(Name", 10, "expected ')'"),
        ("trim(Name))", 11, "unexpected ')'"),
        ("'open", 1, "unterminated '-quoted text"),
        ("Name.", 6, "expected a field name"),
        ("Emails[x]", 8, "whole-number index"),
        ("concat(a,,b)", 10, "expected a value"),
        ("a # b", 3, "unexpected character '#'"),
        ("{'a' 1}", 6, "expected ':'"),
        ("{'a': 1, 'a': 2}", 10, "appears twice"),
        ("{[1]: 2}", 2, "expected a key"),
    ],
)
def test_syntax_errors_name_the_column(expression: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(expression)
    assert caught.value.column == column
    assert words in caught.value.message


def test_nesting_is_bounded() -> None:
    deep = "trim(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse(deep)


def test_parse_path_accepts_only_paths() -> None:
    assert parse_path("Type.Code") == ("Type", "Code")
    with pytest.raises(ExpressionError, match="is not a path"):
        parse_path("trim(x)")
