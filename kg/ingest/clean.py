"""Text cleaning for input records: the only place ingest normalises text or uses regexes.

Every text a reader keeps goes through `clean_text` (via `records.make_paper`): control characters
and noncharacters no output format can hold are dropped, lone surrogates become U+FFFD, Unicode is
composed (NFC) and whitespace is collapsed. Whitespace is normalised because a newline or tab
inside a text switches off spaCy's tokenizer cache (9x slower downstream); the other helpers turn
loosely formatted fields (dates, author strings, DOIs, web-dump titles) into the typed values a
`Paper` holds, resolve the LaTeX of arXiv titles and abstracts (`clean_latex`) and the inline
HTML of OpenAlex titles (`clean_html`).
"""

from __future__ import annotations

import html
import re
import unicodedata

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


#: characters a text never keeps: C0/C1 controls that are not whitespace (\x1c-\x1f and \x85 are
#: whitespace to `str.split` and become spaces), DEL, and the 66 Unicode noncharacters
_UNWANTED_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
    + "]"
)
#: a UTF-16 surrogate pair left as two code points (e.g. written "\\ud83d\\ude00" by some tools)
_SURROGATE_PAIR_RE = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _join_pair(match: re.Match[str]) -> str:
    high, low = match.group()
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))


def clean_text(text: str) -> str:
    """The text every reader keeps: no control characters, no noncharacters, no lone surrogates, NFC.

    One NUL, ``\\x1b`` or U+FFFF in a title would otherwise make every GraphML file built from
    it unreadable, and a lone surrogate cannot be written as UTF-8 at all. Controls that are
    whitespace (tab, newline, ...) become spaces, the others are dropped; a surrogate pair is
    joined into its character and a lone surrogate becomes U+FFFD. Printable text (nearly all of
    it) only pays for `str.isprintable` and, when not ASCII, an NFC quick check.

    >>> clean_text("SQuAD\\x1b[31m\\x00 v2\\uffff\\tscore\\ud800")
    'SQuAD[31m v2 score\ufffd'
    >>> clean_text("Poincare\\u0301")
    'Poincaré'
    """
    if text.isprintable():  # `normalise_whitespace` without testing printability again
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            text = " ".join(text.split())
    else:
        text = _UNWANTED_RE.sub("", text)
        if _SURROGATE_RE.search(text):
            text = _SURROGATE_RE.sub(REPLACEMENT, _SURROGATE_PAIR_RE.sub(_join_pair, text))
        text = " ".join(text.split())
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def strip_subscribe_prefix(title: str) -> str:
    """Remove a glued web-page "Subscribe" prefix ("SubscribeDistilling ..." -> "Distilling ...")."""
    if title.startswith("Subscribe"):  # cheap test first: the regex runs almost never
        return SUBSCRIBE_PREFIX_RE.sub("", title, count=1)
    return title


def title_key(title: str) -> str:
    """The normalised form of a title that its hash id is computed from (case and spacing free)."""
    return clean_text(title).casefold()


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
    return tuple(clean for name in names if (clean := clean_text(name)))


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


# --- LaTeX in arXiv titles and abstracts -------------------------------------------------------
#
# arXiv metadata is what authors typed into a LaTeX-minded form: hard-wrapped lines, inline math,
# accent commands and font commands. The rule is "what a reader of the rendered abstract would
# read", kept to plain, tokenizer-friendly text: accents become letters ({\'e} -> é), font
# commands leave their content (\emph{x} -> x), escaped specials lose their backslash (5\% ->
# 5%), and inline math keeps its content without dollars, with common symbols as Unicode
# ($\ell_1$ -> ℓ1, $\sim$10\% -> ~10%, $O(n \log n)$ -> O(n log n), $10^{-3}$ -> 10^-3).
# Unknown commands are kept as written, never guessed at.

#: characters whose presence means a text may hold LaTeX (otherwise cleaning is whitespace only)
_LATEX_MARKERS = ("\\", "$", "{", "}", "``", "''")

#: inline or display math: $...$ or $$...$$, not opened or closed by an escaped \$
LATEX_MATH_RE = re.compile(r"(?<!\\)(\${1,2})(.+?)(?<!\\)\1", re.DOTALL)

