"""Parsing dates and timestamps from what sources send, and rendering them canonically.

Canonical dates are ISO `YYYY-MM-DD`; canonical timestamps are ISO 8601 UTC with seconds,
`YYYY-MM-DDTHH:MM:SSZ`. Without a format, parsing accepts ISO 8601 (with `Z` or an offset), the
XML Schema date with an offset that Workday sends (`2024-01-15-08:00`), Microsoft JSON dates
(`/Date(1705305600000)/`) and Unix epoch numbers (seconds, or milliseconds above 10^11). A format
is a Python `strptime` pattern (`%m/%d/%Y`). A time without an offset is read in `tz` (default UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.mapping.failures import EvalError, describe

_DATE_WITH_OFFSET = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:?\d{2})")
_MS_JSON = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_MIN_EPOCH_MS = 10**11


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """The IANA zone `name`; EvalError when unknown (callers at load turn it into ExpressionError)."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise EvalError(f"unknown time zone {name!r} (use an IANA name such as 'America/Chicago')") from None


def check_format(fmt: str) -> str | None:
    """Why `fmt` is not a usable strptime format, or None when it is."""
    if "%" not in fmt:
        return "a date format needs % directives, e.g. '%m/%d/%Y'"
    for match in re.finditer(r"%(.?)", fmt):
        if match.group(1) not in _DIRECTIVES:
            return f"unknown directive %{match.group(1)} (known: %Y %m %d %H %M %S %f %z %b %p ...)"
    return None


def parse_moment(value: Any, fmt: str | None, tz: tzinfo, function: str) -> datetime | date | None:
    """A date (no time in the input) or an aware datetime; null for null or blank text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise EvalError(f"{function}() needs a date, got {describe(value)}")
    if isinstance(value, int | float):
        try:
            return _from_epoch(value, "")
        except EvalError as exc:
            raise EvalError(f"{function}(){exc.message}") from None
    if not isinstance(value, str):
        raise EvalError(f"{function}() needs a date, got {describe(value)}")
    try:
        return _parse_text(value, fmt, tz)
    except EvalError as exc:
        raise EvalError(f"{function}(){exc.message}") from None


@lru_cache(maxsize=8192)
def _parse_text(value: str, fmt: str | None, tz: tzinfo) -> datetime | date | None:
    """Parsed text, cached: sources repeat the same dates (hire dates, pay periods) many times."""
    text = value.strip()
    if not text:
        return None
    if fmt is not None:
        return _with_format(text, fmt, tz, "")
    return _iso(text, tz, "")


def _from_epoch(number: float, function: str) -> datetime:
    try:
        seconds = number / 1000 if abs(number) >= _MIN_EPOCH_MS else number
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise EvalError(f"{function}: {describe(number)} is out of range as a Unix timestamp") from None


def _with_format(text: str, fmt: str, tz: tzinfo, function: str) -> datetime | date:
    try:
        parsed = datetime.strptime(text, fmt)
    except ValueError:
        raise EvalError(f"{function}: {describe(text)} does not match the format {fmt!r}") from None
    if not any(d in fmt for d in ("%H", "%I", "%M", "%S", "%z", "%c", "%X")):
        return parsed.date()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _iso(text: str, tz: tzinfo, function: str) -> datetime | date:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise EvalError(f"{function}: {describe(text)} is not a real date") from None
    match = _DATE_WITH_OFFSET.fullmatch(text)
    if match:
        return _iso(match.group(1), tz, function)
    match = _MS_JSON.fullmatch(text)
    if match:
        return _from_epoch(int(match.group(1)), function)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise EvalError(
            f"{function}: {describe(text)} is not an ISO date; give its format, e.g. date(X, '%m/%d/%Y')"
        ) from None
    if len(text) <= 10 and "T" not in text and ":" not in text:
        return parsed.date()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def to_date(moment: datetime | date | None, tz: tzinfo | None) -> str | None:
    """ISO date; a timestamp is first moved to `tz` when given (the local calendar day there)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if tz is not None:
            moment = moment.astimezone(tz)
        return moment.date().isoformat()
    return moment.isoformat()


def to_datetime(moment: datetime | date | None) -> str | None:
    """ISO UTC timestamp with seconds; a date alone is its midnight UTC."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise EvalError(f"{moment.isoformat()} is out of range in UTC") from None
    return (
        utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        if utc.year >= 1000
        else utc.isoformat(timespec="seconds")[:19] + "Z"
    )


def add_days(moment: datetime | date, days: int) -> datetime | date:
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        raise EvalError(f"date_add(): {days} days from {moment.isoformat()} is out of range") from None
