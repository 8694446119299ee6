"""JSON readers: JSON Lines (one object per line) and a JSON document (an array, one object, or
an API page ``{"meta": ..., "results": [...]}``), told apart by content, not by file name.

`iter_records` gives the objects of either container to every JSON-based reader (plain, arxiv,
openalex). A JSON array is parsed element by element from 1 MiB chunks with
`json.JSONDecoder.raw_decode`, so memory stays bounded by the largest element, not the file. In a
JSON document a line number means little, so issues carry the 1-based element index ("record N")
as their line. A line of JSON Lines that is itself an API page gives each of its results.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from kg.ingest.base import WHITESPACE_ONLY, IssueCallback, fail_file, file_reader
from kg.ingest.atom import iter_atom_records
from kg.ingest.layout import ATOM_LAYOUT, Layout, sniff
from kg.ingest.records import make_paper
from kg.ingest.snapshot import NOT_AN_OBJECT, iter_json_objects
from kg.paths import format_suffix
from schema.paper import Paper, ReadIssue

#: (line, or record number in a document; the object; the prefix its issues start with)
Record = tuple[int, dict[str, Any], str]

_CHUNK_BYTES = 1 << 20
#: an element still unfinished after this many characters is treated as malformed
MAX_ELEMENT_CHARS = 64 << 20
#: a parse error this far before the end of the buffer cannot be cured by reading more
_ERROR_MARGIN = 64

_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: bytes that were not UTF-8, kept by the "surrogateescape" decoder as U+DC80..U+DCFF
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()


def page_results(record: dict[str, Any]) -> list[Any] | None:
    """The results of an API page (``{"meta": {...}, "results": [...]}``), None for any other object."""
    results = record.get("results")
    return results if isinstance(results, list) and "title" not in record and "abstract" not in record else None


def _iter_line_records(stream: BinaryIO, name: str, on_issue: IssueCallback) -> Iterator[Record]:
    """One JSON object per line; blank lines are ignored, every bad line is reported."""
    for lineno, record in iter_json_objects(stream, name, on_issue):
        results = page_results(record)
        if results is None:
            yield lineno, record, ""
            continue
        for index, result in enumerate(results, 1):
            if isinstance(result, dict):
                yield lineno, result, f"result {index}: "
            else:
                on_issue(ReadIssue(file=name, line=lineno, reason=f"result {index}: {NOT_AN_OBJECT} ({type(result).__name__})"))


def iter_records(stream: BinaryIO, name: str, on_issue: IssueCallback, container: str) -> Iterator[Record]:
    """The objects of a JSON input: JSON Lines when `container` is "lines", else a document
    (or, for "atom", the entries of an arXiv Atom feed as snapshot records)."""
    if container == "lines":
        return _iter_line_records(stream, name, on_issue)
    if container == "atom":
        return iter_atom_records(stream, name, on_issue)
    return _iter_document_records(stream, name, on_issue)


def json_container(layout: Layout, path: Path) -> str:
    """"lines" or "document" for a sniffed file; when its content does not tell, a document if it
    is named .json, else lines (.jsonl, a snapshot's part_000.gz): one bad line, one issue."""
    if layout.container in ("lines", "document"):
        return layout.container
    return "document" if format_suffix(path) == ".json" else "lines"


class _ChunkedText:
    """Decoded text of a byte stream, read on demand, with the positions of undecodable bytes."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.buf = ""
        self.base = 0  # absolute offset of buf[0] in the decoded text
        self.eof = False
        self.bad: list[tuple[int, int]] = []  # (absolute offset, byte value), in order
        self._first = True

    def more(self, keep_from: int) -> bool:
        """Drop buf[:keep_from], append the next chunk; False at end of input."""
        if self.eof:
            return False
        data = self._stream.read(_CHUNK_BYTES)
        self.eof = not data
        text = self._decoder.decode(data, final=self.eof)
        if self._first:
            text = text.removeprefix("\ufeff")
            self._first = False
        start = self.base + len(self.buf)
        for match in _UNDECODABLE.finditer(text):
            self.bad.append((start + match.start(), ord(match.group()) - 0xDC00))
        self.base += keep_from
        self.buf = self.buf[keep_from:] + text
        return bool(text) or not self.eof

    def skip_space(self, pos: int) -> int:
        """Position of the next non-whitespace character, reading on; len(buf) at the end."""
        while True:
            pos = _WHITESPACE.match(self.buf, pos).end()  # type: ignore[union-attr]
            if pos < len(self.buf):
                return pos
            if not self.more(pos):
                return len(self.buf)
            pos = 0

    def bad_byte_in(self, start: int, end: int) -> int | None:
        """The first undecodable byte between buffer positions start and end, if any."""
        if not self.bad:
            return None
        lo, hi = self.base + start, self.base + end
        self.bad = [item for item in self.bad if item[0] >= lo]
        for offset, byte in self.bad:
            if offset < hi:
                return byte
            break
        return None

    def decode_value(self, pos: int, index: int) -> tuple[object, int, int]:
        """(value, start, end) of the JSON value at buf[pos:], reading more when it is cut off."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, pos)
            except json.JSONDecodeError as exc:
                cut_off = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - _ERROR_MARGIN
                if self.eof or not cut_off:
                    raise fail_file(f"not valid JSON ({exc.msg} in record {index})") from None
                if len(self.buf) - pos > MAX_ELEMENT_CHARS:
                    raise fail_file(f"not valid JSON (record {index} unfinished after {MAX_ELEMENT_CHARS} characters)") from None
            except RecursionError:
                raise fail_file(f"not valid JSON (record {index} nested too deeply)") from None
            else:
                if end < len(self.buf) or self.eof:  # a number may continue in the next chunk
                    return value, pos, end
            self.more(pos)
            pos = 0


def _iter_document_records(stream: BinaryIO, name: str, on_issue: IssueCallback) -> Iterator[Record]:
    """A top-level array of objects (streamed element by element), one object, or an API page."""
    text = _ChunkedText(stream)
    pos = text.skip_space(0)
    if pos >= len(text.buf):
        raise fail_file(WHITESPACE_ONLY)
    if text.buf[pos] == "{":
        value, start, end = text.decode_value(pos, 1)
        if text.skip_space(end) < len(text.buf):
            raise fail_file("not valid JSON (extra data after the top-level object)")
        if isinstance(value, dict) and (results := page_results(value)) is not None:
            if (byte := text.bad_byte_in(start, end)) is not None:
                raise fail_file(f"invalid UTF-8 (byte 0x{byte:02x})")
            for index, result in enumerate(results, 1):
                yield from _record_or_issue(result, index, name, on_issue)
            return
        yield from _checked_record(text, value, start, end, 1, name, on_issue)
        return
    if text.buf[pos] != "[":
        raise fail_file("not valid JSON (expected a top-level array or object)")
    pos = text.skip_space(pos + 1)
    index = 0
    if pos < len(text.buf) and text.buf[pos] == "]":
        return
    while True:
        index += 1
        if pos >= len(text.buf):
            raise fail_file(f"not valid JSON (file ends inside the array, after record {index - 1})")
        value, start, end = text.decode_value(pos, index)
        yield from _checked_record(text, value, start, end, index, name, on_issue)
        pos = text.skip_space(end)
        char = text.buf[pos] if pos < len(text.buf) else ""
        if char == "]":
            break
        if not char:
            raise fail_file(f"not valid JSON (file ends inside the array, after record {index})")
        if char != ",":
            raise fail_file(f"not valid JSON (expected ',' or ']' after record {index})")
        pos = text.skip_space(pos + 1)
    if text.skip_space(pos + 1) < len(text.buf):
        raise fail_file("not valid JSON (extra data after the top-level array)")


def _checked_record(
    text: _ChunkedText, value: object, start: int, end: int, index: int, name: str, on_issue: IssueCallback,
) -> Iterator[Record]:
    """Yield the element as a record, or report why it is skipped (bad UTF-8, not an object)."""
    byte = text.bad_byte_in(start, end)
    if byte is not None:
        on_issue(ReadIssue(file=name, line=index, reason=f"record {index}: invalid UTF-8 (byte 0x{byte:02x})"))
        return
    yield from _record_or_issue(value, index, name, on_issue)


def _record_or_issue(value: object, index: int, name: str, on_issue: IssueCallback) -> Iterator[Record]:
    """Yield an object element as a record; report any other value."""
    prefix = f"record {index}: "
    if not isinstance(value, dict):
        on_issue(ReadIssue(file=name, line=index, reason=f"{prefix}{NOT_AN_OBJECT} ({type(value).__name__})"))
        return
    yield index, value, prefix


def _parse_plain(
    stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str], *, container: str
) -> Iterator[Paper]:
    """Papers from title/abstract objects (`records.FIELD_ALIASES`) in either container."""
    source = "jsonl" if container == "lines" else "json"
    for line, record, prefix in iter_records(stream, name, on_issue, container):
        paper = make_paper(record, file=name, line=line, source=source, on_issue=on_issue, seen=seen, prefix=prefix)
        if paper is not None:
            yield paper


