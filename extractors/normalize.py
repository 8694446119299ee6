"""The one place where a surface form becomes a cross-paper `key`.

Keys must be equal for spelling variants of the same thing ("MS-MARCO" / "MS MARCO",
"cross-encoders" / "cross-encoder", "CIFAR10" / "CIFAR-10") and different for different things
("ResNet-50" / "ResNet-101", "BiBERT" / "BERT").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DASHES = dict.fromkeys(map(ord, "-‐‑‒–—―_/"), " ")
_STRIP = " \t\n.,;:!?\"'`()[]{}"
#: what a key never holds (each becomes a space): controls, U+FFFE/U+FFFF, lone surrogates
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


#: plurals that the suffix rules below would get wrong
_IRREGULAR_PLURALS: dict[str, str] = {
    "indices": "index", "matrices": "matrix", "vertices": "vertex", "analyses": "analysis",
    "hypotheses": "hypothesis", "theses": "thesis", "criteria": "criterion",
    "phenomena": "phenomenon", "corpora": "corpus", "children": "child", "people": "person",
    "mice": "mouse", "biases": "bias", "aliases": "alias", "atlases": "atlas",
    "canvases": "canvas", "statuses": "status", "viruses": "virus", "focuses": "focus",
    "lenses": "lens", "gases": "gas", "buses": "bus", "caches": "cache", "niches": "niche",
    "movies": "movie", "cookies": "cookie", "zombies": "zombie", "calories": "calorie",
    "ties": "tie", "lies": "lie", "pies": "pie",
}
#: singular words ending in "s" that no rule should touch
_SINGULAR_S = frozenset({"alias", "atlas", "canvas", "gas", "pandas", "lens", "news",
                         "series", "species", "means"})
_KEEP_ENDINGS = ("ss", "us", "is", "bias")


def singularize(word: str) -> str:
    """Singularise one English word with simple suffix rules, looking at its original case.

    Acronyms written in capitals (DARTS, NAS, FPS) keep their final "S"; only a lowercase
    final "s" is a plural marker (GANs, LLMs, ResNets, datasets).
    """
    if len(word) < 3 or not word.isalpha() or word[-1] != "s":
        return word
    low = word.casefold()
    if low in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[low]
    if low in _SINGULAR_S or low.endswith(_KEEP_ENDINGS):
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "ches", "shes", "xes", "zzes")):
        return word[:-2]
    return word[:-1]


#: ASCII letter/digit boundaries (for ASCII text `str.isalpha`/`isdigit` mean exactly these classes)
_ASCII_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def _split_letter_digit(text: str) -> str:
    """Insert a space between a letter run and a digit run: "cifar10" -> "cifar 10"."""
    if text.isascii():
        return _ASCII_LETTER_DIGIT.sub(" ", text)
    out: list[str] = []
    prev = ""
    for ch in text:
        if prev and ((prev.isalpha() and ch.isdigit()) or (prev.isdigit() and ch.isalpha())):
            out.append(" ")
        out.append(ch)
        prev = ch
    return "".join(out)


@lru_cache(maxsize=65536)
def normalize_key(text: str, acronym: bool | None = None) -> str:
    """Cross-paper key of a surface form (memoised: it runs on every mention in every component,
    and names repeat across papers).

    Examples
    --------
    >>> normalize_key("MS-MARCO") == normalize_key("MS MARCO") == normalize_key("MSMARCO")
    True
    >>> normalize_key("cross-encoders")
    'cross encoder'
    >>> normalize_key("CIFAR10") == normalize_key("CIFAR-10")
    True
    """
    s = unicodedata.normalize("NFKC", text)
    if not s.isprintable():  # keys never hold controls, U+FFFE/U+FFFF or lone surrogates
        s = _UNPRINTABLE.sub(" ", s)
    s = s.strip(_STRIP)
    if acronym is None:
        acronym = _looks_coined(s)
    s = s.casefold().replace("’", "'").translate(_DASHES)
    if "{" in s or "}" in s:  # LaTeX grouping braces, which `clean_name` drops from the display name too
        s = s.translate(_BRACES)
    s = _split_letter_digit(s)
    words = s.split()
    if not words:
        return ""
    if words[0] == "the" and len(words) > 1:
        words = words[1:]
    last = words[-1]
    if acronym:
        # "GANs", "LLMs": a plural 's' glued to a coined name
        if text.rstrip(_STRIP).endswith("s") and text.rstrip(_STRIP)[-2:-1].isupper() and len(last) > 2:
            words[-1] = last[:-1]
        elif _CAMEL_PLURAL.search(text.rstrip(_STRIP)) and not last.endswith(_NOT_PLURAL):
            words[-1] = last[:-1]  # "ResNets", "U-Nets", "DenseNets": plurals of a capitalised last part
        # names in coined casing are spelled with and without separators: "MS MARCO"/"MSMARCO",
        # "NYUD-v2"/"NYUDv2" (but "top-1 accuracy" stays words)
        if any(c.isupper() for c in text[1:]):
            return "".join(words)
    elif last.isalpha():
        words[-1] = singularize(last)
    return " ".join(words)


#: a coined name whose last part is a capitalised word plus "s" after an earlier capital or a
#: separator: "ResNets", "U-Nets" (not "NeurIPS", "DARTS", "iOS")
_CAMEL_PLURAL = re.compile(r"(?:[A-Z][a-z]*|[-\s])[A-Z][a-z]+s$")
_NOT_PLURAL = ("ss", "us", "is", "news", "ics", "ops")

_PIECES = re.compile(r"[\s\-\u2010\u2011]+")


def _looks_coined(s: str) -> bool:
    """Coined names (BERT, ColBERT, ResNet) are not singularised like English words. A phrase in
    title case ("Fault Detection", "Text-to-Image") is English: every word of two letters or more,
    lower case or capitalised, so it keys like its lower-case spelling."""
    if not (any(c.isupper() for c in s[1:]) or any(c.isdigit() for c in s)):
        return False
    pieces = _PIECES.split(s)
    return len(pieces) < 2 or not all(len(w) >= 2 and w.isalpha() and (w.islower() or w.istitle()) for w in pieces)


#: LaTeX markup that wraps a word: "\textit{BERT}" -> "BERT"
_LATEX_WRAP = re.compile(r"\\(?:text(?:it|bf|tt|rm|sc|sf)?|emph|math(?:rm|bf|cal|it|tt|sf)|operatorname)\s*\{([^{}]*)\}")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)\s*")
_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "(": ")", "[": "]", "{": "}", "«": "»"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_BRACES = dict.fromkeys(map(ord, "{}$"))


def clean_name(name: str) -> str:
    """A display name without LaTeX markup or a quote or bracket it does not close: '"Design in Tiles'
    -> 'Design in Tiles', '\\textit{DiT}' -> 'DiT' (balanced ones stay: "Mask R-CNN (ours)")."""
    s = name
    if "\\" in s or "$" in s or "{" in s:
        s = _LATEX_COMMAND.sub(r"\1", _LATEX_WRAP.sub(r"\1", s)).translate(_BRACES)
    s = " ".join(s.split())
    changed = True
    while s and changed:
        changed = False
        if s[0] in _PAIRS and (_PAIRS[s[0]] not in s[1:] or s[-1] == _PAIRS[s[0]] and s[0] in "\"'“‘"):
            s, changed = s[1:].rstrip(_PAIRS[s[0]]) if s[-1] == _PAIRS[s[0]] else s[1:], True
        elif s and s[-1] in _CLOSERS and _CLOSERS[s[-1]] not in s[:-1]:
            s, changed = s[:-1], True
        s = s.strip()
    return s or name
