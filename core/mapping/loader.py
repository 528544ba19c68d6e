"""Load, merge, check and compile every mapping file into a `MappingSet` (once per process).

Every problem in every file is collected and raised as one `ConfigError` whose lines read
`file:line: connector/stream: field 'x': what is wrong (did you mean ...?)`, followed by the
expression with a caret under the column at fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.mapping.coerce import coercer_for
from core.mapping.compiler import compile_expression
from core.mapping.document import Located, MappingDoc, Problems, StreamDoc, Where, read_document
from core.mapping.failures import ExpressionError, did_you_mean
from core.mapping.functions import CompileContext, Compiled
from core.mapping.lookups import load_table
from core.mapping.overrides import merge
from core.mapping.stream import FieldPlan, StreamMapping
from core.model import ENTITY_FIELDS


@dataclass
class MappingSet:
    """Every compiled stream mapping, by (connector type, stream name)."""

    streams: dict[tuple[str, str], StreamMapping] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)

    def for_stream(self, connector_type: str, stream: str) -> StreamMapping | None:
        return self.streams.get((connector_type, stream))

    def connectors(self) -> list[str]:
        return sorted({connector for connector, _ in self.streams} | set(self.files))

    def for_connector(self, connector_type: str) -> list[StreamMapping]:
        return [m for (c, _), m in sorted(self.streams.items()) if c == connector_type]

    def __iter__(self) -> Iterator[StreamMapping]:
        return iter(self.streams[key] for key in sorted(self.streams))

    def __len__(self) -> int:
        return len(self.streams)


def mapping_files(directory: Path) -> list[Path]:
    """The YAML files directly in `directory` (sub-folders such as playbooks/ are not mappings)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def load_mappings(
    shipped_dir: Path,
    override_dirs: list[Path] | None = None,
    packaged: dict[str, Path] | None = None,
) -> MappingSet:
    """Compile the mappings: those connector packages ship (`packaged`: connector type -> file),
    then the shipped directory, then each override directory, each layer changing the ones below.

    Raises ConfigError listing every problem found (file:line, stream, field, column).
    """
    problems = Problems()
    docs: dict[str, MappingDoc] = {}
    for connector, path in sorted((packaged or {}).items()):
        doc = read_document(path, problems)
        if doc is None:
            continue
        if doc.connector != connector:
            problems.add(
                doc.where, f"this file ships with connector {connector!r} but maps {doc.connector!r}"
            )
            continue
        docs[connector] = doc
    for directory in [shipped_dir, *(override_dirs or [])]:
        if directory != shipped_dir and not directory.is_dir():
            problems.add(
                str(directory), "mapping override directory not found (mappings.override_dirs in hub.yaml)"
            )
            continue
        seen_here: dict[str, Where] = {}
        for path in mapping_files(directory):
            doc = read_document(path, problems)
            if doc is None:
                continue
            if doc.connector in seen_here:
                problems.add(
                    doc.where, f"connector {doc.connector!r} is already mapped by {seen_here[doc.connector]}"
                )
                continue
            seen_here[doc.connector] = doc.where
            earlier = docs.get(doc.connector)
            docs[doc.connector] = doc if earlier is None else merge(earlier, doc, problems)
    result = MappingSet()
    for connector, doc in sorted(docs.items()):
        result.files[connector] = doc.files
        for mapping in _compile_doc(doc, problems):
            result.streams[(connector, mapping.stream)] = mapping
    problems.raise_if_any()
    return result


def _compile_doc(doc: MappingDoc, problems: Problems) -> list[StreamMapping]:
    tables: dict[str, dict[str, Any]] = {}
    for name, table in doc.lookups.items():
        loaded = load_table(name, table, problems)
        if loaded is not None:
            tables[name] = loaded
    ctx = CompileContext(lookups=tables)
    compiled = []
    for stream in doc.streams.values():
        if stream is not None:
            mapping = _compile_stream(doc.connector, stream, ctx, problems)
            if mapping is not None:
                compiled.append(mapping)
    return compiled


def _compile_stream(
    connector: str, stream: StreamDoc, ctx: CompileContext, problems: Problems
) -> StreamMapping | None:
    label = f"{connector}/{stream.name}"
    if stream.entity is None:
        problems.add(stream.where, f"{label}: `entity:` is missing (one of {', '.join(ENTITY_FIELDS)})")
        return None
    entity = stream.entity.value
    specs = ENTITY_FIELDS.get(entity)
    if specs is None:
        hint = did_you_mean(str(entity), ENTITY_FIELDS)
        problems.add(
            stream.entity.where,
            f"{label}: unknown entity {entity!r}{hint}; entities: {', '.join(ENTITY_FIELDS)}",
        )
        return None
    plans: list[FieldPlan] = []
    ok = True
    for name, located in stream.fields.items():
        if located is None:
            continue
        spec = specs.get(name)
        if spec is None:
            problems.add(
                located.where, f"{label}: unknown {entity} field {name!r}{did_you_mean(name, specs)}"
            )
            ok = False
            continue
        compiled = _expression(located, ctx, problems, f"{label}: field {name!r}")
        if compiled is None:
            ok = False
            continue
        plans.append(
            FieldPlan(
                name,
                _text(located.value),
                compiled,
                coercer_for(spec, compiled.returns, compiled.outputs),
                str(located.where),
            )
        )
    if not plans:
        problems.add(stream.where, f"{label}: no fields are mapped")
        return None
    required = _required(label, stream, {n for n, e in stream.fields.items() if e is not None}, problems)
    when = _expression(stream.when, ctx, problems, f"{label}: when") if stream.when is not None else None
    if not ok or required is None or (stream.when is not None and when is None):
        return None
    return StreamMapping(
        connector,
        stream.name,
        str(entity),
        tuple(plans),
        required=required,
        when=when,
        when_text=_text(stream.when.value) if stream.when is not None else None,
        where=str(stream.where),
    )


def _required(label: str, stream: StreamDoc, mapped: set[str], problems: Problems) -> tuple[str, ...] | None:
    if stream.required is None:
        return ()
    missing = [name for name in stream.required.value if name not in mapped]
    for name in missing:
        problems.add(
            stream.required.where,
            f"{label}: required field {name!r} is not one of the mapped fields{did_you_mean(name, mapped)}",
        )
    return None if missing else tuple(stream.required.value)


def _text(value: Any) -> str:
    """The expression text of a YAML value (YAML true/12/null are literals of the language)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return repr(str(value))


def _expression(located: Located, ctx: CompileContext, problems: Problems, label: str) -> Compiled | None:
    text = _text(located.value)
    try:
        return compile_expression(text, ctx)
    except ExpressionError as exc:
        caret, row = _caret(text, exc.column)
        where = located.where
        if row and where.line:  # a `|` block: the expression starts on the line after its key
            where = Where(where.file, where.line + 1 + row)
        problems.add(where, f"{label}: {exc.message}{caret}")
        return None


def _caret(text: str, column: int | None) -> tuple[str, int]:
    """The expression line holding `column` with a caret under it, and that line's index."""
    if column is None:
        return f"\n      {text.strip()}", 0
    offset = column - 1
    for row, line in enumerate(text.split("\n")):
        if offset <= len(line):
            return f" (column {column})\n      {line}\n      {' ' * offset}^", row
        offset -= len(line) + 1
    return f" (column {column})\n      {text}", 0
