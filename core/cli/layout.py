"""Records that read whole at any width: a table when every value fits the terminal, else one
block per record (`name: value` lines), never a column cut to `instanc…`.

`--wide` keeps the table whatever the width (for a pager or a wide log); cron and pipes get the
terminal's width from COLUMNS, 80 when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

#: what a table costs around its values: a border and a space each side of every column
CELL_PADDING = 3


@dataclass
class Records:
    """A titled list of records with the same columns; values are plain text (no markup)."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str | None = None
    #: the column whose value names a record in the block layout (its first line)
    key_column: int = 0

    def natural_width(self) -> int:
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
        return sum(widths) + CELL_PADDING * len(widths) + 1


def show(console: Console, records: Records, *, wide: bool = False) -> None:
    """Print as a table if it fits (or `wide`), else as blocks."""
    if wide or records.natural_width() <= console.width:
        natural = records.natural_width()
        table = Table(
            title=records.title,
            title_justify="left",
            caption=records.caption,
            width=natural if natural > console.width else None,
        )
        for column in records.columns:
            table.add_column(column, no_wrap=True, min_width=len(column))
        for row in records.rows:
            table.add_row(*(Text(v) for v in row))
        # rendered at its own width, then printed line by line uncropped: a wide table is
        # for a pager or a log, where the terminal's width does not apply
        options = console.options.update(width=max(console.width, natural))
        for line in console.render_lines(table, options, pad=False):
            console.print(
                Text.assemble(*((seg.text, seg.style or "") for seg in line)), crop=False, soft_wrap=True
            )
        return
    console.print(Text(records.title, style="italic"))
    for row in records.rows:
        console.print(_block(records, row), highlight=False, soft_wrap=False)
    if records.caption:
        console.print(Text(records.caption, style="dim"))


def _block(records: Records, row: Sequence[str]) -> str:
    """`key` on its own line, then the other columns indented, one per line; counts (numbers)
    share one line (`read 17  ins 17  upd 0`)."""
    label_width = max(len(c) for c in records.columns)
    lines = [f"[bold]{escape(row[records.key_column])}[/]"]
    counts = []
    for index, (column, value) in enumerate(zip(records.columns, row, strict=True)):
        if index == records.key_column:
            continue
        if value.isdigit():
            counts.append(f"{escape(column)} {value}")
        else:
            lines.append(f"  {escape(column).ljust(label_width)}  {escape(value)}")
    if counts:
        lines.append("  " + "  ".join(counts))
    return "\n".join(lines)
