"""`kg_abbreviations`: acronym definitions such as "hierarchical navigable small world (HNSW)".

The algorithm is Schwartz & Hearst (2003), as in scispacy's abbreviation detector: pure
functions here, a thin component below. Pairs are stored as token offsets so Docs stay
serialisable: `Doc._.kg_abbreviations = ((long_start, long_end, short_start, short_end), ...)`.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.view import BatchPipe, TokenView, token_view
from extractors.memo import MEMO_SIZE

if not Doc.has_extension("kg_abbreviations"):
    Doc.set_extension("kg_abbreviations", default=())

_BOUNDARY = {",", ";", ":", ".", "(", ")", "[", "]", "!", "?"}
#: quotes around a long form ('"Design in Tiles" (DiT)') are not part of it
_QUOTES = frozenset({'"', "'", "“", "”", "‘", "’", "``", "''", "~"})


@lru_cache(maxsize=MEMO_SIZE)
def is_short_form(text: str) -> bool:
    """Plausible acronym: 2-12 chars, starts alphanumeric, has a capital, not a plain number (cached: pure)."""
    if not 2 <= len(text) <= 12 or not text[0].isalnum():
        return False
    if not any(c.isupper() for c in text) or len(text.split()) > 2:
        return False
    return sum(c.isalpha() for c in text) >= 2


def find_long_form(short: str, candidate: str) -> int | None:
    """Start offset in `candidate` of the long form that `short` abbreviates, or None.

    Each alphanumeric character of the short form must occur in order, scanning right to left,
    and the first one must start a word of the long form (Schwartz & Hearst).
    """
    if short.isascii() and candidate.isascii():
        return _find_long_form_ascii(short, candidate)
    s = len(short) - 1
    pos = len(candidate) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while pos >= 0 and (candidate[pos].lower() != c or (s == 0 and pos > 0 and candidate[pos - 1].isalnum())):
            pos -= 1
        if pos < 0:
            return None
        pos -= 1
        s -= 1
    return candidate.rfind(" ", 0, pos + 2) + 1


def _find_long_form_ascii(short: str, candidate: str) -> int | None:
    """`find_long_form` for ASCII text, where lower-casing the whole string equals lower-casing each
    character, so `str.rfind` can do the right-to-left character scan in C."""
    low = candidate.lower()
    pos = len(candidate) - 1
    for s in range(len(short) - 1, -1, -1):
        c = short[s].lower()
        if not c.isalnum():
            continue
        pos = low.rfind(c, 0, pos + 1)
        if s == 0:  # the first character must start a word
            while pos > 0 and low[pos - 1].isalnum():
                pos = low.rfind(c, 0, pos)
        if pos < 0:
            return None
        pos -= 1
    return candidate.rfind(" ", 0, pos + 2) + 1


def _long_form_start(doc: Doc, tv: TokenView, k: int, i: int, short_core: str, short: str) -> int | None:
    """First token of the long form that `short_core` abbreviates in tokens [k, i), or None.

    Runs for a few candidates per Doc, so it keeps spaCy's own char_span and lexeme flags."""
    window_text = tv.span_text(k, i)
    start_char = find_long_form(short_core, window_text)
    if start_char is None:
        return None
    offset = tv.idx[k]  # what Span.char_span adds to window-relative offsets
    span = doc.char_span(offset + start_char, offset + len(window_text), alignment_mode="expand")
    if span is None or len(span) == 0 or tv.span_text(span.start, span.end).lower() == short.lower():
        return None
    long_start = span.start
    # the long form should not swallow a leading article, preposition or quote
    while long_start < i - 1:
        tok = doc[long_start]
        if not ((tok.is_stop and tok.is_lower) or tok.text in _QUOTES):
            break
        long_start += 1
    words = [t.text for t in doc[long_start:i] if not t.is_punct]
    if "-" not in tv.span_text(long_start, i) and len(words) < 2:
        # one word ("infrared (IR)"): only a long word whose first letter the acronym shares
        if not (len(words) == 1 and words[0].isalpha() and words[0].islower()
                and len(words[0]) >= len(short_core) + 4):
            return None
    return long_start


def abbreviation_pairs(doc: Doc) -> tuple[tuple[int, int, int, int], ...]:
    """All (long_start, long_end, short_start, short_end) token spans defined in `doc`.

    Reads the Doc's TokenView; `list.index` finds the "(" tokens in C, at most as many times as
    the text has "(" characters (which spares the scan to the end that finds none)."""
    tv = token_view(doc)
    words, spaced, n = tv.words, tv.ws, tv.n
    pairs = []
    i = -1
    for _ in range(tv.text.count("(")):
        try:
            i = words.index("(", i + 1)
        except ValueError:
            break
        j = i + 1
        while j < n and j - i <= 4 and words[j] != ")":
            j += 1
        if j >= n or words[j] != ")" or j == i + 1:
            continue
        short = tv.span_text(i + 1, j)
        short_core = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
        if not is_short_form(short_core):
            continue
        max_words = min(len(short_core) + 5, 2 * len(short_core))
        k = i
        n_words = 0
        while k > 0 and n_words < max_words and words[k - 1] not in _BOUNDARY:
            k -= 1
            if spaced[k] or k == i - 1:
                n_words += 1
        if k == i:
            continue
        long_end = i
        while long_end > k + 1 and words[long_end - 1] in _QUOTES:
            long_end -= 1
        long_start = _long_form_start(doc, tv, k, long_end, short_core, short)
        if long_start is not None:
            pairs.append((long_start, long_end, i + 1, j))
    return tuple(pairs)


class AbbreviationDetector(BatchPipe):
    """Sets `Doc._.kg_abbreviations`."""

    name = "kg_abbreviations"

    def __call__(self, doc: Doc) -> Doc:
        doc._.kg_abbreviations = abbreviation_pairs(doc)
        return doc


@Language.factory("kg_abbreviations", assigns=["doc._.kg_abbreviations"])
def make_abbreviation_detector(nlp: Language, name: str) -> AbbreviationDetector:
    detector = AbbreviationDetector()
    detector.name = name
    return detector
