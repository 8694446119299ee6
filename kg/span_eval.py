"""Score entity spans (character offsets) against span-level gold, exact and lenient.

Document-level scoring (:mod:`kg.evaluate`) says whether a paper's set of names is right;
span-level scoring says whether each *occurrence* is found with the right boundaries, which
is how public NER benchmarks (SciERC, CrossNER) are scored. Both gold and predictions are
JSON Lines, one document per line::

    {"id": "d1", "text": "We fine-tune BERT on GLUE.",
     "entities": [{"start": 13, "end": 17, "label": "METHOD"},
                  {"start": 21, "end": 25, "label": "DATASET"}]}

``id`` is optional; a prediction without one is joined to the gold document at the same
position. A span may carry its ``text``, which must then equal ``text[start:end]``.

Two matchings, both per document and label, micro-averaged:

- *exact*: a predicted span is correct when (start, end, label) equals a gold span;
- *lenient*: a predicted span is correct when it overlaps a gold span of the same label;
  matching is one-to-one (a maximum matching that prefers exact pairs), so one long
  prediction covering two gold spans earns one true positive, not two.

Identical spans listed twice in one document count once (spans are sets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rich.console import Group
from rich.table import Table
from rich.text import Text

from kg.evaluate import Counts, EvalInputError, _read_jsonl, _validation_reason
from kg.textsafe import terminal
from schema.extraction import ENTITY_LABELS, EntityLabel
from schema.paper import Paper

__all__ = [
    "EvalInputError",
    "SpanError",
    "SpanReport",
    "load_spans",
    "score_spans",
    "predict_spans",
    "format_span_report",
    "format_span_errors",
    "span_error_summary",
]

OVERALL_ROW = "ALL"
#: title given to span texts run through the pipeline: no entity, no cue word
NEUTRAL_TITLE = "Abstract"
ErrorKind = Literal["missed", "spurious", "boundary", "label"]
_Span = tuple[int, int, str]  # (start, end, label)

# ---------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------


class _SpanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int = Field(strict=True, ge=0)
    end: int = Field(strict=True, ge=0)
    label: EntityLabel
    text: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _SpanIn:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be greater than start {self.start}")
        return self


class _DocIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int | None = None
    text: str
    entities: list[_SpanIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _inside_text(self) -> _DocIn:
        for i, span in enumerate(self.entities):
            if span.end > len(self.text):
                raise ValueError(
                    f"entities.{i}: end {span.end} is past the end of the text ({len(self.text)} chars)"
                )
            if span.text is not None and span.text != self.text[span.start:span.end]:
                found = self.text[span.start:span.end]
                raise ValueError(f"entities.{i}: text {span.text!r} does not match text[{span.start}:"
                                 f"{span.end}] = {found!r}")
        return self


def load_spans(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a span JSONL file (gold or predictions).

    Parameters
    ----------
    path : str or Path
        One ``{"id"?, "text", "entities": [{"start", "end", "label"}]}`` object per line;
        blank lines are skipped.

    Returns
    -------
    list of dict
        One dict per document: ``id`` (str, or None when the line has none), ``text``,
        ``entities`` (dicts with start, end, label) and ``source`` ("file:line", used in
        error messages).

    Raises
    ------
    EvalInputError
        On the first bad line, as "file:line: reason": invalid JSON, a missing field, an
        unknown label, a span outside the text or with ``end <= start``, a span ``text``
        that disagrees with its offsets, or a duplicate document id.
    """
    path = Path(path)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, obj in _read_jsonl(path):
        if not isinstance(obj, dict):
            raise EvalInputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        try:
            doc = _DocIn.model_validate(obj)
        except ValidationError as exc:
            raise EvalInputError(f"{path}:{lineno}: {_validation_reason(exc)}") from None
        doc_id = None if doc.id is None else str(doc.id)
        if doc_id is not None:
            if doc_id in seen:
                raise EvalInputError(
                    f"{path}:{lineno}: duplicate document id {doc_id!r} (first on line {seen[doc_id]})"
                )
            seen[doc_id] = lineno
        rows.append({
            "id": doc_id,
            "text": doc.text,
            "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in doc.entities],
            "source": f"{path}:{lineno}",
        })
    return rows


