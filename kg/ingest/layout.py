"""What a JSON (or look-alike) input holds, told from its first bytes rather than its name.

The files people have are named for where they came from, not for how they are laid out: the
Kaggle arXiv snapshot is JSON Lines named ``arxiv-metadata-oai-snapshot.json``, an OpenAlex
download is an array, a saved API page (``{"meta": ..., "results": [...]}``) or JSON Lines.
`sniff` reads the head of a file (never more than `SNIFF_BYTES`) and says

- its container: ``lines`` (one object per line), ``document`` (an array, one object or an API
  page; `kg.ingest.jsonl` streams it), ``malformed`` (broken JSON from the first line: the file
  name decides how it is read and reported) or a layout no reader takes (``xml``, ``zip``, ...);
- the layout of its first record: ``arxiv`` (the snapshot's fields), ``openalex`` (a work) or
  ``plain`` (title/abstract and their synonyms).

Files it cannot open or decode come back as ``unknown``: the reader then reports the problem.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.ingest.base import GZIP_MAGIC, UTF8_BOM
from kg.ingest.clean import is_arxiv_id, is_openalex_work_id, normalise_arxiv_id

#: the most of a file read to tell its layout (a first record is a few kB)
SNIFF_BYTES = 1 << 20

OPENALEX_URL = "https://openalex.org/"
#: fields only the arXiv snapshot (and its copies) has, next to id, title and abstract
ARXIV_FIELDS = ("versions", "authors_parsed", "update_date", "submitter", "journal-ref")
#: fields only OpenAlex works have
OPENALEX_FIELDS = ("abstract_inverted_index", "authorships", "publication_year", "primary_location")
#: OpenAlex id letters of entities other than works
OPENALEX_ENTITIES = {"A": "authors", "S": "sources", "I": "institutions", "C": "concepts", "P": "publishers",
                     "F": "funders", "T": "topics"}

#: the record layout of an arXiv API Atom feed (read by `kg.ingest.atom` under --input-format arxiv)
ATOM_LAYOUT = "arxiv-atom"
ZIP_MAGIC = b"PK\x03\x04"

_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Layout:
    """A file's container (lines, document, or a foreign one), its first record's layout and keys."""

    container: str
    record: str = "plain"
    keys: tuple[str, ...] = ()
    #: an OpenAlex entity kind other than works ("authors"), when the first record is one
    entity: str | None = None


UNKNOWN = Layout("unknown")


def record_layout(record: Mapping[str, Any]) -> Layout:
    """The layout of one record: arxiv, openalex, or plain (keys kept for messages)."""
    keys = tuple(str(key) for key in record)
    value = record.get("id")
    if isinstance(value, str) and value.startswith(OPENALEX_URL):
        short = value.removeprefix(OPENALEX_URL)
        if is_openalex_work_id(short):
            return Layout("", "openalex", keys)
        return Layout("", "openalex", keys, entity=OPENALEX_ENTITIES.get(short[:1], "not works"))
    if any(field in record for field in OPENALEX_FIELDS):
        return Layout("", "openalex", keys)
    if (isinstance(value, str) and is_arxiv_id(normalise_arxiv_id(value))
            and "abstract" in record and any(field in record for field in ARXIV_FIELDS)):
        return Layout("", "arxiv", keys)
    return Layout("", "plain", keys)


def _of(container: str, record: object) -> Layout:
    """`container` with the layout of `record` (plain when it is not an object)."""
    if isinstance(record, dict):
        if isinstance(results := record.get("results"), list):  # an API page: its first result
            first = results[0] if results else {}
            inner = record_layout(first) if isinstance(first, dict) else Layout("")
            return Layout("page" if container == "lines" else container, inner.record, inner.keys, inner.entity)
        found = record_layout(record)
        return Layout(container, found.record, found.keys, found.entity)
    return Layout(container)


def sniff_text(head: str) -> Layout:
    """The layout of a file whose first (up to `SNIFF_BYTES`) decoded characters are `head`."""
    text = head.lstrip()
    if not text:
        return UNKNOWN
    first = text[0]
    if first == "{":
        line = text.split("\n", 1)[0]
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            pass  # a pretty-printed object, or a first line cut off by the head's end
        else:
            return _of("lines", record)
        try:
            record, _ = _DECODER.raw_decode(text)
        except json.JSONDecodeError as exc:  # cut off by the head's end, or malformed: say which
            return Layout("document" if exc.pos >= len(text) - 64 else "malformed")
        except RecursionError:
            return Layout("malformed")
        return _of("document", record)
    if first == "[":
        rest = text[1:].lstrip()
        try:
            record, _ = _DECODER.raw_decode(rest)
        except (json.JSONDecodeError, RecursionError):
            return Layout("document")
        return _of("document", record)
    if first == "<":
        lowered = text[:4000].lower()
        if "<feed" in lowered and "arxiv" in lowered:
            return Layout("xml", ATOM_LAYOUT)
        if "<oai-pmh" in lowered:
            return Layout("xml", "oai-pmh")
        return Layout("xml")
    return Layout("text")


def _gunzip_head(compressed: bytes) -> bytes:
    """Up to `SNIFF_BYTES` decompressed from the first bytes of a gzip file, truncated or not."""
    try:
        return zlib.decompressobj(wbits=31).decompress(compressed, SNIFF_BYTES)
    except zlib.error:
        return b""


def sniff(path: Path) -> Layout:
    """The layout of a file from its head (gzip or not); `UNKNOWN` when it cannot be read."""
    try:
        with open(path, "rb") as raw:
            magic = raw.read(4)
            if magic == ZIP_MAGIC:
                return Layout("zip")
            raw.seek(0)
            data = raw.read(SNIFF_BYTES)
        if magic.startswith(GZIP_MAGIC):
            data = _gunzip_head(data)
    except OSError:  # missing, a directory, unreadable: the reader says so
        return UNKNOWN
    if data.startswith(UTF8_BOM):
        data = data[3:]
    return sniff_text(data.decode("utf-8", "replace"))
