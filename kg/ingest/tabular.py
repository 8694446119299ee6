"""CSV and TSV readers: a header row, then one paper per record (quoted newlines allowed).

Column names are matched case-insensitively against `records.FIELD_ALIASES` (title;
abstract|summary; id; year|date|published; authors; venue|journal; url; doi; arxiv_id). Issues
carry the line a record starts on. Lines are decoded one by one so that invalid UTF-8 only
costs the record it sits in.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from typing import BinaryIO

from kg.ingest.base import UTF8_BOM, IssueCallback, fail_file, file_reader, invalid_utf8_reason
from kg.ingest.records import FIELD_ALIASES, make_paper
from schema.paper import Paper, ReadIssue

#: largest field accepted (the csv default, 128 KiB, is too small for some abstracts; a bound
#: still stops an unclosed quote from swallowing a whole file into memory)
MAX_FIELD_CHARS = 32 << 20
REQUIRED_COLUMNS = ("title", "abstract")


def _raise_field_size_limit() -> None:
    """Raise the csv module's field size limit (a process-wide setting) to MAX_FIELD_CHARS."""
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(min(MAX_FIELD_CHARS, sys.maxsize))


def column_map(header: list[str]) -> dict[str, int]:
    """Canonical field -> column index, matching header names case-insensitively."""
    index = {}
    for position, column in enumerate(header):
        index.setdefault(column.strip().lower(), position)
    columns = {}
    for field, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if alias in index:
                columns[field] = index[alias]
                break
    return columns


class _Lines:
    """Decoded physical lines for the csv module; lines with invalid UTF-8 are remembered.

    A bad line is decoded with "surrogateescape" so the csv parser still sees its quotes and
    delimiters (and record boundaries stay right); the record holding it is then skipped.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bad: dict[int, str] = {}  # line number -> reason

    def __iter__(self) -> Iterator[str]:
        lineno = 0
        for raw in self._stream:
            lineno += 1
            if lineno == 1 and raw.startswith(UTF8_BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.bad[lineno] = invalid_utf8_reason(raw, exc)
                yield raw.decode("utf-8", "surrogateescape")


def _parse_table(
    stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str], *, delimiter: str, source: str
) -> Iterator[Paper]:
    """Read the header, check the required columns, then turn each record into a paper."""
    _raise_field_size_limit()
    lines = _Lines(stream)
    reader = csv.reader(iter(lines), delimiter=delimiter)
    last_line = 0
    try:
        header: list[str] | None = None
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if lines.bad:
                bad = _pop_bad(lines.bad, first_line, last_line)
                if bad is not None:
                    bad_line, reason = bad
                    if bad_line != first_line:  # inside a quoted multi-line field
                        reason = f"{reason[:-1]} of line {bad_line})"
                    on_issue(ReadIssue(file=name, line=first_line, reason=reason))
                    continue
            if not row:
                continue
            if header is None:
                header = row
                columns = column_map(header)
                missing = [field for field in REQUIRED_COLUMNS if field not in columns]
                if missing:
                    found = ", ".join(column.strip() for column in header)
                    raise fail_file(f"no {' or '.join(missing)} column (columns: {found})")
                width = len(header)
                continue
            record = {field: row[index] for field, index in columns.items() if index < len(row)}
            if len(row) < width and ("title" not in record or "abstract" not in record):
                on_issue(ReadIssue(file=name, line=first_line, reason=f"too few fields ({len(row)} of {width})"))
                continue
            paper = make_paper(record, file=name, line=first_line, source=source, on_issue=on_issue, seen=seen)
            if paper is not None:
                yield paper
    except csv.Error as exc:
        raise fail_file(f"malformed {source.upper()} (from line {last_line + 1} on: {exc})") from None
    if header is None:
        raise fail_file("no header row")


def _pop_bad(bad: dict[int, str], first: int, last: int) -> tuple[int, str] | None:
    """(line, reason) of the first bad line in [first, last]; forgets the bad lines up to last."""
    found = None
    for lineno in sorted(bad):
        if lineno > last:
            break
        if found is None and lineno >= first:
            found = (lineno, bad[lineno])
        del bad[lineno]
    return found


def _parse_csv(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """Comma-separated records."""
    return _parse_table(stream, name, on_issue, seen, delimiter=",", source="csv")


def _parse_tsv(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """Tab-separated records."""
    return _parse_table(stream, name, on_issue, seen, delimiter="\t", source="tsv")


read_csv = file_reader(_parse_csv)
read_tsv = file_reader(_parse_tsv)
