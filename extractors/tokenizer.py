"""`kg.tokenizer.v1`: spaCy's English tokenizer, plus splitting a sentence-final period off coined
names ("... and ADE20K." -> "ADE20K", "."), which the default rules leave attached."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_suffix_regex, registry

FINAL_PERIOD = r"(?<=[A-Za-z0-9\)])\.$"


def add_final_period_suffix(nlp: Language) -> None:
    """Extend `nlp.tokenizer`'s suffix rules in place (also used on installed models)."""
    suffixes = list(nlp.Defaults.suffixes or []) + [FINAL_PERIOD]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search


@registry.tokenizers("kg.tokenizer.v1")
def create_tokenizer() -> Callable[[Language], Tokenizer]:
    def make(nlp: Language) -> Tokenizer:
        tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        suffixes = list(nlp.Defaults.suffixes or []) + [FINAL_PERIOD]
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search
        return tokenizer

    return make
