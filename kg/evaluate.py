"""Score extractions against the hand-annotated dev gold (kg/data/dev_gold.jsonl).

The gold follows kg/data/GOLD_GUIDELINE.md: per paper, the *set* of methods, datasets,
metrics and tasks the title/abstract mentions, each marked required or optional, plus an
optional list of reported results. Scoring is at document level, per entity type:

- gold and predictions are joined by paper id, else by normalised title (predictions made
  from the bundled txt corpus have title-hash ids, the gold has ``seed-NNN`` ids);
- a predicted entity matches a gold entity when any of their surface forms agree after
  :func:`normalize_surface`; matching is one-to-one;
- TP = predictions matched to required gold, FN = required gold left unmatched,
  FP = predictions left unmatched; predictions matched to optional gold count for nothing.

A separate PROPOSES row scores roles: whether the entities predicted with role ``proposed``
are the ones the gold marks ``"proposed": true`` (what the paper itself introduces); see
:func:`score`.

Everything here is a pure function over plain records, so ``kg eval`` only loads files,
calls :func:`score` and prints :func:`format_report` (and, for ``--errors``, the names most
often missed or spurious per type: :func:`error_summary`, :func:`format_errors`). Span-level
scoring of ``{"text", "entities"}`` files is in :mod:`kg.span_eval`.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Group
from rich.table import Table
from rich.text import Text

from extractors.normalize import singularize
from kg.textsafe import terminal
from schema.extraction import ENTITY_LABELS, Extraction

__all__ = [
    "GOLD_FIELDS",
    "PROPOSES_ROW",
    "EvalInputError",
    "Counts",
    "PaperErrors",
    "EvalReport",
    "normalize_surface",
    "parse_number",
    "load_gold",
    "load_predictions",
    "score",
    "format_report",
    "error_summary",
    "format_errors",
]

#: entity label -> the gold record's list field
GOLD_FIELDS: dict[str, str] = {
    "METHOD": "methods",
    "DATASET": "datasets",
    "METRIC": "metrics",
    "TASK": "tasks",
}

RESULT_ROW = "RESULT"
OVERALL_ROW = "ALL"
#: row (and error label) of the role score: predicted "proposed" vs gold proposed=true
PROPOSES_ROW = "PROPOSES"
#: the predicted role that the PROPOSES row scores (the graph's PROPOSES edge)
PROPOSED_ROLE = "proposed"

# ---------------------------------------------------------------------------------------
# Surface normalisation
# ---------------------------------------------------------------------------------------

_DASHES = re.compile(r"[\s\-_\u2010\u2011\u2012\u2013\u2014\u2015\u2212]+")
_SLASH = re.compile(r"\s*/\s*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
_EDGE_CHARS = " \t\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb.,;:!?"
_BRACKETS = {"(": ")", "[": "]", "{": "}"}

def _strip_edges(s: str) -> str:
    """Strip quotes/punctuation around a form, and brackets that wrap it or are unbalanced."""
    while True:
        before = s
        s = s.strip(_EDGE_CHARS)
        if len(s) >= 2 and s[0] in _BRACKETS and s[-1] == _BRACKETS[s[0]]:
            s = s[1:-1]
        for opener, closer in _BRACKETS.items():
            if s.startswith(opener) and s.count(opener) > s.count(closer):
                s = s[1:]
            if s.endswith(closer) and s.count(closer) > s.count(opener):
                s = s[:-1]
        if s == before:
            return s


def normalize_surface(s: str) -> str:
    """Map a surface form to the string used for matching gold and predicted entities.

    Casefolds, treats hyphens/dashes/underscores as spaces, strips surrounding quotes,
    punctuation and wrapping brackets, drops a possessive "'s" and singularises the last
    word, so that spelling variants of one name compare equal. Digits and symbols such as
    ``@ . / +`` are kept, so numbered variants stay distinct.

    Parameters
    ----------
    s : str
        A name, alias or mention text.

    Returns
    -------
    str
        The normalised form ("" for a blank input).

    Examples
    --------
    >>> normalize_surface("MS-MARCO") == normalize_surface("MS MARCO")
    True
    >>> normalize_surface("Cross-Encoders")
    'cross encoder'
    >>> normalize_surface("queries"), normalize_surface("GANs"), normalize_surface("DARTS")
    ('query', 'gan', 'darts')
    >>> normalize_surface("nDCG@10"), normalize_surface("CIFAR-100")
    ('ndcg@10', 'cifar 100')
    """
    s = unicodedata.normalize("NFKC", s)
    s = _strip_edges(s)
    s = _POSSESSIVE.sub("", s)
    s = _DASHES.sub(" ", s).strip()
    s = _SLASH.sub("/", s)
    if not s:
        return ""
    words = s.split(" ")
    words[-1] = singularize(words[-1])
    return " ".join(words).casefold()


def title_join_key(title: str) -> str:
    """Key for joining papers by title: casefolded words, all punctuation ignored."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.findall(r"\w+", text))


