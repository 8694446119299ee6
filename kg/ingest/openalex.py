"""OpenAlex works reader: one work object per line (the snapshot's gzipped "works/.../part_000.gz").

The fields used, in OpenAlex's layout::

    {"id": "https://openalex.org/W2741809807", "doi": "https://doi.org/10.7717/peerj.4375",
     "title": "...", "display_name": "...", "publication_year": 2018, "publication_date": "2018-02-13",
     "primary_location": {"source": {"display_name": "PeerJ", ...}, ...},
     "authorships": [{"author": {"display_name": "Heather Piwowar", ...}, ...}, ...],
     "abstract_inverted_index": {"Despite": [0], "growing": [1], ...},
     "concepts": [{"display_name": "Citation", "level": 2, "score": 0.7, ...}, ...],
     "topics": [{"display_name": "...", "subfield": {"display_name": "..."},
                 "field": {"display_name": "Computer Science"}, "domain": {...}}, ...],
     "type": "article", ...}

OpenAlex does not distribute abstracts as text: the abstract is rebuilt by putting each word of
``abstract_inverted_index`` at its positions. A work without one is skipped ("no abstract"). The
paper id is "openalex:<W-id>"; its url is the DOI link, else the OpenAlex page. Inline HTML in
titles (<i>, <sub>) is removed. Categories for the `keep` predicate are the display names of the
work's concepts and topics, including each topic's subfield, field and domain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from kg.ingest.base import IssueCallback
from kg.ingest.clean import clean_html, is_openalex_work_id, parse_year, preview
from kg.ingest.filters import KeepPredicate
from kg.ingest.jsonl import iter_records, read_by_content
from kg.ingest.records import make_paper
from schema.paper import Paper, ReadIssue

SOURCE = "openalex"
ID_PREFIX = "openalex:"
OPENALEX_URL = "https://openalex.org/"
DOI_URL = "https://doi.org/"
NO_ABSTRACT = "no abstract"

_TOPIC_LEVELS = ("subfield", "field", "domain")


class MalformedIndex(ValueError):
    """An ``abstract_inverted_index`` that is not {word: [position, ...]}."""


def _get(value: object, *keys: str) -> object:
    """value[k1][k2]...; None as soon as a level is missing or not an object (OpenAlex nests nulls)."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def work_id(record: Mapping[str, Any]) -> str | None:
    """The work's short id, "https://openalex.org/W2741809807" -> "W2741809807"; None when missing."""
    value = record.get("id")
    if not isinstance(value, str):
        return None
    return value.strip().removeprefix(OPENALEX_URL) or None


def work_year(record: Mapping[str, Any]) -> int | None:
    """``publication_year``, else the year of ``publication_date``."""
    year = parse_year(record.get("publication_year"))
    return year if year is not None else parse_year(record.get("publication_date"))


