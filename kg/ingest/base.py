"""What every reader shares: opening (gzip by magic bytes), line decoding, file-level failures.

Conventions all readers follow:

- a problem with one record is a `ReadIssue` with its 1-based line (or record number) and
  `skipped=True`; a record kept despite a problem is a warning (`skipped=False`);
- a problem with the whole file (cannot open, not gzip, empty, unreadable, wrong columns) is a
  `ReadIssue` with ``line=None``: the file counts as failed and the run goes on;
- the raised `IngestError` is kept for usage errors (unknown format) that stop a run at once.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import BinaryIO, Protocol

from schema.paper import Paper, ReadIssue

IssueCallback = Callable[[ReadIssue], None]

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
#: decoding errors: a UTF-16 surrogate encoded as UTF-8 (as Java and JavaScript tools write a lone
#: one) is let through, for `clean.clean_text` to pair or replace; any other bad byte still fails
DECODE_ERRORS = "surrogatepass"
_BUFFER_SIZE = 1 << 20

EMPTY_FILE = "empty file"
#: the reason for a file of blank lines only (a parser raises `fail_file(WHITESPACE_ONLY)`)
WHITESPACE_ONLY = "empty file (only whitespace)"


class IngestError(ValueError):
    """A usage error in reading input (e.g. an unknown format); its message is one line."""


class Reader(Protocol):
    """Turns one file into papers, reporting every skipped record or warning to `on_issue`.

    `seen` is the set of paper ids already read in this run (shared across files): a reader
    adds each id it yields and reports a later paper with a known id as a duplicate.
    """

    def __call__(
        self, path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None
    ) -> Iterator[Paper]: ...


class _FileFailure(Exception):
    """Raised inside a reader to abandon the file with one file-level issue."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fail_file(reason: str) -> _FileFailure:
    """The exception a parser raises to stop reading a file (reported once, file counted failed)."""
    return _FileFailure(reason)


def open_input(path: Path) -> BinaryIO:
    """Open a file for binary reading, decompressing gzip whatever the file is named.

    Raises `_FileFailure` when a file named ``.gz`` is not gzip data, and `OSError` when the
    file cannot be opened.
    """
    raw = open(path, "rb", buffering=_BUFFER_SIZE)  # noqa: SIM115 - returned to the caller
    try:
        magic = raw.peek(2)[:2]
        if magic == GZIP_MAGIC:
            return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
        if path.name.lower().endswith(".gz") and magic:
            raise fail_file("not gzip-compressed although named .gz")
    except BaseException:
        raw.close()
        raise
    return raw


def _close(stream: BinaryIO) -> None:
    """Close a stream and, for gzip, the file under it (GzipFile leaves its fileobj open)."""
    inner = getattr(stream, "fileobj", None)
    stream.close()
    if inner is not None:
        inner.close()


def file_reader(
    parse: Callable[[BinaryIO, str, IssueCallback, set[str]], Iterator[Paper]],
) -> Reader:
    """Wrap a stream parser into a `Reader` that turns file-level failures into one issue.

    The parser gets the opened (decompressed) stream, the file name for issues, the callback
    and the run's set of seen ids. Whatever goes wrong with the file itself (missing, a
    directory, no permission, corrupt gzip, empty, a `fail_file` from the parser) becomes a
    `ReadIssue` with ``line=None``; papers already yielded stay yielded.
    """

    @wraps(parse)
    def read(path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None) -> Iterator[Paper]:
        path = Path(path)
        name = str(path)
        try:
            stream = open_input(path)
        except OSError as exc:
            on_issue(ReadIssue(file=name, reason=f"cannot open file ({exc.strerror or exc})"))
            return
        except _FileFailure as exc:
            on_issue(ReadIssue(file=name, reason=exc.reason))
            return
        try:
            if not stream.peek(1):  # type: ignore[attr-defined]
                on_issue(ReadIssue(file=name, reason=EMPTY_FILE))
                return
            yield from parse(stream, name, on_issue, set() if seen is None else seen)
        except _FileFailure as exc:
            on_issue(ReadIssue(file=name, reason=exc.reason))
        except (OSError, EOFError, zlib.error) as exc:
            on_issue(ReadIssue(file=name, reason=f"cannot read file ({_describe(exc)})"))
        finally:
            _close(stream)

    return read


def _describe(exc: BaseException) -> str:
    """A one-line description of a read error (gzip errors carry no strerror)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def invalid_utf8_reason(raw: bytes, exc: UnicodeDecodeError) -> str:
    """"invalid UTF-8 (byte 0xff at column N)" with N the 1-based character column."""
    column = len(raw[: exc.start].decode("utf-8", DECODE_ERRORS)) + 1  # the prefix before the error is valid
    return f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})"


def _skip_rest_of_line(stream: BinaryIO, chunk: int) -> None:
    """Read on to the end of an over-long line, `chunk` bytes at a time."""
    while True:
        part = stream.readline(chunk)
        if not part or part.endswith(b"\n"):
            return


def iter_lines(stream: BinaryIO, name: str, on_issue: IssueCallback,
               max_bytes: int = -1) -> Iterator[tuple[int, str | None]]:
    """(1-based physical line number, decoded line) for each line of a stream.

    A line with invalid UTF-8, or longer than `max_bytes` (when positive; e.g. a run of NUL bytes
    left by a crash, never held in memory whole), is reported and comes out as None (so that a
    reader whose records span lines can drop the rest of that record); a UTF-8 byte order mark is
    dropped. Line ends are left on the text: callers strip (or let `json` ignore) them.
    """
    lineno = 0
    while raw := stream.readline(max_bytes):
        lineno += 1
        if 0 < max_bytes == len(raw) and not raw.endswith(b"\n"):
            on_issue(ReadIssue(file=name, line=lineno, reason=f"line too long (over {max_bytes:,} bytes)"))
            _skip_rest_of_line(stream, max_bytes)
            yield lineno, None
            continue
        if lineno == 1 and raw.startswith(UTF8_BOM):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8", DECODE_ERRORS)
        except UnicodeDecodeError as exc:
            on_issue(ReadIssue(file=name, line=lineno, reason=invalid_utf8_reason(raw, exc)))
            yield lineno, None
        else:
            yield lineno, text

