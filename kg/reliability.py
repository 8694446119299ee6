"""How far entity confidences can be trusted, measured on a gold file.

An extracted entity is *correct* when it matches a gold entity (required or optional) of the
same type in the same paper, with `kg.evaluate`'s rule: some normalised surface form
(:func:`kg.evaluate.normalize_surface` of name, text or aliases) agrees, one-to-one per paper
and type. The reliability table bins entities by confidence and shows the fraction correct in
each bin; the expected calibration error (ECE) is the count-weighted mean gap between a bin's
mean confidence and its fraction correct.

Calibrated scores are measured out of sample: papers are split into folds, the model is
fitted on the other folds and applied to each held-out fold (:func:`cross_validate`).
`bench/calibrate.py` uses the same functions and can rewrite the packaged model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractors.calibration import (DEFAULT_FEATURES, DEFAULT_L2, CalibrationModel, entity_evidence,
                                    entity_features, fit_model, raw_confidence)
from kg.evaluate import entity_outcomes, title_join_key
from schema import Paper

if TYPE_CHECKING:
    from rich.table import Table

    from kg.tables import Layout
    from spacy.language import Language

__all__ = [
    "BIN_EDGES",
    "Sample",
    "ReliabilityBin",
    "entity_outcomes",
    "collect_samples",
    "reliability_table",
    "expected_calibration_error",
    "cross_validate",
    "format_reliability",
    "reliability_layouts",
    "reliability_records",
]

#: lower edges of the reliability bins, highest first; the last bin is "< 0.5"
BIN_EDGES: tuple[float, ...] = (0.9, 0.8, 0.7, 0.6, 0.5)


@dataclass(frozen=True)
class Sample:
    """One extracted entity of a gold paper: its features, scores and whether it is right."""

    paper: str
    name: str
    label: str
    features: Mapping[str, str]
    raw: float
    confidence: float
    correct: bool


def collect_samples(papers: Iterable[Paper], gold: Sequence[Mapping[str, Any]],
                    nlp: Language | None = None) -> list[Sample]:
    """Extract the papers that are in `gold` (joined by id, else title) and label each entity.

    Returns one :class:`Sample` per extracted entity, with the features the calibration model
    is keyed on, the uncalibrated score and the confidence as extracted.
    """
    from extractors import build_nlp  # the one the rest of kg calls (the tests share its pipelines)
    from extractors.lexicon import load_lexicon
    from extractors.pipeline import make_doc
    from extractors.records import doc_to_extraction

    by_id = {g["id"]: g for g in gold}
    by_title = {title_join_key(g.get("title") or ""): g for g in gold}
    by_title.pop("", None)
    joined: list[tuple[Paper, Mapping[str, Any]]] = []
    seen: set[str] = set()
    for paper in papers:
        g = by_id.get(paper.id) or by_title.get(title_join_key(paper.title))
        if g is not None and g["id"] not in seen:
            seen.add(g["id"])
            joined.append((paper, g))
    nlp = nlp or build_nlp()
    efficiency = load_lexicon().cues.get("efficiency_metrics", frozenset())
    docs = (make_doc(nlp, paper) for paper, _ in joined)
    samples: list[Sample] = []
    for (paper, g), doc in zip(joined, nlp.pipe(docs)):
        extraction = doc_to_extraction(doc, paper.id, paper.title, efficiency)
        evidence = entity_evidence(doc)
        for entity, correct in zip(extraction.entities, entity_outcomes(g, extraction)):
            best, source = evidence.get((entity.label, entity.key), (entity.confidence, "unknown"))
            samples.append(Sample(
                paper=g["id"], name=entity.name, label=entity.label,
                features=entity_features(entity, source, best),
                raw=raw_confidence(best, len(entity.mentions)),
                confidence=entity.confidence, correct=correct,
            ))
    return samples


@dataclass(frozen=True)
class ReliabilityBin:
    """Entities whose confidence is in [low, high): how many, how many correct, mean score."""

    name: str
    low: float
    high: float
    count: int
    correct: int
    mean_confidence: float

    @property
    def accuracy(self) -> float:
        """Fraction correct (0.0 for an empty bin)."""
        return self.correct / self.count if self.count else 0.0


def reliability_table(confidences: Sequence[float], outcomes: Sequence[bool],
                      edges: Sequence[float] = BIN_EDGES) -> list[ReliabilityBin]:
    """Bin confidences by `edges` (">=0.9", "0.8-0.9", ..., "<0.5") with counts and accuracy.

    Examples
    --------
    >>> bins = reliability_table([0.95, 0.92, 0.85, 0.3], [True, False, True, False])
    >>> [(b.name, b.count, b.accuracy) for b in bins if b.count]
    [('>=0.9', 2, 0.5), ('0.8-0.9', 1, 1.0), ('<0.5', 1, 0.0)]
    """
    if len(confidences) != len(outcomes):
        raise ValueError("confidences and outcomes differ in length")
    bounds = [(f">={edges[0]:g}", edges[0], float("inf"))]
    bounds += [(f"{lo:g}-{hi:g}", lo, hi) for hi, lo in zip(edges, edges[1:])]
    bounds.append((f"<{edges[-1]:g}", float("-inf"), edges[-1]))
    bins = []
    for name, lo, hi in bounds:
        inside = [(c, o) for c, o in zip(confidences, outcomes) if lo <= c < hi]
        mean = sum(c for c, _ in inside) / len(inside) if inside else 0.0
        bins.append(ReliabilityBin(name, max(lo, 0.0), min(hi, 1.0), len(inside),
                                   sum(1 for _, o in inside if o), mean))
    return bins


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """Count-weighted mean of |mean confidence - fraction correct| over the bins.

    Examples
    --------
    >>> round(expected_calibration_error(reliability_table([0.95, 0.92, 0.85, 0.3], [True, False, True, False])), 4)
    0.33
    """
    total = sum(b.count for b in bins)
    if not total:
        return 0.0
    return sum(b.count * abs(b.mean_confidence - b.accuracy) for b in bins) / total


def cross_validate(samples: Sequence[Sample], folds: int = 5,
                   features: Sequence[str] = DEFAULT_FEATURES, l2: float = DEFAULT_L2) -> list[float]:
    """Out-of-fold calibrated confidence of each sample (papers, not entities, are split).

    Papers go round-robin into `folds` folds in sorted-id order; each fold is scored with a
    model fitted on the others, and an unseen source keeps the raw score, as at run time.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    papers = sorted({s.paper for s in samples})
    fold_of = {p: i % folds for i, p in enumerate(papers)}
    out = [0.0] * len(samples)
    for k in range(folds):
        model = fit_model(((s.features, s.correct) for s in samples if fold_of[s.paper] != k),
                          features=features, l2=l2)
        for i, s in enumerate(samples):
            if fold_of[s.paper] == k:
                out[i] = _apply(model, s)
    return out


