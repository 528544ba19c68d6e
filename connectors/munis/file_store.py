"""Where export files live (a local or mounted folder; SFTP in `sftp_client.py`) and what a
download yields: a spooled local copy with its SHA-256, size and detected text encoding.

Files are copied before parsing so the checksum (the ledger's identity of a file) and the
encoding are known before the first row is read, and memory stays flat for any file size.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from core.errors import ConfigError, TransientError

CHUNK = 256 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


class ExportFileGone(Exception):
    """The file disappeared between listing and download (archived or replaced)."""


@dataclass(frozen=True)
class ExportFile:
    """One directory entry: name, size and modification time (seconds)."""

    name: str
    size: int
    mtime: int


@dataclass
class Download:
    """A local copy of one export file; `encoding` is what `auto` detection concluded."""

    name: str
    body: IO[bytes]
    size: int
    sha256: str
    encoding: str

    def close(self) -> None:
        self.body.close()


@dataclass
class _Sniffer:
    """Hashes bytes as they stream by and decides between UTF-8 (BOM or not) and Windows-1252."""

    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    head: bytes = b""
    utf8_ok: bool = True
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")()
    )

    def feed(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.size += len(chunk)
        if len(self.head) < 3:
            self.head = (self.head + chunk)[:3]
        if self.utf8_ok:
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_ok = False

    def encoding(self) -> str:
        if self.utf8_ok:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_ok = False
        if self.head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return "utf-8" if self.utf8_ok else "cp1252"


def spool(name: str, chunks: Iterable[bytes], expected_size: int | None, where: str) -> Download:
    """Copy an iterable of byte chunks to a spooled temp file; a short copy is a TransientError."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by Download
    sniffer = _Sniffer()
    try:
        for chunk in chunks:
            sniffer.feed(chunk)
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    if expected_size is not None and sniffer.size != expected_size:
        body.close()
        raise TransientError(
            f"{where}: transfer of {name} stopped after {sniffer.size} of {expected_size} bytes",
            hint="the next attempt downloads it again",
        )
    body.seek(0)
    return Download(name, body, sniffer.size, sniffer.digest.hexdigest(), sniffer.encoding())


class ExportDirectory(Protocol):
    """The folder the MUNIS export job writes to."""

    def describe(self) -> str: ...

    def list(self) -> list[ExportFile]: ...

    def download(self, name: str, expected_size: int | None = None) -> Download: ...

    def close(self) -> None: ...


class LocalDirectory:
    """A local or mounted folder (SMB share, NFS, a sync client's folder)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"folder {self.path}"

    def list(self) -> list[ExportFile]:
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"MUNIS export folder {self.path} does not exist", hint="check file_dir"
            ) from exc
        except PermissionError as exc:
            raise ConfigError(f"MUNIS export folder {self.path} is not readable by the hub") from exc
        files = []
        for entry in entries:
            if entry.is_file():
                stat = entry.stat()
                files.append(ExportFile(entry.name, stat.st_size, int(stat.st_mtime)))
        return files

    def download(self, name: str, expected_size: int | None = None) -> Download:
        path = self.path / name

        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise ExportFileGone(name) from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        return spool(name, chunks(), None, self.describe())

    def close(self) -> None:
        """Nothing to release."""
