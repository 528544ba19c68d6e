"""File transport: MUNIS CSV exports read once each, in order, through a ledger kept in the
stream state (committed with the records, so a crash repeats work but never skips a file).

Promises:
- only complete files are read: with `completion: marker` a file counts once `NAME.done` exists;
  with `rename` every matching name is complete (temporary names such as `.part` never match);
- a file is loaded once: the ledger holds name, size, mtime and SHA-256 of every file seen; the
  same name and content again (a re-delivery) or the same content under a new name is skipped,
  a corrected file under the same name is loaded again;
- files load in name order (exports carry a sortable timestamp in their names); an older file
  that completes after a newer one was loaded is recorded as superseded, never applied over it;
- the header must match the expected layout, else a schema-drift error names the differences
  and the file (and those after it) wait until the export or `file_layouts` is fixed;
- UTF-8 with or without BOM and Windows-1252 are read; a duplicate key inside one file (the
  first row is kept) and a ragged row are rejected: quarantined with file, line and reason;
- with `file_extracts: full` (the default) each loaded file lists every row, so it is a snapshot:
  a row absent from a newer file counts as missing (and is deleted by the stream policy).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.munis.config import MunisConfig
from connectors.munis.file_store import Download, ExportDirectory, ExportFile, ExportFileGone
from connectors.munis.layouts import LAYOUTS, Layout
from core.connector.contracts import (
    ReadItem,
    RecordRejected,
    SnapshotCompleted,
    SnapshotStarted,
    StateCheckpoint,
)
from core.errors import ConfigError, FatalError

log = logging.getLogger("hub.munis")


class SchemaDriftError(FatalError):
    """An export's header no longer matches the layout the mapping was written for."""


@dataclass
class FileReport:
    """What reading one file found (kept on the reader for tests and logs)."""

    name: str
    outcome: str  # loaded, redelivered, duplicate_content, superseded, vanished
    sha256: str | None = None
    encoding: str | None = None
    rows: int = 0
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Ledger:
    """Files seen by one stream: name -> {sha256, size, mtime, outcome}; `cursor` = newest loaded."""

    files: dict[str, dict[str, Any]]
    cursor: str | None
    partial: dict[str, Any] | None

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Ledger:
        state = state or {}
        return cls(dict(state.get("files") or {}), state.get("cursor") or None, state.get("partial"))

    def unchanged(self, file: ExportFile) -> bool:
        entry = self.files.get(file.name)
        return entry is not None and entry["size"] == file.size and entry["mtime"] == file.mtime

    def loaded_checksums(self) -> dict[str, str]:
        return {e["sha256"]: n for n, e in self.files.items() if e.get("sha256") and e["outcome"] == "loaded"}

    def record(self, file: ExportFile, outcome: str, sha256: str | None) -> None:
        self.files[file.name] = {"sha256": sha256, "size": file.size, "mtime": file.mtime, "outcome": outcome}

    def state(self, limit: int, partial: dict[str, Any] | None = None) -> dict[str, Any]:
        names = sorted(self.files)[-limit:]
        state: dict[str, Any] = {"cursor": self.cursor or "", "files": {n: self.files[n] for n in names}}
        if partial:
            state["partial"] = partial
        return state


