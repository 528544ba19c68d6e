"""Normalising values into match keys (emails, serial numbers, names, IDs)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from core.resolve.config import MatchRule, Normalizer

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_SPACES = re.compile(r"\s+")
#: serial numbers devices report when they have none
_PLACEHOLDER_SERIALS = frozenset(
    {"", "0", "NONE", "NA", "UNKNOWN", "DEFAULTSTRING", "TOBEFILLEDBYOEM", "SYSTEMSERIALNUMBER"}
)


def normalize(value: Any, how: Normalizer) -> str | None:
    """The comparable form of a value, or None when it cannot identify anything."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if how == "exact":
        return text
    if how == "upper":
        return text.upper()
    if how in ("lower", "email"):
        text = text.lower()
        if how == "email" and "@" not in text:
            return None
        return text
    if how == "serial":
        serial = _NOT_ALNUM.sub("", text.upper())
        return None if serial in _PLACEHOLDER_SERIALS else serial
    if how == "name":
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return _SPACES.sub(" ", folded.lower()).strip() or None
    return text


def rule_keys(rule: MatchRule, fields: dict[str, Any]) -> Iterator[str]:
    """Every key this rule derives from a fragment or a merged record."""
    if rule.combine:
        parts = [normalize(fields.get(f), rule.normalize) for f in rule.fields]
        if all(p is not None for p in parts):
            yield "|".join(p for p in parts if p is not None)
        return
    if len(rule.fields) == 1:  # most rules: one field, at most one key
        key = normalize(fields.get(rule.fields[0]), rule.normalize)
        if key is not None:
            yield key
        return
    seen: set[str] = set()
    for field in rule.fields:
        key = normalize(fields.get(field), rule.normalize)
        if key is not None and key not in seen:
            seen.add(key)
            yield key