# ---------------------------------------------------------------------------------------
# Numbers in result values
# ---------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+\u2212]?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)")


def parse_number(text: str) -> float | None:
    """Return the first number in a gold value string such as "92.9%" or "+1.9 points".

    Parameters
    ----------
    text : str
        Free-text value from the gold ("up to x1500", "1.05x-1.28x", "~33.5% higher").

    Returns
    -------
    float or None
        The first number (sign kept, thousands separators removed), None if there is none.

    Examples
    --------
    >>> parse_number("+1.9 points over state of the art"), parse_number("1,500 FPS")
    (1.9, 1500.0)
    >>> parse_number("no number") is None
    True
    """
    m = _NUMBER.search(text)
    if m is None:
        return None
    return float(m.group().replace(",", "").replace("\u2212", "-"))


def _values_agree(pred: float, gold: float) -> bool:
    """Equal within 1e-6 relative; a gold "+1.9" also accepts an unsigned 1.9 (and back)."""
    return math.isclose(pred, gold, rel_tol=1e-6) or math.isclose(
        abs(pred), abs(gold), rel_tol=1e-6
    )


# ---------------------------------------------------------------------------------------
# Input: gold and predictions
# ---------------------------------------------------------------------------------------


class EvalInputError(ValueError):
    """A gold or prediction file that cannot be scored; the message is "file:line: reason"."""


class _GoldEntity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    required: bool = True
    #: the paper itself introduces this entity (GOLD_GUIDELINE "PROPOSED"); scored by the PROPOSES row
    proposed: bool = False


class _GoldResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(min_length=1)
    value: str | float
    dataset: str | None = None
    method: str | None = None


