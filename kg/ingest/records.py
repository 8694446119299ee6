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


#: input name (lower case) -> (canonical field, rank among that field's names)
_NAME_FIELD: dict[str, tuple[str, int]] = {
    name: (field, rank) for field, names in FIELD_ALIASES.items() for rank, name in enumerate(names)
}


def canonical_fields(record: Mapping[str, object]) -> dict[str, object]:
    """Canonical field -> value of a record whose keys are any of `FIELD_ALIASES`, in any case.

    One pass over the record's keys: for each field the earliest name in its alias list wins;
    None values count as missing; keys that name no field are ignored.
    """
    found: dict[str, object] = {}
    ranks: dict[str, int] = {}
    for key, value in record.items():
        if value is None:
            continue
        hit = _NAME_FIELD.get(key)
        if hit is None:
            if not isinstance(key, str) or (hit := _NAME_FIELD.get(key.strip().lower())) is None:
                continue
        field, rank = hit
        if rank < ranks.get(field, len(FIELD_ALIASES[field])):
            found[field] = value
            ranks[field] = rank
    return found


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

    fields = canonical_fields(record)
    raw_abstract = fields.get("abstract")
    if raw_abstract is None:
        report("missing abstract" if "title" in fields else "missing title and abstract")
        return None
    abstract = strip_abstract_label(clean_text(markup(raw_abstract))) if isinstance(raw_abstract, str) else ""
    if not abstract:
        report("empty abstract")
        return None
    raw_title = fields.get("title")
    title = clean_text(markup(raw_title)) if isinstance(raw_title, str) else ""

    pid = paper_id(title or abstract, fields.get("id"), fields.get("arxiv_id"), fields.get("doi"))
    if pid in seen:
        report(f"{DUPLICATE_ID} {pid}")
        return None
    seen.add(pid)
    if isinstance(seen, SeenIds):
        seen.last = (file, line)
    if not title:
        report(f"{NO_TITLE} (kept: abstract {preview(abstract, 40)}, id {pid})", skipped=False)

    year = None
    raw_year = fields.get("year")
    if raw_year is not None and raw_year != "":
        year = parse_year(raw_year)
        if year is None:
            report(f"unparseable year ({preview(str(raw_year), 30)})", skipped=False)
    authors = split_authors(fields.get("authors"))
    if authors is None:
        report("authors is not a list or a string", skipped=False)
        authors = ()
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        year=year,
        authors=authors,
        venue=_optional_text(fields.get("venue")),
        url=_optional_text(fields.get("url")),
        source=source,
    )


def _optional_text(value: object) -> str | None:
    """A cleaned optional text field (None when missing or empty)."""
    return _scalar_text(value)
