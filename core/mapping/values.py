"""How the expression language sees JSON values: emptiness, truth, text and numbers.

One definition of each, shared by every function, so `coalesce`, `is_null`, `required` and `if`
agree on what "no value" and "true" mean:

- *missing*: null, text that is empty or only whitespace, or an empty list.
- *truthy*: anything but null, false, 0, empty text, an empty list or an empty object.
"""

from __future__ import annotations

import math
from typing import Any

from core.mapping.failures import EvalError, describe


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if value.__class__ is str:
        return not value or value.isspace()
    return isinstance(value, list | tuple) and not value


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value) and not value.isspace()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def as_text(value: Any, function: str) -> str | None:
    """Text of a scalar (numbers without a trailing `.0`, booleans as true/false); null stays null."""
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:
            raise EvalError(f"{function}(): a number of more than 4300 digits cannot be text") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, str):
        return str(value)
    raise EvalError(f"{function}() needs text, got {describe(value)}")


def as_list(value: Any) -> list[Any]:
    """A list for list functions: null is empty, one value is a one-item list (collapsed XML lists)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def as_int(value: Any, function: str) -> int | None:
    """A whole number from a number or numeric text; null or blank text is null."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise EvalError(f"{function}() needs a whole number, got {describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise EvalError(f"{function}() needs a whole number, got {describe(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number.is_integer():
            return int(number)
    raise EvalError(f"{function}() needs a whole number, got {describe(value)}")


def as_number(value: Any, function: str) -> int | float | None:
    """An int or float from a number or numeric text; NaN and infinity are refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise EvalError(f"{function}() needs a number, got {describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise EvalError(f"{function}() needs a finite number, got {describe(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise EvalError(f"{function}() needs a number, got {describe(value)}") from None
        if math.isfinite(number):
            return number
    raise EvalError(f"{function}() needs a number, got {describe(value)}")


def loose_equal(left: Any, right: Any) -> bool:
    """Equality where a number or boolean equals its text form ('1' == 1, 'TRUE' == true)."""
    if left.__class__ is right.__class__:
        return bool(left == right)
    if isinstance(left, str) and not isinstance(right, str):
        left, right = right, left
    if isinstance(right, str) and isinstance(left, bool):
        return right.strip().lower() == ("true" if left else "false")
    if isinstance(right, str) and isinstance(left, int | float):
        try:
            return float(right.strip()) == left
        except ValueError:
            return False
    if isinstance(left, int | float) and isinstance(right, int | float):
        return not isinstance(left, bool) and not isinstance(right, bool) and left == right
    return bool(left == right) if not isinstance(left, str | bool) else False