#: math as TeX authors write it in a text that may not be LaTeX at all: no space just inside either
#: dollar, and a digit just after the closing one only when the formula holds a LaTeX marker
#: (``$\times$2``), so prices ("$5 and $10", "$5-$10") are not math
LATEX_TIGHT_MATH_RE = re.compile(
    r"(?<!\\)(\${1,2})(?=[^\s$])"
    r"((?:[^$]*?[\\^_{][^$]*?(?<=[^\s\\])(?=\1))|(?:.+?(?<=[^\s\\])(?=\1(?!\d))))\1",
    re.DOTALL,
)

#: a LaTeX command or escape (\emph, \'e, \%): with a tight formula, the evidence that a text from a
#: reader other than `arxiv` holds LaTeX at all (`clean_markup`)
LATEX_EVIDENCE_RE = re.compile(r"\\(?:[A-Za-z]+|[%&_#${}'`^\"~=.])")

#: a symbol accent: \'e, \'{e}, \"{\i}  (no space allowed after the command: "\' " is an apostrophe)
LATEX_SYMBOL_ACCENT_RE = re.compile(r"""\\(['`^"~=.])(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|(\\[ij](?![A-Za-z])|[A-Za-z]))""")

#: a letter accent: \c{c}, \v{s}, \H{o}, or \c c (a space is needed when there are no braces)
LATEX_LETTER_ACCENT_RE = re.compile(r"\\([cvuHdbrk])(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|\s+([A-Za-z]))")

#: a letter written as a command: \ss, \o, \ae, \l, \i ... (not the start of a longer command)
LATEX_LETTER_RE = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])\s?")

#: a command whose argument is the text to keep: \emph{x}, \textbf{x}, \mathrm{x}, \url{x}
LATEX_UNWRAP_RE = re.compile(
    r"\\(?:emph|textbf|textit|texttt|textsc|textsf|textsl|textrm|textup|textnormal|underline|mbox|hbox|"
    r"text|url|mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|mathfrak|mathscr|boldsymbol|bm|"
    r"operatorname)\s*\{([^{}]*)\}"
)

#: \href{url}{text}: keep the text
LATEX_HREF_RE = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}")

#: \frac{a}{b} (simple arguments): "a/b"
LATEX_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")

#: an old-style font declaration ({\em x}, {\bf x}) or a spacing command: dropped
LATEX_DECLARATION_RE = re.compile(
    r"\\(?:(?:em|bf|it|sl|sc|rm|tt|sf|cal|normalfont|displaystyle|left|right|quad|qquad|noindent|par|"
    r"newline|smallskip|medskip|bigskip)(?![A-Za-z])|[,;:!> ])\s*"
)

#: a named command inside math, looked up in `LATEX_SYMBOLS`
LATEX_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")

#: a subscript made of digits (F_1, \ell_{2,1}): written without the underscore, "F1"
LATEX_DIGIT_SUBSCRIPT_RE = re.compile(r"_(?:\{([\d.,]+)\}|(\d))")

#: a braced sub- or superscript: x_{ij} -> x_ij, 10^{-3} -> 10^-3
LATEX_SCRIPT_BRACES_RE = re.compile(r"([_^])\{([^{}]*)\}")

#: an escaped special character: \% \& \_ \# \$ \{ \}
LATEX_ESCAPE_RE = re.compile(r"\\([%&_#${}])")

#: a LaTeX group brace (not an escaped one), removed in text once commands are resolved; an
#: unknown command's braced arguments (group 1: \\cite{x}, \\vec{v}) are matched first and kept
LATEX_BRACE_RE = re.compile(r"(\\[A-Za-z]+\*?(?:\{[^{}]*\})+)|(?<!\\)[{}]")

#: a LaTeX forced line break "\\" (or "\\[2pt]")
LATEX_LINEBREAK_RE = re.compile(r"\\\\(?:\[[^\]]*\])?")

_SYMBOL_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
                   "=": "\u0304", ".": "\u0307"}
_LETTER_ACCENTS = {"c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "d": "\u0323",
                   "b": "\u0331", "r": "\u030a", "k": "\u0328"}