# ---------------------------------------------------------------------------------------
# Report records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpanError:
    """One wrong span, for debugging: what gold had and what was predicted instead.

    ``missed``: a gold span nothing overlaps with its label; ``spurious``: a prediction
    overlapping no gold span of its label; ``boundary``: right label, overlapping but
    different offsets (counts as an exact-match error only); ``label``: same offsets,
    different label. ``label``/``start``/``end``/``text`` describe the gold span (the
    prediction for ``spurious``); ``pred_*`` the prediction of a boundary or label error.
    """

    doc: str
    kind: ErrorKind
    label: str
    start: int
    end: int
    text: str
    pred_label: str | None = None
    pred_start: int | None = None
    pred_end: int | None = None
    pred_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc": self.doc, "kind": self.kind, "label": self.label,
                               "start": self.start, "end": self.end, "text": self.text}
        if self.pred_label is not None:
            out.update(pred_label=self.pred_label, pred_start=self.pred_start,
                       pred_end=self.pred_end, pred_text=self.pred_text)
        return out

    def describe(self) -> str:
        """Short text for tables: the span, and what was predicted for it if anything."""
        if self.kind == "boundary":
            return f"{self.text!r} -> {self.pred_text!r}"
        if self.kind == "label":
            return f"{self.text!r} as {self.pred_label}"
        return repr(self.text)


def _empty_counts() -> dict[str, Counts]:
    return {label: Counts() for label in ENTITY_LABELS}


@dataclass
class SpanReport:
    """Exact and lenient micro P/R/F1 per label and overall, plus the wrong spans.

    ``missing_documents`` are gold documents without a prediction (all their spans
    missed); ``unjoined_predictions`` counts predictions no gold document matches and
    ``duplicate_predictions`` later predictions for an already-joined document (both
    ignored).
    """

    exact: dict[str, Counts] = field(default_factory=_empty_counts)
    lenient: dict[str, Counts] = field(default_factory=_empty_counts)
    errors: list[SpanError] = field(default_factory=list)
    documents: int = 0
    missing_documents: list[str] = field(default_factory=list)
    unjoined_predictions: int = 0
    duplicate_predictions: int = 0

    @property
    def exact_overall(self) -> Counts:
        return _total(self.exact.values())

    @property
    def lenient_overall(self) -> Counts:
        return _total(self.lenient.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for ``kg eval-spans --json``)."""
        return {
            "exact": {"by_label": {k: c.to_dict() for k, c in self.exact.items()},
                      "overall": self.exact_overall.to_dict()},
            "lenient": {"by_label": {k: c.to_dict() for k, c in self.lenient.items()},
                        "overall": self.lenient_overall.to_dict()},
            "documents": {"gold": self.documents, "missing": list(self.missing_documents),
                          "unjoined_predictions": self.unjoined_predictions,
                          "duplicate_predictions": self.duplicate_predictions},
            "errors": [e.to_dict() for e in self.errors],
        }


def _total(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total.add(c)
    return total


# ---------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------


def _span_set(row: Mapping[str, Any]) -> set[_Span]:
    return {(int(e["start"]), int(e["end"]), str(e["label"])) for e in row.get("entities") or ()}


def _overlap(a: _Span, b: _Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _lenient_pairs(gold: Sequence[_Span], pred: Sequence[_Span]) -> list[tuple[_Span, _Span]]:
    """Maximum one-to-one matching of overlapping same-label spans, exact pairs preferred."""
    graph = nx.Graph()
    big = 2 * (len(gold) + len(pred)) + 1  # any extra pair outweighs all exact-pair bonuses
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if g[2] == p[2] and _overlap(g, p):
                graph.add_edge(("g", gi), ("p", pi), weight=big + (1 if g == p else 0))
    if not graph.number_of_edges():
        return []
    pairs = []
    for a, b in nx.max_weight_matching(graph):
        (_, gi), (_, pi) = sorted((a, b))  # ("g", i) sorts before ("p", j)
        pairs.append((gold[gi], pred[pi]))
    return pairs


def _score_document(
    doc: str, text: str, gold: set[_Span], pred: set[_Span], report: SpanReport
) -> None:
    """Add one document's counts and errors to ``report``."""
    exact = gold & pred
    for label in ENTITY_LABELS:
        g = sum(1 for s in gold if s[2] == label)
        p = sum(1 for s in pred if s[2] == label)
        tp = sum(1 for s in exact if s[2] == label)
        report.exact[label].add(Counts(tp=tp, fp=p - tp, fn=g - tp))

    pairs = _lenient_pairs(sorted(gold), sorted(pred))
    for label in ENTITY_LABELS:
        g = sum(1 for s in gold if s[2] == label)
        p = sum(1 for s in pred if s[2] == label)
        tp = sum(1 for gs, _ in pairs if gs[2] == label)
        report.lenient[label].add(Counts(tp=tp, fp=p - tp, fn=g - tp))

    def err(kind: ErrorKind, s: _Span, other: _Span | None = None) -> SpanError:
        extra = {} if other is None else {
            "pred_label": other[2], "pred_start": other[0], "pred_end": other[1],
            "pred_text": text[other[0]:other[1]]}
        return SpanError(doc, kind, s[2], s[0], s[1], text[s[0]:s[1]], **extra)

    errors = [err("boundary", gs, ps) for gs, ps in pairs if gs != ps]
    left_gold = sorted(gold - {gs for gs, _ in pairs})
    left_pred = sorted(pred - {ps for _, ps in pairs})
    by_offsets = {(s[0], s[1]): s for s in left_pred}
    for gs in left_gold:
        ps = by_offsets.pop((gs[0], gs[1]), None)
        errors.append(err("missed", gs) if ps is None else err("label", gs, ps))
    errors.extend(err("spurious", ps) for ps in sorted(by_offsets.values()))
    report.errors.extend(sorted(errors, key=lambda e: (e.start, e.end, e.kind)))


