"""Text cleaning for input records: the only place ingest normalises text or uses regexes.

Whitespace is normalised because a newline or tab inside a text switches off spaCy's tokenizer
cache (9x slower downstream); the other helpers turn loosely formatted fields (dates, author
strings, DOIs, web-dump titles) into the typed values a `Paper` holds.
"""

from __future__ import annotations

import re

#: A web page's "Subscribe" button text glued to the first title of a dump
#: ("SubscribeDistilling Knowledge ..."): only stripped when an uppercase letter follows.
SUBSCRIBE_PREFIX_RE = re.compile(r"^Subscribe(?=[A-Z])")

#: A plausible publication year standing alone inside a date string ("2021-05-03", "May 2021").
YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")

#: Separators between names in an author string: "A, B and C", "A; B", "A & B".
AUTHOR_SEP_RE = re.compile(r"\s*(?:[,;&]|\band\b)\s*")

#: Prefixes a DOI is often written with, removed so the same DOI gives the same paper id.
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")

MIN_YEAR, MAX_YEAR = 1500, 2099


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace (spaces, tabs, newlines) into one space and strip.

    Fast path: every whitespace character except the space is non-printable, so a printable
    text without double, leading or trailing spaces is already normal (most texts are).
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def strip_subscribe_prefix(title: str) -> str:
    """Remove a glued web-page "Subscribe" prefix ("SubscribeDistilling ..." -> "Distilling ...")."""
    if title.startswith("Subscribe"):  # cheap test first: the regex runs almost never
        return SUBSCRIBE_PREFIX_RE.sub("", title, count=1)
    return title


def title_key(title: str) -> str:
    """The normalised form of a title that its hash id is computed from (case and spacing free)."""
    return normalise_whitespace(title).casefold()


def parse_year(value: object) -> int | None:
    """Year from an int, a float such as 2021.0, or a date string; None when there is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return value if MIN_YEAR <= value <= MAX_YEAR else None
    if isinstance(value, str):
        match = YEAR_RE.search(value)
        return int(match.group(1)) if match else None
    return None


def split_authors(value: object) -> tuple[str, ...] | None:
    """Author names from a list (of strings or {"name": ...} objects) or an "A, B and C" string.

    Returns None when the value has a type that cannot hold authors (the caller warns).
    """
    if value is None:
        return ()
    if isinstance(value, str):
        names = AUTHOR_SEP_RE.split(value) if value.strip() else []
    elif isinstance(value, (list, tuple)):
        names = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("name") or item.get("display_name")
            if not isinstance(item, str):
                return None
            names.append(item)
    else:
        return None
    return tuple(clean for name in names if (clean := normalise_whitespace(name)))


def normalise_doi(doi: str) -> str:
    """A DOI without its URL/"doi:" prefix, lower-cased (DOIs are case-insensitive)."""
    doi = doi.strip()
    lowered = doi.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix):]
            break
    return lowered.strip()


def normalise_arxiv_id(arxiv_id: str) -> str:
    """An arXiv id without an "arXiv:" prefix ("arXiv:2106.01234" -> "2106.01234")."""
    arxiv_id = arxiv_id.strip()
    if arxiv_id[:6].lower() == "arxiv:":
        arxiv_id = arxiv_id[6:].strip()
    return arxiv_id


def preview(text: str, limit: int = 60) -> str:
    """The first `limit` characters of a text, quoted, for one-line issue messages."""
    return repr(text[:limit])
