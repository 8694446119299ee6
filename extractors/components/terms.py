"""`kg_term_ruler`: find names from the curated lists with two PhraseMatchers.

Coined spellings (BERT, ResNet-50, mAP) match case-sensitively on ORTH; English technique names
(knowledge distillation, semantic segmentation) match on LOWER, with plural and hyphen/space
variants generated here so the lists stay one line per name.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from extractors.components.view import BatchPipe, publish_spans
from extractors.lexicon import Lexicon, Term, load_lexicon

SPAN_KEY = "kg_terms"


def surface_variants(term: Term) -> list[str]:
    """Spelling variants of a list entry: plural of the last word, hyphen <-> space."""
    forms = {term.pattern}
    if "-" in term.pattern:
        forms.add(term.pattern.replace("-", " "))
    elif " " in term.pattern and not term.exact and len(term.pattern.split()) == 2:
        forms.add(term.pattern.replace(" ", "-"))
    plural = set()
    for f in forms:
        last = f.replace("-", " ").split()[-1] if f.strip("- ") else f
        if term.exact:
            if f[-1:].isupper():
                plural.add(f + "s")
        elif last.isalpha() and not last.endswith("s"):
            plural.add(f[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else f + "s")
    return sorted(forms | plural)


def pattern_tokenizer(nlp: Language) -> Tokenizer:
    """A copy of the pipeline's tokenizer (same rules and vocab) for tokenizing patterns.

    Tokenizing ~40k pattern strings with the pipeline's own tokenizer left its cache in a state
    where every later text tokenized about 12x slower (measured: 0.06 -> 0.8 ms per abstract).
    """
    t = nlp.tokenizer
    return Tokenizer(nlp.vocab, rules=t.rules, prefix_search=t.prefix_search, suffix_search=t.suffix_search,
                     infix_finditer=t.infix_finditer, token_match=t.token_match, url_match=t.url_match)


class TermRuler(BatchPipe):
    """Writes `doc.spans["kg_terms"]`: label = entity type, kb_id = canonical name, id = list rank."""

    name = "kg_term_ruler"

    def __init__(self, nlp: Language, lexicon: Lexicon) -> None:
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        exact_forms: dict[str, list[str]] = {}
        lower_forms: dict[str, list[str]] = {}
        for term in lexicon.terms:
            key = f"{term.label}\t{term.canonical}\t{term.rank}"
            for form in surface_variants(term):
                if term.exact:
                    exact_forms.setdefault(key, []).append(form)
                if not term.exact or term.fold:
                    lower_forms.setdefault(key, []).append(form.lower())
        # match id -> (label, kb_id, span id), parsed once instead of once per match
        self.match_info: dict[int, tuple[str, str, str]] = {}
        for key in {**exact_forms, **lower_forms}:
            label, canonical, rank = key.split("\t")
            self.match_info[nlp.vocab.strings.add(key)] = (label, canonical, f"list{rank}")
        tokenizer = pattern_tokenizer(nlp)
        for matcher, table in ((self.exact, exact_forms), (self.lower, lower_forms)):
            for key, forms in table.items():
                matcher.add(key, list(tokenizer.pipe(forms)))

    def __call__(self, doc: Doc) -> Doc:
        info = self.match_info
        rows = [(start, end, *info[match_id]) for match_id, start, end in self.exact(doc) + self.lower(doc)]
        publish_spans(doc, SPAN_KEY, rows)
        return doc


@Language.factory(
    "kg_term_ruler",
    assigns=["doc.spans"],
    default_config={"terms_path": None},
)
def make_term_ruler(nlp: Language, name: str, terms_path: str | None) -> TermRuler:
    """Factory: the lists default to the packaged `patterns/terms.jsonl`."""
    ruler = TermRuler(nlp, load_lexicon(terms_path))
    ruler.name = name
    return ruler
