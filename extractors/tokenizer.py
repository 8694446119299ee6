"""`kg.tokenizer.v1`: spaCy's English tokenizer, plus splitting a sentence-final period off coined
names ("... and ADE20K." -> "ADE20K", "."), which the default rules leave attached; and `tokenize`,
which bounds the tokenizer's work on runs of characters without a space."""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_suffix_regex, registry

FINAL_PERIOD = r"(?<=[A-Za-z0-9\)])\.$"
#: an acronym definition written without a space, "single-linkage(SL)": the "(" after a lower-case
#: word, before an acronym of two capitals or more that ends the token, is its own token (not
#: "Zn(CN)2", "f(x)" or "log(N)")
GLUED_ACRONYM = r"(?:(?<=[a-z]{2})|(?<=[a-z]~))\((?=[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*$)"
#: LaTeX's non-breaking space before such a "(": "Referring Image Segmentation~(RIS)"
GLUED_TILDE = r"(?<=[a-z])~(?=\([A-Z])"

#: longest run of non-space characters the tokenizer is given whole. spaCy strips affixes off a run
#: one at a time, searching the rest of the run each time: 100,000 "(" took minutes. Real text
#: stays far below (the longest run in the bundled corpora is 89 characters, a URL).
MAX_WORD_CHARS = 256
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_WORD_CHARS + 1))


def tokenize(nlp: Language, text: str) -> Doc:
    """`nlp.make_doc(text)`, except that a run of more than `MAX_WORD_CHARS` non-space characters is
    tokenized in pieces of that size (so the work is linear in its length). The Doc's text is
    `text` either way; a text without such a run (any real abstract) is tokenized as before."""
    if len(text) > nlp.max_length or _LONG_RUN.search(text) is None:
        return nlp.make_doc(text)  # (which also refuses a text over nlp.max_length)
    tokenizer = nlp.tokenizer
    words: list[str] = []
    spaces: list[bool] = []

    def add(segment: str) -> None:
        if words and segment[:1] == " " and not spaces[-1]:
            spaces[-1] = True  # the space after a cut-up run belongs to its last token
            segment = segment[1:]
        if segment:
            for token in tokenizer(segment):
                words.append(token.text)
                spaces.append(bool(token.whitespace_))

    pos = 0
    for run in _LONG_RUN.finditer(text):
        add(text[pos : run.start()])
        for cut in range(run.start(), run.end(), MAX_WORD_CHARS):
            add(text[cut : min(cut + MAX_WORD_CHARS, run.end())])
        pos = run.end()
    add(text[pos:])
    return Doc(nlp.vocab, words=words, spaces=spaces)


def add_final_period_suffix(nlp: Language) -> None:
    """Extend `nlp.tokenizer`'s suffix and infix rules in place (also used on installed models)."""
    _extend(nlp, nlp.tokenizer)


def _extend(nlp: Language, tokenizer: Tokenizer) -> None:
    suffixes = list(nlp.Defaults.suffixes or []) + [FINAL_PERIOD]
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    infixes = list(nlp.Defaults.infixes or []) + [GLUED_ACRONYM, GLUED_TILDE]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


@registry.tokenizers("kg.tokenizer.v1")
def create_tokenizer() -> Callable[[Language], Tokenizer]:
    def make(nlp: Language) -> Tokenizer:
        tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        _extend(nlp, tokenizer)
        return tokenizer

    return make