def score_spans(
    gold_rows: Iterable[Mapping[str, Any]],
    pred_rows: Iterable[Mapping[str, Any]],
) -> SpanReport:
    """Score predicted spans against gold spans, exact and lenient.

    Parameters
    ----------
    gold_rows, pred_rows : iterable of dict
        Documents as returned by :func:`load_spans` or :func:`predict_spans` (``text``,
        ``entities``, optional ``id``). A prediction with an id is joined to the gold
        document with that id; one without an id to the gold document at its position.

    Returns
    -------
    SpanReport

    Raises
    ------
    EvalInputError
        When a joined prediction's text differs from its gold document's (its offsets
        would point at other characters).

    Examples
    --------
    >>> gold = [{"text": "We fine-tune BERT on GLUE.", "entities": [
    ...     {"start": 13, "end": 17, "label": "METHOD"}, {"start": 21, "end": 25, "label": "DATASET"}]}]
    >>> pred = [{"text": "We fine-tune BERT on GLUE.", "entities": [
    ...     {"start": 13, "end": 17, "label": "METHOD"}, {"start": 21, "end": 26, "label": "DATASET"}]}]
    >>> report = score_spans(gold, pred)
    >>> report.exact_overall, report.lenient_overall
    (Counts(tp=1, fp=1, fn=1), Counts(tp=2, fp=0, fn=0))
    """
    gold = list(gold_rows)
    by_id = {str(g["id"]): i for i, g in enumerate(gold) if g.get("id") is not None}
    joined: dict[int, Mapping[str, Any]] = {}
    report = SpanReport(documents=len(gold))
    for position, p in enumerate(pred_rows):
        idx = by_id.get(str(p["id"])) if p.get("id") is not None else (
            position if position < len(gold) else None)
        if idx is None:
            report.unjoined_predictions += 1
            continue
        if idx in joined:
            report.duplicate_predictions += 1
            continue
        if p.get("text") != gold[idx].get("text"):
            where = p.get("source") or f"prediction {position + 1}"
            raise EvalInputError(
                f"{where}: text differs from gold document {_doc_name(gold[idx], idx)}"
                + (f" ({gold[idx]['source']})" if gold[idx].get("source") else "")
            )
        joined[idx] = p

    for i, g in enumerate(gold):
        name = _doc_name(g, i)
        p = joined.get(i)
        if p is None:
            report.missing_documents.append(name)
        _score_document(name, str(g.get("text") or ""), _span_set(g), _span_set(p or {}), report)
    return report


def _doc_name(row: Mapping[str, Any], index: int) -> str:
    """A document's id, or "#n" (1-based position) when it has none."""
    return str(row["id"]) if row.get("id") is not None else f"#{index + 1}"


# ---------------------------------------------------------------------------------------
# Predictions from our pipeline
# ---------------------------------------------------------------------------------------


