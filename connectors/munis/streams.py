"""The four MUNIS streams, each bound to one transport.

| stream        | key               | SQL mode                                   | file mode            |
|---------------|-------------------|--------------------------------------------|----------------------|
| org_units     | a_department_code | full snapshot (incremental if configured)  | incremental by file  |
| job_classes   | a_job_class_code  | full snapshot (incremental if configured)  | incremental by file  |
| employees     | a_employee_number | full snapshot (incremental if configured)  | incremental by file  |
| fixed_assets  | a_asset_number    | full snapshot (incremental if configured)  | incremental by file  |

SQL streams read incrementally only where a last-modified column is configured; otherwise every
run is a full snapshot and the store decides deletions. File streams load each new export once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, cast

from connectors.munis.config import MunisConfig
from connectors.munis.exports import ExportReader
from connectors.munis.file_store import ExportDirectory
from connectors.munis.layouts import LAYOUTS, Layout
from connectors.munis.sql_client import MunisDatabase
from core.connector.contracts import Partition, ReadItem, Stream
from core.vocabulary import ReadMode


class MunisStream(Stream):
    """A MUNIS stream: its layout fixes name, key and schema; the transport does the reading."""

    layout: ClassVar[Layout]

    def __init__(self, source: MunisDatabase | ExportReader) -> None:
        self.source = source

    def read(self, state: dict[str, Any] | None, partition: Partition) -> Iterator[ReadItem]:
        yield from self.source.read(self.name, state)


def stream_class(layout: Layout, mode: ReadMode, cursor_field: str | None) -> type[MunisStream]:
    """The stream class of one layout in one read mode (modes differ per transport and config)."""
    attributes = {
        "name": layout.stream,
        "primary_key": (layout.key,),
        "mode": mode,
        "cursor_field": cursor_field,
        "schema": layout.json_schema(),
        "layout": layout,
        "__doc__": f"MUNIS {layout.title} ({mode}).",
    }
    title = "".join(part.title() for part in layout.stream.split("_"))
    return cast(
        type[MunisStream],
        type(f"Munis{title}{mode.title().replace('_', '')}Stream", (MunisStream,), attributes),
    )


def sql_streams(database: MunisDatabase) -> list[Stream]:
    streams: list[Stream] = []
    for name, layout in LAYOUTS.items():
        modified = database.config.sql_modified_columns.get(name)
        mode: ReadMode = "incremental" if modified else "full_snapshot"
        streams.append(stream_class(layout, mode, modified)(database))
    return streams


def file_streams(config: MunisConfig, directory: ExportDirectory) -> list[Stream]:
    """One reader per stream (each keeps the report of its last read), sharing one directory session."""
    return [
        stream_class(layout, "incremental", "export file name")(ExportReader(config, directory))
        for layout in LAYOUTS.values()
    ]