_LETTERS = {"ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "o": "ø",
            "O": "Ø", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}

#: named math commands and their reading (Unicode symbol or plain word)
LATEX_SYMBOLS: dict[str, str] = {
    **{name: chr(code) for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
        ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("vartheta", 0x3D1),
        ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
        ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3D5),
        ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393),
        ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0),
        ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9),
    )},
    "ell": "ℓ", "times": "×", "cdot": "·", "sim": "~", "approx": "≈", "simeq": "≃", "propto": "∝",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "ll": "≪", "gg": "≫",
    "pm": "±", "mp": "∓", "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "leftrightarrow": "↔", "mapsto": "↦", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "partial": "∂",
    "nabla": "∇", "sqrt": "√", "sum": "∑", "prod": "∏", "int": "∫", "circ": "∘", "star": "⋆",
    "ast": "∗", "dagger": "†", "top": "⊤", "perp": "⊥", "prime": "′", "ldots": "…", "dots": "…",
    "cdots": "⋯", "mid": "|", "vert": "|", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "emptyset": "∅", "hbar": "ℏ", "deg": "°",
    **{name: name for name in ("log", "ln", "exp", "sin", "cos", "tan", "max", "min", "arg", "lim",
                               "sup", "inf", "det", "dim", "mod", "argmax", "argmin")},
    "LaTeX": "LaTeX", "TeX": "TeX",
}

#: the text-mode commands that name a word, looked up in `LATEX_SYMBOLS` outside math too
_TEXT_WORDS = {"LaTeX", "TeX", "ldots", "dots"}


def _accent(letter: str, mark: str) -> str:
    """A letter (or \\i, \\j) with a combining mark, composed where Unicode has the character."""
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + mark)


def _replace_symbol_accent(match: re.Match[str]) -> str:
    return _accent(match.group(2) or match.group(3), _SYMBOL_ACCENTS[match.group(1)])


def _replace_letter_accent(match: re.Match[str]) -> str:
    return _accent(match.group(2) or match.group(3), _LETTER_ACCENTS[match.group(1)])


def _replace_math_command(match: re.Match[str]) -> str:
    return LATEX_SYMBOLS.get(match.group(1), match.group(0))


def _replace_text_command(match: re.Match[str]) -> str:
    name = match.group(1)
    return LATEX_SYMBOLS[name] if name in _TEXT_WORDS else match.group(0)


def _unwrap(text: str) -> str:
    """Resolve commands that keep their argument, innermost first (a few levels of nesting)."""
    if "\\" not in text or "{" not in text:
        return text
    for _ in range(4):
        new = LATEX_UNWRAP_RE.sub(r"\1", text)
        if "ref" in new:
            new = LATEX_HREF_RE.sub(r"\1", new)
        if "frac" in new:
            new = LATEX_FRAC_RE.sub(r"\1/\2", new)
        if new == text:
            break
        text = new
    return text


def clean_math(math: str) -> str:
    """The readable content of one inline formula (the text between the dollars).

    Each step runs only when its marker character is present: most formulas are short.

    >>> clean_math(r"\\ell_1")
    'ℓ1'
    >>> clean_math(r"O(n \\log n)")
    'O(n log n)'
    >>> clean_math(r"10^{-3}")
    '10^-3'
    """
    if "\\" in math:
        math = LATEX_DECLARATION_RE.sub(" ", _unwrap(math))
        math = LATEX_COMMAND_RE.sub(_replace_math_command, math)
    if "_" in math:
        math = LATEX_DIGIT_SUBSCRIPT_RE.sub(lambda m: m.group(1) or m.group(2), math)
    if "{" in math:
        math = LATEX_SCRIPT_BRACES_RE.sub(r"\1\2", math)
    if "\\" in math:
        math = LATEX_ESCAPE_RE.sub(r"\1", math)
    return math.strip()


