"""The two ways an expression fails, and the "did you mean" suggestions both use.

- `ExpressionError`: the mapping file is wrong (unknown function, bad regex...). Found at load,
  with the column inside the expression; the loader turns it into a `ConfigError` naming the line.
- `EvalError`: one record cannot be mapped (unparsable date, text where a number was needed).
  Raised while applying; `StreamMapping.apply` turns it into a `RecordError` naming the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ExpressionError(Exception):
    """A mapping expression is invalid; `column` is 1-based within the expression text, when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class EvalError(Exception):
    """A value in one record does not fit the expression; the message names the function and value."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        folded = {_fold(o): o for o in options}
        match = folded.get(_fold(word))
        close = [match] if match else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fold(word: str) -> str:
    return word.lower().replace("_", "").replace("-", "")


def describe(value: object) -> str:
    """A short, safe rendering of a record value for error messages (never a whole payload)."""
    kind = type_name(value)
    if kind in ("list", "object"):
        return kind
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = str(value)
        except ValueError:  # an integer too long to print
            return f"{kind} too long to show"
    return f"{kind} {text[:60]}{'...' if len(text) > 60 else ''}"


def type_name(value: object) -> str:
    """The JSON name of a value's type: null, boolean, number, text, list, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
