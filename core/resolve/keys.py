"""Normalising values into match keys (emails, serial numbers, names, IDs), and deriving a
record's keys once per pass (`KeyDeriver`).

Why once: a record's keys were derived three times per pass (to load its candidates, to match
it, to write the entity's keys), which made key derivation the largest single cost of a first
load. `KeyDeriver.of` gives every rule's keys of one fragment as a tuple the pass keeps by
record and version, and each rule's normaliser is looked up once, not per value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core.resolve.config import EntityRules, MatchRule, Normalizer

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_SPACES = re.compile(r"\s+")
#: serial numbers devices report when they have none
_PLACEHOLDER_SERIALS = frozenset(
    {"", "0", "NONE", "NA", "UNKNOWN", "DEFAULTSTRING", "TOBEFILLEDBYOEM", "SYSTEMSERIALNUMBER"}
)

#: a match key of one entity: (index name, key value)
Key = tuple[str, str]
#: every rule's keys of one fragment, in rule order
Derived = tuple[tuple[str, ...], ...]


def _text(text: str) -> str | None:
    return text


def _upper(text: str) -> str | None:
    return text.upper()


def _lower(text: str) -> str | None:
    return text.lower()


def _email(text: str) -> str | None:
    text = text.lower()
    return text if "@" in text else None


def _serial(text: str) -> str | None:
    serial = _NOT_ALNUM.sub("", text.upper())
    return None if serial in _PLACEHOLDER_SERIALS else serial


def _name(text: str) -> str | None:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", folded.lower()).strip() or None


#: what each normaliser does to a value's stripped, non-empty text
_NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    "exact": _text,
    "trim": _text,
    "upper": _upper,
    "lower": _lower,
    "email": _email,
    "serial": _serial,
    "name": _name,
}


def normalize(value: Any, how: Normalizer) -> str | None:
    """The comparable form of a value, or None when it cannot identify anything."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return _NORMALIZERS.get(how, _text)(text)


def rule_keys(rule: MatchRule, fields: dict[str, Any]) -> Iterator[str]:
    """Every key this rule derives from a fragment or a merged record."""
    yield from _compiled(rule)(fields)


def _compiled(rule: MatchRule) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    """The rule as one function of a fragment (its fields and normaliser bound once)."""
    how = _NORMALIZERS.get(rule.normalize, _text)
    names = tuple(rule.fields)

    def one(value: Any) -> str | None:
        if value is None:
            return None
        text = value.strip() if type(value) is str else str(value).strip()
        return how(text) if text else None

    if rule.combine:

        def combined(fields: dict[str, Any]) -> tuple[str, ...]:
            parts = [one(fields.get(name)) for name in names]
            if any(p is None for p in parts):
                return ()
            return ("|".join(p for p in parts if p is not None),)

        return combined
    if len(names) == 1:  # most rules: one field, at most one key
        [only] = names

        def single(fields: dict[str, Any]) -> tuple[str, ...]:
            key = one(fields.get(only))
            return () if key is None else (key,)

        return single

    def alternatives(fields: dict[str, Any]) -> tuple[str, ...]:
        keys: list[str] = []
        for name in names:
            key = one(fields.get(name))
            if key is not None and key not in keys:
                keys.append(key)
        return tuple(keys)

    return alternatives


class KeyDeriver:
    """One entity kind's match rules, compiled: a fragment's keys for every rule in one call."""

    def __init__(self, rules: EntityRules) -> None:
        self.rules = list(rules.match)
        #: each rule's index name, in rule order
        self.index_names = tuple(rule.index_name for rule in self.rules)
        self._derive = tuple(_compiled(rule) for rule in self.rules)
        #: positions of rules that combine fields (only these can give a merged entity a new key)
        self._combined = tuple(i for i, rule in enumerate(self.rules) if rule.combine)

    def of(self, fields: dict[str, Any]) -> Derived:
        return tuple(derive(fields) for derive in self._derive)

    def entity_keys(self, attrs: dict[str, Any], records: Iterable[Derived]) -> set[Key]:
        """The match keys an entity holds: those of each linked record and those a combined rule
        makes of its merged fields.

        A merged field's value is one of its records' values, so a single-field rule's keys of
        the merged fields are among the records' keys; only a combined rule can make a new one."""
        names = self.index_names
        keys: set[Key] = set()
        for derived in records:
            for name, values in zip(names, derived, strict=True):
                for value in values:
                    keys.add((name, value))
        for i in self._combined:
            for value in self._derive[i](attrs):
                keys.add((names[i], value))
        return keys
