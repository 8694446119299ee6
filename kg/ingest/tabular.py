"""CSV and TSV readers: a header row, then one paper per record (quoted newlines allowed).

Column names are matched case-insensitively against `records.FIELD_ALIASES` (title, titles,
paper_title ...; abstract, summary, summaries, abstract_text, description ...; id; year, date ...;
authors; venue, journal ...; url; doi; arxiv_id). An abstract column is required; a file without
a title column is read with a warning per record. Issues carry the line a record starts on. Lines are decoded one by one so that invalid UTF-8 only
costs the record it sits in; a record with broken quoting or the wrong number of fields only
costs its first line (the rows it swallowed are read again).
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from kg.ingest.base import (
    DECODE_ERRORS,
    UTF8_BOM,
    WHITESPACE_ONLY,
    IssueCallback,
    fail_file,
    file_reader,
    invalid_utf8_reason,
)
from kg.ingest.records import FIELD_ALIASES, make_paper
from schema.paper import Paper, ReadIssue

#: largest field accepted (the csv default, 128 KiB, is too small for some abstracts; a bound
#: still stops an unclosed quote from swallowing a whole file into memory)
MAX_FIELD_CHARS = 32 << 20
REQUIRED_COLUMNS = ("abstract",)
#: columns of an OpenAlex CSV export, which holds no abstract text (only the JSON formats do)
OPENALEX_COLUMNS = ("publication_year", "abstract_inverted_index", "authorships.author.display_name", "cited_by_count")
#: most physical lines one record may span (a quoted multi-line abstract has a few dozen): an
#: unclosed quote is found after this many lines, not at the end of a big file
MAX_RECORD_LINES = 2000


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


class _Feed:
    """Decoded physical lines for the csv module, with a push-back so that parsing can restart.

    `taken` holds the (line number, bad-UTF-8 reason or None) of every line the current record
    consumed. A line with invalid UTF-8 is decoded with "surrogateescape" so the csv parser still
    sees its quotes and delimiters (and record boundaries stay right); its record is then skipped.
    A record running over `MAX_RECORD_LINES` lines ends in a csv.Error (an unclosed quote).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._lines = self._decode(stream)
        self._back: deque[tuple[int, str, str | None]] = deque()
        self.taken: list[tuple[int, str, str | None]] = []

    @staticmethod
    def _decode(stream: BinaryIO) -> Iterator[tuple[int, str, str | None]]:
        for lineno, raw in enumerate(stream, 1):
            if lineno == 1 and raw.startswith(UTF8_BOM):
                raw = raw[3:]
            try:
                yield lineno, raw.decode("utf-8", DECODE_ERRORS), None
            except UnicodeDecodeError as exc:
                yield lineno, raw.decode("utf-8", "surrogateescape"), invalid_utf8_reason(raw, exc)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise csv.Error(f"a quoted field runs over {MAX_RECORD_LINES:,} lines")
        line = self._back.popleft() if self._back else next(self._lines)
        self.taken.append(line)
        return line[1]

    def start_record(self) -> None:
        """Forget the lines of the previous record."""
        self.taken = []

    def restart_after_first_line(self) -> None:
        """Drop the first line of the current record and read its other lines again as new records."""
        self._back.extendleft(reversed(self.taken[1:]))
        self.taken = []

    @property
    def first_line(self) -> int:
        return self.taken[0][0] if self.taken else 0

    def bad_line(self) -> tuple[int, str] | None:
        """(line, reason) of the first line of the current record that was not UTF-8."""
        return next(((lineno, reason) for lineno, _, reason in self.taken if reason is not None), None)


def _quoting_reason(exc: csv.Error) -> str:
    """A one-line reason for a record the strict csv parser rejects."""
    message = str(exc)
    if message == "unexpected end of data" or "runs over" in message:
        return f"unclosed quote ({'it runs to the end of the file' if message == 'unexpected end of data' else message})"
    if "expected after" in message:
        return "malformed quoting (text after a closing quote)"
    if "field limit" in message:
        return f"field too long (over {MAX_FIELD_CHARS:,} characters; an unclosed quote?)"
    return f"malformed quoting ({message!r})"


def _parse_table(
    stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str], *, delimiter: str, source: str
) -> Iterator[Paper]:
    """Read the header, check the required columns, then turn each record into a paper.

    The csv parser is strict about quotes: a stray quote after a closing one, or a quote never
    closed, is an issue on the line the record starts on, and so is a record with more or fewer
    fields than the header. Such a record is never kept (its fields may belong to other rows);
    parsing restarts on the line after its first one, so the good rows it swallowed are kept.
    """
    _raise_field_size_limit()
    feed = _Feed(stream)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    width = 0
    content = False

    def report(reason: str, line: int | None = None) -> None:
        on_issue(ReadIssue(file=name, line=line or feed.first_line, reason=reason))

    while True:
        feed.start_record()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            content = True
            if header is None:
                raise fail_file(f"header at line {feed.first_line}: {_quoting_reason(exc)}") from None
            report(_quoting_reason(exc))
            feed.restart_after_first_line()
            continue
        if not any(field.strip() for field in row):
            continue  # a blank line, or a row of empty fields (spreadsheets leave them at the end)
        content = True
        if (bad := feed.bad_line()) is not None:
            bad_line, reason = bad
            if bad_line != feed.first_line:  # inside a quoted multi-line field
                reason = f"{reason[:-1]} of line {bad_line})"
            report(reason)
            continue
        if header is None:
            header = row
            columns = column_map(header)
            missing = [field for field in REQUIRED_COLUMNS if field not in columns]
            if missing:
                raise fail_file(_missing_columns_reason(missing, header))
            width = len(header)
            continue
        if len(row) != width:
            report(f"too {'few' if len(row) < width else 'many'} fields ({len(row)} of {width})")
            if len(feed.taken) > 1:  # a multi-line record: maybe rows merged by a stray quote
                feed.restart_after_first_line()
            continue
        record = {field: row[index] for field, index in columns.items()}
        paper = make_paper(record, file=name, line=feed.first_line, source=source, on_issue=on_issue, seen=seen)
        if paper is not None:
            yield paper
    if header is None:
        raise fail_file(WHITESPACE_ONLY if not content else "no header row")


def _missing_columns_reason(missing: list[str], header: list[str]) -> str:
    """Why a header cannot be read: the missing fields, the columns found, and for an OpenAlex
    export (no abstract text in CSV) what to download instead."""
    names = {column.strip().lower() for column in header}
    if any(column in names for column in OPENALEX_COLUMNS):
        return ("an OpenAlex CSV export, which has no abstract text: download the works as JSON "
                "(https://api.openalex.org/works?filter=..., or a snapshot's works/ files) and pass that file")
    found = ", ".join(column.strip() for column in header)
    accepted = ", ".join(FIELD_ALIASES[missing[0]])
    return f"no {' or '.join(missing)} column (columns: {found}; accepted names: {accepted})"


def _parse_csv(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """Comma-separated records."""
    return _parse_table(stream, name, on_issue, seen, delimiter=",", source="csv")


def _parse_tsv(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """Tab-separated records."""
    return _parse_table(stream, name, on_issue, seen, delimiter="\t", source="tsv")


read_csv = file_reader(_parse_csv)
read_tsv = file_reader(_parse_tsv)
