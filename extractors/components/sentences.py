"""Sentence lookups shared by components: computed once per Doc, not once per span
(`Span.sent` and `Doc.has_annotation` each scan the whole Doc), and `kg_sentencizer`, spaCy's
rule-based sentencizer run on the TokenView's strings."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter

from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from extractors.memo import BoundedMemo, lexeme_flags

_CACHE_KEY = "kg_sentence_bounds"
TEXT_KEY = "kg_text"
#: longest sentence `kg_sentencizer` makes: a longer one is cut every this many tokens. Rules look
#: at the words around each number or name within its sentence, so their work grows with the
#: square of a sentence's length (a 100,000-character list without a period took minutes); real
#: sentences stay far below (the longest in the bundled corpora is 216 tokens).
MAX_SENT_TOKENS = 512


def doc_text(doc: Doc) -> str:
    """The Doc's text, kept by `make_doc` (`Doc.text` re-joins every token on each access)."""
    text = doc.user_data.get(TEXT_KEY)
    return text if text is not None else doc.text


Bounds = tuple[tuple[int, int], ...]


def _store_bounds(doc: Doc, bounds: Bounds, starts: list[int] | None = None) -> tuple[int, Bounds, list[int]]:
    """Cache sentence bounds and starts (plain tuples and lists, so the Doc still serialises);
    `starts`, when the caller has it, must be the first element of each bound."""
    cached = (len(doc), bounds, starts if starts is not None else [b[0] for b in bounds])
    doc.user_data[_CACHE_KEY] = cached
    return cached


class SentenceIndex:
    """Token bounds of each sentence, with O(log n) lookup of the sentence around a token."""

    def __init__(self, doc: Doc) -> None:
        cached = doc.user_data.get(_CACHE_KEY)
        if cached is None or cached[0] != len(doc):
            if doc.has_annotation("SENT_START"):
                bounds = tuple((s.start, s.end) for s in doc.sents)
            else:
                bounds = ((0, len(doc)),)
            cached = _store_bounds(doc, bounds)
        self.bounds: Bounds = cached[1]
        self.starts: list[int] = cached[2]

    def index(self, token_i: int) -> int:
        """Number of the sentence holding token `token_i`."""
        return max(0, bisect_right(self.starts, token_i) - 1)

    def around(self, token_i: int) -> tuple[int, int]:
        """(start, end) token bounds of the sentence holding token `token_i`."""
        return self.bounds[self.index(token_i)]


def _cut_long(starts: list[int], n: int) -> list[int]:
    """Sentence starts with a start added every `MAX_SENT_TOKENS` tokens inside a longer sentence."""
    ends = starts[1:] + [n]
    if all(end - start <= MAX_SENT_TOKENS for start, end in zip(starts, ends)):
        return starts
    out: list[int] = []
    for start, end in zip(starts, ends):
        out.extend(range(start, end, MAX_SENT_TOKENS))
    return out


class FastSentencizer(Sentencizer):
    """spaCy's `sentencizer` (same sentence starts, settings and serialisation) reading token
    strings from the TokenView instead of creating a Token object per token. It also fills the
    SentenceIndex cache, since it knows the sentence starts it sets."""

    def __init__(self, name: str = "sentencizer", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self._is_punct: BoundedMemo[str, bool] | None = None  # made from the first Doc's Vocab

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            return self._annotate(doc)
        except Exception as e:
            error_handler(self.name, self, [doc], e)

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """`Pipe.pipe` over batches of Docs in a row, which keeps the string memos warm."""
        from extractors.components.view import pipe_in_batches  # view imports this module

        handler = self.get_error_handler()
        yield from pipe_in_batches(self._annotate, stream, batch_size,
                                   lambda doc, e: handler(self.name, self, [doc], e))

    def _annotate(self, doc: Doc) -> Doc:
        """Set one Doc's sentence starts, and cache them when `doc.sents` will give these sentences."""
        # tokens already annotated keep their value unless overwrite: then doc.sents differs
        fresh = "sents" not in doc.user_hooks and (self.overwrite or not doc.has_annotation("SENT_START"))
        starts = self._starts(doc)
        self.set_annotations([doc], [self._flags(len(doc), starts)])
        if fresh and starts:  # doc.sents will give these sentences
            _store_bounds(doc, tuple(zip(starts, starts[1:] + [len(doc)])), starts)
        return doc

    def predict(self, docs: Sequence[Doc]) -> list[list[bool]]:
        """Sentence-start flags per token of each Doc, as `Sentencizer.predict` gives them."""
        return [self._flags(len(doc), self._starts(doc)) for doc in docs]

    @staticmethod
    def _flags(n: int, starts: list[int]) -> list[bool]:
        flags = [False] * n
        for i in starts:
            flags[i] = True
        return flags

    def _starts(self, doc: Doc) -> list[int]:
        """Sentence start tokens: the first, and the first word (neither punctuation nor a
        sentence-final character) after each sentence-final character."""
        from extractors.components.view import token_view  # view imports this module

        words = token_view(doc).words
        n = len(words)
        if n == 0:
            return []
        punct_chars = self.punct_chars
        is_punct = self._punct_flags(doc)
        starts = [0]
        scanned = 0  # tokens before this one were already read by a forward scan
        for p in self._punct_tokens(words, punct_chars):
            if p < scanned:
                continue
            k = p + 1
            while k < n and (words[k] in punct_chars or is_punct[words[k]]):
                k += 1
            if k < n:
                starts.append(k)
            scanned = k
        return _cut_long(starts, n)

    @staticmethod
    def _punct_tokens(words: list[str], punct_chars: set[str]) -> list[int]:
        """Indices of the tokens whose text is one of `punct_chars`, in order: one C-level set
        intersection tells which occur (usually just "."), then `list.index` finds them."""
        found: list[int] = []
        for char in punct_chars.intersection(words):
            i = -1
            try:
                while True:
                    i = words.index(char, i + 1)
                    found.append(i)
            except ValueError:
                pass
        found.sort()
        return found

    def _punct_flags(self, doc: Doc) -> BoundedMemo[str, bool]:
        """word -> `Token.is_punct` of a token with this text (a lexeme flag, so one lookup per string)."""
        if self._is_punct is None:
            self._is_punct = lexeme_flags(doc.vocab, attrgetter("is_punct"))
        return self._is_punct


@Language.factory(
    "kg_sentencizer",
    assigns=["token.is_sent_start", "doc.sents"],
    default_config={"punct_chars": None, "overwrite": False, "scorer": {"@scorers": "spacy.senter_scorer.v1"}},
    default_score_weights={"sents_f": 1.0, "sents_p": 0.0, "sents_r": 0.0},
)
def make_kg_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None, overwrite: bool,
                        scorer: Callable | None) -> FastSentencizer:
    return FastSentencizer(name, punct_chars=punct_chars, overwrite=overwrite, scorer=scorer)
