"""Plain-list view of a Doc's tokens, built once per Doc and shared by every component.

Each `doc[i]` or `for t in doc` creates a Python `Token` object (about a microsecond each); the
components used to do that ~1,500 times per abstract. Building the token lists once from
`Doc.to_array` (token strings from a memo shared by all Docs) is ~30x cheaper, and lists of
str/int/bool are what the rule code wants anyway. The cache lives in `doc.user_data` as plain
lists so the Doc still serialises.

The other cheap reads components share live here too: span groups as plain rows
(`publish_spans` / `span_rows`) and plain Doc extension values (`doc_extension`); and
`BatchPipe`, which lets `nlp.pipe` run a component over a batch of Docs in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from spacy.attrs import IDX, ORTH, SPACY
from spacy.strings import StringStore
from spacy.tokens import Doc, Span, SpanGroup
from spacy.tokens.underscore import Underscore
from spacy.util import raise_error

from extractors.components.sentences import doc_text
from extractors.memo import MEMO_SIZE, BoundedMemo

_VIEW_KEY = "kg_token_view"
_ROWS_KEY = "kg_span_rows"
_VIEW_ATTRS = [IDX, SPACY, ORTH]


class TokenView:
    """Token strings and offsets of one Doc: `words[i]` is `doc[i].text`, `lower[i]` its `lower_`,
    `ws[i]` whether whitespace follows it, `idx[i]` its start character."""

    __slots__ = ("text", "words", "lower", "ws", "idx", "n")

    def __init__(self, text: str, words: list[str], lower: list[str], ws: list[bool], idx: list[int]) -> None:
        self.text = text
        self.words = words
        self.lower = lower
        self.ws = ws
        self.idx = idx
        self.n = len(words)

    def start_char(self, i: int) -> int:
        """Character offset where token `i` starts (`len(text)` past the end)."""
        return self.idx[i] if i < self.n else len(self.text)

    def span_text(self, start: int, end: int) -> str:
        """`doc[start:end].text` without building a Span."""
        if end <= start:
            return ""
        return self.text[self.idx[start] : self.idx[end - 1] + len(self.words[end - 1])]


class _OrthText(dict):
    """orth id -> token text (the `doc.vocab.strings` entry, which is what `Token.text` reads),
    shared by every Doc: a hit returns an existing str whose hash is already cached, where slicing
    the text made a new str per token and every set/dict look-up on it hashed it again."""

    __slots__ = ("strings",)

    def __init__(self) -> None:
        super().__init__()
        self.strings: StringStore | None = None  # the Doc's, set before each look-up pass

    def __missing__(self, orth: int) -> str:
        if len(self) >= MEMO_SIZE:
            self.clear()
        text = self[orth] = self.strings[orth]
        return text


def _shared_lower(word: str) -> str:
    """`word.lower()`, reusing `word` itself when it is already lower-case (one object fewer)."""
    low = word.lower()
    return word if low == word else low


_TEXT = _OrthText()
_LOWER: BoundedMemo[str, str] = BoundedMemo(_shared_lower)


def token_view(doc: Doc) -> TokenView:
    """The Doc's TokenView, built on first use and cached in `doc.user_data`."""
    cached = doc.user_data.get(_VIEW_KEY)
    if cached is None or len(cached[1]) != len(doc):
        cached = _build_view(doc)
        doc.user_data[_VIEW_KEY] = cached
    return TokenView(*cached)


def _build_view(doc: Doc) -> tuple[str, list[str], list[str], list[bool], list[int]]:
    """(text, words, lower, ws, idx) of a Doc: whole-column numpy conversions give plain int / bool
    lists without per-item bytecode, and the strings come from the shared memos by C-level `map`."""
    text = doc_text(doc)
    if not len(doc):
        return text, [], [], [], []
    arr = doc.to_array(_VIEW_ATTRS)
    idx, orths = arr[:, ::2].T.tolist()
    ws = arr[:, 1].astype(bool).tolist()
    _TEXT.strings = doc.vocab.strings
    words = list(map(_TEXT.__getitem__, orths))
    return text, words, list(map(_LOWER.__getitem__, words)), ws, idx


Row = tuple[int, int, str, str, str]
"""(start, end, label_, kb_id_, id_) of one span."""


def publish_spans(doc: Doc, key: str, rows: list[Row]) -> None:
    """Write `doc.spans[key]` from rows and keep the rows, so later components read plain tuples
    instead of re-creating a Span object per element on every pass over the group."""
    group = SpanGroup(doc, name=key)
    if rows:
        _fill_group(doc, group, rows)
    doc.spans[key] = group
    doc.user_data[(_ROWS_KEY, key)] = list(map(tuple, rows))


def publish_rows(doc: Doc, key: str, rows: list[Row]) -> None:
    """Keep a component's intermediate spans as rows only (read them with `span_rows`), without
    a `doc.spans` group: only later components read them, and building a SpanGroup of them cost
    about 3% of extraction time. Any group an earlier run left under `key` is dropped."""
    if key in doc.spans:
        del doc.spans[key]
    doc.user_data[(_ROWS_KEY, key)] = list(map(tuple, rows))


