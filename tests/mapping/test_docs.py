"""docs/mapping.md is a specification: every function has an example there, and every example
gives the result the page says, on the page's own sample record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.mapping.compiler import compile_expression
from core.mapping.functions import FUNCTIONS, CompileContext

DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"
TEXT = DOC.read_text(encoding="utf-8")
SECTION = TEXT.split("## Functions", 1)[1].split("## Lookup tables", 1)[0]
ROW = re.compile(r"^\| (`[^|]*`)? *\|[^|]*\| `(?P<example>[^|]*)` \| `(?P<result>[^|]*)` \|$", re.MULTILINE)
EXAMPLES = [(m.group("example"), m.group("result")) for m in ROW.finditer(SECTION)]


def _sample_record() -> dict[str, Any]:
    block = SECTION.split("```json", 1)[1].split("```", 1)[0]
    return dict(json.loads(block))


def test_every_function_is_documented_with_an_example() -> None:
    documented = set(re.findall(r"^\| `(\w+)\(", SECTION, re.MULTILINE))
    assert sorted(set(FUNCTIONS) - documented) == []
    assert len(EXAMPLES) >= len(FUNCTIONS)


@pytest.mark.parametrize(("example", "result"), EXAMPLES)
def test_documented_example(example: str, result: str) -> None:
    compiled = compile_expression(example, CompileContext(lookups={"sites": {"101": "Main Street"}}))
    assert compiled.fn(_sample_record()) == json.loads(result)
