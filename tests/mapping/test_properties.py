"""Property tests: no text and no record can make the engine fail other than by saying why.

- parsing or compiling any text gives a compiled expression or an ExpressionError;
- evaluating any compiled expression on any JSON record gives a value or an EvalError;
- `StreamMapping.apply` on any record gives a Fragment, None, or a RecordError;
- a path only ever returns the record itself or a value inside it (never a Python attribute).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import RecordError
from core.mapping import Fragment, load_mappings
from core.mapping.compiler import compile_expression
from core.mapping.failures import EvalError, ExpressionError
from core.mapping.functions import FUNCTIONS, CompileContext
from core.mapping.parser import parse

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = [
    "A",
    "B",
    "Emails",
    "Address",
    "Usage",
    "__class__",
    "__dict__",
    "get",
    "keys",
    "Hire_Date",
    "Worker_ID",
]
SETTINGS = settings(
    max_examples=int(os.environ.get("MAPPING_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 1705305600000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["2024-01-15", "2024-02-30", "01/15/2024", "/Date(1705305600000)/", " ", "Y", "12.5", "-0"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=5)), children, max_size=5),
    ),
    max_leaves=20,
)
records = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=8)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


paths = st.builds(
    lambda head, steps: head + "".join(steps),
    st.sampled_from([*NAMES, "$", "`odd name`"]),
    st.lists(
        st.one_of(st.sampled_from(NAMES).map(lambda n: "." + n), st.integers(-3, 3).map(lambda i: f"[{i}]")),
        max_size=3,
    ),
)
literals = st.one_of(
    st.text(max_size=12).map(_quote),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(
        ["true", "false", "null", "1.5", "[]", "{}", "'%Y-%m-%d'", "'(\\d+)'", "'America/Chicago'", "'Key'"]
    ),
)


def _call(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


expressions = st.recursive(
    st.one_of(paths, literals),
    lambda inner: st.one_of(
        st.builds(_call, st.sampled_from([*sorted(FUNCTIONS), "nope"]), st.lists(inner, max_size=4)),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(NAMES), inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{_quote(k)}: {v}" for k, v in dict(pairs).items()) + "}"
        ),
    ),
    max_leaves=12,
)
WORKERS = load_mappings(FIXTURES / "shipped", []).for_stream("workday", "workers")
LOOKUPS = CompileContext(lookups={"sites": {"101": "Main Street"}})


@SETTINGS
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as exc:
        assert exc.column is None or 1 <= exc.column <= len(text) + 1


@SETTINGS
@given(expressions, records)
def test_any_expression_on_any_record_gives_a_value_or_eval_error(
    expression: str, record: dict[str, Any]
) -> None:
    try:
        compiled = compile_expression(expression, LOOKUPS)
    except ExpressionError:
        return
    try:
        compiled.fn(record)
    except EvalError as exc:
        assert exc.message


def _inside(record: Any) -> list[Any]:
    found, stack = [], [record]
    while stack:
        value = stack.pop()
        found.append(value)
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


@SETTINGS
@given(paths, records)
def test_paths_only_reach_values_inside_the_record(path: str, record: dict[str, Any]) -> None:
    value = compile_expression(path).fn(record)
    assert value is None or any(value is inner for inner in _inside(record))


@SETTINGS
@given(records.map(lambda r: {**r, "Worker_ID": r.get("A"), "Legal_First_Name": r.get("B")}))
def test_apply_gives_a_fragment_none_or_record_error(record: dict[str, Any]) -> None:
    assert WORKERS is not None
    try:
        result = WORKERS.apply(record)
    except RecordError as exc:
        assert exc.field and exc.message
        assert "internal error" not in exc.message
        return
    assert result is None or isinstance(result, Fragment)
