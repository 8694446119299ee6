"""`kg_entities`: merge list matches, coined names and acronym definitions into typed entities.

Writes `doc.spans["kg"]` (label METHOD|DATASET|METRIC|TASK, kb_id = display name) with parallel
plain-data lists in the group's attrs: `key` (cross-paper key), `confidence`, `source`.
Type is decided by, in order: the name lists, the partner form of an acronym definition, the head
word of a defined long form, context words ("... dataset", "in terms of ..."), the name's own
shape, and finally METHOD (coined names in abstracts are mostly models).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.components.names import SPAN_KEY as NAMES_KEY
from extractors.components.names import is_version
from extractors.components.phrases import SPAN_KEY as PHRASES_KEY
from extractors.components.terms import SPAN_KEY as TERMS_KEY
from extractors.lexicon import Lexicon, load_lexicon
from extractors.normalize import normalize_key

SPAN_KEY = "kg"
LABELS = ("METHOD", "DATASET", "METRIC", "TASK")


@dataclass
class Candidate:
    start: int
    end: int
    label: str | None
    canonical: str | None
    source: str
    confidence: float


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


def context_label(doc: Doc, start: int, end: int, lexicon: Lexicon) -> tuple[str | None, float]:
    """Type of a name from the words around it, with a confidence."""
    cues = lexicon.cues
    nxt = doc[end].lower_ if end < len(doc) else ""
    nxt2 = doc[end + 1].lower_ if end + 1 < len(doc) else ""
    if nxt in cues["dataset_nouns"] or (nxt in {"test", "validation", "dev"} and nxt2 in {"set", "sets", "split"}):
        if nxt not in {"data", "set", "sets"} or nxt2 not in {"structure", "structures"}:
            return "DATASET", 0.8
    if nxt in cues["metric_nouns"]:
        return "METRIC", 0.75
    if nxt in cues["task_nouns"]:
        return "TASK", 0.6
    prev = [t.lower_ for t in doc[max(0, start - 3) : start]]
    if prev[-3:] == ["in", "terms", "of"]:
        return "METRIC", 0.7
    window = [t.lower_ for t in doc[max(0, start - 6) : min(len(doc), end + 4)]]
    if any(w in {"dataset", "datasets", "benchmark", "benchmarks", "corpus"} for w in window) and (
        prev[-1:] in (["on"], ["the"], ["and"], [","]) or nxt in {",", "and", ")"}
    ):
        return "DATASET", 0.6
    return None, 0.0


def shape_label(text: str) -> str | None:
    """Type from the spelling alone: "NATS-Bench" is a benchmark, "nDCG@10" a metric."""
    low = text.lower()
    if low.endswith(("bench", "-task", "challenge", "corpus", "-qa")):
        return "DATASET"
    if "@" in text:
        return "METRIC"
    return None


LABEL_PREFERENCE = {"METHOD": 0, "DATASET": 1, "TASK": 2, "METRIC": 3}


def family_label(text: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """(label, family name) of a variant spelling: "ILSVRC-2012", "ImageNet-64", "Imagenet32x32"."""
    parts = [p for p in text.replace(" ", "-").split("-") if p]
    forms = ["-".join(parts[:k]) for k in range(len(parts) - 1, 0, -1)]
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


def dataset_evidence(doc: Doc, start: int, end: int, lexicon: Lexicon) -> bool:
    """Words around a name that say it is data: "... dataset", "on X", "benchmarks (X, Y)"."""
    window = {t.lower_ for t in doc[max(0, start - 6) : min(len(doc), end + 3)]}
    if window & lexicon.cues["dataset_nouns"] - {"data", "set", "sets"}:
        return True
    return start > 0 and doc[start - 1].lower_ in {"on", "across"}


def _is_compound_modifier(doc: Doc, span_start: int, span_end: int, lexicon: Lexicon) -> bool:
    """ "low-precision", "mixed precision weights": a metric word used as a modifier."""
    prev = doc[span_start - 1] if span_start > 0 else None
    nxt = doc[span_end].lower_ if span_end < len(doc) else ""
    if prev is not None and (prev.text == "-" or prev.lower_ in lexicon.cues["compound_modifiers"]):
        return True
    return nxt == "-" or nxt in lexicon.cues["method_heads"] or nxt in {"weights", "activations", "format"}


def _candidates(doc: Doc, lexicon: Lexicon) -> list[Candidate]:
    cands: list[Candidate] = []
    for span in doc.spans.get(TERMS_KEY, []):
        exact = span.text == span.kb_id_ or any(c.isupper() for c in span.text[1:])
        multi = len(span) > 1
        rank = int(span.id_[-1]) if span.id_ else 2
        conf = (0.9 if exact else (0.8 if multi else 0.7)) - 0.05 * rank
        label = span.label_
        if label == "METRIC" and _is_compound_modifier(doc, span.start, span.end, lexicon):
            continue
        if label == "DATASET" and rank == 2 and len(span) == 1 and not dataset_evidence(doc, span.start, span.end, lexicon):
            cands.append(Candidate(span.start, span.end, None, None, "name", 0.5))
            continue
        cands.append(Candidate(span.start, span.end, label, span.kb_id_, f"list{rank}", conf))
    for span in doc.spans.get(PHRASES_KEY, []):
        cands.append(Candidate(span.start, span.end, span.label_, None, "phrase", 0.5))
    for span in doc.spans.get(NAMES_KEY, []):
        term = lexicon.lookup(span.text)
        if term is not None:
            cands.append(Candidate(span.start, span.end, term.label, term.canonical, f"list{term.rank}", 0.9))
        else:
            cands.append(Candidate(span.start, span.end, None, None, "name", 0.6))
    return [c for c in cands if doc[c.start : c.end].text not in lexicon.stop_names]


def _extend_dataset(doc: Doc, end: int, lexicon: Lexicon) -> int:
    """Grow a dataset name over a version, year or language pair: "Pascal VOC 2012", "WMT16 En-Ro"."""
    n = len(doc)
    if end < n and doc[end - 1].whitespace_:
        t = doc[end].text
        if is_version(t) and (end + 1 >= n or doc[end + 1].text not in {"%", "-", "x", "\u00d7"}):
            return end + 1
        langs = lexicon.cues["languages"]
        if end + 2 < n and t.lower() in langs and doc[end + 1].text == "-" and doc[end + 2].lower_ in langs:
            return end + 3
    return end


def _select(cands: list[Candidate]) -> list[Candidate]:
    """Longest first; trusted list matches win ties, then METHOD over other labels; no overlaps."""
    cands.sort(key=lambda c: (-(c.end - c.start), c.source, LABEL_PREFERENCE.get(c.label or "", 4), c.start))
    taken: set[int] = set()
    kept = []
    for c in cands:
        if any(i in taken for i in range(c.start, c.end)):
            continue
        taken.update(range(c.start, c.end))
        kept.append(c)
    kept.sort(key=lambda c: c.start)
    return kept


def resolve(doc: Doc, lexicon: Lexicon) -> tuple[list[Span], list[str], list[float], list[str]]:
    """Typed, non-overlapping entity spans with their keys, confidences and sources."""
    cands = _candidates(doc, lexicon)
    by_range = {(c.start, c.end): c for c in cands}
    alias_key: dict[str, tuple[str, str, str]] = {}  # normalised form -> (key, label, name)
    for ls, le, ss, se in doc._.kg_abbreviations if Doc.has_extension("kg_abbreviations") else ():
        long_text, short_text = doc[ls:le].text, doc[ss:se].text
        if short_text in lexicon.stop_names:
            continue
        # the long form says more than a (possibly ambiguous) acronym
        term = lexicon.lookup(long_text)
        head = head_label([t.text for t in doc[ls:le]], lexicon)
        if term is None and head is None:
            term = lexicon.lookup(short_text)
        if term is not None:
            label, name = term.label, term.canonical
        else:
            label = head or shape_label(short_text) or "METHOD"
            name = long_text
        # the long form is the key: acronyms are reused for different things across papers
        key = normalize_key(name)
        alias_key[normalize_key(long_text)] = (key, label, name)
        alias_key[normalize_key(short_text, acronym=True)] = (key, label, name)
        for rng, conf in (((ls, le), 0.85), ((ss, se), 0.85)):
            if rng not in by_range:
                c = Candidate(rng[0], rng[1], label, name, "acronym", conf)
                cands.append(c)
                by_range[rng] = c
            else:
                c = by_range[rng]
                c.label, c.canonical = label, name
                c.source, c.confidence = "acronym", max(c.confidence, conf)
    title_chars = doc._.kg_title_chars if Doc.has_extension("kg_title_chars") else 0
    title_span = doc.char_span(0, title_chars, alignment_mode="contract") if title_chars else None
    title_words = {t.lower_ for t in title_span} if title_span is not None else set()
    typed: list[Typed] = []
    for c in _select(cands):
        text = doc[c.start : c.end].text
        label, conf = c.label, c.confidence
        by_default = False
        if label is None:
            label, conf = context_label(doc, c.start, c.end, lexicon)
            if label is None:
                fam = family_label(text, lexicon)
                if fam is not None:
                    label, conf = fam[0], 0.7
            if label is None:
                label, conf = shape_label(text), 0.6
            if label is None:
                label, conf, by_default = "METHOD", 0.55, True
            if label == "METRIC" and c.end < len(doc) and doc[c.end].lower_ == "score":
                c.end += 1
                text = doc[c.start : c.end].text
        own = None if label in ("TASK", "METRIC") else _own_contribution(doc, c, title_chars, title_words, lexicon)
        if own is not None and (c.source not in ("list0", "list1", "acronym") or label == own):
            label, conf = own, 0.85
        if label == "DATASET":
            new_end = _extend_dataset(doc, c.end, lexicon)
            if new_end != c.end and not any(o.start < new_end and o.end > c.end for o in cands if o is not c and o.label):
                c.end, c.canonical = new_end, None
                text = doc[c.start : c.end].text
        norm = normalize_key(text)
        if norm in alias_key:
            key, label, name = alias_key[norm]
        else:
            name = c.canonical or text
            key = normalize_key(name)
        typed.append(Typed(c.start, c.end, label, name, key, conf, c.source, by_default))
    _propagate_in_lists(doc, typed)
    _unify_labels(typed)
    spans = [Span(doc, t.start, t.end, label=t.label, kb_id=t.name) for t in typed]
    return spans, [t.key for t in typed], [round(t.confidence, 3) for t in typed], [t.source for t in typed]


def _own_contribution(doc: Doc, c: Candidate, title_chars: int, title_words: set[str],
                      lexicon: Lexicon) -> str | None:
    """METHOD or DATASET for the paper's own named contribution, else None.

    "AMD: Automatic Multi-step Distillation ..." (a title prefix) and "a model (named as
    Bi-VAEGAN)" name what the paper proposes: a dataset when dataset words are near, else a method.
    """
    heads = lexicon.cues["dataset_heads"]
    if c.start < len(doc) and doc[c.start].idx < title_chars and c.end < len(doc) and doc[c.end].text == ":":
        return "DATASET" if _data_words(title_words, heads) or _described_as_data(doc, c, heads) else "METHOD"
    before = [t.lower_ for t in doc[max(0, c.start - 3) : c.start]]
    if any(w in lexicon.cues["naming_words"] for w in before):
        window = {t.lower_ for t in doc[max(0, c.start - 8) : c.start]}
        return "DATASET" if window & heads else "METHOD"
    return None


def _data_words(words: set[str], heads: frozenset[str]) -> bool:
    """Words such as "benchmark", "Benchmarking", "datasets" among `words`."""
    return any(w.startswith(h) for w in words for h in heads if len(h) >= 5)


_DATA_NOUNS = frozenset({"benchmark", "dataset", "corpus", "treebank", "collection"})


def _described_as_data(doc: Doc, c: Candidate, heads: frozenset[str]) -> bool:
    """The text calls this name a dataset or benchmark: "NevIR, a benchmark for ...", "the X dataset"."""
    size = c.end - c.start
    n = len(doc)
    for i in range(c.end, n - size + 1):
        if doc[i].text != doc[c.start].text or doc[i : i + size].text != doc[c.start : c.end].text:
            continue
        after = [t.lower_ for t in doc[i + size : min(n, i + size + 5)]]
        if after[:1] and _data_words(set(after[:1]), _DATA_NOUNS):
            return True
        if after[:1] == [","] and _data_words(set(after[1:5]), _DATA_NOUNS):
            return True
    return False


@dataclass
class Typed:
    """A selected, typed candidate before it becomes a Span."""

    start: int
    end: int
    label: str
    name: str
    key: str
    confidence: float
    source: str
    by_default: bool = False


_COORDINATION = {",", "and", "or", "&", "(", ")", ", and", "as", "well"}


def _propagate_in_lists(doc: Doc, typed: list[Typed]) -> None:
    """A name typed only by default is a dataset when it sits in a list with a known dataset:
    "CIFAR-10, ModelNet10, and Imagenet32x32". (Lists of methods and tasks mix types too often.)"""
    trusted = [t for t in typed if t.label == "DATASET" and not t.by_default
               and (t.source.startswith("list") or t.source == "acronym")]
    if not trusted:
        return
    for t in typed:
        if not t.by_default:
            continue
        for other in trusted:
            lo, hi = (other.end, t.start) if other.end <= t.start else (t.end, other.start)
            if hi - lo <= 3 and hi >= lo and all(tok.lower_ in _COORDINATION for tok in doc[lo:hi]) and hi > lo:
                t.label, t.confidence, t.by_default = other.label, 0.65, False
                break


def _unify_labels(typed: list[Typed]) -> None:
    """One type per thing in a paper: mentions of one key take the label of the surest mention."""
    best: dict[str, Typed] = {}
    for t in typed:
        if t.key not in best or t.confidence > best[t.key].confidence:
            best[t.key] = t
    for t in typed:
        t.label = best[t.key].label


class EntityResolver:
    """Writes `doc.spans["kg"]` and its attrs (key, confidence, source)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        spans, keys, confs, sources = resolve(doc, self.lexicon)
        doc.spans[SPAN_KEY] = spans
        group = doc.spans[SPAN_KEY]
        group.attrs["key"] = keys
        group.attrs["confidence"] = confs
        group.attrs["source"] = sources
        return doc


@Language.factory("kg_entities", assigns=["doc.spans"], default_config={"terms_path": None})
def make_entity_resolver(nlp: Language, name: str, terms_path: str | None) -> EntityResolver:
    return EntityResolver(load_lexicon(terms_path))
