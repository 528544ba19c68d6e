"""Conversions between JSON types: to_int, to_number, to_bool, to_text.

Blank text converts to null (a source's empty cell means "no value", not zero or false).
"""

from __future__ import annotations

from typing import Any

from core.mapping.failures import EvalError, describe
from core.mapping.functions.registry import eager, register
from core.mapping.values import as_int, as_number, as_text

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on", "enabled", "active"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off", "disabled", "inactive"})


def to_bool(value: Any, function: str = "to_bool") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise EvalError(f"{function}() needs true/false, yes/no, 1/0 or on/off, got {describe(value)}")


register("to_int(value)", "a whole number from a number or text ('0042' -> 42)", returns="integer")(
    eager(lambda v: as_int(v, "to_int"))
)
register("to_number(value)", "a number from a number or text ('12.50' -> 12.5)", returns="number")(
    eager(lambda v: as_number(v, "to_number"))
)
register(
    "to_bool(value)",
    "true/false from true/false, yes/no, y/n, 1/0, on/off, enabled/disabled",
    returns="boolean",
)(eager(to_bool))


def _to_text(value: Any) -> str | None:
    if isinstance(value, list | tuple | dict):
        raise EvalError(f"to_text() needs a single value, got {describe(value)}; use join() for a list")
    return as_text(value, "to_text")


register("to_text(value)", "text of a number or boolean (42 -> '42', true -> 'true')", returns="string")(
    eager(_to_text)
)
