"""Text functions: the string handling identity teams know from HR-driven provisioning.

All of them return null for a null input, accept numbers and booleans as their text form, and
refuse lists and objects with an `EvalError` (the record is quarantined, the sync goes on).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.mapping.failures import EvalError, ExpressionError, describe
from core.mapping.functions.registry import (
    Builder,
    CompileContext,
    Compiled,
    Evaluator,
    check_type,
    const_arg,
    eager,
    register,
)
from core.mapping.values import as_int, as_list, as_text, is_missing

MAX_TEXT = 100_000


def _text_op(name: str, op: Any) -> Builder:
    """A one-argument text function; text read straight from a record key takes one call."""

    def impl(value: Any) -> Any:
        if value.__class__ is str:
            return op(value)
        text = as_text(value, name)
        return None if text is None else op(text)

    def build(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
        key, source = args[0].key, args[0].fn
        if key is None:
            return lambda record: impl(source(record))

        def from_key(record: Any) -> Any:
            value = record.get(key)
            return op(value) if value.__class__ is str else impl(value)

        return from_key

    return build


register("lower(text)", "lower case", returns="string")(_text_op("lower", str.lower))
register("upper(text)", "upper case", returns="string")(_text_op("upper", str.upper))
register("trim(text)", "remove leading and trailing whitespace", returns="string")(
    _text_op("trim", str.strip)
)


def _concat(*parts: Any) -> str | None:
    texts = [as_text(p, "concat") for p in parts if p is not None]
    return "".join(t for t in texts if t is not None) if texts else None


@register(
    "concat(text, ...)", "join values end to end; nulls are skipped; null if all are null", returns="string"
)
def _concat_builder(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    fns = tuple(a.fn for a in args)
    if len(fns) == 3:  # the common "first + ' ' + last": one fast path when all three are text
        a, b, c = fns

        def three(record: Any) -> Any:
            x, y, z = a(record), b(record), c(record)
            if x.__class__ is str and y.__class__ is str and z.__class__ is str:
                return x + y + z
            return _concat(x, y, z)

        return three

    def any_count(record: Any) -> Any:
        parts = [fn(record) for fn in fns]
        try:
            return "".join(parts)  # all text: the common case, done in one C call
        except TypeError:
            return _concat(*parts)

    return any_count


def _join(items: Any, separator: Any) -> str | None:
    sep = as_text(separator, "join") or ""
    texts = [as_text(i, "join") for i in as_list(items) if not is_missing(i)]
    return sep.join(t for t in texts if t is not None) if texts else None


register("join(list, separator)", "join the non-empty items of a list with a separator", returns="string")(
    eager(_join)
)


def _split(text: Any, separator: Any) -> list[str] | None:
    value, sep = as_text(text, "split"), as_text(separator, "split")
    if value is None:
        return None
    if not sep:
        raise EvalError("split(): the separator is empty")
    return value.split(sep)


register("split(text, separator)", "split text into a list at each separator", returns="list")(eager(_split))


def _replace(text: Any, old: Any, new: Any) -> str | None:
    value, find, into = as_text(text, "replace"), as_text(old, "replace"), as_text(new, "replace")
    if value is None:
        return None
    if not find:
        raise EvalError("replace(): the text to find is empty")
    return value.replace(find, into or "")


register("replace(text, find, replacement)", "replace every occurrence of plain text", returns="string")(
    eager(_replace)
)


def _pattern(name: str, args: list[Compiled], index: int = 1) -> re.Pattern[str]:
    pattern = const_arg(name, args, index, "pattern")
    check_type(name, pattern, str, "pattern", args[index].column)
    try:
        return re.compile(pattern)
    except re.error as exc:
        column = args[index].column + 1 + (exc.pos or 0)
        raise ExpressionError(f"{name}(): bad regular expression: {exc.msg}", column) from None


def _limit(name: str, text: str) -> str:
    if len(text) > MAX_TEXT:
        raise EvalError(f"{name}(): text of {len(text)} characters is longer than {MAX_TEXT}")
    return text


@register(
    "regex_extract(text, pattern, group?)",
    "the first match of a regular expression, or one group of it (number or name); null if no match",
    returns="string",
)
def _regex_extract(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    pattern = _pattern(name, args)
    group: int | str = 0
    if len(args) > 2:
        group = const_arg(name, args, 2, "group")
        check_type(name, group, (int, str), "group", args[2].column)
        known = (isinstance(group, int) and 0 <= group <= pattern.groups) or group in pattern.groupindex
        if not known:
            raise ExpressionError(f"{name}(): the pattern has no group {group!r}", args[2].column)
    source = args[0].fn

    def evaluate(record: Any) -> Any:
        text = as_text(source(record), name)
        if text is None:
            return None
        match = pattern.search(_limit(name, text))
        return match.group(group) if match else None

    return evaluate


@register(
    "regex_match(text, pattern)",
    "true if the regular expression matches anywhere in the text",
    returns="boolean",
)
def _regex_match(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    pattern, source = _pattern(name, args), args[0].fn

    def evaluate(record: Any) -> bool:
        text = as_text(source(record), name)
        return text is not None and pattern.search(_limit(name, text)) is not None

    return evaluate


@register(
    "regex_replace(text, pattern, replacement)",
    "replace every match of a regular expression (\\1 or \\g<name> in the replacement)",
    returns="string",
)
def _regex_replace(name: str, args: list[Compiled], ctx: CompileContext) -> Evaluator:
    pattern, source = _pattern(name, args), args[0].fn
    replacement = const_arg(name, args, 2, "replacement")
    check_type(name, replacement, str, "replacement", args[2].column)
    try:
        for named, number in re.findall(r"\\g<([^>]*)>|\\(\d+)", replacement):
            ref = int(number or named) if (number or named).isdigit() else named
            if (isinstance(ref, int) and ref > pattern.groups) or (
                isinstance(ref, str) and ref not in pattern.groupindex
            ):
                raise re.error(f"the pattern has no group {ref!r}")
        re.sub("", re.sub(r"\\g<[^>]*>|\\\d+", "", replacement), "")
    except re.error as exc:
        raise ExpressionError(f"{name}(): bad replacement: {exc}", args[2].column) from None

    def evaluate(record: Any) -> Any:
        text = as_text(source(record), name)
        return None if text is None else pattern.sub(replacement, _limit(name, text))

    return evaluate


# letters NFKD does not decompose, spelled as escapes so the source stays plain ASCII
_SPECIAL = {
    "\u00df": "ss", "\u1e9e": "SS", "\u00e6": "ae", "\u00c6": "AE", "\u00f8": "o", "\u00d8": "O",
    "\u0153": "oe", "\u0152": "OE", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "TH", "\u0131": "i",
}  # fmt: skip


def _slow_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", "".join(_SPECIAL.get(c, c) for c in text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Latin-1 and Latin Extended-A/B folded once at import: one str.translate per name at run time
_FOLD = str.maketrans({chr(code): _slow_fold(chr(code)) for code in range(0xC0, 0x250)})


def ascii_fold(text: str) -> str:
    """Strip diacritics (José -> Jose, Łukasz -> Lukasz, Straße -> Strasse); other symbols are kept."""
    if text.isascii():
        return text
    folded = text.translate(_FOLD)
    return folded if folded.isascii() else _slow_fold(folded)


register("ascii(text)", "strip diacritics: 'José Ñúñez' -> 'Jose Nunez'", returns="string")(
    _text_op("ascii", ascii_fold)
)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*", re.UNICODE)


def title_case(text: str) -> str:
    """Capitalise each word; O'Brien and Jean-Luc keep their inner capitals, "it's" stays "It's"."""

    def cap(match: re.Match[str]) -> str:
        word = match.group()
        head, _, tail = word.partition("'")
        if tail and len(head) == 1:
            return head.upper() + "'" + tail[:1].upper() + tail[1:].lower()
        return word[:1].upper() + word[1:].lower()

    return _WORD.sub(cap, text)