def _apply(model: CalibrationModel, sample: Sample) -> float:
    p = model.probability(sample.features)
    return sample.raw if p is None else round(p, 3)


#: the columns of `reliability_records` (`kg calibration --format json|csv`)
RECORD_COLUMNS = ["scoring", "confidence", "n", "mean_confidence", "fraction_correct", "ece"]


def reliability_records(columns: Mapping[str, tuple[Sequence[float], Sequence[bool]]]) -> list[list[Any]]:
    """One row per (scoring, confidence bin), as `RECORD_COLUMNS`: the bin's count, mean confidence
    and fraction correct (None for an empty bin, rounded to 3 places as the table shows them),
    and the scoring's expected calibration error.

    `columns` maps a heading ("raw", "5-fold CV") to confidences and outcomes.
    """
    rows: list[list[Any]] = []
    for name, (conf, ok) in columns.items():
        bins = reliability_table(conf, ok)
        ece = round(expected_calibration_error(bins), 3)
        for b in bins:
            rows.append([name, b.name, b.count, round(b.mean_confidence, 3) if b.count else None,
                         round(b.accuracy, 3) if b.count else None, ece])
    return rows


def reliability_layouts(records: Sequence[Sequence[Any]]) -> list[Layout]:
    """The reliability table, widest first (`kg.tables.print_layouts` picks the one that fits):
    one row per bin with an (n, conf, right) group per scoring, named on one line, then with its
    name word by word; then one section per scoring."""
    from kg.tables import SECTION, Col

    def num(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    scorings = list(dict.fromkeys(r[0] for r in records))
    bins = list(dict.fromkeys(r[1] for r in records))
    by_key = {(r[0], r[1]): r for r in records}
    ece = {r[0]: r[5] for r in records}
    wide_rows: list[list[str] | None] = []
    for b in bins:
        row = [b]
        for s in scorings:
            r = by_key[(s, b)]
            row += [str(r[2]), num(r[3]), num(r[4])]
        wide_rows.append(row)
    wide_rows.append(SECTION)
    wide_rows.append(["ECE", *[cell for s in scorings for cell in ("", "", num(ece[s]))]])

    def wide_cols(split: bool) -> list[Col]:
        """A column group per scoring, its name above the count (word by word when `split`)."""
        names = {s: s.split() if split else [s] for s in scorings}
        lines = max((len(words) for words in names.values()), default=1)
        cols = [Col("confidence")]
        for s, words in names.items():
            head = "\n" * (lines - len(words)) + "\n".join(words)
            cols += [Col(f"{head}\nn", numeric=True), Col("\n" * lines + "conf", numeric=True),
                     Col("\n" * lines + "right", numeric=True)]
        return cols

    long_cols = [Col("scoring", min_width=10), Col("confidence"), Col("n", numeric=True),
                 Col("conf", numeric=True), Col("right", numeric=True)]
    long_rows: list[list[str] | None] = []
    for s in scorings:
        if long_rows:
            long_rows.append(SECTION)
        for i, b in enumerate(bins):
            r = by_key[(s, b)]
            long_rows.append([s if i == 0 else "", b, str(r[2]), num(r[3]), num(r[4])])
        long_rows.append(["", "ECE", "", "", num(ece[s])])
    return [(wide_cols(False), wide_rows), (wide_cols(True), wide_rows), (long_cols, long_rows)]


#: the reliability table's title
TITLE = "Entity confidence reliability (n, mean confidence, fraction correct)"


def format_reliability(columns: Mapping[str, tuple[Sequence[float], Sequence[bool]]]) -> Table:
    """The wide reliability table (one (count, mean confidence, fraction correct) group per
    scoring, the expected calibration error in the last row) as a rich Table; `kg calibration`
    prints `reliability_layouts` instead, which has a narrow form too.

    `columns` maps a heading ("raw", "calibrated (5-fold CV)") to confidences and outcomes.
    """
    from kg.tables import make_table

    cols, rows = reliability_layouts(reliability_records(columns))[0]
    return make_table(cols, rows, title=TITLE)