def read_by_content(
    parse: Callable[..., Iterator[Paper]], path: Path, on_issue: IssueCallback, seen: set[str] | None,
    *, atom: bool = False, **options: Any,
) -> Iterator[Paper]:
    """Run a JSON stream parser (taking ``container=``) on a file, its container told by `sniff`;
    with `atom`, the parser also takes an arXiv API Atom feed (container "atom").

    A file in a layout the parser does not take (XML, a zip archive, OpenAlex authors) is one
    file-level issue that says what was found and what reads it (`unreadable_layout`).
    """
    layout = sniff(Path(path))
    if atom and layout.record == ATOM_LAYOUT:
        container = "atom"
    elif (reason := unreadable_layout(layout)) is not None:
        on_issue(ReadIssue(file=str(path), reason=reason))
        return iter(())
    else:
        container = json_container(layout, Path(path))
    return file_reader(partial(parse, container=container, **options))(path, on_issue, seen=seen)


def read_json(path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None) -> Iterator[Paper]:
    """Stream the papers of a JSON or JSON Lines file (told apart by content; gzip or not)."""
    return read_by_content(_parse_plain, path, on_issue, seen)


read_jsonl = read_json


#: a layout found where JSON was expected -> what it is and what reads it
FOREIGN_LAYOUTS: dict[str, str] = {
    "zip": "a zip archive (a Kaggle download?): unzip it and pass the file inside, "
           "e.g. arxiv-metadata-oai-snapshot.json",
    ATOM_LAYOUT: "an arXiv API Atom feed (XML): pass it with --input-format arxiv",
    "oai-pmh": "arXiv OAI-PMH XML, which kg does not read: use the Kaggle JSON snapshot "
               "(arxiv-metadata-oai-snapshot.json) or an arXiv API Atom feed with --input-format arxiv",
    "xml": "XML, which kg does not read: convert it to JSON Lines with title and abstract fields",
}


def unreadable_layout(layout: Layout) -> str | None:
    """The one-line reason a JSON reader gives for a file in a layout it cannot read, else None."""
    if layout.container == "zip":
        return FOREIGN_LAYOUTS["zip"]
    if layout.container == "xml":
        return FOREIGN_LAYOUTS.get(layout.record, FOREIGN_LAYOUTS["xml"])
    if layout.entity is not None:
        return (f"OpenAlex {layout.entity} records, not works: kg reads works "
                f"(https://api.openalex.org/works?filter=..., or a snapshot's works/ files)")
    return None
