"""Sentence lookups shared by components: computed once per Doc, not once per span
(`Span.sent` and `Doc.has_annotation` each scan the whole Doc)."""

from __future__ import annotations

from bisect import bisect_right

from spacy.tokens import Doc


_CACHE_KEY = "kg_sentence_bounds"
TEXT_KEY = "kg_text"


def doc_text(doc: Doc) -> str:
    """The Doc's text, kept by `make_doc` (`Doc.text` re-joins every token on each access)."""
    text = doc.user_data.get(TEXT_KEY)
    return text if text is not None else doc.text


class SentenceIndex:
    """Token bounds of each sentence, with O(log n) lookup of the sentence around a token."""

    def __init__(self, doc: Doc) -> None:
        cached = doc.user_data.get(_CACHE_KEY)
        if cached is None or cached[0] != len(doc):
            if doc.has_annotation("SENT_START"):
                bounds = tuple((s.start, s.end) for s in doc.sents)
            else:
                bounds = ((0, len(doc)),)
            # plain tuples, so the Doc still serialises (n_process > 1)
            doc.user_data[_CACHE_KEY] = cached = (len(doc), bounds)
        self.bounds = cached[1]
        self.starts = [b[0] for b in self.bounds]

    def index(self, token_i: int) -> int:
        """Number of the sentence holding token `token_i`."""
        return max(0, bisect_right(self.starts, token_i) - 1)

    def around(self, token_i: int) -> tuple[int, int]:
        """(start, end) token bounds of the sentence holding token `token_i`."""
        return self.bounds[self.index(token_i)]
