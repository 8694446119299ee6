"""`kg_roles`: what the paper does with each entity (proposed, used, compared, evaluated_on, ...).

Decided from cue words in the entity's sentence (lists in `patterns/cues.json`) and from the title
("X: a ..." names the paper's own contribution). Stored as `doc.spans["kg"].attrs["role"]`.

Works on plain rows (`span_rows`) and the Doc's `TokenView` lists: building Span and Token
objects for every mention and its context words was most of this component's time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping

from spacy.language import Language
from spacy.lexeme import Lexeme
from spacy.tokens import Doc
from spacy.vocab import Vocab

from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex
from extractors.components.view import TokenView, doc_extension, span_rows, token_view
from extractors.lexicon import Lexicon, load_lexicon
from extractors.memo import lexeme_flags

if not Doc.has_extension("kg_title_chars"):
    Doc.set_extension("kg_title_chars", default=0)

_SELF = {"we", "our", "this", "here"}
_PROPOSED_AFTER = ([",", "a", "novel"], [",", "a", "new"], [",", "which", "we"])
_CUED = frozenset(("METHOD", "DATASET"))  # roles of other labels do not depend on context
_FIXED_ROLES = {"METRIC": "reported"}


def _title_like(lex: Lexeme) -> bool:
    """Whether a word may stand in a title's name part: punctuation, Title or UPPER case (the
    lexeme flags `Token.is_punct/is_title/is_upper` read)."""
    return bool(lex.is_punct or lex.is_title or lex.is_upper)


def _title_prefix_end(view: TokenView, title_chars: int, title_word: Mapping[str, bool]) -> int:
    """Number of leading tokens that are all title-like; only title tokens matter, so stop there."""
    words, idx = view.words, view.idx
    i = 0
    while i < view.n and idx[i] < title_chars and title_word[words[i]]:
        i += 1
    return i


class RoleTagger:
    """Writes `doc.spans["kg"].attrs["role"]`, one role per mention, from the kg rows and token lists."""

    def __init__(self, lexicon: Lexicon, vocab: Vocab) -> None:
        self.lexicon = lexicon
        cues = lexicon.cues
        self.naming_our = cues["naming_words"] | {"our"}
        self.propose = cues["propose_verbs"]
        self.compare = cues["compare_cues"]
        self.use = cues["use_cues"]
        #: every word the context rules look for before a mention
        self.any_cue = self.naming_our | self.propose | self.compare | self.use
        self.title_word = lexeme_flags(vocab, _title_like)  # word -> title-like, cached per word

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans.get(SPAN_KEY)
        if group is not None:
            group.attrs["role"] = self.roles(doc)
        return doc

    def roles(self, doc: Doc) -> list[str]:
        """One role per row of `doc.spans["kg"]`, in order."""
        rows = span_rows(doc, SPAN_KEY)
        if not rows:
            return []
        view = token_view(doc)
        lower, n = view.lower, view.n
        sents = SentenceIndex(doc)
        bounds, sent_starts = sents.bounds, sents.starts
        self_sents: dict[int, bool] = {}  # sentence number -> has we/our/this/here
        title_chars = head_end = -1  # read on the first "X:" candidate: most Docs have none
        naming_our, propose, compare, use, any_cue = self.naming_our, self.propose, self.compare, self.use, self.any_cue
        out = []
        for start, end, label, _kb, _id in rows:
            if label not in _CUED:
                out.append(_FIXED_ROLES.get(label, "mentioned"))
                continue
            if end < n and lower[end] == ":":  # lower, not words: one list fewer to touch per doc
                if title_chars < 0:
                    title_chars = doc_extension(doc, "kg_title_chars")
                    head_end = _title_prefix_end(view, title_chars, self.title_word)
                if view.idx[start] < title_chars and start <= head_end:
                    out.append("proposed")  # "X: ..." title, every word before X title-like
                    continue
            sent_no = bisect_right(sent_starts, start) - 1
            if sent_no < 0:
                sent_no = 0
            sent_start, sent_end = bounds[sent_no]
            before = lower[sent_start if start - 8 < sent_start else start - 8 : start]
            # most mentions have no cue word before them: one test skips the rules that read them
            cued = not any_cue.isdisjoint(before)
            if cued:
                near = before[-3:]
                if not naming_our.isdisjoint(near):
                    out.append("proposed")
                    continue
                if not propose.isdisjoint(before) and compare.isdisjoint(before):
                    has_self = self_sents.get(sent_no)
                    if has_self is None:
                        has_self = self_sents[sent_no] = not _SELF.isdisjoint(lower[sent_start:sent_end])
                    if has_self:
                        out.append("proposed")
                        continue
            if end < sent_end and lower[end] == "," and lower[end : min(sent_end, end + 3)] in _PROPOSED_AFTER:
                out.append("proposed")
                continue
            if label != "METHOD":
                out.append("evaluated_on")
            elif cued and not compare.isdisjoint(before[-4:]):
                out.append("compared")
            elif cued and not use.isdisjoint(near):
                out.append("used")
            else:
                out.append("mentioned")
        return out


@Language.factory("kg_roles", assigns=["doc.spans"], requires=["doc.spans"], default_config={"terms_path": None})
def make_role_tagger(nlp: Language, name: str, terms_path: str | None) -> RoleTagger:
    return RoleTagger(load_lexicon(terms_path), nlp.vocab)
