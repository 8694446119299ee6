"""`kg_entities`: merge list matches, coined names and acronym definitions into typed entities.

Writes `doc.spans["kg"]` (label METHOD|DATASET|METRIC|TASK, kb_id = display name) with parallel
plain-data lists in the group's attrs: `key` (cross-paper key), `confidence`, `source`.
Type is decided by, in order: the name lists, the partner form of an acronym definition, the head
word of a defined long form, context words ("... dataset", "in terms of ..."), the name's own
shape, and finally METHOD (coined names in abstracts are mostly models).

The rules read the Doc through its `TokenView` (plain lists of token strings) and the input span
groups as plain rows (`span_rows`): creating a Token or Span object per look-up was most of this
component's time.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from operator import itemgetter
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.names import SPAN_KEY as NAMES_KEY
from extractors.components.names import is_version
from extractors.components.phrases import SPAN_KEY as PHRASES_KEY
from extractors.components.terms import SPAN_KEY as TERMS_KEY
from extractors.components.view import BatchPipe, Row, TokenView, doc_extension, publish_spans, span_rows, token_view
from extractors.lexicon import Lexicon, Term, load_lexicon
from extractors.memo import BoundedMemo
from extractors.normalize import normalize_key

SPAN_KEY = "kg"
LABELS = ("METHOD", "DATASET", "METRIC", "TASK")


class KgColumns(NamedTuple):
    """The `kg` spans as rows, with the attrs lists that run parallel to them."""

    rows: list[Row]
    keys: list[str]
    confidence: list[float]
    role: list[str]
    source: list[str]


def kg_columns(doc: Doc) -> KgColumns:
    """`doc.spans["kg"]` for its readers (results, calibration, records), with the
    defaults a list takes when no component has set it; defaults are built only when needed."""
    rows = span_rows(doc, SPAN_KEY)
    attrs = doc.spans[SPAN_KEY].attrs if SPAN_KEY in doc.spans else {}
    n = len(rows)
    return KgColumns(
        rows,
        attrs["key"] if "key" in attrs else [r[3] for r in rows],
        attrs["confidence"] if "confidence" in attrs else [0.5] * n,
        attrs["role"] if "role" in attrs else ["mentioned"] * n,
        attrs["source"] if "source" in attrs else ["unknown"] * n,
    )


Candidate = tuple[int, int, int, str | None, str | None, str, float, str, int]
"""(order, start, end, label, canonical name, source, confidence, text, index) of a possible
entity; plain tuples, as most candidates are only sorted and dropped. `order` is the
`_order_key` that `_select` sorts by, `text` the span's text, `index` its place in the list."""

#: `_select` breaks length ties by source name, alphabetically: "acronym" < "list0" < ... < "phrase"
_SOURCE_ORDER = {s: r for r, s in enumerate(["acronym", *(f"list{d}" for d in range(10)), "name", "phrase"])}
LABEL_PREFERENCE = {"METHOD": 0, "DATASET": 1, "TASK": 2, "METRIC": 3}


def _tie_rank(source: str, label: str | None) -> int:
    """Source, then label preference (METHOD first), as one small int (< 128)."""
    return _SOURCE_ORDER[source] * 8 + LABEL_PREFERENCE.get(label, 4)


def _order_key(start: int, end: int, tie_rank: int, shift: int) -> int:
    """The order in which `_select` tries candidates (longest first, then source, label
    preference, start; a stable sort keeps ties in list order) packed in one int, with `shift`
    bits for the start: a sort on small ints compares in C, tuples element by element."""
    return ((((start - end) << 7) + tie_rank) << shift) + start


_ORDER = itemgetter(0)
_START = itemgetter(1)
_LABEL = itemgetter(2)  # of a Row


