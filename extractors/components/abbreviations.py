"""`kg_abbreviations`: acronym definitions such as "hierarchical navigable small world (HNSW)".

The algorithm is Schwartz & Hearst (2003), as in scispacy's abbreviation detector: pure
functions here, a thin component below. Pairs are stored as token offsets so Docs stay
serialisable: `Doc._.kg_abbreviations = ((long_start, long_end, short_start, short_end), ...)`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

if not Doc.has_extension("kg_abbreviations"):
    Doc.set_extension("kg_abbreviations", default=())

_BOUNDARY = {",", ";", ":", ".", "(", ")", "[", "]", "!", "?"}


def is_short_form(text: str) -> bool:
    """Plausible acronym: 2-12 chars, starts alphanumeric, has a capital, not a plain number."""
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


def abbreviation_pairs(doc: Doc) -> tuple[tuple[int, int, int, int], ...]:
    """All (long_start, long_end, short_start, short_end) token spans defined in `doc`."""
    pairs = []
    n = len(doc)
    for i, tok in enumerate(doc):
        if tok.text != "(":
            continue
        j = i + 1
        while j < n and j - i <= 4 and doc[j].text != ")":
            j += 1
        if j >= n or doc[j].text != ")" or j == i + 1:
            continue
        short = doc[i + 1 : j].text
        if short.endswith("s") and short[:-1].isupper():
            short_core = short[:-1]
        else:
            short_core = short
        if not is_short_form(short_core):
            continue
        max_words = min(len(short_core) + 5, 2 * len(short_core))
        k = i
        words = 0
        while k > 0 and words < max_words and doc[k - 1].text not in _BOUNDARY:
            k -= 1
            if doc[k].whitespace_ or k == i - 1:
                words += 1
        if k == i:
            continue
        window = doc[k:i]
        start_char = find_long_form(short_core, window.text)
        if start_char is None:
            continue
        span = window.char_span(start_char, len(window.text), alignment_mode="expand")
        if span is None or len(span) == 0 or span.text.lower() == short.lower():
            continue
        long_start = span.start  # Span.char_span returns doc-level token offsets
        # the long form should not swallow a leading article or preposition
        while long_start < i - 1 and doc[long_start].is_stop and doc[long_start].is_lower:
            long_start += 1
        if sum(1 for t in doc[long_start:i] if not t.is_punct) < 2 and "-" not in doc[long_start:i].text:
            continue
        pairs.append((long_start, i, i + 1, j))
    return tuple(pairs)


class AbbreviationDetector:
    """Sets `Doc._.kg_abbreviations`."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.kg_abbreviations = abbreviation_pairs(doc)
        return doc


@Language.factory("kg_abbreviations", assigns=["doc._.kg_abbreviations"])
def make_abbreviation_detector(nlp: Language, name: str) -> AbbreviationDetector:
    return AbbreviationDetector()
