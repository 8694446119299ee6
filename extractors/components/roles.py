"""`kg_roles`: what the paper does with each entity (proposed, used, compared, evaluated_on, ...).

Decided from cue words in the entity's sentence (lists in `patterns/cues.json`) and from the title
("X: a ..." names the paper's own contribution). Stored as `doc.spans["kg"].attrs["role"]`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex
from extractors.lexicon import Lexicon, load_lexicon

if not Doc.has_extension("kg_title_chars"):
    Doc.set_extension("kg_title_chars", default=0)

_SELF = {"we", "our", "this", "here"}


def is_title_prefix(doc: Doc, span: Span) -> bool:
    """True for "X: ..." titles, where X is the paper's own method or benchmark."""
    title_end = doc._.kg_title_chars
    if span.start_char >= title_end or span.end >= len(doc):
        return False
    head = doc[: span.start]
    return doc[span.end].text == ":" and all(t.is_punct or t.is_title or t.is_upper for t in head)


def span_role(doc: Doc, span: Span, lexicon: Lexicon, sents: SentenceIndex | None = None,
              words_cache: dict[int, set[str]] | None = None) -> str:
    """Role of one mention from the words around it."""
    cues = lexicon.cues
    label = span.label_
    if label in ("METHOD", "DATASET") and is_title_prefix(doc, span):
        return "proposed"
    sents = sents or SentenceIndex(doc)
    sent_no = sents.index(span.start)
    sent = doc[slice(*sents.bounds[sent_no])]
    before = [t.lower_ for t in doc[max(sent.start, span.start - 8) : span.start]]
    after = [t.lower_ for t in doc[span.end : min(sent.end, span.end + 4)]]
    cache = words_cache if words_cache is not None else {}
    if sent_no not in cache:
        cache[sent_no] = {t.lower_ for t in sent}
    sent_words = cache[sent_no]
    if label in ("METHOD", "DATASET"):
        near = before[-3:]
        if any(w in cues["naming_words"] for w in near) or "our" in near:
            return "proposed"
        if any(w in cues["propose_verbs"] for w in before) and sent_words & _SELF and not (
            set(before) & cues["compare_cues"]
        ):
            return "proposed"
        if after[:3] in ([",", "a", "novel"], [",", "a", "new"], [",", "which", "we"]):
            return "proposed"
    if label == "METHOD":
        if set(before[-4:]) & cues["compare_cues"]:
            return "compared"
        if set(before[-3:]) & cues["use_cues"]:
            return "used"
        return "mentioned"
    if label == "DATASET":
        return "evaluated_on"
    if label == "METRIC":
        return "reported"
    return "mentioned"


class RoleTagger:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans[SPAN_KEY] if SPAN_KEY in doc.spans else None
        if group is not None:
            sents = SentenceIndex(doc)
            cache: dict[int, set[str]] = {}
            group.attrs["role"] = [span_role(doc, s, self.lexicon, sents, cache) for s in group]
        return doc


@Language.factory("kg_roles", assigns=["doc.spans"], requires=["doc.spans"], default_config={"terms_path": None})
def make_role_tagger(nlp: Language, name: str, terms_path: str | None) -> RoleTagger:
    return RoleTagger(load_lexicon(terms_path))
