"""Read one mapping file into a checked, located document (before overrides and compilation).

Every value keeps the file and line it came from, so errors found later (while merging
overrides or compiling expressions) still name the line an engineer has to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config.yaml_lines import Location, line_of, load_yaml_with_lines
from core.errors import ConfigError
from core.mapping.failures import did_you_mean

TOP_KEYS = ("version", "connector", "description", "lookups", "streams")
STREAM_KEYS = ("entity", "description", "when", "required", "fields", "replace")
CSV_KEYS = ("csv", "key", "value")


@dataclass(frozen=True)
class Where:
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Located:
    value: Any
    where: Where


@dataclass
class StreamDoc:
    name: str
    where: Where
    entity: Located | None = None
    when: Located | None = None
    has_when: bool = False
    required: Located | None = None
    #: field -> expression; None removes a field inherited from a shipped file
    fields: dict[str, Located | None] = field(default_factory=dict)
    replace: bool = False


@dataclass
class MappingDoc:
    connector: str
    where: Where
    lookups: dict[str, Located] = field(default_factory=dict)
    #: stream -> its mapping; None removes a shipped stream (in an override)
    streams: dict[str, StreamDoc | None] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class Problems:
    """Errors collected across files, so `hub mapping check` reports all of them at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: Where | str, message: str) -> None:
        self.messages.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            count = len(self.messages)
            header = f"{count} error{'s' if count > 1 else ''} in mapping files:"
            raise ConfigError(
                "\n".join([header, *self.messages]),
                hint="fix the lines above; `hub mapping check` re-validates every mapping file",
            )


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_document(path: Path, problems: Problems) -> MappingDoc | None:
    """The document in `path`; None (with problems recorded) when it is unusable or not a mapping."""
    name = display_path(path)
    try:
        data, lines = load_yaml_with_lines(path.read_text(encoding="utf-8"), name)
    except ConfigError as exc:
        problems.messages.append(exc.message)  # already "file:line: invalid YAML: ..."
        return None
    except OSError as exc:
        problems.add(name, f"cannot read the file: {exc.strerror}")
        return None
    return _Reader(name, lines, problems).document(data)


class _Reader:
    def __init__(self, file: str, lines: dict[Location, int], problems: Problems) -> None:
        self.file, self.lines, self.problems = file, lines, problems

    def at(self, *path: Any) -> Where:
        return Where(self.file, line_of(self.lines, path))

    def error(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.add(self.at(*path), message)

    def unknown_keys(
        self, data: dict[str, Any], allowed: tuple[str, ...], path: tuple[Any, ...], what: str
    ) -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.error(
                    (*path, key), f"unknown key {key!r} in {what}{hint}; allowed: {', '.join(allowed)}"
                )

    def document(self, data: Any) -> MappingDoc | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.error((), "a mapping file must be a YAML mapping with `connector:` and `streams:`")
            return None
        if "connector" not in data and "streams" not in data:
            return None  # not a mapping file (another YAML file beside them)
        self.unknown_keys(data, TOP_KEYS, (), "a mapping file")
        version = data.get("version", 1)
        if version != 1:
            self.error(("version",), f"unsupported version {version!r}; this hub reads version 1")
        connector = data.get("connector")
        if not isinstance(connector, str) or not connector.strip():
            self.error(("connector",), "`connector:` must name the connector type, e.g. `connector: workday`")
            return None
        doc = MappingDoc(connector.strip(), self.at("connector"), files=[self.file])
        doc.lookups = self.lookups(data.get("lookups"))
        streams = data.get("streams")
        if not isinstance(streams, dict):
            self.error(("streams",), "`streams:` must map each stream name to its mapping")
            return doc
        for name, body in streams.items():
            doc.streams[str(name)] = self.stream(str(name), body)
        return doc

    def lookups(self, data: Any) -> dict[str, Located]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.error(("lookups",), "`lookups:` must map each table name to a table or a csv: reference")
            return {}
        tables: dict[str, Located] = {}
        for name, table in data.items():
            path = ("lookups", name)
            if not isinstance(table, dict):
                self.error(
                    path, f"lookup table {name!r} must be a mapping of key: value, or csv:/key:/value:"
                )
                continue
            if "csv" in table:
                self.unknown_keys(table, CSV_KEYS, path, f"lookup table {name!r}")
                missing = [k for k in CSV_KEYS if not isinstance(table.get(k), str)]
                if missing:
                    self.error(
                        path, f"lookup table {name!r} needs text for {', '.join(missing)} (file and columns)"
                    )
                    continue
            else:
                bad = [k for k, v in table.items() if isinstance(v, dict | list)]
                if bad:
                    self.error(
                        (*path, bad[0]),
                        f"lookup table {name!r}: values must be single values, not lists or maps",
                    )
                    continue
            tables[str(name)] = Located(table, self.at(*path))
        return tables

    def stream(self, name: str, body: Any) -> StreamDoc | None:
        path = ("streams", name)
        if body is None:
            return None
        if not isinstance(body, dict):
            self.error(path, f"stream {name!r} must be a mapping with entity: and fields:")
            return None
        self.unknown_keys(body, STREAM_KEYS, path, f"stream {name!r}")
        doc = StreamDoc(name, self.at(*path), replace=body.get("replace") is True)
        if "entity" in body:
            doc.entity = Located(body["entity"], self.at(*path, "entity"))
        if "when" in body:
            doc.has_when = True
            doc.when = None if body["when"] is None else Located(body["when"], self.at(*path, "when"))
        if "required" in body:
            required = body["required"]
            if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
                self.error((*path, "required"), "`required:` must be a list of canonical field names")
            else:
                doc.required = Located(tuple(required), self.at(*path, "required"))
        fields = body.get("fields")
        if (fields is None and "fields" in body) or (fields is not None and not isinstance(fields, dict)):
            self.error((*path, "fields"), "`fields:` must map canonical field names to expressions")
        elif isinstance(fields, dict):
            for field_name, expression in fields.items():
                where = self.at(*path, "fields", field_name)
                if isinstance(expression, dict | list):
                    self.problems.add(
                        where,
                        f"field {field_name!r}: an expression must be text, not a YAML {type(expression).__name__}",
                    )
                    continue
                doc.fields[str(field_name)] = None if expression is None else Located(expression, where)
        return doc
