"""Coerce an expression's value to the canonical field's type (core/model.py).

Promises: text fields hold text or null (blank text becomes null); dates are ISO `YYYY-MM-DD`;
timestamps ISO UTC `YYYY-MM-DDTHH:MM:SSZ`; booleans, integers and numbers hold JSON values of
that type; list fields hold lists (one value becomes a one-item list); a field with an enum
holds one of its values. Anything else is an `EvalError` naming the value and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from typing import Any

from core.mapping.dates import parse_moment, to_date, to_datetime
from core.mapping.failures import EvalError, describe
from core.mapping.functions.convert import to_bool
from core.mapping.values import as_int, as_number, as_text
from core.model import FieldSpec

Coercer = Callable[[Any], Any]


def text_field(value: Any) -> str | None:
    if value.__class__ is str:
        return value if value and not value.isspace() else None
    if value is None:
        return None
    if isinstance(value, list | tuple | dict):
        raise EvalError(f"a text field cannot hold a {describe(value)}; use join() or first()")
    return as_text(value, "text field")


def _date(value: Any) -> str | None:
    if value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    return to_date(parse_moment(value, None, UTC, "date"), None)


def _datetime(value: Any) -> str | None:
    if value is None:
        return None
    return to_datetime(parse_moment(value, None, UTC, "datetime"))


def _boolean(value: Any) -> bool | None:
    return value if value is None or value.__class__ is bool else to_bool(value, "boolean field")


def _integer(value: Any) -> int | None:
    return as_int(value, "integer field")


def _number(value: Any) -> int | float | None:
    return as_number(value, "number field")


def _list(value: Any) -> list[Any] | None:
    if value is None or isinstance(value, list):
        return value
    return list(value) if isinstance(value, tuple) else [value]


def _object(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise EvalError(f"an object field cannot hold {describe(value)}; use to_object() or {{'key': value}}")


_BY_TYPE: dict[str, Coercer] = {
    "string": text_field,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
    "integer": _integer,
    "number": _number,
    "list": _list,
    "object": _object,
}

#: expression result types (functions' `returns`) that already hold the field type's form
_ALREADY = {
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "integer": "integer",
    "list": "list",
}


def coercer_for(
    spec: FieldSpec, returns: str | None, outputs: frozenset[Any] | None = None
) -> Coercer | None:
    """The coercion for a field, or None when the expression already yields its canonical form."""
    if spec.enum is not None:
        if outputs is not None and all(o is None or (o.__class__ is str and o in spec.enum) for o in outputs):
            return None  # e.g. a switch whose every result is an allowed value
        return _enum(spec, _BY_TYPE[spec.type])
    if returns is not None and _ALREADY.get(returns) == spec.type:
        return None
    return _BY_TYPE[spec.type]


def _enum(spec: FieldSpec, base: Coercer) -> Coercer:
    allowed = frozenset(spec.enum or ())
    listed = ", ".join(spec.enum or ())

    def coerce(value: Any) -> Any:
        value = base(value)
        if value is None or value in allowed:
            return value
        raise EvalError(f"{describe(value)} is not one of {listed}; translate it with switch() or lookup()")

    return coerce
