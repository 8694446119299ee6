"""`kg_names`: coined names found by their spelling (BiBERT, Jina-ColBERT-v2, U-DiTs, LLM.int8()).

Words are whitespace-delimited runs of tokens; a word counts as a coined name if its shape says so
(inner capitals, an all-caps acronym, letters mixed with digits). Names followed by a version or
another acronym are extended ("PARSEME 1.1", "MS MARCO"). Spans are kept as rows under "kg_names" (`span_rows`).

Speed: a coined name always holds an upper-case letter or a digit, so only the words around such
tokens are looked at (found with C-level `map`/`compress` over the Doc's `TokenView`), and the
pure string tests are cached: the same words recur across abstracts.
"""

from __future__ import annotations

import re

from functools import lru_cache
from itertools import compress

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.view import BatchPipe, publish_rows, token_view
from extractors.lexicon import load_lexicon
from extractors.memo import MEMO_SIZE, BoundedMemo
from extractors.tokenizer import MAX_WORD_CHARS

SPAN_KEY = "kg_names"
_EDGE_PUNCT = set(",;:.!?\"'`()[]{}«»“”‘’")
_TRAILING = _EDGE_PUNCT | {"'s", "’s", "-"}
# "BERT-based", "ResNet-like": the name is the part before the suffix
_MODIFIER_SUFFIXES = {"based", "style", "like", "aided", "specific", "driven", "free", "aware", "embedded",
                      "guided", "enhanced", "powered", "level", "wise", "only", "scale", "sized", "type",
                      "friendly", "generated", "shaped", "oriented", "compatible", "centric", "agnostic",
                      "intensive"}
# tokens that separate two names written without spaces: "DeiT-B/ResMLP-B24", "scheme.Code"
_SEPARATORS = {"/", ".", "--", "~"}


_AT_CUTOFF = re.compile(r"[A-Za-z]{1,12}@(?:\d+(?:\.\d+)?|[Kk])").fullmatch


@lru_cache(maxsize=MEMO_SIZE)
def is_coined(text: str) -> bool:
    """True when a word's spelling marks it as a name rather than an English word (cached: pure)."""
    if text.isalpha() and (text.islower() or text[1:].islower()):
        return False  # fast path: plain and capitalised English words
    if "@" in text and _AT_CUTOFF(text):
        return True  # "R@1", "P@10", "Hits@K": a measure at a cut-off, however short its letters
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


@lru_cache(maxsize=MEMO_SIZE)
def is_version(text: str) -> bool:
    """A version or year written after a name: "1.1", "v2", "2012" (cached: pure)."""
    t = text.lstrip("v")
    return bool(t) and all(c.isdigit() or c == "." for c in t) and t[0].isdigit() and len(t) <= 5


@lru_cache(maxsize=MEMO_SIZE)
def _is_url(text: str) -> bool:
    """URLs, e-mail addresses and text glued by broken markup ("codecs~(H.264") are not names."""
    if "://" in text or text.startswith("www.") or ("@" in text and "." in text.split("@")[-1]):
        return True
    return "~" in text or "--" in text or text.count("(") != text.count(")")


def _token_class(tok: str) -> int:
    """0: no upper-case letter or digit, so never part of a coined name; 1: may be part of one only
    with the tokens glued to it ("U" in "U-Net"); 2: a coined name alone."""
    if not any(c.isupper() or c.isdigit() for c in tok):
        return 0  # every coined name holds an upper-case letter or a digit
    return 2 if is_coined(tok) and not _is_url(tok) else 1


#: token text -> `_token_class`; `map(_TOKEN_CLASS.__getitem__, words)` runs in C for known tokens
_TOKEN_CLASS = BoundedMemo(_token_class)


def _run_end(texts: list[str], spaced: list[bool], i: int, n: int) -> int:
    """Last token of the run starting at token i (a run ends at whitespace or before a separator)."""
    j = i
    while j < n - 1 and not spaced[j] and texts[j + 1] not in _SEPARATORS:
        j += 1
    return j