def _clean_text_part(text: str) -> str:
    """LaTeX outside math: font commands, declarations, quotes, escapes, group braces."""
    if "\\" in text:
        if "\\\\" in text:
            text = LATEX_LINEBREAK_RE.sub(" ", text)
        text = LATEX_DECLARATION_RE.sub(" ", _unwrap(text))
        if "TeX" in text or "dots" in text:
            text = LATEX_COMMAND_RE.sub(_replace_text_command, text)
    if "``" in text or "''" in text:
        text = text.replace("``", '"').replace("''", '"')
    if "{" in text or "}" in text:
        text = LATEX_BRACE_RE.sub(lambda m: m.group(1) or "", text)
    if "\\" in text:
        text = LATEX_ESCAPE_RE.sub(r"\1", text)
    return text


def clean_latex(text: str, *, tight_math: bool = False) -> str:
    """Plain readable text from an arXiv title or abstract: line breaks, LaTeX and math resolved.

    Parameters
    ----------
    text
        Raw field text, hard-wrapped and possibly holding LaTeX.
    tight_math
        Only read ``$...$`` as math when written the TeX way (`LATEX_TIGHT_MATH_RE`): for texts
        not known to be LaTeX, where a dollar is more likely a price.

    Returns
    -------
    str
        One line, whitespace-normalised; text without LaTeX markers only has its whitespace
        normalised (the fast path taken by most records).

    Examples
    --------
    >>> clean_latex("Sparse $\\\\ell_1$-regularized\\n  models by Poincar{\\\\'e}: 5\\\\% \\\\emph{better}")
    'Sparse ℓ1-regularized models by Poincaré: 5% better'
    """
    if not any(marker in text for marker in _LATEX_MARKERS):
        return normalise_whitespace(text)
    if "\\" in text:
        text = LATEX_SYMBOL_ACCENT_RE.sub(_replace_symbol_accent, text)
        text = LATEX_LETTER_ACCENT_RE.sub(_replace_letter_accent, text)
        text = LATEX_LETTER_RE.sub(lambda m: _LETTERS[m.group(1)], text)
    parts = (LATEX_TIGHT_MATH_RE if tight_math else LATEX_MATH_RE).split(text)  # [text, delimiter, math, text, delimiter, math, ..., text]
    pieces = []
    for index in range(0, len(parts), 3):
        pieces.append(_clean_text_part(parts[index]))
        if index + 2 < len(parts):
            pieces.append(clean_math(parts[index + 2]))
    return normalise_whitespace("".join(pieces))


def clean_markup(text: str) -> str:
    """`clean_latex` for a text from any reader: run only when the text shows LaTeX.

    A CSV or JSON export of arXiv papers carries the same LaTeX as the snapshot, but ordinary
    text must come through unchanged: LaTeX is only resolved when the text holds a command or
    escape (``\\emph{..}``, ``Fr\\'echet``, ``3.9\\%``) or a tightly written formula (``$\\times$``,
    ``$n$``), and then prices stay prices. Otherwise the text is returned as it is (`clean_text`
    normalises its whitespace).

    >>> clean_markup(r"Fr\\'echet distance 3.9\\% lower, $2\\times$ faster")
    'Fréchet distance 3.9% lower, 2× faster'
    >>> clean_markup("C# tools cost $5 and $10 {per seat}")
    'C# tools cost $5 and $10 {per seat}'
    """
    if ("\\" in text and LATEX_EVIDENCE_RE.search(text)) or ("$" in text and LATEX_TIGHT_MATH_RE.search(text)):
        return clean_latex(text, tight_math=True)
    return text


#: a label opening an abstract copied from a PDF or a publisher's page: "ABSTRACT", or "Abstract"
#: followed by a colon, a full stop or a dash ("Abstract: We ...", "Abstract. In ...", "Abstract—We")
ABSTRACT_LABEL_RE = re.compile(r"^(?:(?:Abstract|ABSTRACT)\s*(?:[:.]|[\u2013\u2014-](?=\s|[A-Z]))|ABSTRACT\b)\s*")
#: "Abstract" then a word that opens a sentence: a label too; any other word keeps it, as the
#: first word of the text ("Abstract Meaning Representation is ...", "Abstract interpretation ...")
ABSTRACT_WORD_RE = re.compile(
    r"^Abstract\s+(?=(?:We|This|These|Our|In|The|A|An|Here|To|For|With|As|It|Recent|Recently|Many|Most|"
    r"Although|While|Despite|Since|Given|How|What|When|Existing|Current|Background|Objective|Objectives|"
    r"Purpose|Motivation|Introduction|Context|Aims?|Summary|Methods?|Results?)\b)"
)