class EntityRules:
    """The lexicon's cue sets as this component uses them, derived once per lexicon (not once
    per candidate), plus bounded memos of the typing of names (names repeat across papers)."""

    def __init__(self, lexicon: Lexicon) -> None:
        cues = lexicon.cues
        self.lexicon = lexicon
        self.stop_names = lexicon.stop_names
        self.dataset_heads = cues["dataset_heads"]
        self.dataset_nouns = cues["dataset_nouns"]
        self.metric_nouns = cues["metric_nouns"]
        self.task_nouns = cues["task_nouns"]
        self.method_heads = cues["method_heads"]
        self.compound_modifiers = cues["compound_modifiers"]
        self.naming_words = cues["naming_words"]
        self.languages = cues["languages"]
        #: model families whose versions, sizes and tiers are part of the name ("Llama 3.1 70B")
        self.model_families = cues.get("model_families", frozenset())
        self.model_tiers = cues.get("model_tiers", frozenset())
        self.compare_cues = cues["compare_cues"]
        #: words that show a text is about computing (ML, NLP, vision, systems); without any, a
        #: paper is from another field and its unlisted names are objects, not methods
        self.ml_cues = cues["ml_cues"]
        #: capitalised words that make a defined long form an organisation, facility or instrument
        self.organization_words = cues["organization_words"]
        #: nouns that make the coined name next to them a thing studied or used in another
        #: field: "the KRAS gene", "ACE2 receptor", "the NIRSpec instrument", "galaxy NGC 1566"
        self.object_nouns = cues["object_nouns"]
        #: last words of a defined long form that name a condition, a modality or an experience, not
        #: a technique: "Inflammatory Bowel Disease (IBD)", "Quality of Experience (QoE)"
        self.condition_heads = cues.get("condition_heads", frozenset())
        self.units = lexicon.units
        #: context words that make a single-word list match a dataset
        self.evidence_nouns = cues["dataset_nouns"] - {"data", "set", "sets"}
        #: dataset nouns that head a list of names ("the X and Y benchmarks")
        self.list_dataset_nouns = cues["dataset_nouns"] - _DATA_STRUCTURE_NOUNS
        #: `_data_words` prefixes: dataset heads of 5 letters or more
        self.long_dataset_heads = tuple(h for h in self.dataset_heads if len(h) >= 5)
        #: word -> it starts with one of `long_dataset_heads` (title words repeat across papers)
        self.data_word = BoundedMemo(lambda word: word.startswith(self.long_dataset_heads))
        #: coined name -> `_name_typing(name)`
        self.name_typing = BoundedMemo(self._name_typing)
        #: name -> `family_label(name, lexicon)`
        self.family = BoundedMemo(lambda text: family_label(text, lexicon))

    def _name_typing(self, name: str) -> tuple[int, str | None, str | None, str, float]:
        """(tie rank, label, canonical, source, confidence) of a coined name: its list entry's,
        else untyped."""
        term = self.lexicon.lookup(name)
        if term is not None:
            source = f"list{term.rank}"
            return _tie_rank(source, term.label), term.label, term.canonical, source, 0.9
        return _tie_rank("name", None), None, None, "name", 0.6


def head_label(words: list[str], lexicon: Lexicon) -> str | None:
    """Type of a multi-word phrase from its last word ("... network" -> METHOD)."""
    if not words:
        return None
    head = words[-1].lower()
    cues = lexicon.cues
    if head in cues["dataset_heads"]:
        return "DATASET"
    if head in cues["task_heads"]:
        return "TASK"
    if head in cues["metric_heads"]:
        return "METRIC"
    if head in cues["method_heads"]:
        return "METHOD"
    return None


_SPLIT_NOUNS = frozenset({"test", "validation", "dev"})
_SPLIT_WORDS = frozenset({"set", "sets", "split"})
_DATA_STRUCTURE_NOUNS = frozenset({"data", "set", "sets"})
_STRUCTURE_WORDS = frozenset({"structure", "structures"})
_CORPUS_WORDS = frozenset({"dataset", "datasets", "benchmark", "benchmarks", "corpus"})
_LIST_BEFORE = frozenset({"on", "the", "and", ","})
_LIST_AFTER = frozenset({",", "and", ")"})


def context_label(tv: TokenView, start: int, end: int, rules: EntityRules) -> tuple[str | None, float]:
    """Type of a name from the words around it, with a confidence."""
    lower, n = tv.lower, tv.n
    nxt = lower[end] if end < n else ""
    nxt2 = lower[end + 1] if end + 1 < n else ""
    if nxt in rules.dataset_nouns or (nxt in _SPLIT_NOUNS and nxt2 in _SPLIT_WORDS):
        if nxt not in _DATA_STRUCTURE_NOUNS or nxt2 not in _STRUCTURE_WORDS:
            return "DATASET", 0.8
    if nxt in rules.metric_nouns:
        return "METRIC", 0.75
    if nxt in rules.task_nouns:
        return "TASK", 0.6
    prev = lower[start - 1] if start > 0 else ""
    if prev == "of" and start >= 3 and lower[start - 2] == "terms" and lower[start - 3] == "in":
        return "METRIC", 0.7
    if _coordinated_with_data(tv, start, end, rules) or (prev in _ON_ACROSS and _evaluated_on(lower, start - 1)):
        return "DATASET", 0.65
    # the cheap test first: a list position, then dataset words in the window; not a compared
    # system ("outperforms X and ...") or a method's name ("our approach, X, ...")
    if (prev in _LIST_BEFORE or nxt in _LIST_AFTER) and not _CORPUS_WORDS.isdisjoint(
        lower[max(0, start - 6) : min(n, end + 4)]
    ) and prev not in rules.compare_cues and not (
        prev == "," and start >= 2 and lower[start - 2] in rules.method_heads
    ):
        return "DATASET", 0.6
    return None, 0.0


#: words that make "<word> on X" an evaluation on data: "experiments on X", "results on the X"
_EVAL_BEFORE_ON = frozenset({"experiments", "results", "evaluations", "evaluation", "evaluated", "tested",
                             "performance", "accuracy", "benchmarked", "validated", "scores"})
#: what may stand between names of one list and the dataset noun that heads it
_LIST_GLUE = frozenset({",", "and", "or", "including", "like", ":", "(", "namely", "e.g.", "such", "as"})
_LIST_WINDOW = 12


def _is_name_token(word: str) -> bool:
    return any(c.isupper() or c.isdigit() for c in word)


