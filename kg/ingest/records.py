"""From a loose record (JSON object, CSV row, title/abstract pair) to a validated `Paper`.

Every format funnels through `make_paper`, so ids, duplicates, required fields, the
optional-field warnings and text cleaning (`clean.clean_text`: no control characters,
noncharacters or lone surrogates, NFC) behave the same whatever the input format.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from kg.ingest.base import IssueCallback
from kg.ingest.clean import (
    clean_markup,
    normalise_arxiv_id,
    clean_text,
    normalise_doi,
    parse_year,
    preview,
    split_authors,
    strip_abstract_label,
    title_key,
)
from schema.paper import Paper, ReadIssue

#: canonical field -> the names it may have in an input record, JSON key or CSV column, matched
#: case-insensitively (first present one wins): the names of common exports (Kaggle's arXiv
#: abstracts CSV has titles/summaries, Semantic Scholar paperId, Zotero "Abstract Note", Scopus
#: "Source title", Web of Science "Article Title", Hugging Face datasets abstract_text ...)
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "titles", "paper_title", "article_title", "article title", "document_title", "display_name"),
    "abstract": ("abstract", "summary", "abstracts", "summaries", "abstract_text", "paper_abstract",
                 "abstractnote", "abstract note", "description"),
    "id": ("id", "paper_id", "paperid"),
    "arxiv_id": ("arxiv_id", "arxivid", "arxiv"),
    "doi": ("doi",),
    "year": ("year", "date", "published", "publication_year", "publication_date", "pub_year", "publication year", "update_date"),
    "authors": ("authors", "author", "author_names"),
    "venue": ("venue", "journal", "journal-ref", "journal_ref", "booktitle", "conference", "source title",
              "publication title"),
    "url": ("url", "link", "abs_url"),
}

DUPLICATE_ID = "duplicate id"
#: the warning for a record kept without a title (its id comes from its abstract)
NO_TITLE = "missing title"


class SeenIds(set[str]):
    """The paper ids read so far in a run, and where the last paper made came from (`make_paper`
    sets `last`): `read_papers` hands that on in `ReadSummary.at`, so that a paper that fails
    later, in extraction, is reported by file and line like a bad record."""

    last: tuple[str, int] | None = None


def hash_id(title: str) -> str:
    """Stable id of a paper known only by its title: "p-" + 12 hex digits of sha1."""
    return "p-" + hashlib.sha1(title_key(title).encode("utf-8")).hexdigest()[:12]


def _scalar_text(value: object) -> str | None:
    """A str/int/float field as cleaned text (None for missing, empty, or non-scalar values)."""
    if isinstance(value, str):
        text = clean_text(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
    else:
        return None
    return text or None


def paper_id(title: str, given: object = None, arxiv_id: object = None, doi: object = None) -> str:
    """The paper's id: a given id, else its arXiv id, else its DOI, else a hash of its title."""
    if (text := _scalar_text(given)) is not None:
        return text
    if (text := _scalar_text(arxiv_id)) is not None and (text := normalise_arxiv_id(text)):
        return text
    if (text := _scalar_text(doi)) is not None and (text := normalise_doi(text)):
        return text
    return hash_id(title)


def pick(record: Mapping[str, object], field: str) -> object:
    """The value of a canonical field in a record, trying its aliases in order.

    Keys are matched case-insensitively: pass a record through `lower_keys` first when its
    keys may not be lower-case (`make_paper` does).
    """
    for key in FIELD_ALIASES[field]:
        value = record.get(key)
        if value is not None:
            return value
    return None


def lower_keys(record: Mapping[str, object]) -> Mapping[str, object]:
    """The record with lower-case, stripped keys (itself when they are already; the first of two
    keys differing only in case wins)."""
    if all(isinstance(key, str) and key.islower() and key == key.strip() for key in record):
        return record
    lowered: dict[str, object] = {}
    for key, value in record.items():
        lowered.setdefault(str(key).strip().lower(), value)
    return lowered


def make_paper(
    record: Mapping[str, object],
    *,
    file: str,
    line: int,
    source: str,
    on_issue: IssueCallback,
    seen: set[str],
    prefix: str = "",
    markup: Callable[[str], str] = clean_markup,
) -> Paper | None:
    """Validate one record into a `Paper`, or report why it is skipped and return None.

    `record` uses canonical or alias field names (see `FIELD_ALIASES`, any case). The abstract
    is required; a record without a title is kept with a warning (title "", id from its other
    ids or else its abstract), and so is one with a bad year or authors value (without it).
    Title and abstract go through `markup` (LaTeX where the text shows some; the arXiv reader
    passes `clean_latex`), the abstract loses a leading "Abstract" label. `prefix` starts every
    reason (e.g. "record 3: " where a line number means nothing).
    """

    def report(reason: str, skipped: bool = True) -> None:
        on_issue(ReadIssue(file=file, line=line, reason=prefix + reason, skipped=skipped))

    record = lower_keys(record)
    raw_abstract = pick(record, "abstract")
    if raw_abstract is None:
        report("missing abstract" if pick(record, "title") is not None else "missing title and abstract")
        return None
    abstract = strip_abstract_label(clean_text(markup(raw_abstract))) if isinstance(raw_abstract, str) else ""
    if not abstract:
        report("empty abstract")
        return None
    raw_title = pick(record, "title")
    title = clean_text(markup(raw_title)) if isinstance(raw_title, str) else ""

    pid = paper_id(title or abstract, pick(record, "id"), pick(record, "arxiv_id"), pick(record, "doi"))
    if pid in seen:
        report(f"{DUPLICATE_ID} {pid}")
        return None
    seen.add(pid)
    if isinstance(seen, SeenIds):
        seen.last = (file, line)
    if not title:
        report(f"{NO_TITLE} (kept: abstract {preview(abstract, 40)}, id {pid})", skipped=False)

    year = None
    raw_year = pick(record, "year")
    if raw_year is not None and raw_year != "":
        year = parse_year(raw_year)
        if year is None:
            report(f"unparseable year ({preview(str(raw_year), 30)})", skipped=False)
    authors = split_authors(pick(record, "authors"))
    if authors is None:
        report("authors is not a list or a string", skipped=False)
        authors = ()
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        year=year,
        authors=authors,
        venue=_optional_text(pick(record, "venue")),
        url=_optional_text(pick(record, "url")),
        source=source,
    )


def _optional_text(value: object) -> str | None:
    """A cleaned optional text field (None when missing or empty)."""
    return _scalar_text(value)
