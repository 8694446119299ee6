"""`kg_names`: coined names found by their spelling (BiBERT, Jina-ColBERT-v2, U-DiTs, LLM.int8()).

Words are whitespace-delimited runs of tokens; a word counts as a coined name if its shape says so
(inner capitals, an all-caps acronym, letters mixed with digits). Names followed by a version or
another acronym are extended ("PARSEME 1.1", "MS MARCO"). Spans go to `doc.spans["kg_names"]`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

SPAN_KEY = "kg_names"
_EDGE_PUNCT = set(",;:.!?\"'`()[]{}«»“”‘’")
# "BERT-based", "ResNet-like": the name is the part before the suffix
_MODIFIER_SUFFIXES = {"based", "style", "like", "aided", "specific", "driven", "free", "aware", "embedded",
                      "guided", "enhanced", "powered", "level", "wise", "only", "scale", "sized", "type"}


def is_coined(text: str) -> bool:
    """True when a word's spelling marks it as a name rather than an English word."""
    letters = sum(c.isalpha() for c in text)
    if letters < 2 or not text[0].isalpha():
        return False
    parts = [p for p in text.replace("/", "-").split("-") if p]
    if len(parts) >= 2 and len(parts[0]) == 1 and parts[0].isupper() and parts[1][:1].isupper():
        return True  # U-Net, U-DiTs
    for p in parts:
        alpha = [c for c in p if c.isalpha()]
        if len(alpha) >= 2 and all(c.isupper() for c in alpha):
            return True
        if any(c.isupper() for c in p[1:]):
            return True
        if any(c.isdigit() for c in p) and len(alpha) >= 2:
            return True
    return False


def _is_version(text: str) -> bool:
    t = text.lstrip("v")
    return bool(t) and all(c.isdigit() or c == "." for c in t) and t[0].isdigit() and len(t) <= 5


def _is_url(text: str) -> bool:
    return "://" in text or text.startswith("www.") or "@" in text and "." in text.split("@")[-1]


def word_spans(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of whitespace-delimited words, with edge punctuation and 's trimmed."""
    out = []
    i, n = 0, len(doc)
    while i < n:
        j = i
        while j < n - 1 and not doc[j].whitespace_:
            j += 1
        s, e = i, j + 1
        while s < e and doc[s].text in _EDGE_PUNCT:
            s += 1
        while e > s and (doc[e - 1].text in _EDGE_PUNCT or doc[e - 1].text in ("'s", "’s")):
            if doc[e - 1].text == ")" and "(" in doc[s:e].text:
                break
            e -= 1
        while e - s >= 3 and doc[e - 2].text == "-" and doc[e - 1].lower_ in _MODIFIER_SUFFIXES:
            e -= 2
        if e > s and not _is_url(doc[s:e].text):
            out.append((s, e))
        i = j + 1
    return out


def coined_name_spans(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of coined names, extended over a following version number or acronym."""
    words = word_spans(doc)
    out = []
    k = 0
    while k < len(words):
        s, e = words[k]
        if is_coined(doc[s:e].text):
            while k + 1 < len(words):
                ns, ne = words[k + 1]
                nxt = doc[ns:ne].text
                if ns != e or not doc[e - 1].whitespace_:
                    break
                if _is_version(nxt) or (nxt.isupper() and len(nxt) >= 2 and doc[s:e].text.isupper()):
                    e = ne
                    k += 1
                else:
                    break
            out.append((s, e))
        k += 1
    return out


class NameFinder:
    """Writes `doc.spans["kg_names"]` (label NAME; the resolver decides the type)."""

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[SPAN_KEY] = [Span(doc, s, e, label="NAME") for s, e in coined_name_spans(doc)]
        return doc


@Language.factory("kg_names", assigns=["doc.spans"])
def make_name_finder(nlp: Language, name: str) -> NameFinder:
    return NameFinder()
