"""Choosing a reader per file and chaining files into one stream of unique papers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from kg.ingest.arxiv import read_arxiv
from kg.ingest.base import IngestError, IssueCallback, Reader
from kg.ingest.filters import KeepPredicate, PaperFilter
from kg.ingest.jsonl import read_json, read_jsonl
from kg.ingest.layout import sniff
from kg.ingest.openalex import read_openalex
from kg.ingest.records import SeenIds
from kg.ingest.summary import ReadSummary
from kg.ingest.tabular import read_csv, read_tsv
from kg.ingest.txt import read_txt
from kg.paths import format_suffix
from schema.paper import Paper, ReadIssue

log = logging.getLogger(__name__)


class SelectingReader(Protocol):
    """A `Reader` that also takes a `keep(year, categories)` predicate, tested on raw records.

    Readers of formats that carry subject categories (which a `Paper` does not hold) are of
    this kind, so that category and year filters run before a record is cleaned.
    """

    def __call__(
        self, path: Path, on_issue: IssueCallback, *, seen: set[str] | None = None, keep: KeepPredicate | None = None
    ) -> Iterator[Paper]: ...


#: format name -> reader taking a `keep` predicate (formats with categories; chosen by --input-format only)
SELECTING_READERS: dict[str, SelectingReader] = {
    "arxiv": read_arxiv,
    "openalex": read_openalex,
}

#: format name -> reader
READERS: dict[str, Reader] = {
    "txt": read_txt,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "tsv": read_tsv,
    **SELECTING_READERS,
}

IS_A_DIRECTORY = "cannot open file (Is a directory)"

#: file extension (without a trailing .gz) -> format name
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xml": "arxiv",  # an arXiv API Atom feed; any other XML is reported as such by the reader
    ".atom": "arxiv",
}
#: a zip archive is read by the JSON reader only to say, as a failed file, that it must be unzipped
ZIP_SUFFIX = ".zip"


def detect_format(path: Path | str) -> str:
    """The format name of a file from its extension, ignoring a trailing ``.gz``.

    Raises
    ------
    IngestError
        When the extension is not one of `EXTENSIONS`.
    """
    path = Path(path)
    fmt = EXTENSIONS.get(format_suffix(path) or "")
    if fmt is None:
        raise IngestError(
            f"{path}: cannot tell the input format from the file name "
            f"(supported: {', '.join(EXTENSIONS)}, optionally .gz; or pass a format: {', '.join(READERS)})"
        )
    return fmt


#: formats whose files may hold arXiv snapshot or OpenAlex records, recognised by content
_JSON_FORMATS = ("json", "jsonl")


def _job_format(path: Path, fmt: str | None) -> str | None:
    """The reader for one input: `fmt`, else by extension and, for JSON (or a file whose name
    does not tell), by content: arXiv snapshot or OpenAlex records go to that reader. None for a
    directory (reported, not read)."""
    if path.is_dir():
        return None  # whatever its name: one file-level issue, the other inputs go on
    if fmt is not None:
        return fmt
    if format_suffix(path) == ZIP_SUFFIX:
        return "json"
    try:
        fmt = detect_format(path)
    except IngestError:  # no telling extension (an OpenAlex snapshot's part_000.gz): JSON by content?
        layout = sniff(path)
        if layout.container not in ("lines", "document"):
            raise
        return layout.record if layout.record in SELECTING_READERS else "json"
    if fmt in _JSON_FORMATS:
        record = sniff(path).record
        if record in SELECTING_READERS:
            return record
    return fmt


def _check_format(fmt: str) -> str:
    """`fmt` itself when a reader exists for it, else an IngestError naming the known ones."""
    if fmt not in READERS:
        raise IngestError(f"unknown input format {fmt!r} (supported: {', '.join(READERS)})")
    return fmt


def read_papers(
    paths: Iterable[str | Path],
    fmt: str | None = None,
    summary: ReadSummary | None = None,
    on_issue: Callable[[ReadIssue], None] | None = None,
    *,
    filters: PaperFilter | None = None,
) -> Iterator[Paper]:
    """Stream the papers of several files, skipping bad records and duplicate ids.

    Parameters
    ----------
    paths
        Input files; each may be gzip-compressed.
    fmt
        A format name from `READERS` for every file; by default chosen per file by `detect_format`.
    summary
        Filled in as papers stream: counts, reason categories, the first issues, failed files.
    on_issue
        Called with every issue as it happens (e.g. to log it).
    filters
        Which papers to keep and how many at most (`PaperFilter`): records left out are counted
        in ``summary.filtered``, not reported as issues; once ``filters.limit`` papers are read,
        reading stops (the rest of the input is never opened).

    Raises
    ------
    IngestError
        Before anything is read, when a format is unknown or a category filter is asked of a
        format without categories (usage errors). Problems with files or records never raise:
        they become issues and the other files still go on.

    Notes
    -----
    Memory is constant in file size; only the set of ids already read grows (one string per
    paper, to drop duplicates across the whole run).
    """
    fmt = _check_format(fmt) if fmt is not None else None
    jobs = [(Path(path), _job_format(Path(path), fmt)) for path in paths]
    for path, job_fmt in jobs:
        log.info("input %s: format %s%s", path, job_fmt or "none (a directory)",
                 " (given)" if fmt is not None else " (detected)")
    filters = filters if filters is not None else PaperFilter()
    if filters.by_category:
        for path, job_fmt in jobs:
            if job_fmt is not None and job_fmt not in SELECTING_READERS:
                hint = ""
                if job_fmt in _JSON_FORMATS and "categories" in sniff(path).keys:
                    hint = " (its records have categories: for arXiv records add --input-format arxiv)"
                raise IngestError(
                    f"{path}: a category filter needs an input format with categories "
                    f"({', '.join(SELECTING_READERS)}); {job_fmt!r} has none{hint}"
                )
    summary = summary if summary is not None else ReadSummary()

    def record(issue: ReadIssue) -> None:
        summary.add_issue(issue)
        summary.note_lost(issue)
        if on_issue is not None:
            on_issue(issue)

    return _read_all(jobs, summary, record, filters)


def _counting_keep(filters: PaperFilter, summary: ReadSummary) -> KeepPredicate:
    """`filters.keeps` as a reader's `keep` predicate that counts what it leaves out."""

    def keep(year: int | None, categories: Sequence[str]) -> bool:
        if filters.keeps(year, categories):
            return True
        summary.filtered += 1
        summary.filtered_by["category" if not filters.keeps_categories(categories) else "year"] += 1
        return False

    return keep


