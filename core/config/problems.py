"""Config problems as an operator reads them: `hub.yaml:12: lifecycle.storm_gaurd: unknown key
(did you mean 'storm_guard'?)`, one line each, no library jargon or links."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from core.config.yaml_lines import Location, line_of


def format_validation_error(
    exc: ValidationError,
    filename: str,
    lines: dict[Location, int],
    prefix: Location,
    model: type[BaseModel] | None = None,
) -> str:
    """One line per problem: `file:line: field.path: message`.

    `model` is the model validated at `prefix`; with it an unknown key names the closest known
    one (a typo) or the keys that are known there."""
    return "\n".join(
        problem(filename, lines, (*prefix, *err["loc"]), _message(err, model, prefix)) for err in exc.errors()
    )


def problem(filename: str, lines: dict[Location, int], loc: Location, message: str) -> str:
    line = line_of(lines, loc)
    dotted = ".".join(str(p) for p in loc)
    return f"{filename}:{line or '?'}: {dotted}: {message}"


def _message(err: Any, model: type[BaseModel] | None, prefix: Location) -> str:
    if err["type"] == "extra_forbidden":
        known = known_keys(model, tuple(err["loc"][:-1])) if model else []
        return unknown_key(str(err["loc"][-1]), known)
    message = str(err["msg"])
    for noise in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(noise)
    return message


def unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key; known here: {', '.join(known)}" if known else "unknown key"


def known_keys(model: type[BaseModel] | None, loc: Location) -> list[str]:
    """The field names of the model found at `loc` inside `model` (list/dict items followed)."""
    current: Any = model
    for part in loc:
        current = _inner_model(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any, part: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return None if field is None else _unwrap(field.annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) and isinstance(part, int):
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    return None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X (the first model or container of a union)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return arg
    return annotation
