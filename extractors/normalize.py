"""The one place where a surface form becomes a cross-paper `key`.

Keys must be equal for spelling variants of the same thing ("MS-MARCO" / "MS MARCO",
"cross-encoders" / "cross-encoder", "CIFAR10" / "CIFAR-10") and different for different things
("ResNet-50" / "ResNet-101", "BiBERT" / "BERT").
"""

from __future__ import annotations

import unicodedata

_DASHES = dict.fromkeys(map(ord, "-‐‑‒–—―_/"), " ")
_STRIP = " \t\n.,;:!?\"'`()[]{}"
_NO_SINGULAR = ("ss", "us", "is", "ics", "sis")


def singularize(word: str) -> str:
    """Singular of a lower-case English word with simple rules (enough for term heads)."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_NO_SINGULAR):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def _split_letter_digit(text: str) -> str:
    """Insert a space between a letter run and a digit run: "cifar10" -> "cifar 10"."""
    out: list[str] = []
    prev = ""
    for ch in text:
        if prev and ((prev.isalpha() and ch.isdigit()) or (prev.isdigit() and ch.isalpha())):
            out.append(" ")
        out.append(ch)
        prev = ch
    return "".join(out)


def normalize_key(text: str, acronym: bool | None = None) -> str:
    """Cross-paper key of a surface form.

    Examples
    --------
    >>> normalize_key("MS-MARCO") == normalize_key("MS MARCO")
    True
    >>> normalize_key("cross-encoders")
    'cross encoder'
    >>> normalize_key("CIFAR10") == normalize_key("CIFAR-10")
    True
    """
    s = unicodedata.normalize("NFKC", text).strip(_STRIP)
    if acronym is None:
        acronym = _looks_coined(s)
    s = s.casefold().replace("’", "'").translate(_DASHES)
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
    elif last.isalpha():
        words[-1] = singularize(last)
    return " ".join(words)


def _looks_coined(s: str) -> bool:
    """Coined names (BERT, ColBERT, ResNet) are not singularised like English words."""
    return any(c.isupper() for c in s[1:]) or any(c.isdigit() for c in s)
