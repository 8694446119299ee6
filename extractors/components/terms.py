"""`kg_term_ruler`: find names from the curated lists with two phrase tables.

Coined spellings (BERT, ResNet-50, mAP) match case-sensitively on the token text; English technique
names (knowledge distillation, semantic segmentation) match on the lower-cased text, with plural
and hyphen/space variants generated here so the lists stay one line per name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import compress

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from extractors.components.view import BatchPipe, publish_rows, token_view
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


#: a chunk spaCy's English rules keep whole, or split only at its hyphens ("text-to-video")
_PLAIN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*").fullmatch
_HYPHEN = re.compile(r"(-)").split


def pattern_words(nlp: Language, forms: list[str]) -> list[list[str]]:
    """The pipeline tokenizer's tokens of each form, as strings.

    Building the lists' ~45k forms into spaCy PhraseMatchers took two seconds per process, most of
    it creating a lexeme (with all its lexical attributes) per new word; extraction workers each
    paid it at start-up. Here a form of plain ASCII words that are no tokenizer special case ("graph
    neural network", "text-to-video") is split on its spaces and hyphens, which is what spaCy's
    English rules do with it (tests/extractors check it on every listed form); the rest go through a copy of the tokenizer on a throwaway vocabulary without lexical attributes.
    """
    rules = nlp.tokenizer.rules or {}
    out: list[list[str] | None] = []
    hard: list[int] = []
    for i, form in enumerate(forms):
        words = form.split(" ")
        if all(_PLAIN(w) and w not in rules for w in words):
            out.append([part for w in words for part in _HYPHEN(w) if part] if "-" in form else words)
        else:
            out.append(None)
            hard.append(i)
    if hard:
        t = nlp.tokenizer
        tokenizer = Tokenizer(Vocab(), rules=t.rules, prefix_search=t.prefix_search, suffix_search=t.suffix_search,
                              infix_finditer=t.infix_finditer, token_match=t.token_match, url_match=t.url_match)
        for i, doc in zip(hard, tokenizer.pipe(forms[i] for i in hard)):
            out[i] = [token.text for token in doc]
    return out  # type: ignore[return-value]


class PhraseTable:
    """Token-string sequences -> match ids, matched on a Doc's token strings: what spaCy's
    PhraseMatcher does on ORTH (or LOWER, given lower-cased words), without a lexeme per pattern
    word. A trie of dicts: from each token that starts a phrase, one look-up per further word."""

    _END = ""  # a node's key for the ids of the phrases ending there (no token is empty)

    def __init__(self) -> None:
        self.root: dict[str, dict] = {}

    def add(self, match_id: int, phrases: Iterable[list[str]]) -> None:
        for words in phrases:
            if not words:
                continue
            node = self.root
            for word in words:
                node = node.setdefault(word, {})
            ids = node.setdefault(self._END, [])
            if match_id not in ids:
                ids.append(match_id)

    def __call__(self, words: list[str]) -> list[tuple[int, int, int]]:
        """(match id, start, end) of every occurrence, by start then end."""
        root, end_key, n = self.root, self._END, len(words)
        out: list[tuple[int, int, int]] = []
        for i in compress(range(n), map(root.__contains__, words)):
            node, j = root[words[i]], i + 1
            while True:
                ids = node.get(end_key)
                if ids is not None:
                    out.extend([(match_id, i, j) for match_id in ids])
                if j == n:
                    break
                node = node.get(words[j])
                if node is None:
                    break
                j += 1
        return out


class TermRuler(BatchPipe):
    """Keeps its matches as rows under "kg_terms" (`span_rows`): label = entity type, kb_id = canonical name, id = list rank."""

    name = "kg_term_ruler"

    def __init__(self, nlp: Language, lexicon: Lexicon) -> None:
        self.exact = PhraseTable()
        self.lower = PhraseTable()
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
        ids: dict[str, int] = {}
        for key in {**exact_forms, **lower_forms}:
            label, canonical, rank = key.split("\t")
            ids[key] = nlp.vocab.strings.add(key)
            self.match_info[ids[key]] = (label, canonical, f"list{rank}")
        for matcher, table, fold in ((self.exact, exact_forms, False), (self.lower, lower_forms, True)):
            keys = list(table)
            flat = [form for key in keys for form in table[key]]
            words = iter(pattern_words(nlp, flat))
            for key in keys:
                phrases = [next(words) for _ in table[key]]
                matcher.add(ids[key], [[w.lower() for w in p] for p in phrases] if fold else phrases)

    def __call__(self, doc: Doc) -> Doc:
        info = self.match_info
        view = token_view(doc)
        rows = [(start, end, *info[match_id])
                for match_id, start, end in self.exact(view.words) + self.lower(view.lower)]
        publish_rows(doc, SPAN_KEY, rows)
        return doc


@Language.factory(
    "kg_term_ruler",
    assigns=[],  # rows under "kg_terms" in doc.user_data (`span_rows`)
    default_config={"terms_path": None},
)
def make_term_ruler(nlp: Language, name: str, terms_path: str | None) -> TermRuler:
    """Factory: the lists default to the packaged `patterns/terms.jsonl`."""
    ruler = TermRuler(nlp, load_lexicon(terms_path))
    ruler.name = name
    return ruler
