"""Finding records in a response body, and comparing cursors.

A selector is a dotted path (`data.items`); `path.*` takes the values of a map (BambooHR's
changed employees are keyed by id); an empty selector is the body itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.errors import FatalError
from core.http.pagination import json_path

_MISSING = object()


def select(body: Any, selector: str, *, where: str) -> list[Any]:
    """The records at `selector` (a list, a map's values, or one object); FatalError if absent.

    An absent selector is an error rather than an empty page: an HTML error page or a changed
    response shape must stop the run, not quietly read nothing (and so delete everything).
    """
    path, as_map = (selector[:-2], True) if selector.endswith(".*") or selector == "*" else (selector, False)
    path = "" if path in ("", "*") else path
    value = body if not path else _at(body, path)
    if value is _MISSING:
        shape = sorted(body)[:8] if isinstance(body, dict) else type(body).__name__
        raise FatalError(
            f"{where}: the response has no {path!r} (it has {shape})",
            hint="the API answered in a shape the definition does not describe; check `records:`",
        )
    if value is None:
        return []
    if as_map:
        if not isinstance(value, dict):
            raise FatalError(f"{where}: {selector!r} is not a map (a {type(value).__name__})")
        return list(value.values())
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise FatalError(f"{where}: {selector!r} is a {type(value).__name__}, not records")


def _at(body: Any, path: str) -> Any:
    value = body
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def value_at(body: Any, path: str) -> Any:
    """A single value at a dotted path, or None."""
    return json_path(body, path)


def moment(value: Any) -> datetime | None:
    """A cursor value as an aware datetime, when it is an ISO timestamp or Unix seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def later(a: Any, b: Any) -> Any:
    """The later of two cursor values (as instants when both parse, else as text); None loses."""
    if a is None or a == "":
        return b
    if b is None or b == "":
        return a
    ma, mb = moment(a), moment(b)
    if ma is not None and mb is not None:
        return b if mb > ma else a
    return b if str(b) > str(a) else a


def format_moment(when: datetime, style: str) -> str:
    if style == "unix":
        return str(int(when.timestamp()))
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
