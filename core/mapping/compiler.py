"""Compile a parsed expression into nested closures, once, at load.

Every call is checked here (known function, argument count, literal arguments such as regexes,
date formats and lookup table names), and calls whose arguments are all literals are evaluated
now, so a mapping that loads cannot fail for a reason that does not depend on the record.
"""

from __future__ import annotations

from typing import Any

from core.mapping.failures import EvalError, ExpressionError, did_you_mean
from core.mapping.functions import FUNCTIONS, CompileContext, Compiled
from core.mapping.functions.registry import KNOWN_OUTPUTS
from core.mapping.parser import Call, ListExpr, Literal, Node, ObjectExpr, Path, parse
from core.mapping.paths import on_base, path_getter


def compile_expression(text: str, ctx: CompileContext | None = None) -> Compiled:
    """The compiled form of `text`; ExpressionError (with the column) when it is invalid."""
    return _compile(parse(text), ctx or CompileContext())


def _compile(node: Node, ctx: CompileContext) -> Compiled:
    if isinstance(node, Literal):
        return _literal(node.value, node.column)
    if isinstance(node, Path):
        return _path(node, ctx)
    if isinstance(node, ListExpr):
        return _list(node, ctx)
    if isinstance(node, ObjectExpr):
        return _object(node, ctx)
    return _call(node, ctx)


def _literal(value: Any, column: int) -> Compiled:
    return Compiled(lambda record: value, column, const=value)


def _path(node: Path, ctx: CompileContext) -> Compiled:
    if node.base is None:
        shown = _path_text(node.steps)
        key = node.steps[0] if len(node.steps) == 1 and isinstance(node.steps[0], str) else None
        return Compiled(path_getter(node.steps, root_is_dict=True), node.column, reads=(shown,), key=key)
    base = _compile(node.base, ctx)
    if base.is_const:
        from core.mapping.paths import walk

        return _literal(walk(base.const, node.steps), node.column)
    return Compiled(on_base(base.fn, node.steps), node.column, reads=base.reads)


def _path_text(steps: tuple[str | int, ...]) -> str:
    if not steps:
        return "$"
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step.isidentifier():
            out += f".{step}" if out else step
        else:
            out += f".`{step}`" if out else f"`{step}`"
    return out


def _list(node: ListExpr, ctx: CompileContext) -> Compiled:
    items = [_compile(item, ctx) for item in node.items]
    reads = _reads(items)
    if all(i.is_const for i in items):
        return _literal([i.const for i in items], node.column)
    fns = tuple(i.fn for i in items)
    return Compiled(lambda record: [fn(record) for fn in fns], node.column, reads=reads)


def _object(node: ObjectExpr, ctx: CompileContext) -> Compiled:
    keys = [key for key, _ in node.items]
    values = [_compile(value, ctx) for _, value in node.items]
    if all(v.is_const for v in values):
        return _literal({k: v.const for k, v in zip(keys, values, strict=True)}, node.column)
    pairs = tuple((k, v.fn) for k, v in zip(keys, values, strict=True))
    return Compiled(lambda record: {k: fn(record) for k, fn in pairs}, node.column, reads=_reads(values))


def _call(node: Call, ctx: CompileContext) -> Compiled:
    function = FUNCTIONS.get(node.name)
    if function is None:
        raise ExpressionError(
            f"unknown function {node.name!r}{did_you_mean(node.name, FUNCTIONS)}", node.column
        )
    count = len(node.args)
    if count < function.min_args or (function.max_args is not None and count > function.max_args):
        raise ExpressionError(
            f"{function.signature} {_arity(function.min_args, function.max_args)}, got {count}", node.column
        )
    args = [_compile(arg, ctx) for arg in node.args]
    evaluator = function.build(node.name, args, ctx)
    outputs = KNOWN_OUTPUTS.get(evaluator)
    compiled = Compiled(evaluator, node.column, returns=function.returns, reads=_reads(args), outputs=outputs)
    if function.pure and all(a.is_const for a in args):
        try:
            return Compiled(evaluator, node.column, const=evaluator(None), returns=function.returns)
        except EvalError as exc:
            raise ExpressionError(exc.message, node.column) from None
    return compiled


def _arity(least: int, most: int | None) -> str:
    if most is None:
        return f"takes at least {least} argument{'s' if least != 1 else ''}"
    if least == most:
        return f"takes {least} argument{'s' if least != 1 else ''}"
    return f"takes {least} to {most} arguments"


def _reads(items: list[Compiled]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        seen.update(dict.fromkeys(item.reads))
    return tuple(seen)
