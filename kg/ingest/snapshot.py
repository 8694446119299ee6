"""JSON Lines plumbing for the big snapshot readers (arxiv, openalex): bad input at scale.

A multi-gigabyte dump is read in one pass, so every failure says where it happened and costs
as little as possible:

- a corrupt line (malformed JSON, invalid UTF-8, not an object) is one issue "file:line: reason"
  and only that line is skipped;
- a line longer than `MAX_LINE_BYTES` (e.g. a run of NUL bytes left by a crash) is skipped
  without ever being held in memory whole;
- a truncated or corrupt gzip stream ends the file with one issue naming how many lines were
  read ("truncated gzip: data ends after line 1234 ..."); every complete record before it is kept.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from kg.ingest.base import WHITESPACE_ONLY, IssueCallback, fail_file, iter_lines
from schema.paper import ReadIssue

#: longest line read (a real arXiv or OpenAlex record is a few kB, the largest a few MB)
MAX_LINE_BYTES = 64 << 20

NOT_AN_OBJECT = "not a JSON object"


def parse_object_line(text: str, name: str, lineno: int, on_issue: IssueCallback) -> dict[str, Any] | None:
    """The JSON object on one line, or None after reporting why it is not one."""
    try:
        record = json.loads(text.rstrip("\r\n"))  # so that error columns count within the line
    except json.JSONDecodeError as exc:
        on_issue(ReadIssue(file=name, line=lineno, reason=f"malformed JSON ({exc.msg} at column {exc.colno})"))
        return None
    except RecursionError:
        on_issue(ReadIssue(file=name, line=lineno, reason="malformed JSON (nested too deeply)"))
        return None
    if not isinstance(record, dict):
        on_issue(ReadIssue(file=name, line=lineno, reason=f"{NOT_AN_OBJECT} ({type(record).__name__})"))
        return None
    return record


def iter_json_objects(stream: BinaryIO, name: str, on_issue: IssueCallback) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each JSON object line of a stream; bad lines reported.

    Blank lines are ignored (a file of nothing else fails: `WHITESPACE_ONLY`). A read failure of
    the stream itself (truncated or corrupt gzip, an I/O error) ends the file through `fail_file`,
    with the number of lines read in the reason.
    """
    lineno = 0
    content = False
    try:
        for lineno, text in iter_lines(stream, name, on_issue, MAX_LINE_BYTES):
            if text is None:  # unreadable (reported)
                content = True
                continue
            if text.isspace() or not text:
                continue
            content = True
            record = parse_object_line(text, name, lineno, on_issue)
            if record is not None:
                yield lineno, record
    except EOFError:
        raise fail_file(f"truncated gzip: data ends after line {lineno}, the rest of the file is lost") from None
    except zlib.error as exc:
        raise fail_file(f"corrupt gzip: unreadable after line {lineno} ({exc})") from None
    except OSError as exc:  # gzip.BadGzipFile (bad CRC, garbage between members) or an I/O error
        what = "corrupt gzip" if isinstance(exc, gzip.BadGzipFile) else "cannot read file"
        raise fail_file(f"{what}: unreadable after line {lineno} ({exc.strerror or exc})") from None
    if not content:
        raise fail_file(WHITESPACE_ONLY)
