"""Path getters: the only way an expression reads a record.

A step indexes a dict by key or a list by position, nothing else, so no expression can reach a
Python attribute. A missing key, an index out of range or a step into the wrong kind of value
gives null (the field is simply absent). A single value behaves as a one-item list (`x[0]` and
`x[-1]` return it), because XML-derived records collapse lists of one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Getter = Callable[[Any], Any]
Step = str | int


def step(value: Any, key: Step) -> Any:
    """One step of a path; never raises."""
    if isinstance(key, str):
        return value.get(key) if isinstance(value, dict) else None
    if isinstance(value, list | tuple):
        return value[key] if -len(value) <= key < len(value) else None
    if value is None:
        return None
    return value if key in (0, -1) else None


def walk(value: Any, steps: tuple[Step, ...]) -> Any:
    for key in steps:
        if value is None:
            return None
        value = step(value, key)
    return value


def path_getter(steps: tuple[Step, ...], *, root_is_dict: bool = False) -> Getter:
    """A getter for `steps`; specialised for short key paths from a dict root (the common case)."""
    if not steps:
        return _identity
    keys_only = all(isinstance(k, str) for k in steps)
    if root_is_dict and keys_only and len(steps) == 1:
        return _one_key(str(steps[0]))
    if root_is_dict and keys_only and len(steps) == 2:
        return _two_keys(str(steps[0]), str(steps[1]))

    if keys_only and len(steps) == 1:
        return _one_key_of_any(str(steps[0]))

    def get(value: Any) -> Any:
        return walk(value, steps)

    return get


def on_base(base: Getter, steps: tuple[Step, ...]) -> Getter:
    """Steps taken from the result of another expression (`split(Name, ' ')[0]`)."""

    def get(record: Any) -> Any:
        return walk(base(record), steps)

    return get


def _identity(value: Any) -> Any:
    return value


def _one_key(key: str) -> Getter:
    def get(record: dict[str, Any]) -> Any:
        return record.get(key)

    return get


def _one_key_of_any(key: str) -> Getter:
    def get(value: Any) -> Any:
        return value.get(key) if value.__class__ is dict else step(value, key) if value is not None else None

    return get


def _two_keys(first: str, second: str) -> Getter:
    def get(record: dict[str, Any]) -> Any:
        value = record.get(first)
        if value.__class__ is dict:
            return value.get(second)
        return step(value, second) if value is not None else None

    return get