def strip_abstract_label(abstract: str) -> str:
    """An abstract without a leading "Abstract" label (OpenAlex and PDF-scraped abstracts have one).

    >>> strip_abstract_label("Abstract: We propose X.")
    'We propose X.'
    >>> strip_abstract_label("Abstract Meaning Representation (AMR) is a graph formalism.")
    'Abstract Meaning Representation (AMR) is a graph formalism.'
    """
    if abstract[:8].lower() != "abstract":
        return abstract
    match = ABSTRACT_LABEL_RE.match(abstract) or ABSTRACT_WORD_RE.match(abstract)
    return abstract[match.end():] or abstract if match else abstract


# --- arXiv ids and author strings -----------------------------------------------------------

#: a new-style arXiv id, YYMM.NNNN(N) with an optional version: "0704.0001", "2106.01234v2"
ARXIV_NEW_ID_RE = re.compile(r"^(\d\d)(\d\d)\.\d{4,5}(?:v\d+)?$")

#: an old-style arXiv id, archive[.subject]/YYMMNNN: "hep-th/9901001", "math.GT/0309136"
ARXIV_OLD_ID_RE = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?/(\d\d)(\d\d)\d{3}(?:v\d+)?$")

#: a parenthesised affiliation in an arXiv author string, innermost level: "A. Author (MIT)"
AUTHOR_AFFILIATION_RE = re.compile(r"\s*\([^()]*\)")

#: old-style ids began in 1991: a two-digit year from 91 on is 19YY, below is 20YY
_OLD_ID_CENTURY_FROM = 91


#: an OpenAlex work id without its URL: "W2741809807"
OPENALEX_WORK_ID_RE = re.compile(r"^W\d+$")


def is_arxiv_id(text: str) -> bool:
    """True for a new- or old-style arXiv id ("0704.0001", "2106.01234v2", "hep-th/9901001")."""
    return bool(ARXIV_NEW_ID_RE.match(text) or ARXIV_OLD_ID_RE.match(text))


def is_openalex_work_id(text: str) -> bool:
    """True for an OpenAlex work id ("W2741809807"; authors, sources etc. have other letters)."""
    return bool(OPENALEX_WORK_ID_RE.match(text))


def arxiv_id_year(arxiv_id: str) -> int | None:
    """The submission year encoded in an arXiv id ("0704.0001" -> 2007, "hep-th/9901001" -> 1999).

    New-style ids (from April 2007) are all 20YY; old-style ones run from 1991 to 2007.
    """
    if match := ARXIV_NEW_ID_RE.match(arxiv_id):
        month = int(match.group(2))
        return 2000 + int(match.group(1)) if 1 <= month <= 12 else None
    if match := ARXIV_OLD_ID_RE.match(arxiv_id):
        yy, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            return None
        return (1900 if yy >= _OLD_ID_CENTURY_FROM else 2000) + yy
    return None


def strip_affiliations(authors: str) -> str:
    """An author string without its parenthesised affiliations, nested ones included.

    >>> strip_affiliations("A. Author (1), B. Author (2) ((1) MIT, (2) CMU)")
    'A. Author, B. Author'
    """
    while "(" in authors:
        stripped = AUTHOR_AFFILIATION_RE.sub("", authors)
        if stripped == authors:
            break
        authors = stripped
    return authors


# --- HTML in OpenAlex titles and abstracts ------------------------------------------------

#: an inline HTML tag as OpenAlex titles carry them: <i>, <sup>, </sub>, <scp>, <br/>, <p ...>
HTML_TAG_RE = re.compile(r"</?(?:i|b|u|em|strong|sup|sub|scp|span|p|br|mml:[a-z]+|jats:[a-z]+)(?:\s[^<>]*)?/?>",
                         re.IGNORECASE)


def clean_html(text: str) -> str:
    """Text without inline HTML tags and entities ("<i>E. coli</i> &amp; X" -> "E. coli & X")."""
    if "<" in text:
        text = HTML_TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return normalise_whitespace(text)