register(
    "title_case(text)", "capitalise each word: 'MARY-JANE O'NEIL' -> 'Mary-Jane O'Neil'", returns="string"
)(_text_op("title_case", title_case))


def _substring(text: Any, start: Any, length: Any = None) -> str | None:
    value = as_text(text, "substring")
    first, count = as_int(start, "substring"), as_int(length, "substring")
    if value is None:
        return None
    first = first or 0
    if count is None:
        return value[first:]
    if count < 0:
        raise EvalError(f"substring(): the length is negative ({count})")
    return value[first : first + count] if first >= 0 else value[first:][:count]


register(
    "substring(text, start, length?)",
    "part of a text; start counts from 0 (negative: from the end)",
    returns="string",
)(eager(_substring))


def _pad_left(text: Any, width: Any, fill: Any = None) -> str | None:
    value, size, char = as_text(text, "pad_left"), as_int(width, "pad_left"), as_text(fill, "pad_left")
    if value is None:
        return None
    char = "0" if char is None else char
    if len(char) != 1:
        raise EvalError(f"pad_left(): the fill must be one character, got {describe(char)}")
    if size is None or size > 1000:
        raise EvalError(f"pad_left(): the width must be a whole number up to 1000, got {describe(width)}")
    return value.rjust(size, char)


register(
    "pad_left(text, width, fill?)",
    "pad on the left to a width (fill '0' by default): '42' -> '00042'",
    returns="string",
)(eager(_pad_left))


def _affix(name: str, test: str) -> Any:
    def impl(text: Any, part: Any) -> bool:
        value, piece = as_text(text, name), as_text(part, name)
        return value is not None and piece is not None and bool(getattr(value, test)(piece))

    return impl


register("starts_with(text, prefix)", "true if the text starts with the prefix", returns="boolean")(
    eager(_affix("starts_with", "startswith"))
)
register("ends_with(text, suffix)", "true if the text ends with the suffix", returns="boolean")(
    eager(_affix("ends_with", "endswith"))
)


def _contains(container: Any, part: Any) -> bool:
    if container is None or part is None:
        return False
    if isinstance(container, list | tuple):
        return part in container
    value, piece = as_text(container, "contains"), as_text(part, "contains")
    return value is not None and piece is not None and piece in value


register(
    "contains(text_or_list, value)",
    "true if the text contains the value, or the list has it as an item",
    returns="boolean",
)(eager(_contains))