def work_categories(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Display names of the work's concepts and topics (with their subfield, field and domain)."""
    names: list[str] = []
    for concept in record.get("concepts") or ():
        if isinstance(name := _get(concept, "display_name"), str):
            names.append(name)
    for topic in record.get("topics") or ():
        if isinstance(name := _get(topic, "display_name"), str):
            names.append(name)
        for level in _TOPIC_LEVELS:
            if isinstance(name := _get(topic, level, "display_name"), str):
                names.append(name)
    return tuple(names)


def rebuild_abstract(index: Mapping[str, Any]) -> str:
    """The abstract text of an inverted index: each word placed at each of its positions.

    Words sharing a position keep the index's order; gaps in the positions are closed up.

    Raises
    ------
    MalformedIndex
        When a value is not a list of non-negative integer positions.

    Examples
    --------
    >>> rebuild_abstract({"a": [1, 3], "We": [0], "model": [4], "propose": [2]})
    'We a propose a model'
    """
    placed: list[tuple[int, str]] = []
    for word, positions in index.items():
        if not isinstance(positions, list):
            raise MalformedIndex(f"positions of {word!r} are not a list")
        for position in positions:
            if type(position) is not int or position < 0:
                raise MalformedIndex(f"bad position {position!r} of {word!r}")
            placed.append((position, word))
    placed.sort(key=itemgetter(0))
    return " ".join(word for _, word in placed)


def work_authors(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Author display names in authorship order (the raw name when the author is unresolved)."""
    names = []
    for authorship in record.get("authorships") or ():
        name = _get(authorship, "author", "display_name") or _get(authorship, "raw_author_name")
        if isinstance(name, str) and name.strip():
            names.append(name)
    return tuple(names)


def work_venue(record: Mapping[str, Any]) -> str | None:
    """The primary location's source name (older snapshots: ``host_venue``)."""
    for path in (("primary_location", "source", "display_name"), ("host_venue", "display_name")):
        if isinstance(name := _get(record, *path), str) and name.strip():
            return name
    return None


def work_url(record: Mapping[str, Any], short_id: str) -> str:
    """The DOI link when the work has a DOI, else its OpenAlex page."""
    doi = record.get("doi")
    if isinstance(doi, str) and (doi := doi.strip()):
        return doi if doi.startswith(("https://", "http://")) else DOI_URL + doi.removeprefix("doi:")
    return OPENALEX_URL + short_id


def work_abstract(record: Mapping[str, Any]) -> str | None:
    """The abstract of a work: rebuilt from ``abstract_inverted_index`` (also when an export wrote
    the index as a JSON string), else a plain ``abstract`` field; None when there is none.

    Raises
    ------
    MalformedIndex
        When the index is neither an object nor a JSON object string, or its positions are bad.
    """
    index = record.get("abstract_inverted_index")
    if isinstance(index, str) and index.strip():
        try:
            index = json.loads(index)
        except json.JSONDecodeError as exc:
            raise MalformedIndex(f"a string that is not JSON: {exc.msg}") from None
    if index:
        if not isinstance(index, dict):
            raise MalformedIndex(f"a {type(index).__name__}, not an object")
        return rebuild_abstract(index)
    plain = record.get("abstract")
    return plain if isinstance(plain, str) and plain.strip() else None


def _parse_openalex(
    stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str], *,
    keep: KeepPredicate | None = None, container: str = "lines",
) -> Iterator[Paper]:
    """One work per line, or per element of an array or API page; filtered works are dropped
    before their abstract is rebuilt."""

    for lineno, record, prefix in iter_records(stream, name, on_issue, container):

        def report(reason: str) -> None:
            on_issue(ReadIssue(file=name, line=lineno, reason=prefix + reason))

        short_id = work_id(record)
        if short_id is None:
            report("missing id")
            continue
        if not is_openalex_work_id(short_id):  # most likely another format read as openalex
            report(f"not an OpenAlex work id ({preview(short_id, 40)})")
            continue
        year = work_year(record)
        if keep is not None and not keep(year, work_categories(record)):
            continue
        try:
            abstract = work_abstract(record)
        except MalformedIndex as exc:
            report(f"malformed abstract_inverted_index ({exc})")
            continue
        if abstract is None:
            report(NO_ABSTRACT)
            continue
        title = record.get("title") or record.get("display_name")
        fields = {
            "id": ID_PREFIX + short_id,
            "title": clean_html(title) if isinstance(title, str) else None,
            "abstract": clean_html(abstract),
            "year": year,
            "authors": work_authors(record),
            "venue": work_venue(record),
            "url": work_url(record, short_id),
        }
        paper = make_paper(fields, file=name, line=lineno, source=SOURCE, on_issue=on_issue, seen=seen, prefix=prefix)
        if paper is not None:
            yield paper


def read_openalex(
    path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None, keep: KeepPredicate | None = None
) -> Iterator[Paper]:
    """Stream the papers of an OpenAlex works file (JSON Lines, plain or gzip).

    Parameters
    ----------
    path
        A works file, e.g. a snapshot's ``part_000.gz``.
    on_issue
        Called with every skipped record ("file:line: reason") and file-level failure.
    seen
        Paper ids already read in this run (duplicates are skipped); updated in place.
    keep
        ``keep(year, categories)``: False drops the work silently (it is filtered, not bad).
    """
    return read_by_content(_parse_openalex, path, on_issue, seen, keep=keep)
