"""`kg_phrases`: unlisted technique and task names built like listed ones, found by their head word
("iterative layer pruning", "ternary quantization", "KV cache compression").

Without a tagger we cannot chunk noun phrases, so a phrase is one or two modifier words in front
of a head word from `cues.json` (`phrase_method_heads` / `phrase_task_heads`); modifiers are plain
lower-case (or hyphenated) words that are not stop words, adverbs or generic adjectives (for a task
also no judgement such as "reliable", "unified": `phrase_task_blocked_modifiers`). A metric
head (`phrase_metric_heads`: "accuracy") takes exactly one lower-case modifier that is not a
judgement ("higher", "competitive": `phrase_metric_blocked_modifiers`): papers name the measure
they report as "classification accuracy", "zero-shot accuracy", "prediction accuracy". Spans go to
rows under "kg_phrases" (`span_rows`) labelled METHOD, TASK or METRIC.

Speed: the heads are found with one C-level `map` over the Doc's `TokenView`, and only the few
words in front of a head are looked at, with a cached spelling test.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from itertools import compress
from operator import attrgetter

from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from extractors.components.view import BatchPipe, TokenView, publish_rows, token_view
from extractors.lexicon import Lexicon, load_lexicon
from extractors.memo import MEMO_SIZE, BoundedMemo, lexeme_flags

SPAN_KEY = "kg_phrases"
MAX_MODIFIERS = 2


def _modifier_start(tv: TokenView, is_stop: Mapping[str, bool], i: int, blocked: frozenset[str]) -> int | None:
    """Start token of the modifier word ending at token i (handles "global-local"), or None."""
    words, spaced = tv.words, tv.ws
    if not spaced[i]:
        return None
    start = i
    while start >= 2 and words[start - 1] == "-" and not spaced[start - 1] and not spaced[start - 2]:
        start -= 2
    parts = [w for w in words[start : i + 1] if w != "-"]
    single = len(parts) == 1
    for text in parts:
        # the lexeme's flag, as Token.is_stop reads it, after the cached spelling test
        if not _modifier_spelling(text, single, blocked) or is_stop[text]:
            return None
    return start


_DIMENSIONS = frozenset({"2D", "3D", "4D", "2d", "3d"})
#: endings of verb forms ("optimizes", "unifies", "analyze"): never a noun modifier
_VERB_ENDINGS = ("izes", "ifies", "yzes", "ize", "ify", "yze")
_NOUNS_LIKE_VERBS = frozenset({"size", "sizes", "prize", "prizes"})


def is_verb_form(word: str, blocked: frozenset[str]) -> bool:
    """A verb by its ending ("optimizes", "unify") or an inflection of a blocked word
    ("facilitates" for "facilitate"); `word` is lower case."""
    if word.endswith(_VERB_ENDINGS) and word not in _NOUNS_LIKE_VERBS:
        return True
    return word.endswith("s") and (word[:-1] in blocked or (word.endswith("es") and word[:-2] in blocked))


@lru_cache(maxsize=MEMO_SIZE)
def _modifier_spelling(text: str, single: bool, blocked: frozenset[str]) -> bool:
    """Whether a word's spelling allows it as a modifier (one part of it when `single` is False):
    a plain lower-case word (or short acronym), no adverb, no lone gerund, no verb form, not
    blocked. Cached: pure."""
    low = text.lower()
    if text in _DIMENSIONS:
        return True  # "3D medical image classification", "2D pose estimation"
    if (not text.isalpha() or len(text) < 2 or low in blocked
            or text.endswith("ly") or (text.endswith("ing") and single) or is_verb_form(low, blocked)):
        return False
    return text.islower() or (text.isupper() and len(text) <= 4)


_stop_memo: tuple[Vocab, BoundedMemo[str, bool]] | None = None  # for the last Vocab seen


def _stop_flags(vocab: Vocab) -> BoundedMemo[str, bool]:
    """word -> `vocab[word].is_stop`, looked up once per string (a Lexeme object per look-up costs)."""
    global _stop_memo
    if _stop_memo is None or _stop_memo[0] is not vocab:
        _stop_memo = (vocab, lexeme_flags(vocab, attrgetter("is_stop")))
    return _stop_memo[1]


@lru_cache(maxsize=64)
def _all_heads(*heads: frozenset[str]) -> frozenset[str]:
    """The head lists in one set, so one C-level `map` over the lower-cased tokens finds the heads."""
    return frozenset().union(*heads)


@lru_cache(maxsize=64)
def _task_blocked(blocked: frozenset[str], task_only: frozenset[str]) -> frozenset[str]:
    """Modifiers no task name starts with: the common ones plus judgements of a method ("reliable
    detection", "unified generation"), which do start method names ("iterative layer pruning")."""
    return blocked | task_only


def _metric_phrase(tv: TokenView, is_stop: Mapping[str, bool], i: int, cues: Mapping[str, frozenset[str]]) -> int | None:
    """Start of "<modifier> accuracy" ending at head token i, or None. The modifier is one
    lower-case word; a task head that ends a task phrase ("semantic segmentation accuracy") is
    left to the task."""
    blocked, lower = cues["phrase_blocked_modifiers"], tv.lower
    if i and tv.ws[i - 1] and lower[i - 1] in cues.get("phrase_metric_gerunds", ()):
        return i - 1  # "reasoning accuracy", "forecasting accuracy": a gerund naming the task measured
    s = _modifier_start(tv, is_stop, i - 1, blocked) if i else None
    if s is None or not tv.words[s].islower() or not cues["phrase_metric_blocked_modifiers"].isdisjoint(lower[s:i]):
        return None
    if lower[i - 1] in cues["phrase_task_heads"] and s and _modifier_start(tv, is_stop, s - 1, blocked) is not None:
        return None
    return s


def phrase_spans(doc: Doc, lexicon: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, label) of head-word phrases with at least one modifier."""
    cues = lexicon.cues
    method_heads, task_heads = cues["phrase_method_heads"], cues["phrase_task_heads"]
    metric_heads = cues.get("phrase_metric_heads", frozenset())
    blocked = cues["phrase_blocked_modifiers"]
    tv = token_view(doc)
    words, lower, spaced, n = tv.words, tv.lower, tv.ws, tv.n
    is_stop = _stop_flags(doc.vocab)
    out = []
    for i in compress(range(n), map(_all_heads(method_heads, task_heads, metric_heads).__contains__, lower)):
        if not words[i].islower():  # Token.is_lower
            continue
        if i + 1 < n and words[i + 1] == "-" and not spaced[i]:
            continue  # "attention-based": the head is inside a compound
        if lower[i] in metric_heads:
            s = _metric_phrase(tv, is_stop, i, cues)
            if s is not None:
                out.append((s, i + 1, "METRIC"))
            continue
        label = "METHOD" if lower[i] in method_heads else "TASK"
        mod_blocked = blocked if label == "METHOD" else _task_blocked(blocked, cues.get("phrase_task_blocked_modifiers", frozenset()))
        start, k, mods = i, i - 1, 0
        while k >= 0 and mods < MAX_MODIFIERS:
            s = _modifier_start(tv, is_stop, k, mod_blocked)
            if s is None:
                break
            start, k, mods = s, s - 1, mods + 1
        if mods:
            out.append((start, i + 1, label))
    return out


class PhraseFinder(BatchPipe):
    """Keeps rows under "kg_phrases" (`span_rows`; labels METHOD, TASK)."""

    name = "kg_phrases"

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        publish_rows(doc, SPAN_KEY, [(s, e, lab, "", "") for s, e, lab in phrase_spans(doc, self.lexicon)])
        return doc


@Language.factory("kg_phrases", assigns=[], default_config={"terms_path": None})
def make_phrase_finder(nlp: Language, name: str, terms_path: str | None) -> PhraseFinder:
    finder = PhraseFinder(load_lexicon(terms_path))
    finder.name = name
    return finder