class _GoldPaper(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    title: str = ""
    methods: list[_GoldEntity] = Field(default_factory=list)
    datasets: list[_GoldEntity] = Field(default_factory=list)
    metrics: list[_GoldEntity] = Field(default_factory=list)
    tasks: list[_GoldEntity] = Field(default_factory=list)
    results: list[_GoldResult] = Field(default_factory=list)


def _validation_reason(err: ValidationError) -> str:
    """First pydantic error as one short phrase, e.g. "methods.0.name: Field required"."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")  # our own validators' messages say it all
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {msg}{more}" if where else f"{msg}{more}"


def _read_jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    """Yield (line number, parsed JSON) for non-blank lines, errors as EvalInputError."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with handle:
        try:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalInputError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
        except UnicodeDecodeError:
            raise EvalInputError(f"{path}: not UTF-8 text") from None


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a gold JSONL file (one paper per line).

    Parameters
    ----------
    path : str or Path
        File in the format of kg/data/dev_gold.jsonl.

    Returns
    -------
    list of dict
        One dict per paper with every list field present and entity defaults filled in
        (``aliases=[]``, ``required=True``, ``proposed=False``).

    Raises
    ------
    EvalInputError
        On the first malformed line, with the message "file:line: reason"; a duplicate
        paper id is an error too (it would silently change the scores).
    """
    path = Path(path)
    papers: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, obj in _read_jsonl(path):
        if not isinstance(obj, dict):
            kind = type(obj).__name__
            raise EvalInputError(f"{path}:{lineno}: expected a JSON object, got {kind}")
        try:
            paper = _GoldPaper.model_validate(obj)
        except ValidationError as exc:
            raise EvalInputError(f"{path}:{lineno}: {_validation_reason(exc)}") from None
        if paper.id in seen:
            raise EvalInputError(
                f"{path}:{lineno}: duplicate paper id {paper.id!r} (first on line {seen[paper.id]})"
            )
        seen[paper.id] = lineno
        papers.append(paper.model_dump())
    return papers


def load_predictions(path: str | Path) -> list[Extraction]:
    """Read an extraction JSONL file (the ``kg extract`` output) for scoring.

    Raises
    ------
    EvalInputError
        On the first malformed line, with the message "file:line: reason".
    """
    path = Path(path)
    out: list[Extraction] = []
    for lineno, obj in _read_jsonl(path):
        try:
            out.append(Extraction.model_validate(obj))
        except ValidationError as exc:
            raise EvalInputError(f"{path}:{lineno}: {_validation_reason(exc)}") from None
    return out


# ---------------------------------------------------------------------------------------
# Report records
# ---------------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass
class Counts:
    """True/false positives and misses of one row, with micro P/R/F1 (0.0 when undefined)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class PaperErrors:
    """What went wrong in one paper for one row type, for debugging the extractor."""

    paper_id: str
    label: str
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"paper_id": self.paper_id, "label": self.label,
                "missed": list(self.missed), "spurious": list(self.spurious)}


