"""Lookup tables: inline in the mapping file, or a CSV beside it (`csv:`, `key:`, `value:`).

Keys are matched as text (`101` and `'101'` are the same key). A CSV path is relative to the
mapping file that declares it; a duplicate key with a different value is an error naming both
lines, because a silently chosen value would be a data bug.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from core.mapping.document import Located, Problems
from core.mapping.failures import did_you_mean
from core.mapping.values import as_text


def load_table(name: str, table: Located, problems: Problems) -> dict[str, Any] | None:
    spec = table.value
    if "csv" not in spec:
        return {_key(k): v for k, v in spec.items()}
    base = Path(table.where.file).parent
    path = (base / spec["csv"]).resolve() if not Path(spec["csv"]).is_absolute() else Path(spec["csv"])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read_csv(name, handle, spec["key"], spec["value"], table, path, problems)
    except OSError as exc:
        problems.add(table.where, f"lookup table {name!r}: cannot read {spec['csv']} ({exc.strerror})")
        return None


def _read_csv(
    name: str, handle: Any, key: str, value: str, table: Located, path: Path, problems: Problems
) -> dict[str, Any] | None:
    reader = csv.DictReader(handle)
    columns = reader.fieldnames or []
    for column in (key, value):
        if column not in columns:
            problems.add(
                table.where,
                f"lookup table {name!r}: {path.name} has no column {column!r}{did_you_mean(column, columns)}; "
                f"columns: {', '.join(columns) or 'none'}",
            )
            return None
    entries: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        found, result = (row.get(key) or "").strip(), row.get(value)
        if not found:
            continue
        if found in entries and entries[found] != result:
            problems.add(
                f"{path.name}:{line}",
                f"lookup table {name!r}: key {found!r} is already on line {first_line[found]} with another value",
            )
            continue
        entries[found], first_line[found] = result, line
    return entries


def _key(key: Any) -> str:
    if isinstance(key, bool | int | float):
        return as_text(key, "lookup") or ""
    return "" if key is None else str(key)
