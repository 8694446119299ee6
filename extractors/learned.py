"""Names learned from the corpus itself: a long form one paper defines ("frobnicated widget network
(FWN)") is found where another paper writes it without a definition.

`kg build` learns the forms in its first pass (kg.resolve.AliasIndex) and calls
`LearnedNameMatcher.add_mentions` on each paper in its second pass, so spaCy objects stay here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spacy.language import Language
from spacy.matcher import PhraseMatcher

from extractors.components.sentences import SentenceIndex
from extractors.components.terms import pattern_tokenizer
from extractors.pipeline import make_doc
from extractors.records import _field_offsets
from schema import Entity, Extraction, Mention, Paper

LEARNED_CONFIDENCE = 0.6


def usable_form(form: str) -> bool:
    """A learned long form worth matching: several words, mostly letters, not too long."""
    words = form.split()
    return 2 <= len(words) <= 8 and len(form) <= 80 and sum(len(w) >= 4 and w.isalpha() for w in words) >= 1


class LearnedNameMatcher:
    """Find learned forms in papers and add them as mentions of the entity they name."""

    def __init__(self, nlp: Language, forms: Mapping[tuple[str, str], Iterable[str]],
                 names: Mapping[tuple[str, str], str] | None = None) -> None:
        self.nlp = nlp
        self.names = dict(names or {})
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.keys: dict[int, tuple[str, str]] = {}
        tokenizer = pattern_tokenizer(nlp)
        for (label, key), surface in forms.items():
            patterns = sorted({f.lower() for f in surface if usable_form(f)})
            if patterns:
                match_id = nlp.vocab.strings.add(f"kg_learned\t{label}\t{key}")
                self.keys[match_id] = (label, key)
                self.matcher.add(f"kg_learned\t{label}\t{key}", list(tokenizer.pipe(patterns)))
        if "sentencizer" in nlp.pipe_names:
            self.sentencizer = nlp.get_pipe("sentencizer")
        else:
            self.sentencizer = None

    def __len__(self) -> int:
        return len(self.keys)

    def add_mentions(self, paper: Paper, extraction: Extraction) -> Extraction:
        """`extraction` plus mentions of learned forms that it does not already cover."""
        if not self.keys:
            return extraction
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