@dataclass
class EvalReport:
    """Scores per entity type, overall (entities only) and for results, plus error lists.

    ``missing_papers`` are gold papers without any prediction; ``unjoined_predictions``
    counts predictions for papers not in the gold (ignored); ``duplicate_predictions``
    counts later predictions for an already-joined gold paper (ignored).
    """

    by_type: dict[str, Counts]
    overall: Counts
    results: Counts
    errors: list[PaperErrors]
    gold_papers: int
    joined_by_id: int = 0
    joined_by_title: int = 0
    missing_papers: list[str] = field(default_factory=list)
    unjoined_predictions: int = 0
    duplicate_predictions: int = 0
    #: role score: entities predicted as proposed vs gold entities marked proposed
    proposes: Counts = field(default_factory=Counts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for ``kg eval --format json``)."""
        return {
            "by_type": {label: c.to_dict() for label, c in self.by_type.items()},
            "overall": self.overall.to_dict(),
            "results": self.results.to_dict(),
            "proposes": self.proposes.to_dict(),
            "papers": {
                "gold": self.gold_papers,
                "joined_by_id": self.joined_by_id,
                "joined_by_title": self.joined_by_title,
                "missing": list(self.missing_papers),
                "unjoined_predictions": self.unjoined_predictions,
                "duplicate_predictions": self.duplicate_predictions,
            },
            "errors": [e.to_dict() for e in self.errors],
        }


# ---------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """Something to match: a display name and its normalised forms."""

    name: str
    forms: frozenset[str]
    required: bool = True
    value: float | None = None
    proposed: bool = False


def _forms(*strings: str | None, more: Iterable[str] = ()) -> frozenset[str]:
    return frozenset(
        f for f in (normalize_surface(s) for s in (*strings, *more) if s) if f
    )


def match_pairs(
    gold: Sequence[_Item], pred: Sequence[_Item], compatible: Callable[[_Item, _Item], bool]
) -> tuple[set[int], set[int]]:
    """Indices of matched gold and matched predictions under a one-to-one maximum matching that
    prefers required gold (so a plain greedy pass cannot lose a true positive)."""
    graph = nx.Graph()
    big = len(gold) + len(pred) + 1
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if compatible(g, p):
                graph.add_edge(("g", gi), ("p", pi), weight=big if g.required else 1)
    matching = nx.max_weight_matching(graph) if graph.number_of_edges() else set()
    matched_gold: set[int] = set()
    matched_pred: set[int] = set()
    for a, b in matching:
        (_, gi), (_, pi) = sorted((a, b))  # ("g", i) sorts before ("p", j)
        matched_gold.add(gi)
        matched_pred.add(pi)
    return matched_gold, matched_pred


def entity_outcomes(gold_paper: Mapping[str, Any], extraction: Extraction | Mapping[str, Any]) -> list[bool]:
    """Whether each predicted entity (in order) matches a gold entity (required or optional) of its
    paper and type, under the same one-to-one matching as `score`."""
    pred = _as_mapping(extraction)
    entities = pred.get("entities") or []
    outcomes = [False] * len(entities)
    for label in ENTITY_LABELS:
        indices = [i for i, e in enumerate(entities) if e.get("label") == label]
        _, matched = match_pairs(_gold_entities(gold_paper, label), _pred_entities(pred, label), _same_entity)
        for j in matched:
            outcomes[indices[j]] = True
    return outcomes


def _match(
    gold: Sequence[_Item],
    pred: Sequence[_Item],
    compatible: Callable[[_Item, _Item], bool],
) -> tuple[Counts, list[str], list[str]]:
    """One-to-one matching of predictions to gold; returns counts, missed and spurious names.

    Maximises matches to required gold first, then (as a tie-break) matches to optional
    gold, with a maximum-weight bipartite matching: a plain greedy pass can lose a true
    positive when one prediction is compatible with two gold entries.
    """
    matched_gold, matched_pred = match_pairs(gold, pred, compatible)
    counts = Counts(
        tp=sum(1 for gi in matched_gold if gold[gi].required),
        fn=sum(1 for gi, g in enumerate(gold) if g.required and gi not in matched_gold),
        fp=len(pred) - len(matched_pred),
    )
    missed = [g.name for gi, g in enumerate(gold) if g.required and gi not in matched_gold]
    spurious = [p.name for pi, p in enumerate(pred) if pi not in matched_pred]
    return counts, missed, spurious


def _same_entity(g: _Item, p: _Item) -> bool:
    return not g.forms.isdisjoint(p.forms)


def _same_result(g: _Item, p: _Item) -> bool:
    return (
        g.value is not None
        and p.value is not None
        and not g.forms.isdisjoint(p.forms)
        and _values_agree(p.value, g.value)
    )


def _gold_entities(paper: Mapping[str, Any], label: str) -> list[_Item]:
    return [
        _Item(e["name"], _forms(e["name"], more=e.get("aliases") or ()),
              bool(e.get("required", True)), proposed=bool(e.get("proposed", False)))
        for e in paper.get(GOLD_FIELDS[label]) or ()
    ]


def _pred_entities(pred: Mapping[str, Any], label: str, role: str | None = None) -> list[_Item]:
    """Predicted entities of one type (only those with `role`, when given)."""
    return [
        _Item(e.get("name") or e.get("text") or "",
              _forms(e.get("name"), e.get("text"), more=e.get("aliases") or ()))
        for e in pred.get("entities") or ()
        if e.get("label") == label and (role is None or e.get("role", "mentioned") == role)
    ]


def _match_proposes(gold_paper: Mapping[str, Any], pred: Mapping[str, Any]) -> tuple[Counts, list[str], list[str]]:
    """PROPOSES counts of one paper, over all entity types, with missed and spurious names.

    Predictions with role ``proposed`` are matched one-to-one to the paper's gold entities of
    their type (`match_pairs`, `_same_entity`), preferring gold marked proposed. Matched to
    required proposed gold: TP. Matched to optional proposed gold: nothing (as for entities).
    Matched to gold the paper does not introduce (required or optional), or to no gold: FP, since
    a wrong PROPOSES edge is what this row exists to catch. Required proposed gold without such a
    match: FN, also when the entity itself was found with another role.
    """
    counts = Counts()
    missed: list[str] = []
    spurious: list[str] = []
    for label in ENTITY_LABELS:
        gold = _gold_entities(gold_paper, label)
        pred_items = _pred_entities(pred, label, PROPOSED_ROLE)
        if not pred_items and not any(g.proposed for g in gold):
            continue
        # match_pairs prefers gold whose `required` is set: here, gold the paper proposes
        prefer = [_Item(g.name, g.forms, g.proposed) for g in gold]
        matched_gold, matched_pred = match_pairs(prefer, pred_items, _same_entity)
        for gi, g in enumerate(gold):
            if g.proposed and g.required:
                if gi in matched_gold:
                    counts.tp += 1
                else:
                    counts.fn += 1
                    missed.append(g.name)
            elif not g.proposed and gi in matched_gold:
                counts.fp += 1
                spurious.append(g.name)
        for pi, p in enumerate(pred_items):
            if pi not in matched_pred:
                counts.fp += 1
                spurious.append(p.name)
    return counts, missed, spurious


def _gold_results(paper: Mapping[str, Any]) -> list[_Item]:
    """Gold results; the metric's forms include the aliases of the gold metric entity."""
    metric_forms = [_forms(m["name"], more=m.get("aliases") or ())
                    for m in paper.get("metrics") or ()]
    items = []
    for r in paper.get("results") or ():
        forms = _forms(r["metric"])
        for mf in metric_forms:
            if not forms.isdisjoint(mf):
                forms |= mf
        raw = r["value"]
        value = float(raw) if isinstance(raw, (int, float)) else parse_number(str(raw))
        items.append(_Item(f"{r['metric']}={r['value']}", forms, True, value))
    return items


