"""JSON readers: JSON Lines (one object per line) and a JSON document (an array or one object).

A JSON array is parsed element by element from 1 MiB chunks with `json.JSONDecoder.raw_decode`,
so memory stays bounded by the largest element, not the file. In a JSON document a line number
means little, so issues carry the 1-based element index ("record N") as their line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from kg.ingest.base import WHITESPACE_ONLY, IssueCallback, fail_file, file_reader
from kg.ingest.records import make_paper
from kg.ingest.snapshot import NOT_AN_OBJECT, iter_json_objects
from schema.paper import Paper, ReadIssue

_CHUNK_BYTES = 1 << 20
#: an element still unfinished after this many characters is treated as malformed
MAX_ELEMENT_CHARS = 64 << 20
#: a parse error this far before the end of the buffer cannot be cured by reading more
_ERROR_MARGIN = 64

_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: bytes that were not UTF-8, kept by the "surrogateescape" decoder as U+DC80..U+DCFF
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()


def _parse_jsonl(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """One JSON object per line; blank lines are ignored, every bad line is reported."""
    for lineno, record in iter_json_objects(stream, name, on_issue):
        paper = make_paper(record, file=name, line=lineno, source="jsonl", on_issue=on_issue, seen=seen)
        if paper is not None:
            yield paper


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


def _parse_json(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """A top-level array of objects (streamed element by element) or a single object."""
    text = _ChunkedText(stream)
    pos = text.skip_space(0)
    if pos >= len(text.buf):
        raise fail_file(WHITESPACE_ONLY)
    if text.buf[pos] == "{":
        value, start, end = text.decode_value(pos, 1)
        if text.skip_space(end) < len(text.buf):
            raise fail_file("not valid JSON (extra data after the top-level object)")
        yield from _paper_or_issue(text, value, start, end, 1, name, on_issue, seen)
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
        yield from _paper_or_issue(text, value, start, end, index, name, on_issue, seen)
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


def _paper_or_issue(
    text: _ChunkedText, value: object, start: int, end: int, index: int,
    name: str, on_issue: IssueCallback, seen: set[str],
) -> Iterator[Paper]:
    """Yield the element's paper, or report why the element is skipped."""
    prefix = f"record {index}: "
    byte = text.bad_byte_in(start, end)
    if byte is not None:
        on_issue(ReadIssue(file=name, line=index, reason=f"{prefix}invalid UTF-8 (byte 0x{byte:02x})"))
        return
    if not isinstance(value, dict):
        on_issue(ReadIssue(file=name, line=index, reason=f"{prefix}{NOT_AN_OBJECT} ({type(value).__name__})"))
        return
    paper = make_paper(value, file=name, line=index, source="json", on_issue=on_issue, seen=seen, prefix=prefix)
    if paper is not None:
        yield paper


read_jsonl = file_reader(_parse_jsonl)
read_json = file_reader(_parse_json)