def _run_start(texts: list[str], spaced: list[bool], i: int) -> int:
    """First token of the run holding token i."""
    while i > 0 and not spaced[i - 1] and texts[i] not in _SEPARATORS:
        i -= 1
    return i


def _trim_word(texts: list[str], s: int, e: int) -> tuple[int, int, str] | None:
    """The word in tokens [s, e) of one run: edge punctuation, 's and "-based"-like suffixes
    trimmed; None when nothing is left or it is a URL."""
    while s < e and texts[s] in _EDGE_PUNCT:
        s += 1
    while e > s and texts[e - 1] in _TRAILING:
        if texts[e - 1] == ")" and "(" in "".join(texts[s:e]):
            break
        e -= 1
    while e - s >= 3 and texts[e - 2] == "-" and texts[e - 1].lower() in _MODIFIER_SUFFIXES:
        e -= 2
    if e <= s:
        return None
    word = texts[s] if e - s == 1 else "".join(texts[s:e])  # no whitespace inside a word
    return None if _is_url(word) else (s, e, word)


def _run_word(texts: list[str], start: int, end: int) -> tuple[int, int, str] | None:
    """The word of the run [start, end]: a leading separator token is not part of it; None for a
    run of more than `MAX_WORD_CHARS` tokens (no name is that long, and trimming one is quadratic)."""
    if end - start >= MAX_WORD_CHARS:
        return None
    if texts[start] in _SEPARATORS:
        start += 1
    return _trim_word(texts, start, end + 1)


@lru_cache(maxsize=MEMO_SIZE)
def _capitals_year(text: str) -> bool:
    """An all-caps acronym glued to a year or version number: "VOC2012", "WMT14" (cached: pure)."""
    alpha = text.rstrip("0123456789")
    return len(alpha) >= 3 and alpha.isalpha() and alpha.isupper() and 2 <= len(text) - len(alpha) <= 4


@lru_cache(maxsize=MEMO_SIZE)
def _looks_like_score(text: str) -> bool:
    """A decimal that reads as a reported value, not a version: two digits before or after the
    point ("FID 3.49", "Model1 91.1"), unless written "v..." (cached: pure)."""
    whole, dot, frac = text.partition(".")
    return bool(dot) and not text.startswith("v") and (len(whole) >= 2 or len(frac) >= 2)


def _extends(text: str, nxt: str, stop_names: frozenset[str]) -> bool:
    """Whether the word after the name `text` belongs to it: a version (not a score), an acronym
    after an acronym ("MS MARCO"), or an acronym with a year after an acronym ("PASCAL VOC2012")."""
    return (is_version(nxt) and not _looks_like_score(nxt)) or (nxt.isupper() and len(nxt) >= 3 and text.isupper() and nxt not in stop_names
                               and is_coined(nxt) and (_capitals_year(nxt) or not any(c.isdigit() for c in nxt)))


@lru_cache(maxsize=MEMO_SIZE)
def not_a_name(text: str, stop_names: frozenset[str]) -> bool:
    """A stop name, a unit with an exponent ("eV^2", "cm^-3") or a formula left over from LaTeX
    ("sin^2", "theta_23"): coined-looking, but never a name (cached: pure)."""
    if text in stop_names:
        return True
    # a catalogue designation: "WASP-39b", "GW150914" (stop names "WASP-", "GW-")
    k = 0
    while k < len(text) and text[k].isalpha():
        k += 1
    if 0 < k < len(text) and text[:k] + "-" in stop_names and text[k + (text[k] == "-") :][:1].isdigit():
        return True
    base, caret, power = text.partition("^")
    if caret and (base in stop_names or base.islower() or not any(c.isalpha() for c in power)):
        return True  # "eV^2", "sin^2", "N^-1", but "A^2MIM"
    head, sep, _ = text.partition("_")
    if sep and head.isalpha() and head.islower():
        return True
    return _is_mutation(text) or is_formula(text)


