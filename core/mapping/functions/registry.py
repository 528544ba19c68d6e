"""The function library's registry: every function is declared once with its arity and builder.

A builder receives the already compiled arguments and returns the evaluator (a plain closure of
record -> value; the record is always a dict, `StreamMapping.apply` checks it). Builders see which arguments are literals, so they can check and prepare them
once at load (compile a regex, check a date format, find a lookup table) and fail with an
`ExpressionError` pointing at the argument.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.mapping.failures import EvalError, ExpressionError

Evaluator = Callable[[Any], Any]


class _NotConst:
    def __repr__(self) -> str:
        return "<not constant>"


NOT_CONST: Any = _NotConst()


@dataclass(frozen=True)
class Compiled:
    """One compiled (sub)expression: its evaluator, and its value when it is a literal."""

    fn: Evaluator
    column: int
    const: Any = NOT_CONST
    returns: str | None = None
    reads: tuple[str, ...] = ()
    #: every value the expression can give, when known at load (None = not known)
    outputs: frozenset[Any] | None = None
    #: the record key when the expression is just a top-level field (`Worker_ID`): builders read it inline
    key: str | None = None

    @property
    def is_const(self) -> bool:
        return self.const is not NOT_CONST


@dataclass
class CompileContext:
    """What builders may consult at load: the lookup tables of the mapping file."""

    lookups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


Builder = Callable[[str, list[Compiled], CompileContext], Evaluator]

#: evaluators whose every possible result is known at load (a switch or lookup over literals), so
#: a field with allowed values needs no check per record when all of them are allowed
KNOWN_OUTPUTS: weakref.WeakKeyDictionary[Evaluator, frozenset[Any]] = weakref.WeakKeyDictionary()


def declare_outputs(evaluator: Evaluator, values: Any) -> Evaluator:
    """Record the possible results of `evaluator` when they are all single hashable values."""
    with contextlib.suppress(TypeError):  # a list or object among them: not known
        KNOWN_OUTPUTS[evaluator] = frozenset(values)
    return evaluator


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int | None
    build: Builder
    signature: str
    summary: str
    returns: str | None = None
    #: evaluating with only literal arguments gives a literal (no record, no clock)
    pure: bool = True


FUNCTIONS: dict[str, Function] = {}


def register(
    signature: str, summary: str, *, returns: str | None = None, pure: bool = True
) -> Callable[[Builder], Builder]:
    """Declare a function from its signature text, e.g. `regex_extract(text, pattern, group?)`."""
    name, _, rest = signature.partition("(")
    params = [p.strip() for p in rest.rstrip(")").split(",") if p.strip()]
    variadic = any(p.endswith("...") for p in params)
    required = sum(1 for p in params if not p.endswith("?") and not p.endswith("..."))
    maximum = None if variadic else len(params)

    def decorate(build: Builder) -> Builder:
        FUNCTIONS[name] = Function(name, required, maximum, build, signature, summary, returns, pure)
        return build

    return decorate


def eager(impl: Callable[..., Any]) -> Builder:
    """A builder for a function that needs the values of all its arguments (most of them)."""

    def build(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
        fns = [a.fn for a in args]
        if len(fns) == 1:
            (a,) = fns
            key = args[0].key
            if key is not None:
                return lambda record: impl(record.get(key))
            return lambda record: impl(a(record))
        if len(fns) == 2:
            a, b = fns
            if args[1].is_const:  # eq(Status, 'Active'): the literal is passed, not called
                literal, key = args[1].const, args[0].key
                if key is not None:
                    return lambda record: impl(record.get(key), literal)
                return lambda record: impl(a(record), literal)
            return lambda record: impl(a(record), b(record))
        if len(fns) == 3:
            a, b, c = fns
            return lambda record: impl(a(record), b(record), c(record))
        return lambda record: impl(*[f(record) for f in fns])

    return build


def const_arg(name: str, args: list[Compiled], index: int, what: str) -> Any:
    """The literal value of argument `index`; ExpressionError when it is computed from the record."""
    arg = args[index]
    if not arg.is_const:
        raise ExpressionError(f"{name}(): the {what} must be a literal (written in the mapping)", arg.column)
    return arg.const


def optional_const(name: str, args: list[Compiled], index: int, what: str) -> Any:
    return const_arg(name, args, index, what) if len(args) > index else None


def check_type(name: str, value: Any, kinds: type | tuple[type, ...], what: str, column: int) -> None:
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise ExpressionError(f"{name}(): the {what} must be {_kinds(kinds)}, got {value!r}", column)


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kinds(kinds: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", dict: "an object { }", list: "a list [ ]"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kinds))


__all__ = ["NOT_CONST", "CompileContext", "Compiled", "EvalError", "Evaluator", "Function", "register"]
