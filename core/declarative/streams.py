"""The stream of a declarative source: its key, cursor and mode come from the definition, its
reading from one of the styles in `reads.py`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from core.connector.contracts import Partition, ReadItem, Stream
from core.declarative.definition import StreamDef
from core.declarative.http import Fetcher
from core.declarative.reads import ChangesRead, ListingRead, SinceRead
from core.vocabulary import ReadMode

if TYPE_CHECKING:
    from core.declarative.connector import DeclarativeSource


def stream_mode(spec: StreamDef) -> ReadMode:
    if spec.changes is not None or (spec.since is not None and spec.deleted is not None):
        return "delta"
    return "incremental" if spec.since is not None else "full_snapshot"


def record_schema(spec: StreamDef) -> dict[str, Any]:
    """The declared JSON Schema, with the primary key required (the engine needs it)."""
    schema = dict(spec.record_schema or {"type": "object"})
    required = list(schema.get("required") or [])
    schema["required"] = required + [k for k in spec.primary_key if k not in required]
    return schema


class DeclarativeStream(Stream):
    """Subclassed once per stream of a definition (see `stream_class`)."""

    spec: ClassVar[StreamDef]

    def __init__(self, source: DeclarativeSource) -> None:
        self.source = source
        self.fetcher = Fetcher(source.http, source.template_values, self.name)

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        if self.spec.changes is not None:
            return ChangesRead(self, self.spec, self.fetcher).read(state)
        if self.spec.since is not None:
            return SinceRead(self, self.spec, self.fetcher).read(state)
        return ListingRead(self, self.spec, self.fetcher).read(state)


def stream_class(source_name: str, name: str, spec: StreamDef) -> type[DeclarativeStream]:
    cursor = spec.since.cursor_field if spec.since else spec.changes.cursor_field if spec.changes else None
    title = "".join(part.capitalize() for part in f"{source_name}_{name}".split("_"))
    attributes: dict[str, Any] = {
        "name": name,
        "primary_key": tuple(spec.primary_key),
        "cursor_field": cursor,
        "mode": stream_mode(spec),
        "schema": record_schema(spec),
        "spec": spec,
        "__doc__": spec.description or f"{source_name} {name} (declarative)",
    }
    return type(f"{title}Stream", (DeclarativeStream,), attributes)
