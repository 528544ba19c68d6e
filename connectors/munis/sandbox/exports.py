"""The sandbox's file side: the scheduled MUNIS export job writing CSV files into the folder
the SFTP server serves.

Each export is a full extract named `<stream prefix>_<YYYYMMDDTHHMMSS>_<seq>.csv`, written the
way real jobs do: either the file and then an empty `NAME.done` marker, or a temporary
`NAME.part` renamed when complete. Encodings differ by stream as they do between a Windows
report job (Windows-1252) and newer UTF-8 exports with a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from connectors.munis.config import DEFAULT_PATTERNS
from connectors.munis.layouts import LAYOUTS
from core import clock

Completion = Literal["marker", "rename", "none"]
#: how each stream's export is encoded (as varied as real agencies' jobs)
ENCODINGS = {
    "employees": "cp1252",
    "org_units": "utf-8-sig",
    "job_classes": "utf-8",
    "fixed_assets": "utf-8-sig",
}


def prefix(stream: str) -> str:
    return DEFAULT_PATTERNS[stream].split("_*")[0]


def render(stream: str, rows: Iterable[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    """CSV text of an extract (CRLF line ends, every value quoted only when needed)."""
    out = io.StringIO()
    cols = list(columns or LAYOUTS[stream].columns)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in cols])
    return out.getvalue()


class ExportJob:
    """Writes extracts into `folder`; names are unique and sort in the order they were written."""

    def __init__(self, folder: Path, marker_suffix: str = ".done") -> None:
        self.folder = folder
        self.marker_suffix = marker_suffix
        self.sequence = 0
        folder.mkdir(parents=True, exist_ok=True)

    def next_name(self, stream: str) -> str:
        self.sequence += 1
        return f"{prefix(stream)}_{clock.now():%Y%m%dT%H%M%S}_{self.sequence:04d}.csv"

    def write(
        self,
        stream: str,
        rows: Iterable[dict[str, Any]],
        *,
        completion: Completion = "marker",
        encoding: str | None = None,
        columns: Iterable[str] | None = None,
        name: str | None = None,
    ) -> str:
        """Write one extract; `completion="none"` leaves it as a partial upload. Returns its name."""
        name = name or self.next_name(stream)
        body = render(stream, rows, columns).encode(encoding or ENCODINGS[stream], errors="replace")
        return self.deliver(name, body, completion)

    def deliver(self, name: str, body: bytes, completion: Completion = "marker") -> str:
        target = self.folder / name
        if completion == "rename":
            temporary = self.folder / f"{name}.part"
            temporary.write_bytes(body)
            os.replace(temporary, target)
        elif completion == "none":
            target.write_bytes(body[: max(1, len(body) // 2)])
        else:
            target.write_bytes(body)
            (self.folder / f"{name}{self.marker_suffix}").write_bytes(b"")
        return name

    def complete(self, name: str, body: bytes | None = None) -> None:
        """Finish a partial upload: the whole body (when given), then the marker."""
        if body is not None:
            (self.folder / name).write_bytes(body)
        (self.folder / f"{name}{self.marker_suffix}").write_bytes(b"")

    def redeliver(self, name: str, as_name: str | None = None) -> str:
        """Deliver an already delivered file again: same bytes, newer modification time."""
        source = self.folder / name
        if not source.exists():
            raise ValueError(f"no delivered export named {name!r}")
        body = source.read_bytes()
        target = as_name or name
        path = self.folder / target
        path.write_bytes(body)
        stat = source.stat()
        os.utime(path, (stat.st_atime + 5, stat.st_mtime + 5))
        (self.folder / f"{target}{self.marker_suffix}").write_bytes(b"")
        return target