class ExportReader:
    """Reads one stream's export files from an `ExportDirectory`."""

    def __init__(self, config: MunisConfig, directory: ExportDirectory) -> None:
        self.config = config
        self.directory = directory
        self.reports: list[FileReport] = []

    # -- which files -------------------------------------------------------------------------
    def complete_files(self, stream: str) -> tuple[list[ExportFile], list[ExportFile]]:
        """(complete, still being written) files of a stream, in name order."""
        listing = self.directory.list()
        names = {f.name for f in listing}
        pattern = self.config.pattern(stream)
        partial_suffixes = (*tuple(self.config.partial_suffixes), self.config.marker_suffix)
        matching = sorted(
            (
                f
                for f in listing
                if fnmatch.fnmatchcase(f.name, pattern) and not f.name.endswith(partial_suffixes)
            ),
            key=lambda f: f.name,
        )
        if self.config.completion == "rename":
            return matching, []
        done = [f for f in matching if f.name + self.config.marker_suffix in names]
        return done, [f for f in matching if f.name + self.config.marker_suffix not in names]

    def _plan(self, stream: str, ledger: Ledger) -> list[ExportFile]:
        complete, waiting = self.complete_files(stream)
        for file in waiting:
            log.info(
                "munis %s: %s has no %s marker yet; it is read once complete",
                stream,
                file.name,
                self.config.marker_suffix,
            )
        first_run = ledger.cursor is None and not ledger.files
        todo = []
        for file in complete:
            if ledger.unchanged(file):
                continue
            if ledger.cursor and file.name < ledger.cursor:
                log.warning(
                    "munis %s: %s is older than the loaded %s; recorded as superseded",
                    stream,
                    file.name,
                    ledger.cursor,
                )
                ledger.record(file, "superseded", None)
                self.reports.append(FileReport(file.name, "superseded"))
                continue
            todo.append(file)
        if first_run and self.config.first_run == "latest" and len(todo) > 1:
            for file in todo[:-1]:
                ledger.record(file, "superseded", None)
                self.reports.append(FileReport(file.name, "superseded"))
            todo = todo[-1:]
        return todo

    # -- reading -----------------------------------------------------------------------------
    def read(self, stream: str, state: dict[str, Any] | None) -> Iterator[ReadItem]:
        self.reports = []
        ledger = Ledger.from_state(state)
        changed = False
        for file in self._plan(stream, ledger):
            changed = True
            try:
                download = self.directory.download(file.name, file.size)
            except ExportFileGone:
                log.warning("munis %s: %s disappeared before it was read; skipped", stream, file.name)
                self.reports.append(FileReport(file.name, "vanished"))
                continue
            try:
                yield from self._load(stream, file, download, ledger)
            finally:
                download.close()
        if changed or (state or {}).get("partial"):
            yield StateCheckpoint(ledger.state(self.config.ledger_size))

    def _load(self, stream: str, file: ExportFile, download: Download, ledger: Ledger) -> Iterator[ReadItem]:
        previous = ledger.files.get(file.name)
        if previous and previous.get("sha256") == download.sha256:
            ledger.record(file, previous["outcome"], download.sha256)
            self.reports.append(FileReport(file.name, "redelivered", download.sha256))
            log.info("munis %s: %s was delivered again unchanged; not loaded twice", stream, file.name)
            return
        twin = ledger.loaded_checksums().get(download.sha256)
        if twin and twin != file.name:
            ledger.record(file, "duplicate_content", download.sha256)
            self.reports.append(FileReport(file.name, "duplicate_content", download.sha256))
            log.info(
                "munis %s: %s has the same content as the loaded %s; not loaded twice",
                stream,
                file.name,
                twin,
            )
            return
        report = FileReport(file.name, "loaded", download.sha256, self._encoding(download))
        self.reports.append(report)
        resume = (
            ledger.partial if ledger.partial and ledger.partial.get("sha256") == download.sha256 else None
        )
        skip = int(resume["rows"]) if resume and resume.get("name") == file.name else 0
        full_extract = self.config.file_extracts == "full"
        if full_extract and not skip:
            yield SnapshotStarted()
        yield from self._rows(stream, file, download, report, ledger, skip)
        ledger.record(file, "loaded", download.sha256)
        ledger.cursor = max(ledger.cursor or "", file.name)
        ledger.partial = None
        if full_extract:
            yield SnapshotCompleted()
        yield StateCheckpoint(ledger.state(self.config.ledger_size))
        self._log_report(stream, report)

    def _encoding(self, download: Download) -> str:
        if self.config.encoding == "auto":
            return download.encoding
        return "utf-8-sig" if self.config.encoding == "utf-8" else "cp1252"

    def _rows(
        self, stream: str, file: ExportFile, download: Download, report: FileReport, ledger: Ledger, skip: int
    ) -> Iterator[ReadItem]:
        layout = LAYOUTS[stream]
        text = io.TextIOWrapper(download.body, encoding=report.encoding or "utf-8", newline="")
        reader = csv.reader(text, delimiter=self.config.delimiter)
        try:
            header = [h.strip() for h in next(reader, [])]
            self._check_header(stream, file.name, header, layout)
            seen: dict[str, int] = {}
            consumed = 0
            for row in reader:
                consumed += 1
                line = reader.line_num
                replay = consumed <= skip  # read before a resume: already staged or rejected
                record = self._record(row, header, layout)
                position = f"{file.name} line {line}"
                if isinstance(record, str):  # a ragged row: why it cannot be read
                    report.skipped.append((line, record))
                    if not replay:
                        reason = f"{position}: {record}; the row was not loaded"
                        key = _probable_key(row, header, layout)
                        yield RecordRejected({"cells": row}, reason, key=key, position=position)
                    continue
                if record is None:
                    continue
                key = record.get(layout.key)
                if key is None:  # the row cannot be told apart from any other by its key
                    report.skipped.append((line, f"{layout.key} is empty"))
                    if not replay:
                        reason = f"{position}: {layout.key} is empty; the row was not loaded"
                        yield RecordRejected(record, reason, field=layout.key, position=position)
                    continue
                if key in seen:
                    report.duplicates.append((key, seen[key], line))
                    if not replay:
                        reason = f"{file.name} line {line}: {layout.key} {key} repeats line {seen[key]}; the first row was loaded"
                        yield RecordRejected(record, reason, field=layout.key, key=key)
                    continue
                seen[key] = line
                if replay:
                    continue
                report.rows += 1
                yield record
                if consumed % self.config.checkpoint_rows == 0:
                    partial = {"name": file.name, "sha256": download.sha256, "rows": consumed}
                    yield StateCheckpoint(ledger.state(self.config.ledger_size, partial))
        except UnicodeDecodeError as exc:
            raise FatalError(
                f"munis {stream}: {file.name} is not valid {report.encoding} text near line {reader.line_num + 1}",
                hint="export as UTF-8 or Windows-1252, or set encoding in hub.yaml",
            ) from exc
        except csv.Error as exc:
            raise FatalError(
                f"munis {stream}: {file.name} line {reader.line_num}: unreadable CSV ({exc})"
            ) from exc
        finally:
            text.detach()

    @staticmethod
    def _record(row: list[str], header: list[str], layout: Layout) -> dict[str, str | None] | str | None:
        """The row as a record; a reason (text) for a ragged row; None for a blank one."""
        if len(row) != len(header):
            if row and any(cell.strip() for cell in row):
                return f"{len(row)} fields where the header has {len(header)}"
            return None
        values = [cell.strip() or None for cell in row]
        if not any(values):
            return None
        record: dict[str, str | None] = dict(zip(header, values, strict=True))
        if len(record) != len(layout.columns):  # a custom layout without some columns: null them
            for column in layout.columns:
                record.setdefault(column, None)
        return record

    def _check_header(self, stream: str, name: str, header: list[str], layout: Layout) -> None:
        expected = self.config.file_layouts.get(stream) or list(layout.columns)
        if layout.key not in expected:
            raise ConfigError(f"munis file_layouts.{stream} must include the key column {layout.key}")
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        repeated = sorted({c for c in header if header.count(c) > 1})
        if missing or repeated or (extra and not self.config.allow_extra_columns):
            parts = [f"missing {missing}"] if missing else []
            parts += [f"unexpected {extra}"] if extra and not self.config.allow_extra_columns else []
            parts += [f"repeated {repeated}"] if repeated else []
            raise SchemaDriftError(
                f"munis {stream}: the header of {name} does not match the expected layout: {'; '.join(parts)}",
                hint=f"fix the MUNIS export definition, or set file_layouts.{stream} (and allow_extra_columns) "
                "in hub.yaml and the mapping to match; this file and later ones wait until then",
            )

    @staticmethod
    def _log_report(stream: str, report: FileReport) -> None:
        log.info("munis %s: loaded %s (%d rows, %s)", stream, report.name, report.rows, report.encoding)
        if report.duplicates:
            sample = ", ".join(f"{k} (lines {a} and {b})" for k, a, b in report.duplicates[:5])
            log.warning(
                "munis %s: %s has %d duplicate keys; the first row of each was loaded: %s",
                stream,
                report.name,
                len(report.duplicates),
                sample,
            )
        if report.skipped:
            sample = ", ".join(f"line {n}: {why}" for n, why in report.skipped[:5])
            log.warning("munis %s: %s: %d rows skipped: %s", stream, report.name, len(report.skipped), sample)


def _probable_key(row: list[str], header: list[str], layout: Layout) -> str | None:
    """The key a ragged row holds where the header puts it: enough to keep its record live
    through the snapshot (a wrong guess only keeps some other key live one snapshot longer)."""
    position = header.index(layout.key) if layout.key in header else None
    if position is None or position >= len(row):
        return None
    return row[position].strip() or None
