"""Choosing a reader per file and chaining files into one stream of unique papers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kg.ingest.base import IngestError, IssueCallback, Reader
from kg.ingest.jsonl import read_json, read_jsonl
from kg.ingest.summary import ReadSummary
from kg.ingest.tabular import read_csv, read_tsv
from kg.ingest.txt import read_txt
from kg.paths import format_suffix
from schema.paper import Paper, ReadIssue

#: format name -> reader
READERS: dict[str, Reader] = {
    "txt": read_txt,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "tsv": read_tsv,
}

#: file extension (without a trailing .gz) -> format name
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
}


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

    Raises
    ------
    IngestError
        Before anything is read, when a format is unknown (a usage error). Problems with files
        or records never raise: they become issues and the other files still go on.

    Notes
    -----
    Memory is constant in file size; only the set of ids already read grows (one string per
    paper, to drop duplicates across the whole run).
    """
    jobs = [(Path(path), _check_format(fmt) if fmt is not None else detect_format(path)) for path in paths]
    summary = summary if summary is not None else ReadSummary()

    def record(issue: ReadIssue) -> None:
        summary.add_issue(issue)
        if on_issue is not None:
            on_issue(issue)

    return _read_all(jobs, summary, record)


def _read_all(jobs: list[tuple[Path, str]], summary: ReadSummary, record: IssueCallback) -> Iterator[Paper]:
    """The streaming part of `read_papers` (a separate generator so usage errors raise at once)."""
    seen: set[str] = set()
    for path, fmt in jobs:
        summary.files += 1
        for paper in READERS[fmt](path, record, seen=seen):
            summary.read += 1
            yield paper
