"""Per-field source precedence: which source's value each canonical field takes.

For each field the sources are ranked by the entity's precedence list (instance names or
connector types, most trusted first); sources not listed come after. The first source with a
value wins, so a lower source fills in when a higher one has nothing. Disagreements between
sources are returned as conflicts to be recorded, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.resolve.config import EntityRules


@dataclass(frozen=True)
class LinkedRecord:
    id: int
    instance: str
    connector_type: str
    stream: str
    fragment: dict[str, Any]
    last_changed_at: datetime

    @property
    def source(self) -> str:
        return f"{self.instance}/{self.stream}"


@dataclass(frozen=True)
class Conflict:
    field: str
    chosen_source: str
    chosen_value: Any
    other_source: str
    other_value: Any


@dataclass
class Merged:
    attrs: dict[str, Any] = field(default_factory=dict)
    field_sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def _rank(order: list[str], record: LinkedRecord) -> int:
    for position, name in enumerate(order):
        if name in (record.instance, record.connector_type):
            return position
    return len(order)


def merge(records: list[LinkedRecord], rules: EntityRules) -> Merged:
    """Merge live records of one entity into its canonical fields."""
    merged = Merged()
    if len(records) == 1:  # most entities have one source: every non-empty value is chosen
        [record] = records
        lineage = {"source": record.source, "record_id": record.id}  # one object, shared: read only
        fragment = record.fragment
        for name in sorted(fragment):
            value = fragment[name]
            if not _empty(value):
                merged.attrs[name] = value
                merged.field_sources[name] = lineage
        return merged
    names = sorted({name for r in records for name in r.fragment})
    newest_first = sorted(records, key=lambda r: (r.last_changed_at, r.id), reverse=True)
    #: records ranked once per distinct precedence list (most fields share the default one)
    rankings: dict[tuple[str, ...], list[LinkedRecord]] = {}
    for name in names:
        order = tuple(rules.sources_for(name))
        ranked = rankings.get(order)
        if ranked is None:
            ranked = rankings[order] = sorted(newest_first, key=lambda r: _rank(list(order), r))
        chosen: LinkedRecord | None = None
        for record in ranked:
            value = record.fragment.get(name)
            if _empty(value):
                continue
            if chosen is None:
                chosen = record
                merged.attrs[name] = value
                merged.field_sources[name] = {"source": record.source, "record_id": record.id}
            elif record.instance != chosen.instance and value != merged.attrs[name]:
                merged.conflicts.append(
                    Conflict(name, chosen.source, merged.attrs[name], record.source, value)
                )
    return merged


def _empty(value: Any) -> bool:
    """No value: a source without one leaves the field to the next source."""
    return value is None or value == "" or value == []
