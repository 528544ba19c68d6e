"""Helpers for the mapping engine tests: evaluate one expression against one record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.mapping.compiler import compile_expression
from core.mapping.functions import CompileContext

FIXTURES = Path(__file__).parent / "fixtures"


def evaluate_expression(
    expression: str, record: dict[str, Any] | None = None, **lookups: dict[str, Any]
) -> Any:
    compiled = compile_expression(expression, CompileContext(lookups=lookups))
    return compiled.fn(record or {})


@pytest.fixture
def shipped() -> Path:
    return FIXTURES / "shipped"


Evaluate = Callable[..., Any]


@pytest.fixture(name="evaluate")
def evaluate_fixture() -> Evaluate:
    """evaluate(expression, record=None, **lookup_tables) -> value."""
    return evaluate_expression