def _coordinated_with_data(tv: TokenView, start: int, end: int, rules: EntityRules) -> bool:
    """A name in a list that a dataset noun heads: "the DriveLM and NuScenes-QA benchmarks",
    "benchmarks nuPlan", "three benchmark datasets, MUTAG, ENZYMES, and PROTEINS", "benchmarks,
    including CIFAR-10/100, Flowers, CARS, and INAT-19". Only names and list glue in between."""
    lower, words, n = tv.lower, tv.words, tv.n
    nouns = rules.list_dataset_nouns
    k, glued = end, False
    while k < n and k < end + _LIST_WINDOW:
        if lower[k] in nouns:
            if glued:  # "X and Y benchmarks": the noun heads the list
                return True
            break
        if lower[k] in _LIST_GLUE:
            glued = True
        elif not _is_name_token(words[k]):
            break
        k += 1
    k = start - 1
    while k >= 0 and k >= start - _LIST_WINDOW:
        if lower[k] in nouns:
            return lower[k].endswith("s") or lower[k] in ("suite", "corpora")
        if lower[k] in _ON_ACROSS:  # "results on WebArena and WebVoyager"
            return k < start - 1 and _evaluated_on(lower, k)
        if lower[k] not in _LIST_GLUE and not _is_name_token(words[k]):
            return False
        k -= 1
    return False


def _evaluated_on(lower: list[str], on: int) -> bool:
    """Whether the "on" at token `on` follows an evaluation word or a score: "experiments on",
    "results on the", "30.9% on"."""
    before = on - 2 if on >= 2 and lower[on - 1] == "the" else on - 1
    if before < 0:
        return False
    word = lower[before]  # a score right before: "30.9% on X", "reaches 41.2 on X"
    return word in _EVAL_BEFORE_ON or word == "%" or word.replace(".", "", 1).isdigit()


_SIZE_SUFFIX = re.compile(r"[A-Za-z]\d+K$")


def shape_label(text: str) -> str | None:
    """Type from the spelling alone: "NATS-Bench" is a benchmark, "nDCG@10" a metric."""
    low = text.lower()
    # "NATS-Bench", "MangoLeafDB-C", a size in thousands of items: "Urban1K", "Flickr30K" (not "T2K")
    if low.endswith(("bench", "-task", "challenge", "corpus", "-qa", "db", "db-c")) or (
            len(text) >= 6 and _SIZE_SUFFIX.search(text)):
        return "DATASET"
    if "@" in text:
        return "METRIC"
    return None


#: text -> `shape_label(text)` (names repeat across papers)
_SHAPE_LABELS: BoundedMemo[str, str | None] = BoundedMemo(shape_label)


