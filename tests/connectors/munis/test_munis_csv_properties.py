"""Property: whatever text an export carries (delimiters, quotes, line breaks, accents, blanks),
in any supported encoding, the file transport reads back exactly the trimmed values (blank ->
null), row for row."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.munis.config import MunisConfig
from connectors.munis.exports import ExportReader
from connectors.munis.file_store import LocalDirectory
from connectors.munis.layouts import JOB_CLASSES
from connectors.munis.sandbox.exports import ExportJob
from core.connector.contracts import Stream
from core.testing.reading import read

#: characters Windows-1252 can carry, plus the ones CSV must quote
CP1252_TEXT = st.text(
    alphabet=st.characters(codec="cp1252", exclude_categories=("Cs", "Cc"))
    | st.sampled_from([",", '"', "\n", " "]),
    max_size=20,
)
#: (file encoding, configured encoding). Auto-detection reads any valid UTF-8 as UTF-8, so a
#: Windows-1252 file whose bytes happen to form UTF-8 ("Ã©") needs `encoding: cp1252`; the
#: realistic auto-detected case is in test_munis_files.py.
ENCODINGS = [
    ("cp1252", "cp1252"),
    ("utf-8", "auto"),
    ("utf-8-sig", "auto"),
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8"),
]


def rows_strategy(text: st.SearchStrategy[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    row = st.fixed_dictionaries(
        {
            c: (st.from_regex(r"\A[A-Z0-9]{1,6}\Z") if c == JOB_CLASSES.key else text)
            for c in JOB_CLASSES.columns
        }
    )
    return st.lists(row, min_size=1, max_size=15, unique_by=lambda r: r[JOB_CLASSES.key])


class _Stream(Stream):
    """The job_classes stream over a bare ExportReader (no connector needed)."""

    name = "job_classes"
    primary_key = (JOB_CLASSES.key,)

    def __init__(self, reader: ExportReader) -> None:
        self.reader = reader

    def read(self, state: dict[str, Any] | None, partition: dict[str, str]) -> Any:
        return self.reader.read(self.name, state)


def expected(value: str) -> str | None:
    return value.strip() or None


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy(CP1252_TEXT), encodings=st.sampled_from(ENCODINGS))
def test_exported_values_read_back_trimmed(rows: list[dict[str, Any]], encodings: tuple[str, str]) -> None:
    written, configured = encodings
    with tempfile.TemporaryDirectory() as folder:
        ExportJob(Path(folder)).write("job_classes", rows, encoding=written)
        config = MunisConfig.model_validate(
            {"transport": "directory", "file_dir": folder, "encoding": configured}
        )
        reader = ExportReader(config, LocalDirectory(folder))
        records = read(_Stream(reader)).records
    assert records == [{c: expected(r[c]) for c in JOB_CLASSES.columns} for r in rows]
