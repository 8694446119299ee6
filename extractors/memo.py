"""Bounded memos for the extraction rules' pure per-string work (names and words repeat across
papers, so the same look-ups recur): one helper instead of a hand-written dict and size check
in every component."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from spacy.lexeme import Lexeme
    from spacy.vocab import Vocab

MEMO_SIZE = 65536

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(dict, Generic[K, V]):
    """`memo[key]` is `func(key)`, computed once and kept until the memo holds `maxsize` entries,
    when it is emptied (so memory stays bounded on any input).

    A dict with `__missing__`: a hit is a plain dict look-up in C, which also works through
    `map(memo.__getitem__, keys)`; `func` may return None."""

    __slots__ = ("func", "maxsize")

    def __init__(self, func: Callable[[K], V], maxsize: int = MEMO_SIZE) -> None:
        super().__init__()
        self.func = func
        self.maxsize = maxsize

    def __missing__(self, key: K) -> V:
        if len(self) >= self.maxsize:
            self.clear()
        value = self[key] = self.func(key)
        return value


def lexeme_flags(vocab: Vocab, test: Callable[[Lexeme], bool]) -> BoundedMemo[str, bool]:
    """word -> `test(vocab[word])`: lexeme flags (what `Token.is_punct`, `is_stop`, ... read) of a
    word, looked up once per distinct string instead of once per token."""
    return BoundedMemo(lambda word: test(vocab[word]))
