"""Conditions, fallbacks and tables: coalesce, default, if, comparisons, switch and lookup.

`coalesce`, `default`, `if`, `and` and `or` evaluate their arguments lazily (a fallback that
would fail is never reached when an earlier value is present). "Empty" and "true" follow
`core.mapping.values`: null, blank text and an empty list are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.mapping.failures import ExpressionError, did_you_mean
from core.mapping.functions.registry import (
    CompileContext,
    Compiled,
    Evaluator,
    check_type,
    const_arg,
    declare_outputs,
    eager,
    register,
)
from core.mapping.values import as_number, as_text, is_missing, loose_equal, truthy


@register("coalesce(value, ...)", "the first value that is not empty (null, blank text, empty list)")
def _coalesce(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    fns = tuple(a.fn for a in args)
    if len(fns) == 2:
        return _coalesce_pair(args[0], args[1].fn)

    def evaluate(record: Any) -> Any:
        for fn in fns:
            value = fn(record)
            if not is_missing(value):
                return value
        return None

    return evaluate


def _coalesce_pair(first: Compiled, second: Evaluator) -> Evaluator:
    """The common two-value coalesce, reading a record key inline when the first value is one."""
    key, read = first.key, first.fn
    if key is not None:

        def from_key(record: Any) -> Any:
            value = record.get(key)
            if value.__class__ is str:
                if value and not value.isspace():
                    return value
            elif value is not None and not is_missing(value):
                return value
            return _or_none(second(record))

        return from_key

    def pair(record: Any) -> Any:
        value = read(record)
        if value.__class__ is str:
            if value and not value.isspace():
                return value
        elif value is not None and not is_missing(value):
            return value
        return _or_none(second(record))

    return pair


def _or_none(value: Any) -> Any:
    return None if is_missing(value) else value


@register("default(value, fallback)", "the value, or the fallback when the value is empty")
def _default(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    return _coalesce(name, args, ctx)


@register("if(condition, then, else?)", "then when the condition is true, else otherwise (null if no else)")
def _if(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    cond, then = args[0].fn, args[1].fn
    otherwise = args[2].fn if len(args) > 2 else None

    def evaluate(record: Any) -> Any:
        if truthy(cond(record)):
            return then(record)
        return otherwise(record) if otherwise is not None else None

    return evaluate


@register("and(condition, ...)", "true if every condition is true", returns="boolean")
def _and(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    fns = tuple(a.fn for a in args)
    return lambda record: all(truthy(fn(record)) for fn in fns)


@register("or(condition, ...)", "true if any condition is true", returns="boolean")
def _or(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    fns = tuple(a.fn for a in args)
    return lambda record: any(truthy(fn(record)) for fn in fns)


register("not(condition)", "true if the condition is false", returns="boolean")(
    eager(lambda v: not truthy(v))
)
register("is_null(value)", "true if the value is empty (null, blank text, empty list)", returns="boolean")(
    eager(is_missing)
)
register("eq(a, b)", "true if equal ('1' equals 1, 'TRUE' equals true)", returns="boolean")(
    eager(loose_equal)
)
register("ne(a, b)", "true if not equal", returns="boolean")(eager(lambda a, b: not loose_equal(a, b)))


@register("in(value, list)", "true if the value equals an item of the list", returns="boolean")
def _in(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    value, options = args[0].fn, args[1]
    if options.is_const:
        check_type(name, options.const, list, "list of values", options.column)
        items = tuple(options.const)
        texts = frozenset(t for t in (_key_text(i) for i in items) if t is not None)
        return lambda record: _key_text(value(record)) in texts
    items_fn = options.fn

    def evaluate(record: Any) -> bool:
        found = value(record)
        candidates = items_fn(record)
        if not isinstance(candidates, list):
            candidates = [] if candidates is None else [candidates]
        return any(loose_equal(found, c) for c in candidates)

    return evaluate


def _key_text(value: Any) -> str | None:
    """The text a table or `in` list is matched on; lists and objects never match."""
    if isinstance(value, list | tuple | dict):
        return None
    return as_text(value, "in")


def _compare(name: str, test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def impl(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        if isinstance(left, str) and isinstance(right, str):
            return test(left, right)
        return test(as_number(left, name), as_number(right, name))

    return impl


for _name, _test, _words in (
    ("gt", lambda a, b: a > b, "greater than"),
    ("ge", lambda a, b: a >= b, "greater than or equal to"),
    ("lt", lambda a, b: a < b, "less than"),
    ("le", lambda a, b: a <= b, "less than or equal to"),
):
    register(
        f"{_name}(a, b)",
        f"true if a is {_words} b (numbers by value, text such as ISO dates in order; null is false)",
        returns="boolean",
    )(eager(_compare(_name, _test)))


@register(
    "switch(value, {table}, default?)",
    "the table entry for the value (matched as text, then ignoring case and surrounding spaces); "
    "the default (or null) when there is none",
)
def _switch(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    table = const_arg(name, args, 1, "table")
    check_type(name, table, dict, "table", args[1].column)
    return _table_lookup(args[0], table, args[2] if len(args) > 2 else None)


@register(
    "lookup('table', key, default?)",
    "the value of a lookup table of the mapping file for the key (matched as text, then ignoring case "
    "and surrounding spaces)",
)
def _lookup(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    table_name = const_arg(name, args, 0, "table name")
    check_type(name, table_name, str, "table name", args[0].column)
    table = ctx.lookups.get(table_name)
    if table is None:
        known = ", ".join(sorted(ctx.lookups)) or "none"
        hint = did_you_mean(table_name, ctx.lookups)
        raise ExpressionError(f"unknown lookup table {table_name!r}{hint}; tables: {known}", args[0].column)
    return _table_lookup(args[1], table, args[2] if len(args) > 2 else None)


def _table_lookup(key_arg: Compiled, table: dict[str, Any] | Any, default: Compiled | None) -> Evaluator:
    entries = {str(k): v for k, v in table.items()}
    evaluator = _table_evaluator(key_arg, entries, default)
    if default is None or default.is_const:
        declare_outputs(evaluator, [*entries.values(), None if default is None else default.const])
    return evaluator


def _table_evaluator(key_arg: Compiled, entries: dict[str, Any], default: Compiled | None) -> Evaluator:
    key_fn, record_key = key_arg.fn, key_arg.key
    get = _getter(entries)
    if default is None and record_key is not None:

        def from_key(record: Any) -> Any:
            return get(record.get(record_key))

        return from_key
    if default is None:
        return lambda record: get(key_fn(record))
    if default.is_const:
        fallback = default.const

        def with_literal_default(record: Any) -> Any:
            found = get(key_fn(record))
            return fallback if found is None else found

        return with_literal_default
    default_fn = default.fn

    def with_default(record: Any) -> Any:
        found = get(key_fn(record))
        return default_fn(record) if found is None else found

    return with_default


def _getter(entries: dict[str, Any]) -> Callable[[Any], Any]:
    """Exact text match first; on a miss, the one entry equal ignoring case and surrounding
    spaces ("fin " finds "FIN"). Keys that differ only that way are never guessed between."""
    folded: dict[str, Any] = {}
    clashing: set[str] = set()
    for key, value in entries.items():
        fold = key.strip().casefold()
        if fold in folded and folded[fold] != value:
            clashing.add(fold)
        folded[fold] = value
    for fold in clashing:
        del folded[fold]

    def get(key: Any) -> Any:
        text = key if key.__class__ is str else _key_text(key)
        if text is None:
            return None
        found = entries.get(text)
        if found is None and folded:
            found = folded.get(text.strip().casefold())
        return found

    return get