def _read_all(
    jobs: list[tuple[Path, str | None]], summary: ReadSummary, record: IssueCallback, filters: PaperFilter
) -> Iterator[Paper]:
    """The streaming part of `read_papers` (a separate generator so usage errors raise at once).

    Selecting readers filter raw records themselves through `keep`; for the other formats the
    year range is applied here to the papers they yield (whose ids are then forgotten again, so
    a later record with the same id is not called a duplicate of a paper that was never read).
    """
    seen = SeenIds()
    keep = _counting_keep(filters, summary) if filters.selects else None
    limit = filters.limit
    count = 0
    for path, fmt in jobs:
        if limit is not None and count >= limit:
            summary.stopped_early = True
            return
        summary.files += 1
        if fmt is None:
            record(ReadIssue(file=str(path), reason=IS_A_DIRECTORY))
            continue
        if fmt in SELECTING_READERS:
            papers = SELECTING_READERS[fmt](path, record, seen=seen, keep=keep)
            check_year = False
        else:
            papers = READERS[fmt](path, record, seen=seen)
            check_year = filters.by_year
        try:
            for paper in papers:
                if check_year and not filters.keeps_year(paper.year):
                    seen.discard(paper.id)
                    summary.filtered += 1
                    summary.filtered_by["year"] += 1
                    continue
                summary.read += 1
                summary.at = seen.last
                count += 1
                yield paper
                if limit is not None and count >= limit:
                    summary.stopped_early = True
                    return  # before asking the reader for more: nothing past the limit is read
        finally:
            close = getattr(papers, "close", None)  # a generator reader: closes its file at once
            if close is not None:
                close()
