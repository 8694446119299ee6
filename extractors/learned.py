"""Names learned from the corpus itself: a long form one paper defines ("frobnicated widget network
(FWN)") is found where another paper writes it without a definition.

`kg build` learns the forms in its first pass (kg.resolve.AliasIndex) and calls
`LearnedNameMatcher.add_mentions` on each paper in its second pass, so spaCy objects stay here.

spaCy's vocabulary keeps every string it ever tokenised, so tokenising a whole corpus grows
memory with the corpus's vocabulary (about 1 KB per new word). The matcher tokenises with its own
copy of the pipeline's tokenizer and starts over on a fresh copy (a new, empty vocabulary) once
its vocabulary has gained `max_new_strings` strings, as extraction workers rebuild their pipelines
(`kg.engines.MAX_NEW_STRINGS`). Tokens, and so matches, do not depend on what the vocabulary held.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher

from extractors.components.sentences import SentenceIndex
from extractors.components.terms import pattern_tokenizer
from extractors.lexicon import load_lexicon, read_word_list
from extractors.pipeline import make_doc
from extractors.records import _field_offsets
from schema import Entity, Extraction, Mention, Paper

LEARNED_CONFIDENCE = 0.6


COMMON_WORDS = Path(__file__).parent / "patterns" / "common_words.txt"


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    return read_word_list(COMMON_WORDS)


def is_common_phrase(form: str) -> bool:
    """A phrase of everyday words ("natural language", "ground truth", "quantum computing", "Very
    Low Mass"): what one paper abbreviates is no name that another paper writing it means; a
    specific name has a rarer word ("frobnicated widget network", "empirical mode decomposition")."""
    words = [w for w in re.split(r"[^a-z]+", form.lower()) if w]
    common = _common_words()
    return bool(words) and all(w in common or len(w) <= 2 for w in words)


def usable_form(form: str) -> bool:
    """A learned long form worth matching: several words, mostly letters, not too long."""
    words = form.split()
    return 2 <= len(words) <= 8 and len(form) <= 80 and sum(len(w) >= 4 and w.isalpha() for w in words) >= 1


class LearnedNameMatcher:
    """Find learned forms in papers and add them as mentions of the entity they name."""

    def __init__(self, nlp: Language, forms: Mapping[tuple[str, str], Iterable[str]],
                 names: Mapping[tuple[str, str], str] | None = None, max_new_strings: int = 100_000) -> None:
        self.names = dict(names or {})
        self.source = nlp
        self.sentencizer = nlp.get_pipe("sentencizer") if "sentencizer" in nlp.pipe_names else None
        lexicon = load_lexicon()
        # a form the name lists know is found by the extractor itself, where the context makes it
        # an entity: learning it would add it to every paper that merely writes the words
        self.patterns = {lk: sorted({f.lower() for f in surface if usable_form(f) and lexicon.lookup(f) is None})
                         for lk, surface in forms.items()}
        self.max_new_strings = max_new_strings
        self.rebuilds = 0  # fresh vocabularies started so far
        self._start()

    def _start(self) -> None:
        """A fresh copy of the source pipeline's tokenizer on a new vocabulary, the patterns compiled on it."""
        nlp = spacy.blank(self.source.lang)
        nlp.tokenizer.from_bytes(self.source.tokenizer.to_bytes(exclude=["vocab"]))
        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.keys: dict[int, tuple[str, str]] = {}
        tokenizer = pattern_tokenizer(nlp)
        for (label, key), patterns in self.patterns.items():
            if patterns:
                match_id = nlp.vocab.strings.add(f"kg_learned\t{label}\t{key}")
                self.keys[match_id] = (label, key)
                self.matcher.add(f"kg_learned\t{label}\t{key}", list(tokenizer.pipe(patterns)))
        self._string_limit = len(nlp.vocab.strings) + self.max_new_strings

    def __len__(self) -> int:
        return len(self.keys)

    def add_mentions(self, paper: Paper, extraction: Extraction) -> Extraction:
        """`extraction` plus mentions of learned forms that it does not already cover."""
        if not self.keys:
            return extraction
        if len(self.nlp.vocab.strings) > self._string_limit:
            self._start()  # the grown vocabulary is let go
            self.rebuilds += 1
        doc = make_doc(self.nlp, paper)
        matches = self.matcher(doc)
        if not matches:
            return extraction
        if self.sentencizer is not None:
            doc = self.sentencizer(doc)
        sents = SentenceIndex(doc)
        covered = {(m.field, i) for e in extraction.entities for m in e.mentions for i in range(m.start, m.end)}
        by_key = {(e.label, e.key): e for e in extraction.entities}
        entities = list(extraction.entities)
        changed = False
        for match_id, start, end in sorted(matches, key=lambda m: (m[1], -m[2])):
            span = doc[start:end]
            where = _field_offsets(doc, span.start_char, span.end_char)
            if where is None:
                continue
            field, fs, fe = where
            if any((field, i) in covered for i in range(fs, fe)):
                continue
            covered.update((field, i) for i in range(fs, fe))
            label, key = self.keys[match_id]
            mention = Mention(field=field, start=fs, end=fe, text=span.text, sentence=sents.index(start))
            entity = by_key.get((label, key))
            if entity is None:
                entity = Entity(label=label, name=self.names.get((label, key), span.text), key=key, text=span.text,
                                aliases=[], role="mentioned", confidence=LEARNED_CONFIDENCE, mentions=[])
                by_key[(label, key)] = entity
                entities.append(entity)
            else:
                entity = entity.model_copy(deep=True)
                by_key[(label, key)] = entity
                entities = [entity if (e.label, e.key) == (label, key) else e for e in entities]
            entity.mentions.append(mention)
            if span.text != entity.name and span.text not in entity.aliases:
                entity.aliases.append(span.text)
            changed = True
        return extraction.model_copy(update={"entities": entities}) if changed else extraction