_RESIDUES = frozenset("ACDEFGHIKLMNPQRSTVWY")
_ELEMENTS = frozenset("""H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge
As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm
Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr""".split())


def is_formula(text: str) -> bool:
    """A chemical formula: element symbols, counts and brackets, at least two elements and a count,
    and a two-letter symbol or a bracket ("Zn(CN)2", "WSe2", "Fe3O4"; not "NF4", "SAM2", "CoCa")."""
    i, n, elements, count, marked = 0, len(text), 0, False, False
    while i < n:
        c = text[i]
        if c.isdigit():
            count = True
            i += 1
        elif c in "()[]":
            marked = True
            i += 1
        elif text[i : i + 2] in _ELEMENTS and text[i + 1 : i + 2].islower():
            elements, marked, i = elements + 1, True, i + 2
        elif c in _ELEMENTS:
            elements, i = elements + 1, i + 1
        else:
            return False
    return elements >= 2 and count and marked


def _is_mutation(text: str) -> bool:
    """A protein mutation, residue-position-residue: "G12D", "N501Y", "V600E"."""
    return (4 <= len(text) <= 6 and text[0] in _RESIDUES and text[-1] in _RESIDUES
            and text[1:-1].isdigit() and len(text) - 2 >= 2)


def coined_name_spans(doc: Doc, stop_names: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Token ranges of coined names, extended over a following version number or acronym.

    Words in `stop_names` (GPU, SOTA, ...) never start or extend a name.
    """
    tv = token_view(doc)
    texts, spaced, n = tv.words, tv.ws, tv.n
    out = []
    done = 0  # tokens before `done` belong to runs already read
    classes = list(map(_TOKEN_CLASS.__getitem__, texts))
    for i in compress(range(n), classes):
        if i < done:
            continue
        if (i == 0 or spaced[i - 1]) and (spaced[i] or i == n - 1):
            # a one-token word (the common case): its class says whether it is a name
            if classes[i] == 1:
                continue
            s, e, text = i, i + 1, texts[i]
        else:
            start = _run_start(texts, spaced, i)
            end = _run_end(texts, spaced, i, n)
            done = end + 1
            word = _run_word(texts, start, end)
            if word is None:
                continue
            s, e, text = word
        if len(text) > MAX_WORD_CHARS or not is_coined(text) or not_a_name(text, stop_names):
            continue
        # the next word extends the name when it starts right after it, past one space
        while e < n and spaced[e - 1]:
            if classes[e] == 0 and (spaced[e] or e == n - 1):
                break  # a one-token word without capital or digit is neither a version nor an acronym
            nend = _run_end(texts, spaced, e, n)
            nxt = _run_word(texts, e, nend)
            if nxt is None or nxt[0] != e or not _extends(text, nxt[2], stop_names):
                break
            if tv.idx[nxt[1] - 1] + len(texts[nxt[1] - 1]) - tv.idx[s] > MAX_WORD_CHARS:
                break  # "ABC ABC ABC ...": a name is no longer than a word may be
            e = nxt[1]
            done = nend + 1
        out.append((s, e))
    return out


class NameFinder(BatchPipe):
    """Keeps rows under "kg_names" (`span_rows`; label NAME, the resolver decides the type)."""

    name = "kg_names"

    def __init__(self, stop_names: frozenset[str]) -> None:
        self.stop_names = stop_names

    def __call__(self, doc: Doc) -> Doc:
        spans = coined_name_spans(doc, self.stop_names)
        publish_rows(doc, SPAN_KEY, [(s, e, "NAME", "", "") for s, e in spans])
        return doc


@Language.factory("kg_names", assigns=[], default_config={"terms_path": None})
def make_name_finder(nlp: Language, name: str, terms_path: str | None) -> NameFinder:
    finder = NameFinder(load_lexicon(terms_path).stop_names)
    finder.name = name
    return finder