def family_label(text: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """(label, family name) of a variant spelling: "ILSVRC-2012", "ImageNet-64", "Imagenet32x32",
    "PASCAL VOC2012"."""
    parts = [p for p in text.replace(" ", "-").split("-") if p]
    forms = ["-".join(parts[:k]) for k in range(len(parts) - 1, 0, -1)]
    undated = text.rstrip("0123456789")
    if " " in undated and len(text) - len(undated) >= 2 and undated[-1:].isalpha():
        forms.insert(0, undated)  # a year or version glued to the last word: "PASCAL VOC2012"
    alpha = ""
    for ch in text:
        if not ch.isalpha():
            break
        alpha += ch
    if 2 <= len(alpha) < len(text):
        forms.append(alpha)
    for form in forms:
        term = lexicon.lookup(form)
        if term is not None and sum(c.isalpha() for c in form) >= 3:
            return term.label, term.canonical
    return None


_ON_ACROSS = frozenset({"on", "across"})


def dataset_evidence(tv: TokenView, start: int, end: int, rules: EntityRules) -> bool:
    """Words around a name that say it is data: "... dataset", "on X", "benchmarks (X, Y)"."""
    lower = tv.lower
    if not rules.evidence_nouns.isdisjoint(lower[max(0, start - 6) : min(tv.n, end + 3)]):
        return True
    return start > 0 and lower[start - 1] in _ON_ACROSS


_MODIFIED_NOUNS = frozenset({"weights", "activations", "format"})


def _is_compound_modifier(tv: TokenView, span_start: int, span_end: int, rules: EntityRules) -> bool:
    """ "low-precision", "mixed precision weights": a metric word used as a modifier."""
    if span_start > 0 and (tv.words[span_start - 1] == "-" or tv.lower[span_start - 1] in rules.compound_modifiers):
        return True
    nxt = tv.lower[span_end] if span_end < tv.n else ""
    return nxt == "-" or nxt in rules.method_heads or nxt in _MODIFIED_NOUNS


def _has_upper_tail(text: str) -> bool:
    """An upper-case letter after the first character ("BERT", "ResNet")."""
    return any(c.isupper() for c in text[1:])


#: text -> `_has_upper_tail(text)` (list matches repeat across papers)
_UPPER_TAIL: BoundedMemo[str, bool] = BoundedMemo(_has_upper_tail)


class ListMatch(NamedTuple):
    """What a list match's span id ("list0") says about its candidate."""

    rank: int
    source: str
    tie: int  # `_tie_rank(source, label)` less the label's preference (added per match)
    conf_exact: float  # confidence when the text is the canonical name or in coined casing
    conf_multi: float  # else, of a match of several tokens
    conf_single: float  # else, of a one-token match


def _list_match(span_id: str) -> ListMatch:
    """The `ListMatch` of a span id ("list0" -> rank 0); no id is rank 2."""
    rank = int(span_id[-1]) if span_id else 2
    source = f"list{rank}"
    return ListMatch(rank, source, _tie_rank(source, None) - 4,
                     0.9 - 0.05 * rank, 0.8 - 0.05 * rank, 0.7 - 0.05 * rank)


#: span id of a list match -> its `ListMatch` (a few distinct ids)
_LIST_MATCHES: BoundedMemo[str, ListMatch] = BoundedMemo(_list_match)


def _candidates(doc: Doc, tv: TokenView, rules: EntityRules) -> list[Candidate]:
    """Candidates from the list matches, phrases and coined names, in that order; names on the
    stop list are left out."""
    shift = tv.n.bit_length()  # `_order_key`'s bits for a start
    cands: list[Candidate] = []
    add = cands.append
    # a one-token span's text is its word (no slice); longer ones: text[idx[s] : idx[e-1] + len(words[e-1])]
    text, idx, words = tv.text, tv.idx, tv.words
    stop = rules.stop_names
    name_rank = _tie_rank("name", None)
    list_matches, upper_tail, pref = _LIST_MATCHES, _UPPER_TAIL, LABEL_PREFERENCE.get
    for start, end, label, kb_id, span_id in span_rows(doc, TERMS_KEY):
        name = words[start] if end - start == 1 else text[idx[start] : idx[end - 1] + len(words[end - 1])]
        if name in stop:
            continue
        if label == "METRIC" and _is_compound_modifier(tv, start, end, rules):
            continue
        match = list_matches[span_id]
        if label == "DATASET" and end - start == 1 and match.rank == 2 and not dataset_evidence(tv, start, end, rules):
            key = _order_key(start, end, name_rank, shift)
            add((key, start, end, None, None, "name", 0.5, name, len(cands)))
            continue
        if name == kb_id or upper_tail[name]:
            conf = match.conf_exact
        else:
            conf = match.conf_multi if end - start > 1 else match.conf_single
        key = ((((start - end) << 7) + match.tie + pref(label, 4)) << shift) + start  # `_order_key`, inlined
        add((key, start, end, label, kb_id, match.source, conf, name, len(cands)))
    for start, end, label, _kb, _id in span_rows(doc, PHRASES_KEY):
        name = text[idx[start] : idx[end - 1] + len(words[end - 1])]
        if name not in stop:
            key = _order_key(start, end, _tie_rank("phrase", label), shift)
            add((key, start, end, label, None, "phrase", 0.5, name, len(cands)))
    name_typing = rules.name_typing
    for start, end, _label, _kb, _id in span_rows(doc, NAMES_KEY):
        name = words[start] if end - start == 1 else text[idx[start] : idx[end - 1] + len(words[end - 1])]
        if name in stop:
            continue
        tie, label, canonical, source, conf = name_typing[name]
        key = ((((start - end) << 7) + tie) << shift) + start  # `_order_key`, inlined
        add((key, start, end, label, canonical, source, conf, name, len(cands)))
    _prefer_metric_in_context(cands, tv, shift)
    return cands


_METRIC_NEXT = frozenset({"metric", "metrics", "score", "scores", "value", "values", "error", "errors"})
_METRIC_GLUE = frozenset({",", "and", "or", "/", ";"})
_PLAIN_NUMBER = re.compile(r"[-+\u2212]?\d+(?:\.\d+)?%?").fullmatch


def _prefer_metric_in_context(cands: list[Candidate], tv: TokenView, shift: int) -> None:
    """A listed name that is both a method and a metric ("MAE": masked autoencoder, mean absolute
    error) is the metric where the text treats it as one: "MAE metrics", "an MAE of 0.31", "0.31 MAE",
    or listed with another metric ("RMSE, MAE, and R"). Elsewhere METHOD wins the tie, as before."""
    by_span: dict[tuple[int, int], dict[str, int]] = {}
    for i, c in enumerate(cands):
        if c[3] in ("METHOD", "METRIC"):
            by_span.setdefault((c[1], c[2]), {}).setdefault(c[3], i)
    twins = [(span, labels) for span, labels in by_span.items() if len(labels) == 2]
    if not twins:
        return
    lower, n = tv.lower, tv.n
    metric_ends = {c[2] for c in cands if c[3] == "METRIC"}
    metric_starts = {c[1] for c in cands if c[3] == "METRIC"}
    for (s, e), labels in twins:
        after = lower[e] if e < n else ""
        before = lower[s - 1] if s > 0 else ""
        context = (after in _METRIC_NEXT or _PLAIN_NUMBER(after) is not None or _PLAIN_NUMBER(before) is not None
                   or (after in ("of", "=", ":") and e + 1 < n and _PLAIN_NUMBER(lower[e + 1]) is not None)
                   or (before in _METRIC_GLUE and s - 1 in metric_ends)
                   or (s > 1 and before == "and" and lower[s - 2] == "," and s - 2 in metric_ends)
                   or (after in _METRIC_GLUE and e + 1 in metric_starts)
                   or (after == "," and e + 2 < n and lower[e + 1] == "and" and e + 2 in metric_starts))
        if context:
            method, metric = cands[labels["METHOD"]], cands[labels["METRIC"]]
            cands[labels["METRIC"]] = (min(metric[0], method[0] - (1 << shift)), *metric[1:])


_VERSION_STOPS = frozenset({"%", "-", "x", "\u00d7"})


def _extend_dataset(tv: TokenView, end: int, rules: EntityRules) -> int:
    """Grow a dataset name over a version, year or language pair: "Pascal VOC 2012", "WMT16 En-Ro"."""
    n, words = tv.n, tv.words
    if end < n and tv.ws[end - 1]:
        t = words[end]
        if (t[:1].isdigit() or t[:1] == "v") and is_version(t) and (end + 1 >= n or words[end + 1] not in _VERSION_STOPS):
            return end + 1
        langs = rules.languages
        if end + 2 < n and t.lower() in langs and words[end + 1] == "-" and tv.lower[end + 2] in langs:
            return end + 3
    return end


#: "3.1", "4o", "2.5", "v2", "70B", "8x7B", "1.5B": a model's version or size
_MODEL_VERSION = re.compile(r"v?\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)?[BMK]|\d+x\d+B")
_MAX_MODEL_PARTS = 4


def _extend_model(tv: TokenView, text: str, end: int, rules: EntityRules) -> int:
    """Grow a model family's name over its version, size and tier: "Llama 3.1 70B", "Gemini 2.5
    Pro", "Claude Sonnet 4", "Claude-3.7-Sonnet". A tier word is capitalised, or follows a version."""
    n, words, ws = tv.n, tv.words, tv.ws
    if text.lower() not in rules.model_families:  # `text`: the name ending at token `end`
        return end
    k, parts, versioned = end, 0, False
    while k < n and parts < _MAX_MODEL_PARTS:
        glued = words[k] == "-" and not ws[k - 1] and k + 1 < n and not ws[k]
        t = words[k + 1] if glued else words[k]
        if not glued and not ws[k - 1]:
            break
        if _MODEL_VERSION.fullmatch(t):
            versioned = True
        elif not (t.lower() in rules.model_tiers and (t[:1].isupper() or versioned)):
            break
        k += 2 if glued else 1
        parts += 1
    return k


def _select(cands: list[Candidate], n_tokens: int) -> list[Candidate]:
    """The kept candidates, by start: longest first; trusted list matches win ties, then METHOD
    over other labels; no overlaps."""
    taken = bytearray(n_tokens)  # 1 where a kept candidate covers the token
    kept = []
    # Tried longest first, so a candidate overlaps a kept one only if its first or last token
    # is taken (it cannot contain a kept candidate, which is at least as long).
    for cand in sorted(cands, key=_ORDER):
        s, e = cand[1], cand[2]
        if taken[s] or taken[e - 1]:
            continue
        if e - s == 1:
            taken[s] = 1
        else:
            taken[s:e] = b"\x01" * (e - s)
        kept.append(cand)
    kept.sort(key=_START)
    return kept


def _content_words(text: str) -> set[str]:
    """First four letters of each word of 3 letters or more, accents removed ("Fréchet" = "Frechet")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return {w[:4] for w in re.split(r"[^a-z0-9]+", plain) if len(w) >= 3 and w not in _FILLER}


_FILLER = frozenset({"the", "and", "for", "from", "with", "via"})


def same_meaning(long_text: str, canonical: str) -> bool:
    """Whether a paper's long form and a listed name of its acronym can mean the same thing: the
    listed name is the acronym itself (no expansion to contradict), or they share at least half of
    the content words of the shorter ("Very Low Mass" is not "vision-language model")."""
    theirs = _content_words(canonical)
    if not theirs or (" " not in canonical.strip() and "-" not in canonical and not canonical.islower()):
        return True
    ours = _content_words(long_text)
    if not ours:
        return False
    return 2 * len(ours & theirs) >= min(len(ours), len(theirs))


def _acronym_candidates(tv: TokenView, abbreviations: tuple, cands: list[Candidate],
                        rules: EntityRules, other_field: bool, dropped: set[str]) -> dict[str, tuple[str, str, str]]:
    """Type both forms of each acronym definition (adding or overriding their candidates) and
    return normalised form -> (key, label, name) of every defined form.

    Definitions of organisations, facilities and instruments ("Very Large Telescope (VLT)"), of
    conditions and modalities ("Inflammatory Bowel Disease (IBD)": `condition_heads`), and
    in a paper from another field (`other_field`) definitions that nothing types, are no
    entities: both forms go to `dropped`."""
    alias_key: dict[str, tuple[str, str, str]] = {}
    if not abbreviations:
        return alias_key
    lexicon, span_text = rules.lexicon, tv.span_text
    by_range = {(c[1], c[2]): i for i, c in enumerate(cands)}
    shift = tv.n.bit_length()
    for ls, le, ss, se in abbreviations:
        long_text, short_text = span_text(ls, le), span_text(ss, se)
        if short_text in rules.stop_names:
            continue
        # the long form says more than a (possibly ambiguous) acronym
        term = head = label = None
        if not rules.organization_words.isdisjoint(tv.words[ls:le]) or tv.lower[le - 1] in rules.condition_heads:
            label = ""  # "Very Large Telescope (VLT)", "Inflammatory Bowel Disease (IBD)": no entity
        else:
            term = lexicon.lookup(long_text)
            head = head_label(tv.words[ls:le], lexicon)
        if term is None and head is None and label != "":
            term = lexicon.lookup(short_text)
            if (term is not None and term.rank == 2 and term.label == "DATASET"
                    and not dataset_evidence(tv, ss, se, rules)):
                term = None  # "human-computer interaction (HCI)": a listed acronym, not data here
            if term is not None and not same_meaning(long_text, term.canonical):
                # the paper's own long form wins over the list's meaning of the acronym:
                # "international relations (IR)" is not information retrieval
                term = None
            if term is None and le - ls == 1:
                label = ""  # "infrared (IR)": one plain word that nothing types is no entity
            elif term is not None and normalize_key(term.canonical) == normalize_key(short_text, acronym=True):
                # the list knows the acronym, not what it stands for: its type, the paper's name
                term = Term(term.label, term.pattern, long_text, term.exact, term.source)
        if term is not None:
            label, name = term.label, term.canonical
        else:
            if label != "":
                # nothing types it: a method in an ML paper, no entity in another field's
                label = head or _SHAPE_LABELS[short_text] or ("" if other_field else "METHOD")
                if (label == "TASK" and all(w[:1].isupper() for w in tv.words[ls:le] if w.isalpha() and len(w) > 3)
                        and rules.task_nouns.isdisjoint(tv.lower[se : se + 5])):
                    # an unlisted Title Case name with its own acronym is a named component, even
                    # when its last word names a task: "Contextual Identity Tracking (CIT)" (but
                    # "Next Scene Prediction (NSP), a new task")
                    label = "METHOD"
            name = long_text
        if label == "":
            dropped.update((long_text, short_text))
        else:
            # the long form is the key: acronyms are reused for different things across papers
            key = normalize_key(name)
            alias_key[normalize_key(long_text)] = (key, label, name)
            alias_key[normalize_key(short_text, acronym=True)] = (key, label, name)
        tie = _tie_rank("acronym", label)
        for (start, end), text in (((ls, le), long_text), ((ss, se), short_text)):
            i = by_range.get((start, end))
            conf = 0.85
            if i is None:
                i = by_range[start, end] = len(cands)
                cands.append(None)  # set below
            else:
                conf = max(cands[i][6], conf)
            cands[i] = (_order_key(start, end, tie, shift), start, end, label, name, "acronym", conf, text, i)
    return alias_key


def resolve(doc: Doc, rules: EntityRules) -> tuple[list[Row], list[str], list[float], list[str]]:
    """Typed, non-overlapping entity rows with their keys, confidences and sources."""
    tv = token_view(doc)
    n, lower = tv.n, tv.lower
    cands = _candidates(doc, tv, rules)
    other_field = _other_field(cands, tv, rules)
    abbreviations = doc_extension(doc, "kg_abbreviations", ())
    dropped: set[str] = set()
    alias_key = _acronym_candidates(tv, abbreviations, cands, rules, other_field, dropped) if abbreviations else {}
    if dropped:
        # every mention of a dropped form is no entity (kept as a candidate, so no part of it is one)
        for k, c in enumerate(cands):
            if c[7] in dropped:
                cands[k] = c[:3] + ("",) + c[4:]
    title_chars = doc_extension(doc, "kg_title_chars", 0)
    title_tokens = _title_tokens(tv, title_chars)
    words, naming, dataset_heads = tv.words, rules.naming_words, rules.dataset_heads
    key_of = _KEYS
    # the output columns, in text order (labels are read from the rows when a rule needs them)
    rows: list[Row] = []
    keys: list[str] = []
    confs: list[float] = []
    sources: list[str] = []
    defaults: list[int] = []  # rows typed METHOD only because nothing else said otherwise
    first_label: dict[str, str] = {}  # key -> label of its first mention
    mixed = False  # some key has two labels
    for cand in _select(cands, n):
        _, start, end, label, canonical, source, conf, text, i = cand
        if label == "":
            continue
        if other_field and (label is None or (source == "phrase" and label == "METHOD")):
            # outside computing, coined names are objects (NGC 1566, KRAS, NuSTAR) and "... loss"
            # is no technique: only a name the text calls data ("the X dataset", "X-Bench") stays
            if label is not None or ((end >= n or lower[end] not in rules.evidence_nouns)
                                     and _SHAPE_LABELS[text] is None):
                continue
        if label is None:
            if _names_an_object(tv, start, end, rules):
                continue
            label, conf = _untyped_label(tv, start, end, text, rules)
            if label is None:
                label, conf = "METHOD", 0.55
                defaults.append(len(rows))
            elif label == "METRIC" and end < n and lower[end] == "score":
                end += 1
                cands[i] = cand[:2] + (end,) + cand[3:]  # a later dataset's growth must not overlap it
                text = tv.span_text(start, end)
        if label != "TASK" and label != "METRIC":
            # the paper's own named contribution: "AMD: Automatic Multi-step Distillation ..." (a
            # title prefix) or "a model (named as Bi-VAEGAN)"
            own = None
            if start < title_tokens and end < n and words[end] == ":":
                own = _title_contribution(tv, start, end, _Title(tv, title_chars), rules)
            elif (lower[start - 1] in naming or lower[start - 2] in naming or lower[start - 3] in naming
                  if start >= 3 else not naming.isdisjoint(lower[:start])):  # "named", "called", ... before
                own = "METHOD" if dataset_heads.isdisjoint(lower[max(0, start - 8) : start]) else "DATASET"
            if own is not None and (source not in _TRUSTED_SOURCES or label == own):
                label, conf = own, 0.85
        # a model's version and size, a dataset's version or language pair grow the name
        new_end = (_extend_model(tv, text, end, rules) if label == "METHOD"
                   else _extend_dataset(tv, end, rules) if label == "DATASET" else end)
        if new_end != end and not any(o[1] < new_end and o[2] > end and o[3] for o in cands if o[8] != i):
            end, canonical = new_end, None
            cands[i] = cand[:2] + (end,) + cand[3:]
            text = tv.span_text(start, end)
        alias = alias_key.get(key_of[text]) if alias_key else None
        if alias is not None:
            key, label, name = alias
        else:
            name = canonical or text
            key = key_of[name]
        rows.append((start, end, label, name, ""))
        if first_label.setdefault(key, label) != label:
            mixed = True
        keys.append(key)
        confs.append(conf)
        sources.append(source)
    if defaults and "DATASET" in map(_LABEL, rows) and _propagate_in_lists(rows, confs, sources, defaults, lower):
        mixed = len(set(zip(keys, map(_LABEL, rows)))) != len(set(keys))
    if mixed:
        _unify_labels(rows, keys, confs)
    return rows, keys, list(map(_ROUNDED.__getitem__, confs)), sources


_PHRASE_ENDS = frozenset({"and", "or", "of", "in", "on", "at", "with", "from", "to", "by", "for", "is", "was",
                          "are", "were", "that", "which", "as", "the", "a", "an"})


def _names_an_object(tv: TokenView, start: int, end: int, rules: EntityRules) -> bool:
    """ "the KRAS protein and ...", "the NIRSpec instrument on ...", "galaxy NGC 1566": the name
    of a thing studied or used in another field, by the noun right before it or the noun that
    ends the phrase after it (not "the ESM-2 protein language model")."""
    lower, n = tv.lower, tv.n
    if start > 0 and lower[start - 1] in rules.object_nouns:
        return True
    if end < n and lower[end] in rules.object_nouns:
        return end + 1 >= n or not tv.words[end + 1].isalpha() or lower[end + 1] in _PHRASE_ENDS
    return False


_TRUSTED_LISTS = frozenset(("list0", "list1"))
#: a shorter text (a sentence, not a title and abstract) says too little about its field
_FIELD_MIN_TOKENS = 60
_FIELD_LABELS = frozenset(("METHOD", "DATASET", "TASK"))


def _other_field(cands: list[Candidate], tv: TokenView, rules: EntityRules) -> bool:
    """A paper from physics, biology, economics, ...: no computing word (or one, among units and
    object nouns: "resistance training ... 5 nM ... the KRAS protein") and no technique, dataset
    or task from the hand-checked lists (generic metric words such as "precision", and short
    acronyms such as "IR" that other fields use too, do not count)."""
    lower = tv.lower
    if len(lower) < _FIELD_MIN_TOKENS:
        return False
    if not rules.ml_cues.isdisjoint(lower):
        if len(rules.ml_cues.intersection(lower)) > 1:
            return False
        marks = sum(map(rules.units.__contains__, tv.words)) + sum(map(rules.object_nouns.__contains__, lower))
        if marks < 2:
            return False
    return not any(c[5] in _TRUSTED_LISTS and c[3] in _FIELD_LABELS and (len(c[7]) > 3 or not c[7].isupper())
                   for c in cands)


def _untyped_label(tv: TokenView, start: int, end: int, text: str, rules: EntityRules) -> tuple[str | None, float]:
    """Label and confidence of a candidate no list typed: from its context, its family
    ("ImageNet-64"), its spelling; (None, 0.6) when none says."""
    label, conf = context_label(tv, start, end, rules)
    if label is None:
        fam = rules.family[text]
        if fam is not None:
            label, conf = fam[0], 0.7
    if label is None:
        label, conf = _SHAPE_LABELS[text], 0.6
    return label, conf


_TRUSTED_SOURCES = frozenset(("list0", "list1", "acronym"))
#: text -> `normalize_key(text)`: a dict hit is cheaper than an lru_cache call
_KEYS: BoundedMemo[str, str] = BoundedMemo(normalize_key)


#: confidence -> `round(confidence, 3)`: confidences come from a handful of constants
_ROUNDED: BoundedMemo[float, float] = BoundedMemo(lambda x: round(x, 3), maxsize=4096)


def _title_tokens(tv: TokenView, chars: int) -> int:
    """Number of tokens that start inside a title of `chars` characters."""
    return bisect_left(tv.idx, chars) if chars > 0 else 0


class _Title:
    """Where the title ends, and its words (built only when a rule asks for them)."""

    __slots__ = ("chars", "tokens", "_tv", "_words")

    def __init__(self, tv: TokenView, chars: int) -> None:
        self.chars = chars
        #: number of tokens that start inside the title (`idx[i] < chars` for i < tokens)
        self.tokens = _title_tokens(tv, chars)
        self._tv = tv
        self._words: set[str] | None = None

    @property
    def words(self) -> set[str]:
        """Lower-cased words of the tokens wholly inside the title: the tokens of
        `doc.char_span(0, chars, alignment_mode="contract")`."""
        if self._words is None:
            tv, k = self._tv, self.tokens
            if self.chars <= 0 or self.chars > len(tv.text):
                k = 0
            elif k and tv.idx[k - 1] + len(tv.words[k - 1]) > self.chars:
                k -= 1  # the last token starting in the title runs past its end
            self._words = set(tv.lower[:k])
        return self._words


def _title_contribution(tv: TokenView, start: int, end: int, title: _Title, rules: EntityRules) -> str:
    """DATASET or METHOD for the name of a title "X: ...": a dataset when the title has dataset
    words or the text calls X one."""
    # `_data_words(title.words, rules.long_dataset_heads)`, a memo look-up per word
    data = any(map(rules.data_word.__getitem__, title.words)) or _described_as_data(tv, start, end)
    return "DATASET" if data else "METHOD"


def _data_words(words: set[str] | list[str], prefixes: tuple[str, ...]) -> bool:
    """Words such as "benchmark", "Benchmarking", "datasets" among `words`: a word starting with
    one of `prefixes` (the dataset heads of 5 letters or more)."""
    return any(w.startswith(prefixes) for w in words)


_DATA_NOUNS = ("benchmark", "dataset", "corpus", "treebank", "collection")


def _described_as_data(tv: TokenView, start: int, end: int) -> bool:
    """The text calls this name a dataset or benchmark: "NevIR, a benchmark for ...", "the X dataset"."""
    n = tv.n
    if end >= n:
        return False
    size = end - start
    text, idx, words, lower = tv.text, tv.idx, tv.words, tv.lower
    first, name = words[start], tv.span_text(start, end)
    # later mentions: occurrences of the name in the text that start a token (str.find, not a
    # comparison per token)
    p = text.find(name, idx[end])
    while p >= 0:
        i = bisect_left(idx, p, end)
        if i + size <= n and idx[i] == p and words[i] == first and tv.span_text(i, i + size) == name:
            after = lower[i + size : min(n, i + size + 5)]
            if after and after[0].startswith(_DATA_NOUNS):
                return True
            if after[:1] == [","] and _data_words(after[1:5], _DATA_NOUNS):
                return True
        p = text.find(name, p + 1)
    return False


_COORDINATION = {",", "and", "or", "&", "(", ")", ", and", "as", "well"}


def _propagate_in_lists(rows: list[Row], confs: list[float], sources: list[str], defaults: list[int],
                        lower: list[str]) -> bool:
    """A name typed only by default (row numbers `defaults`, ascending) is a dataset when it sits
    in a list with a known dataset: "CIFAR-10, ModelNet10, and Imagenet32x32". (Lists of methods
    and tasks mix types too often.) Updates the columns in place; True if it changed a label."""
    changed = False
    typed_by_default = set(defaults)
    trusted = [j for j, (row, source) in enumerate(zip(rows, sources))
               if row[2] == "DATASET" and j not in typed_by_default and (source.startswith("list") or source == "acronym")]
    for i in defaults:
        start, end = rows[i][0], rows[i][1]
        for j in trusted:
            lo, hi = (rows[j][1], start) if rows[j][1] <= start else (end, rows[j][0])
            if hi - lo <= 3 and hi > lo and _COORDINATION.issuperset(lower[lo:hi]):
                rows[i] = rows[i][:2] + ("DATASET",) + rows[i][3:]
                confs[i] = 0.65
                changed = True
                break
    return changed


def _unify_labels(rows: list[Row], keys: list[str], confs: list[float]) -> None:
    """One type per thing in a paper: mentions of one key take the label of the surest mention
    (the first of the surest). Updates `rows` in place."""
    best: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in best or confs[i] > confs[best[key]]:
            best[key] = i
    labels = [rows[best[key]][2] for key in keys]
    rows[:] = [row[:2] + (label,) + row[3:] for row, label in zip(rows, labels)]


class EntityResolver(BatchPipe):
    """Writes `doc.spans["kg"]` and its attrs (key, confidence, source)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.rules = EntityRules(lexicon)

    def __call__(self, doc: Doc) -> Doc:
        rows, keys, confs, sources = resolve(doc, self.rules)
        publish_spans(doc, SPAN_KEY, rows)
        attrs = doc.spans[SPAN_KEY].attrs
        attrs["key"] = keys
        attrs["confidence"] = confs
        attrs["source"] = sources
        return doc


@Language.factory("kg_entities", assigns=["doc.spans"], default_config={"terms_path": None})
def make_entity_resolver(nlp: Language, name: str, terms_path: str | None) -> EntityResolver:
    return EntityResolver(load_lexicon(terms_path))
