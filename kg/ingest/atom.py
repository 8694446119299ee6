"""arXiv API results (an Atom feed, export.arxiv.org/api/query) as arXiv snapshot records.

Each ``<entry>`` of the feed becomes the dict the snapshot reader (`kg.ingest.arxiv`) takes::

    <entry>
      <id>http://arxiv.org/abs/2106.01234v2</id>           -> "id": "2106.01234" (version dropped,
      <published>2021-06-02T17:59:59Z</published>              so the snapshot's id is the same)
      <title>Sparse ...</title>                             -> "title"
      <summary>  We ...</summary>                          -> "abstract"
      <author><name>Ana Sousa</name></author> ...           -> "authors": ["Ana Sousa", ...]
      <arxiv:journal_ref>...</arxiv:journal_ref>            -> "journal-ref"
      <arxiv:doi>10.1/x</arxiv:doi>                         -> "doi"
      <category term="cs.CL" .../> ...                      -> "categories": "cs.CL cs.IR"
    </entry>

with ``versions`` holding the publication date (the year of the first version). The feed is
parsed incrementally (`xml.etree.ElementTree.iterparse`), each entry cleared once read, so a
large saved result set costs the memory of one entry. Entries are numbered ("record N") as the
elements of a JSON document are; XML that stops parsing ends the file with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.etree import ElementTree

from kg.ingest.base import IssueCallback, fail_file

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
ABS_URL_RE = re.compile(r"^https?://arxiv\.org/abs/")
VERSION_RE = re.compile(r"v\d+$")


def _text(entry: ElementTree.Element, tag: str) -> str | None:
    """The text of the entry's first `tag` child, None when there is none."""
    child = entry.find(tag)
    return child.text if child is not None and child.text is not None else None


def entry_record(entry: ElementTree.Element) -> dict[str, Any]:
    """The snapshot-layout record of one Atom ``<entry>`` (fields missing from it are left out)."""
    record: dict[str, Any] = {}
    if (raw_id := _text(entry, ATOM + "id")) is not None:
        record["id"] = VERSION_RE.sub("", ABS_URL_RE.sub("", raw_id.strip()))
    for tag, field in ((ATOM + "title", "title"), (ATOM + "summary", "abstract"),
                       (ARXIV + "journal_ref", "journal-ref"), (ARXIV + "doi", "doi")):
        if (value := _text(entry, tag)) is not None:
            record[field] = value
    if (published := _text(entry, ATOM + "published")) is not None:
        record["versions"] = [{"version": "v1", "created": published}]
    names = [name for author in entry.iter(ATOM + "author") if (name := _text(author, ATOM + "name"))]
    if names:
        record["authors"] = names
    terms = [term for category in entry.iter(ATOM + "category") if (term := category.get("term"))]
    if terms:
        record["categories"] = " ".join(terms)
    return record


def iter_atom_records(stream: BinaryIO, name: str, on_issue: IssueCallback) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(entry number, snapshot-layout record, "record N: ") for each entry of an arXiv Atom feed."""
    index = 0
    try:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag != ATOM + "entry":
                continue
            index += 1
            record = entry_record(element)
            element.clear()
            yield index, record, f"record {index}: "
    except ElementTree.ParseError as exc:  # "not well-formed (invalid token): line 5, column 3"
        raise fail_file(f"not valid XML ({exc}; after record {index})") from None
