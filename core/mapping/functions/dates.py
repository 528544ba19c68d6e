"""Date functions: `date`, `datetime`, `format_date` and `date_add` (see core.mapping.dates)."""

from __future__ import annotations

from datetime import UTC, date, tzinfo
from typing import Any

from core.mapping.dates import add_days, check_format, parse_moment, to_date, to_datetime, zone
from core.mapping.failures import EvalError, ExpressionError
from core.mapping.functions.registry import (
    CompileContext,
    Compiled,
    Evaluator,
    check_type,
    const_arg,
    register,
)
from core.mapping.values import as_int, as_text


def _format(name: str, args: list[Compiled], index: int) -> str | None:
    if len(args) <= index:
        return None
    fmt = const_arg(name, args, index, "format")
    if fmt is None:
        return None
    check_type(name, fmt, str, "format", args[index].column)
    problem = check_format(fmt)
    if problem:
        raise ExpressionError(f"{name}(): bad date format {fmt!r}: {problem}", args[index].column)
    return str(fmt)


def _zone(name: str, args: list[Compiled], index: int) -> tuple[tzinfo | None, Evaluator | None]:
    """A fixed zone checked at load, or an evaluator for a zone read from the record."""
    if len(args) <= index:
        return None, None
    arg = args[index]
    if not arg.is_const:
        return None, arg.fn
    if arg.const is None:
        return None, None
    check_type(name, arg.const, str, "time zone", arg.column)
    try:
        return zone(arg.const), None
    except EvalError as exc:
        raise ExpressionError(f"{name}(): {exc.message}", arg.column) from None


def _record_zone(fn: Evaluator, record: Any, name: str) -> tzinfo | None:
    text = as_text(fn(record), name)
    return zone(text) if text else None


def _build(name: str, args: list[Compiled], fmt_index: int, tz_index: int, render: Any) -> Evaluator:
    fmt = _format(name, args, fmt_index)
    fixed, zone_fn = _zone(name, args, tz_index)
    source = args[0].fn
    if zone_fn is None and fmt is None and fixed is None and render is to_date:
        return _memoised(
            source,
            args[0].key,
            _iso_date_or(lambda value: to_date(parse_moment(value, None, UTC, name), None)),
        )
    if zone_fn is None:
        return _memoised(
            source, args[0].key, lambda value: render(parse_moment(value, fmt, fixed or UTC, name), fixed)
        )

    def evaluate(record: Any) -> Any:
        tz = _record_zone(zone_fn, record, name)
        return render(parse_moment(source(record), fmt, tz or UTC, name), tz)

    return evaluate


_MISS = object()
MEMO_SIZE = 50_000


def _iso_date_or(convert: Any) -> Any:
    """An ISO date in is the same ISO date out (once checked to be a real date)."""

    def fast(value: Any) -> Any:
        if value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                date.fromisoformat(value)
                return value
            except ValueError:
                pass
        return convert(value)

    return fast


def _memoised(source: Evaluator, key: str | None, convert: Any) -> Evaluator:
    """Remember the result per input text: sources repeat the same dates across many records."""
    memo: dict[str, Any] = {}

    def evaluate(record: Any) -> Any:
        value = record.get(key) if key is not None else source(record)
        if value.__class__ is not str:
            return convert(value)
        found = memo.get(value, _MISS)
        if found is _MISS:
            found = convert(value)
            if len(memo) < MEMO_SIZE:
                memo[value] = found
        return found

    return evaluate


@register(
    "date(value, format?, tz?)",
    "ISO date YYYY-MM-DD; a timestamp gives its calendar day as written, or in tz when given",
    returns="date",
)
def _date(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    return _build(name, args, 1, 2, to_date)


@register(
    "datetime(value, format?, tz?)",
    "ISO UTC timestamp YYYY-MM-DDTHH:MM:SSZ; a time without offset is read in tz (default UTC)",
    returns="datetime",
)
def _datetime(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    return _build(name, args, 1, 2, lambda moment, tz: to_datetime(moment))


@register(
    "format_date(value, format, tz?)",
    "render a date or timestamp with a strftime format, in tz when given",
    returns="string",
)
def _format_date(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    out = _format(name, args, 1)
    if out is None:
        raise ExpressionError(f"{name}(): the format must not be null", args[1].column)
    fixed, zone_fn = _zone(name, args, 2)
    source = args[0].fn

    def render(record: Any) -> str | None:
        tz = _record_zone(zone_fn, record, name) if zone_fn is not None else fixed
        moment = parse_moment(source(record), None, tz or UTC, name)
        if moment is None:
            return None
        if tz is not None and hasattr(moment, "astimezone"):
            moment = moment.astimezone(tz)
        return moment.strftime(out)

    return render


@register(
    "date_add(value, days)",
    "the ISO date a number of days after (or before, if negative) a date",
    returns="date",
)
def _date_add(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    source, days_fn = args[0].fn, args[1].fn
    if args[1].is_const:
        check_type(name, args[1].const, int, "number of days", args[1].column)

    def evaluate(record: Any) -> str | None:
        moment = parse_moment(source(record), None, UTC, name)
        days = as_int(days_fn(record), name)
        if moment is None or days is None:
            return None
        if abs(days) > 3_000_000:
            raise EvalError(f"date_add(): {days} days is out of range")
        return to_date(add_days(moment, days), None)

    return evaluate
