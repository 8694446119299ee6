"""arXiv metadata reader: the Kaggle snapshot ("arxiv-metadata-oai-snapshot.json", JSON Lines)
and the arXiv API's Atom feed.

Each line is one paper as arXiv's OAI interface describes it::

    {"id": "0704.0001", "submitter": "...", "authors": "C. Bal\\'azs, E. L. Berger and ...",
     "title": "Calculation of prompt diphoton production cross sections at Tevatron and\\n  LHC energies",
     "comments": "...", "journal-ref": "Phys.Rev.D76:013009,2007", "doi": "...", "report-no": "...",
     "categories": "hep-ph", "license": null, "abstract": "  A fully differential calculation ...\\n",
     "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...],
     "update_date": "2008-11-13", "authors_parsed": [["Balázs", "C.", ""], ...]}

A `Paper` gets id "arXiv:<id>", the title and abstract with line breaks and LaTeX resolved
(`clean.clean_latex`), authors from ``authors_parsed`` (already Unicode) or else the author
string, the year of the first version (else of ``update_date``, else of the id), the journal
reference as venue, and https://arxiv.org/abs/<id> as url. Categories are not kept on the paper:
they go to the optional `keep` predicate, which sees each record before it is cleaned.
A .json or .jsonl file of such records is recognised by its content (`kg.ingest.layout`), in
JSON Lines (the snapshot) or as an array; ``--input-format arxiv`` asks for this reader whatever the
file holds, and also reads the arXiv API's Atom feed (`kg.ingest.atom`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from kg.ingest.base import IssueCallback
from kg.ingest.clean import (
    arxiv_id_year,
    clean_latex,
    is_arxiv_id,
    normalise_arxiv_id,
    parse_year,
    preview,
    split_authors,
    strip_affiliations,
)
from kg.ingest.filters import KeepPredicate
from kg.ingest.jsonl import iter_records, read_by_content
from kg.ingest.records import make_paper
from schema.paper import Paper, ReadIssue

SOURCE = "arxiv"
ID_PREFIX = "arXiv:"
ABS_URL = "https://arxiv.org/abs/"


def record_id(record: Mapping[str, Any]) -> str | None:
    """The bare arXiv id of a record ("0704.0001", "hep-th/9901001"), None when missing."""
    value = record.get("id")
    if not isinstance(value, str):
        return None
    return normalise_arxiv_id(value) or None


def record_categories(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The record's categories, "cs.CL cs.LG" -> ("cs.CL", "cs.LG")."""
    value = record.get("categories")
    return tuple(value.split()) if isinstance(value, str) else ()


def record_year(record: Mapping[str, Any], arxiv_id: str) -> int | None:
    """Year of the first version, else of the last update, else the one encoded in the id."""
    versions = record.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        if (year := parse_year(versions[0].get("created"))) is not None:
            return year
    if (year := parse_year(record.get("update_date"))) is not None:
        return year
    return arxiv_id_year(arxiv_id)


def record_authors(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Author names, "First Last[ Suffix]", from ``authors_parsed`` or else the author string.

    ``authors_parsed`` is preferred: arXiv has already turned its LaTeX accents into Unicode and
    split off affiliations. The string ("A. Author (MIT), B. Author and C. Author") is the
    fallback, with LaTeX resolved and parenthesised affiliations removed.
    """
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for entry in parsed:
            if not isinstance(entry, list) or not all(isinstance(part, str) for part in entry[:3]):
                names = None
                break
            last, first, suffix = (list(entry[:3]) + ["", ""])[:3]
            if name := clean_latex(" ".join((first, last, suffix))):
                names.append(name)
        if names:
            return tuple(names)
    raw = record.get("authors")
    if isinstance(raw, str) and raw.strip():
        return split_authors(strip_affiliations(clean_latex(raw))) or ()
    if isinstance(raw, list):  # an Atom feed's names (`kg.ingest.atom`)
        return tuple(name for value in raw if isinstance(value, str) and (name := clean_latex(value)))
    return ()


def _text(value: object) -> str | None:
    """A cleaned text field (None when the field is missing or not a string)."""
    return clean_latex(value) if isinstance(value, str) else None


def record_to_fields(record: Mapping[str, Any], arxiv_id: str, year: int | None) -> dict[str, object]:
    """The canonical fields of `records.make_paper` for one snapshot record (title and abstract
    raw: `make_paper` resolves their LaTeX with `clean_latex`)."""
    return {
        "id": ID_PREFIX + arxiv_id,
        "title": record.get("title"),
        "abstract": record.get("abstract"),
        "year": year,
        "authors": record_authors(record),
        "venue": _text(record.get("journal-ref")),
        "url": ABS_URL + arxiv_id,
    }


def _parse_arxiv(
    stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str], *,
    keep: KeepPredicate | None = None, container: str = "lines",
) -> Iterator[Paper]:
    """One snapshot record per line (or per element of an array); records `keep` rejects are
    dropped before any cleaning."""
    for lineno, record, prefix in iter_records(stream, name, on_issue, container):
        arxiv_id = record_id(record)
        if arxiv_id is None:
            on_issue(ReadIssue(file=name, line=lineno, reason=f"{prefix}missing id"))
            continue
        if not is_arxiv_id(arxiv_id):  # most likely another format read as arxiv
            on_issue(ReadIssue(file=name, line=lineno, reason=f"{prefix}not an arXiv id ({preview(arxiv_id, 40)})"))
            continue
        year = record_year(record, arxiv_id)
        if keep is not None and not keep(year, record_categories(record)):
            continue
        fields = record_to_fields(record, arxiv_id, year)
        paper = make_paper(fields, file=name, line=lineno, source=SOURCE, on_issue=on_issue, seen=seen,
                           prefix=prefix, markup=clean_latex)
        if paper is not None:
            yield paper


def read_arxiv(
    path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None, keep: KeepPredicate | None = None
) -> Iterator[Paper]:
    """Stream the papers of an arXiv metadata snapshot file (plain or gzip).

    Parameters
    ----------
    path
        The snapshot, or any JSON Lines file of records in its layout.
    on_issue
        Called with every skipped record ("file:line: reason") and file-level failure.
    seen
        Paper ids already read in this run (duplicates are skipped); updated in place.
    keep
        ``keep(year, categories)``: False drops the record silently (it is filtered, not bad).
    """
    return read_by_content(_parse_arxiv, path, on_issue, seen, atom=True, keep=keep)