def _pred_results(pred: Mapping[str, Any]) -> list[_Item]:
    """Predicted results; `metric` is an entity key, so the metric entity's forms count too."""
    by_key: dict[str, frozenset[str]] = {}
    for e in pred.get("entities") or ():
        if e.get("label") == "METRIC" and e.get("key"):
            forms = _forms(e.get("name"), e.get("text"), more=e.get("aliases") or ())
            by_key[e["key"]] = by_key.get(e["key"], frozenset()) | forms
    items = []
    for r in pred.get("results") or ():
        metric = str(r.get("metric") or "")
        forms = _forms(metric) | by_key.get(metric, frozenset())
        value = r.get("value")
        value = float(value) if isinstance(value, (int, float)) else parse_number(str(value or ""))
        items.append(_Item(f"{metric}={r.get('value')}", forms, True, value))
    return items


def _as_mapping(pred: Extraction | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(pred, Extraction):
        return pred.model_dump()
    if isinstance(pred, Mapping):
        return pred
    raise TypeError(f"prediction must be an Extraction or a dict, got {type(pred).__name__}")


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def score(
    gold: Iterable[Mapping[str, Any]],
    pred: Iterable[Extraction | Mapping[str, Any]],
) -> EvalReport:
    """Score predicted extractions against gold papers at document level.

    Parameters
    ----------
    gold : iterable of dict
        Gold papers as returned by :func:`load_gold`.
    pred : iterable of Extraction or dict
        Predictions (the extraction contract). They are joined to gold by ``id``, else by
        normalised ``title``; predictions for papers not in the gold are ignored, and a
        gold paper without a prediction counts all its required entities as missed.

    Returns
    -------
    EvalReport
        Micro P/R/F1 per entity type, overall over all four types, for results
        (matched on metric form plus numeric value) and for PROPOSES (``report.proposes``:
        entities predicted with role ``proposed`` against gold marked ``proposed``, see
        :func:`_match_proposes`), with per-paper error lists (PROPOSES ones labelled
        ``"PROPOSES"``).

    Notes
    -----
    Within a paper and type, a predicted entity's forms are its name, text and aliases, a
    gold entity's are its name and aliases; they match when any normalised forms are
    equal. Each gold entity and each prediction is used at most once, so two predictions
    of one gold entity give one TP and one FP. Predictions matched to optional gold are
    neither TP nor FP.

    Examples
    --------
    >>> gold = [{"id": "p1", "title": "T", "methods": [
    ...     {"name": "BERT", "aliases": [], "required": True},
    ...     {"name": "encoder", "aliases": [], "required": False}]}]
    >>> pred = [{"id": "p1", "title": "T", "entities": [
    ...     {"label": "METHOD", "name": "BERT", "text": "BERT"},
    ...     {"label": "METHOD", "name": "encoders", "text": "encoders"},
    ...     {"label": "METHOD", "name": "LSTM", "text": "LSTM"}]}]
    >>> score(gold, pred).by_type["METHOD"]
    Counts(tp=1, fp=1, fn=0)
    """
    gold_papers = list(gold)
    by_id = {g["id"]: i for i, g in enumerate(gold_papers)}
    by_title: dict[str, int] = {}
    for i, g in enumerate(gold_papers):
        by_title.setdefault(title_join_key(g.get("title") or ""), i)
    by_title.pop("", None)

    joined: dict[int, Mapping[str, Any]] = {}
    report = EvalReport(
        by_type={label: Counts() for label in ENTITY_LABELS},
        overall=Counts(), results=Counts(), errors=[], gold_papers=len(gold_papers),
    )
    for raw in pred:
        p = _as_mapping(raw)
        idx = by_id.get(str(p.get("id", "")))
        via_title = idx is None
        if via_title:
            idx = by_title.get(title_join_key(str(p.get("title") or "")))
        if idx is None:
            report.unjoined_predictions += 1
        elif idx in joined:
            report.duplicate_predictions += 1
        else:
            joined[idx] = p
            if via_title:
                report.joined_by_title += 1
            else:
                report.joined_by_id += 1

    empty: Mapping[str, Any] = {}
    for i, g in enumerate(gold_papers):
        p = joined.get(i)
        if p is None:
            report.missing_papers.append(g["id"])
            p = empty
        rows = [
            (label, _gold_entities(g, label), _pred_entities(p, label), _same_entity,
             report.by_type[label])
            for label in ENTITY_LABELS
        ]
        rows.append((RESULT_ROW, _gold_results(g), _pred_results(p), _same_result, report.results))
        for label, gold_items, pred_items, compatible, total in rows:
            counts, missed, spurious = _match(gold_items, pred_items, compatible)
            total.add(counts)
            if missed or spurious:
                report.errors.append(PaperErrors(g["id"], label, missed, spurious))
        counts, missed, spurious = _match_proposes(g, p)
        report.proposes.add(counts)
        if missed or spurious:
            report.errors.append(PaperErrors(g["id"], PROPOSES_ROW, missed, spurious))
    for label in ENTITY_LABELS:
        report.overall.add(report.by_type[label])
    return report


def format_report(report: EvalReport) -> Table:
    """Render the scores as a rich table: one row per entity type, overall, results, PROPOSES.

    Parameters
    ----------
    report : EvalReport
        Output of :func:`score`.

    Returns
    -------
    rich.table.Table
        Columns type, P, R, F1, TP, FP, FN.
    """
    table = Table(title=f"Gold evaluation ({report.gold_papers} papers, "
                        f"{len(report.missing_papers)} without prediction)")
    table.add_column("type")
    for column in ("P", "R", "F1", "TP", "FP", "FN"):
        table.add_column(column, justify="right")

    def add(name: str, c: Counts, **style: Any) -> None:
        table.add_row(name, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}",
                      str(c.tp), str(c.fp), str(c.fn), **style)

    for label in ENTITY_LABELS:
        add(label, report.by_type[label])
    table.add_section()
    add(OVERALL_ROW, report.overall, style="bold")
    table.add_section()
    add(RESULT_ROW, report.results)
    add(PROPOSES_ROW, report.proposes)
    return table