def predict_spans(rows: Iterable[Mapping[str, Any]], nlp: Any = None) -> list[dict[str, Any]]:
    """Run the extraction pipeline on each document's text and return its entity mentions as spans.

    Parameters
    ----------
    rows : iterable of dict
        Documents with ``text`` (and optional ``id``); their ``entities`` are ignored.
    nlp : spacy.Language, optional
        A pipeline from :func:`extractors.build_nlp` (built when omitted).

    Returns
    -------
    list of dict
        One ``{"id", "text", "entities"}`` per input row, in order: every mention of every
        extracted entity, offsets into ``text``, sorted and without duplicates.

    Notes
    -----
    Each text becomes the abstract of a paper titled :data:`NEUTRAL_TITLE`, and only
    mentions in the abstract are kept, so their offsets are offsets into the text. (An
    empty title would make the joined text start with a space, which costs the first
    word its entity.)
    """
    from extractors import extract

    docs = list(rows)
    papers = [Paper(id=_doc_name(r, i), title=NEUTRAL_TITLE, abstract=str(r.get("text") or ""))
              for i, r in enumerate(docs)]
    out = []
    for row, paper, extraction in zip(docs, papers, extract(papers, nlp=nlp), strict=True):
        spans = {
            (m.start, m.end, e.label)
            for e in extraction.entities
            for m in e.mentions
            if m.field == "abstract"
        }
        out.append({
            "id": row.get("id"),
            "text": paper.abstract,
            "entities": [{"start": s, "end": e, "label": label} for s, e, label in sorted(spans)],
        })
    return out


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def format_span_report(report: SpanReport) -> Table:
    """Render exact and lenient scores as a rich table, one row per label and overall.

    Parameters
    ----------
    report : SpanReport
        Output of :func:`score_spans`.

    Returns
    -------
    rich.table.Table
        Columns type, P, R, F1, TP, FP, FN (exact), then lenient P, R, F1.
    """
    table = Table(title=f"Span evaluation ({report.documents} documents, "
                        f"{len(report.missing_documents)} without prediction)")
    table.add_column("type")
    for column in ("P", "R", "F1", "TP", "FP", "FN", "lenient P", "lenient R", "lenient F1"):
        table.add_column(column, justify="right")

    def add(name: str, e: Counts, le: Counts, **style: Any) -> None:
        table.add_row(name, f"{e.precision:.3f}", f"{e.recall:.3f}", f"{e.f1:.3f}",
                      str(e.tp), str(e.fp), str(e.fn),
                      f"{le.precision:.3f}", f"{le.recall:.3f}", f"{le.f1:.3f}", **style)

    for label in ENTITY_LABELS:
        add(label, report.exact[label], report.lenient[label])
    table.add_section()
    add(OVERALL_ROW, report.exact_overall, report.lenient_overall, style="bold")
    return table


def span_error_summary(report: SpanReport, top: int = 20) -> dict[str, dict[str, Counter[str]]]:
    """Most frequent wrong spans per label and kind, counted over documents.

    Returns
    -------
    dict
        ``{label: {kind: Counter(description -> count)}}`` for every label and the kinds
        missed, spurious, boundary and label, each Counter cut to its ``top`` entries.
    """
    kinds: tuple[ErrorKind, ...] = ("missed", "spurious", "boundary", "label")
    summary = {label: {kind: Counter[str]() for kind in kinds} for label in ENTITY_LABELS}
    for e in report.errors:
        summary[e.label][e.kind][e.describe()] += 1
    return {label: {kind: Counter(dict(c.most_common(top))) for kind, c in by_kind.items()}
            for label, by_kind in summary.items()}


def format_span_errors(report: SpanReport, top: int = 20) -> Group:
    """Render the most frequent wrong spans, one table per label (kind, span, count).

    ``boundary`` rows read "gold -> predicted", ``label`` rows "gold as PREDICTED_LABEL".
    """
    parts: list[Text | Table] = []
    for label, by_kind in span_error_summary(report, top).items():
        totals = Counter(e.kind for e in report.errors if e.label == label)
        parts.append(Text(f"{label}: " + ", ".join(f"{totals[k]} {k}" for k in by_kind), style="bold"))
        if not totals:
            continue
        table = Table()
        table.add_column("kind")
        table.add_column("span")
        table.add_column("n", justify="right")
        for kind, counter in by_kind.items():
            for text, n in counter.most_common():
                table.add_row(kind, terminal(text), str(n))  # span text: no markup, no controls
        parts.append(table)
    return Group(*parts)
