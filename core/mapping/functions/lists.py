"""List and object functions for nested and XML-derived records.

A single value counts as a one-item list everywhere (XML turns a list of one into a value). Path
arguments ('Type.Code', 'Emails[0]') are literals, checked at load, and walk only keys and
positions (never attributes).
"""

from __future__ import annotations

from typing import Any

from core.mapping.failures import EvalError, ExpressionError, describe
from core.mapping.functions.registry import (
    CompileContext,
    Compiled,
    Evaluator,
    check_type,
    const_arg,
    eager,
    register,
)
from core.mapping.parser import parse_path
from core.mapping.paths import Getter, path_getter
from core.mapping.values import as_int, as_list, as_text, loose_equal


def _first(items: Any) -> Any:
    values = as_list(items)
    return values[0] if values else None


def _last(items: Any) -> Any:
    values = as_list(items)
    return values[-1] if values else None


def _length(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    raise EvalError(f"length() needs text, a list or an object, got {describe(value)}")


register("first(list)", "the first item (null for an empty list)")(eager(_first))
register("last(list)", "the last item (null for an empty list)")(eager(_last))
register("length(text_or_list)", "number of characters, items or keys", returns="integer")(eager(_length))


def _path(name: str, args: list[Compiled], index: int) -> Getter:
    """A getter for the literal path argument `index`, checked at load."""
    text = const_arg(name, args, index, "path")
    check_type(name, text, str, "path", args[index].column)
    try:
        return path_getter(parse_path(text))
    except ExpressionError as exc:
        raise ExpressionError(f"{name}(): {exc.message}", args[index].column) from None


@register(
    "pluck(list, 'path')", "the value at a path of every item (items without it are left out)", returns="list"
)
def _pluck(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    at, source = _path(name, args, 1), args[0].fn

    def evaluate(record: Any) -> list[Any]:
        found = [at(item) for item in as_list(source(record))]
        return [value for value in found if value is not None]

    return evaluate


@register(
    "filter_eq(list, 'path', value)", "the items whose value at the path equals the value", returns="list"
)
def _filter_eq(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    at, source, wanted = _path(name, args, 1), args[0].fn, args[2].fn

    def evaluate(record: Any) -> list[Any]:
        value = wanted(record)
        return [item for item in as_list(source(record)) if loose_equal(at(item), value)]

    return evaluate


@register("find(list, 'path', value)", "the first item whose value at the path equals the value, or null")
def _find(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    at, source, wanted = _path(name, args, 1), args[0].fn, args[2].fn

    def evaluate(record: Any) -> Any:
        value = wanted(record)
        return next((i for i in as_list(source(record)) if loose_equal(at(i), value)), None)

    return evaluate


@register(
    "to_object(list, 'key_path', 'value_path')",
    "an object from a list of pairs: [{Key: 'Owner', Value: 'x'}] -> {Owner: 'x'}",
    returns="object",
)
def _to_object(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    key_at, value_at, source = _path(name, args, 1), _path(name, args, 2), args[0].fn

    def evaluate(record: Any) -> dict[str, Any] | None:
        items = source(record)
        if items is None:
            return None
        result: dict[str, Any] = {}
        for item in as_list(items):
            key = key_at(item)
            if key is not None and not isinstance(key, list | dict):
                result[as_text(key, name) or ""] = value_at(item)
        return result

    return evaluate


def _keys(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return [str(k) for k in value]
    raise EvalError(f"keys() needs an object, got {describe(value)}")


register("keys(object)", "the keys of an object, in order", returns="list")(eager(_keys))


def _get(container: Any, key: Any) -> Any:
    if container is None or key is None:
        return None
    if isinstance(container, dict):
        text = as_text(key, "get") if not isinstance(key, list | dict) else None
        return container.get(text) if text is not None else None
    if isinstance(container, list | tuple):
        index = as_int(key, "get")
        if index is None or not -len(container) <= index < len(container):
            return None
        return container[index]
    return None


register("get(object, key)", "the value of a key (or a list position) computed at run time; null if absent")(
    eager(_get)
)


@register("values(object)", "the values of an object, in key order", returns="list")
def _values(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    source = args[0].fn

    def evaluate(record: Any) -> list[Any] | None:
        value = source(record)
        if value is None:
            return None
        if isinstance(value, dict):
            return list(value.values())
        raise EvalError(f"values() needs an object, got {describe(value)}")

    return evaluate