# ---------------------------------------------------------------------------------------
# Error lists
# ---------------------------------------------------------------------------------------


def _error_labels(label: str | None) -> tuple[str, ...]:
    """The rows an error summary covers: all entity types, or the one asked for."""
    if label is None:
        return ENTITY_LABELS
    wanted = label.upper()
    known = (*ENTITY_LABELS, RESULT_ROW, PROPOSES_ROW)
    if wanted not in known:
        raise ValueError(f"unknown type {label!r}: expected one of {', '.join(known)}")
    return (wanted,)


def _tally(names: Iterable[str]) -> Counter[str]:
    """Count names by normalised form, each shown as its most frequent spelling."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for name in names:
        key = normalize_surface(name) or name
        counts[key] += 1
        spellings.setdefault(key, Counter())[name] += 1
    return Counter({spellings[key].most_common(1)[0][0]: n for key, n in counts.items()})


def error_summary(
    report: EvalReport, label: str | None = None, top: int = 30
) -> dict[str, dict[str, Counter[str]]]:
    """The most frequent missed and spurious names per type, across papers.

    A per-paper error list shows what one paper got wrong; this shows what the extractor
    gets wrong *often* (a name missed in 7 papers counts 7), which is where a rule or a
    list entry pays off most.

    Parameters
    ----------
    report : EvalReport
        Output of :func:`score`.
    label : str, optional
        One type (METHOD, DATASET, METRIC, TASK, RESULT or PROPOSES; any case); default all
        four entity types.
    top : int
        How many names to keep per type and kind.

    Returns
    -------
    dict
        ``{label: {"missed": Counter, "spurious": Counter}}`` in type order, every asked-for
        type present. Names are counted by :func:`normalize_surface` form ("GANs" and
        "GAN" together) and shown in their most frequent spelling.

    Raises
    ------
    ValueError
        For an unknown ``label``.

    Examples
    --------
    >>> report = score([{"id": "p1", "methods": [{"name": "BERT"}]},
    ...                 {"id": "p2", "methods": [{"name": "BERT"}]}], [])
    >>> error_summary(report, "method")["METHOD"]["missed"]
    Counter({'BERT': 2})
    """
    labels = _error_labels(label)
    missed: dict[str, list[str]] = {lab: [] for lab in labels}
    spurious: dict[str, list[str]] = {lab: [] for lab in labels}
    for e in report.errors:
        if e.label in missed:
            missed[e.label].extend(e.missed)
            spurious[e.label].extend(e.spurious)
    return {
        lab: {"missed": Counter(dict(_tally(missed[lab]).most_common(top))),
              "spurious": Counter(dict(_tally(spurious[lab]).most_common(top)))}
        for lab in labels
    }


def format_errors(report: EvalReport, label: str | None = None, top: int = 30) -> Group:
    """Render :func:`error_summary` as one rich table per type: missed and spurious side by side.

    Each table follows a heading with the type's total missed and spurious counts (over all
    names, not only the ``top`` shown); a type without errors gets the heading only.
    Raises ValueError for an unknown ``label``.
    """
    summary = error_summary(report, label, top)
    parts: list[Text | Table] = []
    for lab, kinds in summary.items():
        total_missed = sum(len(e.missed) for e in report.errors if e.label == lab)
        total_spurious = sum(len(e.spurious) for e in report.errors if e.label == lab)
        parts.append(Text(f"{lab}: {total_missed} missed, {total_spurious} spurious", style="bold"))
        if not total_missed and not total_spurious:
            continue
        table = Table()
        table.add_column("missed")
        table.add_column("n", justify="right")
        table.add_column("spurious")
        table.add_column("n", justify="right")
        missed = kinds["missed"].most_common()
        spurious = kinds["spurious"].most_common()
        for i in range(max(len(missed), len(spurious))):
            m = missed[i] if i < len(missed) else ("", "")
            s = spurious[i] if i < len(spurious) else ("", "")
            table.add_row(terminal(m[0]), str(m[1]), terminal(s[0]), str(s[1]))  # names: no markup, no controls
        parts.append(table)
    return Group(*parts)
