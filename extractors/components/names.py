"""`kg_names`: coined names found by their spelling (BiBERT, Jina-ColBERT-v2, U-DiTs, LLM.int8()).

Words are whitespace-delimited runs of tokens; a word counts as a coined name if its shape says so
(inner capitals, an all-caps acronym, letters mixed with digits). Names followed by a version or
another acronym are extended ("PARSEME 1.1", "MS MARCO"). Spans go to `doc.spans["kg_names"]`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.lexicon import load_lexicon

SPAN_KEY = "kg_names"
_EDGE_PUNCT = set(",;:.!?\"'`()[]{}«»“”‘’")
# "BERT-based", "ResNet-like": the name is the part before the suffix
_MODIFIER_SUFFIXES = {"based", "style", "like", "aided", "specific", "driven", "free", "aware", "embedded",
                      "guided", "enhanced", "powered", "level", "wise", "only", "scale", "sized", "type",
                      "friendly", "generated", "shaped", "oriented", "compatible", "centric", "agnostic"}
# tokens that separate two names written without spaces: "DeiT-B/ResMLP-B24", "scheme.Code"
_SEPARATORS = {"/", ".", "--", "~"}


def is_coined(text: str) -> bool:
    """True when a word's spelling marks it as a name rather than an English word."""
    if text.isalpha() and (text.islower() or text[1:].islower()):
        return False  # fast path: plain and capitalised English words
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


def is_version(text: str) -> bool:
    """A version or year written after a name: "1.1", "v2", "2012"."""
    t = text.lstrip("v")
    return bool(t) and all(c.isdigit() or c == "." for c in t) and t[0].isdigit() and len(t) <= 5


def _is_url(text: str) -> bool:
    """URLs, e-mail addresses and text glued by broken markup ("codecs~(H.264") are not names."""
    if "://" in text or text.startswith("www.") or ("@" in text and "." in text.split("@")[-1]):
        return True
    return "~" in text or "--" in text or text.count("(") != text.count(")")


def word_spans(doc: Doc) -> list[tuple[int, int, str]]:
    """Token ranges of whitespace-delimited words, with edge punctuation and 's trimmed."""
    out = []
    texts = [t.text for t in doc]
    spaced = [bool(t.whitespace_) for t in doc]
    i, n = 0, len(texts)
    while i < n:
        j = i
        while j < n - 1 and not spaced[j] and texts[j + 1] not in _SEPARATORS:
            j += 1
        if texts[i] in _SEPARATORS:
            i += 1
            continue
        s, e = i, j + 1
        while s < e and texts[s] in _EDGE_PUNCT:
            s += 1
        while e > s and (texts[e - 1] in _EDGE_PUNCT or texts[e - 1] in ("'s", "’s", "-")):
            if texts[e - 1] == ")" and "(" in "".join(texts[s:e]):
                break
            e -= 1
        while e - s >= 3 and texts[e - 2] == "-" and texts[e - 1].lower() in _MODIFIER_SUFFIXES:
            e -= 2
        if e > s:
            word = "".join(texts[s:e])  # no whitespace inside a word, so this is its text
            if not _is_url(word):
                out.append((s, e, word))
        i = j + 1
    return out


def coined_name_spans(doc: Doc, stop_names: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Token ranges of coined names, extended over a following version number or acronym.

    Words in `stop_names` (GPU, SOTA, ...) never start or extend a name.
    """
    words = word_spans(doc)
    out = []
    k = 0
    while k < len(words):
        s, e, text = words[k]
        if is_coined(text) and text not in stop_names:
            while k + 1 < len(words):
                ns, ne, nxt = words[k + 1]
                if ns != e or not doc[e - 1].whitespace_:
                    break
                if is_version(nxt) or (nxt.isupper() and len(nxt) >= 2 and text.isupper() and nxt not in stop_names
                                        and len(nxt) >= 3 and is_coined(nxt) and not any(c.isdigit() for c in nxt)):
                    e = ne
                    k += 1
                else:
                    break
            out.append((s, e))
        k += 1
    return out


class NameFinder:
    """Writes `doc.spans["kg_names"]` (label NAME; the resolver decides the type)."""

    def __init__(self, stop_names: frozenset[str]) -> None:
        self.stop_names = stop_names

    def __call__(self, doc: Doc) -> Doc:
        spans = coined_name_spans(doc, self.stop_names)
        doc.spans[SPAN_KEY] = [Span(doc, s, e, label="NAME") for s, e in spans]
        return doc


@Language.factory("kg_names", assigns=["doc.spans"], default_config={"terms_path": None})
def make_name_finder(nlp: Language, name: str, terms_path: str | None) -> NameFinder:
    return NameFinder(load_lexicon(terms_path).stop_names)