def _fill_group(doc: Doc, group: SpanGroup, rows: list[Row]) -> None:
    """Append one span per row: the same spans as `Span(doc, start, end, label=..., kb_id=...,
    span_id=...)`, but through one reused Span whose fields are set from the TokenView offsets
    (the group copies each span's fields), since each new Span creates three Token objects to
    find its character offsets and hashes its three strings."""
    view = token_view(doc)
    idx, words, n = view.idx, view.words, view.n
    add = doc.vocab.strings.add
    hashes: dict[str, int] = {}  # label / kb_id / id string -> its StringStore hash
    span = Span(doc, 0, 0)
    append = group.append
    for start, end, label, kb_id, span_id in rows:
        if not 0 <= start <= end <= n:
            raise IndexError(f"span [{start}:{end}] out of range for a Doc of {n} tokens")
        span.start = start
        span.end = end
        start_char = idx[start] if start < n else len(view.text)
        span.start_char = start_char
        span.end_char = idx[end - 1] + len(words[end - 1]) if end > start else start_char
        h = hashes.get(label)
        span.label = h if h is not None else hashes.setdefault(label, add(label))
        h = hashes.get(kb_id)
        span.kb_id = h if h is not None else hashes.setdefault(kb_id, add(kb_id))
        h = hashes.get(span_id)
        span.id = h if h is not None else hashes.setdefault(span_id, add(span_id))
        append(span)


def append_spans(doc: Doc, key: str, rows: list[Row], attrs: dict[str, list[Any]]) -> None:
    """Add spans to the end of `doc.spans[key]` (made if missing) with their values of the group's
    parallel attrs lists (`attrs`; a list the caller does not know gets None per new span), and keep
    the rows, as `publish_spans` does. For a late component that adds a few entities."""
    old = span_rows(doc, key)
    if key not in doc.spans:
        publish_spans(doc, key, [])
    group = doc.spans[key]
    _fill_group(doc, group, rows)
    for name, values in group.attrs.items():
        if isinstance(values, list) and len(values) == len(old):
            values.extend(attrs.get(name) or [None] * len(rows))
    if not old:
        for name, values in attrs.items():
            group.attrs.setdefault(name, list(values))
    doc.user_data[(_ROWS_KEY, key)] = [*old, *map(tuple, rows)]


def span_rows(doc: Doc, key: str) -> list[Row]:
    """Rows of `doc.spans[key]`: the publisher's own when the group is unchanged, else read from
    the group; without a group, the rows `publish_rows` kept."""
    group = doc.spans.get(key)
    rows = doc.user_data.get((_ROWS_KEY, key))
    if group is None:
        return rows or []  # `publish_rows` rows, or nothing
    if rows is None or len(rows) != len(group):
        rows = [(sp.start, sp.end, sp.label_, sp.kb_id_, sp.id_) for sp in group]
    return rows


def extension_key(name: str) -> tuple[str, str, None, None]:
    """The `doc.user_data` key under which spaCy keeps the value of the plain Doc extension
    `doc._.<name>` (written there directly, e.g. by `make_doc`, it needs no Underscore object)."""
    return ("._.", name, None, None)


_UNSET = object()


def doc_extension(doc: Doc, name: str, default: Any = _UNSET) -> Any:
    """`doc._.<name>` (or `default` if no such extension is registered; without a default an
    unregistered name raises as `doc._` does).

    A plain-value extension (no getter or method) is read straight from `doc.user_data`, where
    spaCy keeps it, instead of building an `Underscore` object per access (~1 us each); unset
    values and other kinds of extension go through `doc._` as before.
    """
    spec = Underscore.doc_extensions.get(name)  # (default, method, getter, setter)
    if spec is None:
        if default is not _UNSET:
            return default
    elif spec[1] is None and spec[2] is None:
        value = doc.user_data.get(extension_key(name), _UNSET)
        if value is not _UNSET:
            return value
    return getattr(doc._, name)


ErrorHandler = Callable[[str, Any, list[Doc], Exception], Any]
"""spaCy's error-handler protocol: (component name, component, failing Docs, exception)."""


def pipe_in_batches(component: Callable[[Doc], Doc], stream: Iterable[Doc], batch_size: int,
                    on_error: Callable[[Doc, Exception], Any]) -> Iterator[Doc]:
    """`component` over each Doc of `stream`, `batch_size` Docs in a row before any is yielded.

    Why: in `nlp.pipe` each Doc goes through every component before the next Doc starts, so a
    component's big tables (phrase tries, string memos) are out of the CPU caches again by the
    time it sees the next Doc; a batch in a row finds them warm (measured ~1.5x faster on these
    components). Each Doc gets the same annotations. On an error, the Docs done before the
    failing one are yielded first, then `on_error` runs (it raises, or the Doc is dropped, as in
    spaCy's `Pipe.pipe`).
    """
    stream = iter(stream)
    while batch := list(islice(stream, max(1, batch_size))):
        done: list[Doc] = []
        for doc in batch:
            try:
                done.append(component(doc))
            except Exception as e:  # noqa: BLE001 - handed to the pipeline's error handler
                yield from done
                done = []
                on_error(doc, e)
        yield from done


class BatchPipe:
    """Mixin for a component class called on one Doc: a `pipe` method for `nlp.pipe` that runs
    it over batches of Docs (`pipe_in_batches`), with the error-handler methods of spaCy's
    `Pipe`, so `nlp.set_error_handler` still reaches it."""

    name: str = ""  # the component's name in the pipeline, passed to the error handler

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Apply the component to each Doc of `stream`, `batch_size` at a time."""
        handler = self.get_error_handler()
        yield from pipe_in_batches(self, stream, batch_size, lambda doc, e: handler(self.name, self, [doc], e))

    def get_error_handler(self) -> ErrorHandler:
        """The error handler set by `set_error_handler`, else one that re-raises."""
        return getattr(self, "_error_handler", raise_error)

    def set_error_handler(self, error_handler: ErrorHandler) -> None:
        self._error_handler = error_handler
