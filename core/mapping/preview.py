"""See what a mapping does before it reaches production: per-field previews and store diffs.

Used by `hub mapping preview|test|diff`. A preview evaluates every field on its own, so one bad
field does not hide the others; a diff compares the fragments stored for records already
synced (and the open quarantine) with what a candidate mapping would produce now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from core.errors import RecordError
from core.mapping.compiler import compile_expression
from core.mapping.failures import EvalError
from core.mapping.stream import StreamMapping
from core.store.engine import Store
from core.store.schema import quarantine, source_records


@dataclass(frozen=True)
class FieldPreview:
    field: str
    expression: str
    inputs: dict[str, Any]
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class RecordPreview:
    """The outcome for one record: skipped by `when:`, quarantined (with the reason) or mapped."""

    key: str | None
    skipped: bool
    fields: list[FieldPreview]
    quarantine: RecordError | None

    @property
    def outcome(self) -> str:
        return "skipped" if self.skipped else "quarantined" if self.quarantine else "mapped"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "outcome": self.outcome,
            "quarantine": None
            if self.quarantine is None
            else {
                "field": self.quarantine.field,
                "expression": self.quarantine.expression,
                "reason": self.quarantine.message,
            },
            "fields": [
                {
                    "field": f.field,
                    "expression": f.expression,
                    "inputs": f.inputs,
                    "value": f.value,
                    "error": f.error,
                }
                for f in self.fields
            ],
        }


def preview_record(mapping: StreamMapping, record: Any, key: str | None = None) -> RecordPreview:
    """Every field's inputs and value (or error), and what `apply` would do with the record."""
    if not isinstance(record, dict):
        error = RecordError("a record must be a JSON object")
        return RecordPreview(key, False, [], error)
    rows = []
    for plan in mapping.fields:
        inputs = {path: _read(path, record) for path in plan.compiled.reads}
        try:
            value = plan.compiled.fn(record)
            rows.append(
                FieldPreview(
                    plan.name, plan.expression, inputs, value if plan.coerce is None else plan.coerce(value)
                )
            )
        except EvalError as exc:
            rows.append(FieldPreview(plan.name, plan.expression, inputs, error=exc.message))
    skipped, failure = False, None
    try:
        skipped = mapping.apply(record) is None
    except RecordError as exc:
        failure = exc
    return RecordPreview(key, skipped, rows, failure)


def _read(path: str, record: dict[str, Any]) -> Any:
    return _path_reader(path)(record)


@lru_cache(maxsize=512)
def _path_reader(path: str) -> Any:
    return compile_expression(path).fn


@dataclass(frozen=True)
class StoredRecord:
    instance: str
    key: str | None
    payload: Any
    fragment: dict[str, Any] | None
    quarantined: str | None = None


def stored_records(
    store: Store, instances: list[str], stream: str, *, limit: int | None, include_quarantine: bool = True
) -> Iterator[StoredRecord]:
    """Live records of the stream for these instances, then open quarantine entries (newest first)."""
    t, q = source_records, quarantine
    with store.engine.connect() as conn:
        query = (
            sa.select(t.c.instance, t.c.record_key, t.c.payload, t.c.fragment)
            .where(t.c.instance.in_(instances), t.c.stream == stream, t.c.deleted_at.is_(None))
            .order_by(t.c.instance, t.c.record_key)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = [StoredRecord(r.instance, r.record_key, r.payload, r.fragment) for r in conn.execute(query)]
        if include_quarantine:
            held = (
                sa.select(q.c.instance, q.c.record_key, q.c.payload, q.c.reason)
                .where(q.c.instance.in_(instances), q.c.stream == stream, q.c.released_at.is_(None))
                .order_by(q.c.id.desc())
            )
            if limit is not None:
                held = held.limit(limit)
            rows += [
                StoredRecord(r.instance, r.record_key, r.payload, None, r.reason) for r in conn.execute(held)
            ]
    yield from rows


@dataclass
class DiffReport:
    """What a candidate mapping would change for stored records."""

    compared: int = 0
    unchanged: int = 0
    changed: int = 0
    newly_quarantined: int = 0
    still_quarantined: int = 0
    released: int = 0
    skipped: int = 0
    field_changes: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "newly_quarantined": self.newly_quarantined,
            "still_quarantined": self.still_quarantined,
            "released": self.released,
            "skipped": self.skipped,
            "field_changes": dict(self.field_changes.most_common()),
            "samples": self.samples,
        }


def diff_records(
    candidate: StreamMapping, records: Iterable[StoredRecord], *, samples: int = 10
) -> DiffReport:
    """Compare each stored fragment (or quarantine) with the candidate mapping's result."""
    report = DiffReport()
    for stored in records:
        report.compared += 1
        try:
            fragment = candidate.apply(stored.payload) if isinstance(stored.payload, dict) else None
        except RecordError as exc:
            if stored.quarantined is not None:
                report.still_quarantined += 1
            else:
                report.newly_quarantined += 1
                _sample(report, samples, stored, {"quarantine": {"field": exc.field, "reason": exc.message}})
            continue
        if fragment is None:
            report.skipped += 1
            continue
        if stored.quarantined is not None:
            report.released += 1
            _sample(report, samples, stored, {"released": stored.quarantined})
            continue
        changes = _changes(stored.fragment or {}, fragment.fields)
        if not changes:
            report.unchanged += 1
            continue
        report.changed += 1
        report.field_changes.update(changes.keys())
        _sample(report, samples, stored, {"changes": changes})
    return report


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = sorted(set(before) | set(after))
    return {
        n: {"before": before.get(n), "after": after.get(n)} for n in names if before.get(n) != after.get(n)
    }


def _sample(report: DiffReport, limit: int, stored: StoredRecord, detail: dict[str, Any]) -> None:
    if len(report.samples) < limit:
        report.samples.append({"instance": stored.instance, "key": stored.key, **detail})
