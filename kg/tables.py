"""Tables for people at any width: numbers whole, long names folded, columns chosen by the width.

Rich shrinks every column of a table wider than the console, numbers included, down to `0.…`;
these helpers keep numbers whole (`no_wrap`, a minimum width of their longest cell), fold long
names instead of cutting them, and let a command offer narrower layouts (fewer or merged
columns) that are used when the wide one does not fit. Output to a pipe or file is laid out for
`$COLUMNS`, else `PIPE_WIDTH` columns (Rich's own default there is 80).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

__all__ = ["PIPE_WIDTH", "Col", "Layout", "fit_columns", "fitting", "make_table", "needed_width",
           "output_width", "print_layouts", "print_table"]


#: width of table output that goes to a pipe or file when $COLUMNS is not set
PIPE_WIDTH = 100
#: a cell that is a number as tables show them: 12, 1,234, -0.5, 36.0%, 1e-05, "-" for none
_NUMBER = re.compile(r"^(-|[-+]?(\d[\d,]*)?\.?\d+(e[-+]?\d+)?%?)?$")
#: a row of `None` in `make_table` rows starts a new section (a rule across the table)
SECTION = None


@dataclass(frozen=True)
class Col:
    """One column: `numeric` ones are right-aligned and never wrapped or cut (write a long header
    on two lines, "lenient\\nF1"); text ones fold words longer than the column, and `min_width` is
    the narrowest they are laid out at before a narrower layout is chosen."""

    header: str
    numeric: bool = False
    min_width: int = 8


#: a table's columns and its rows (a `None` row starts a section)
Layout = tuple[Sequence[Col], Sequence[Sequence[Any] | None]]


def _cell_width(cell: Any) -> int:
    """Terminal columns of a cell's widest line, as shown (markup rendered)."""
    try:
        return max((Text.from_markup(line).cell_len for line in str(cell).splitlines()), default=0)
    except MarkupError:  # not markup after all: shown as written
        return max((Text(line).cell_len for line in str(cell).splitlines()), default=0)


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[Any] | None]) -> list[int]:
    """Each column's width in the narrowest layout that keeps every number whole."""
    widths = []
    for i, col in enumerate(cols):
        header = _cell_width(col.header)
        if col.numeric:
            widths.append(max([header, *(_cell_width(r[i]) for r in rows if r is not None)]))
        else:
            longest = max([*(_cell_width(w) for w in col.header.split()),
                           *(_cell_width(r[i]) for r in rows if r is not None)], default=0)
            widths.append(min(col.min_width, max(longest, 1)))
    return widths


def needed_width(cols: Sequence[Col], rows: Sequence[Sequence[Any] | None]) -> int:
    """Columns the table needs at least (cells, padding and the box's rules)."""
    return sum(_widths(cols, rows)) + 3 * len(cols) + 1


def fitting(layouts: Sequence[Layout], width: int) -> int:
    """Index of the first layout that fits in `width` columns (the last, narrowest, if none does)."""
    for i, (cols, rows) in enumerate(layouts):
        if needed_width(cols, rows) <= width:
            return i
    return len(layouts) - 1


def make_table(cols: Sequence[Col], rows: Sequence[Sequence[Any] | None], **table_options: Any) -> Table:
    """A rich Table of `rows` (a `None` row starts a section); numbers whole, names folded."""
    table = Table(**table_options)
    widths = _widths(cols, rows)
    for col, width in zip(cols, widths):
        if col.numeric:
            table.add_column(col.header, justify="right", no_wrap=True, min_width=width, overflow="fold")
        else:
            table.add_column(col.header, overflow="fold")
    for row in rows:
        if row is None:
            table.add_section()
        else:
            table.add_row(*(str(cell) for cell in row))
    return table


def output_width(console: Console) -> int:
    """The width tables are laid out for: $COLUMNS when set, the terminal's, else `PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if console.is_terminal:
        return console.width
    return PIPE_WIDTH


def print_layouts(console: Console, layouts: Sequence[Layout], **table_options: Any) -> None:
    """Print the first of `layouts` (columns, rows) that fits the output width, widest first. When
    not even the last fits, it is printed wider than the terminal rather than cutting a number."""
    width = output_width(console)
    cols, rows = layouts[fitting(layouts, width)]
    _print_at(console, make_table(cols, rows, **table_options), max(width, needed_width(cols, rows)))


def fit_columns(table: Table) -> Layout:
    """Make a table built elsewhere keep its numbers whole and fold its long names: a column whose
    cells are all numbers (or "-", or empty) is right-aligned, never wrapped, at least as wide as its
    longest cell; any other folds words longer than it is. Returns the table's layout (columns, rows)."""
    cols: list[Col] = []
    for column in table.columns:
        cells = [str(c) for c in column.cells]
        numeric = any(c.strip() for c in cells) and all(_NUMBER.match(c.strip()) for c in cells)
        if numeric:
            column.justify, column.no_wrap, column.overflow = "right", True, "fold"
            column.min_width = max(column.min_width or 0, *(_cell_width(c) for c in [*cells, column.header]))
        else:  # a minimum or ratio of its own makes Rich lay the table out wider than the width it has
            column.overflow, column.min_width, column.ratio = "fold", None, None
        cols.append(Col(str(column.header), numeric=bool(numeric)))
    rows = [list(row) for row in zip(*([str(c) for c in column.cells] for column in table.columns))]
    return cols, rows


def print_table(console: Console, table: Table | Group) -> None:
    """Print a table (or a Group holding tables) laid out for `output_width` (not Rich's 80 columns
    in a pipe), numbers whole and long names folded (`fit_columns`); wider than the terminal when
    its numbers need it."""
    tables = [r for r in table.renderables if isinstance(r, Table)] if isinstance(table, Group) else [table]
    needed = [needed_width(*fit_columns(t)) for t in tables]
    _print_at(console, table, max([output_width(console), *needed]))


def _print_at(console: Console, renderable: Any, width: int) -> None:
    saved = console._width  # noqa: SLF001 - Console.print(width=) cannot go beyond the console's width
    console.width = width
    try:
        console.print(renderable)
    finally:
        console._width = saved  # noqa: SLF001
