"""Calibrated entity confidence: a score c should mean "right about c of the time".

The extractor's raw scores are hand-set per source (list match, acronym definition, coined
name, ...). This module turns them into an estimated probability of being right with a small
table of log-odds weights fitted on the dev gold (`bench/calibrate.py --write` rewrites
`patterns/calibration.json`; `kg calibration` prints the reliability table):

- each entity gets a few categorical features (:func:`entity_features`): the source and raw
  score of its best mention (the raw score also says how an unlisted name was typed), its
  label, how often it is mentioned, its role, and whether it is in the title;
- the table holds one weight per feature value, fitted by ridge logistic regression, so a
  rare combination of values still gets a sensible score from its parts, and a rare value
  stays near the overall precision;
- an entity whose source the table never saw keeps its raw score.

Applying the table never changes which entities are extracted, only their `confidence`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schema import Entity, Extraction

if TYPE_CHECKING:  # spaCy loads only where Docs are made (`drop_below` needs none)
    from spacy.tokens import Doc

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_FEATURES",
    "FEATURES",
    "CalibrationModel",
    "entity_evidence",
    "raw_confidence",
    "entity_features",
    "fit_model",
    "load_model",
    "calibrated_confidence",
    "drop_below",
]

DEFAULT_MODEL = Path(__file__).parent / "patterns" / "calibration.json"

_MEMO_SIZE = 65536

#: every feature :func:`entity_features` computes, in no particular order
FEATURES: tuple[str, ...] = ("source", "raw", "label", "mentions", "role", "place")


def entity_evidence(doc: Doc) -> dict[tuple[str, str], tuple[float, str]]:
    """(label, key) -> (raw score, source) of the best-scored span of each entity in `doc`.

    The first span wins ties, as in `extractors.records`, which builds one entity per
    (label, key) from the same span group.
    """
    from extractors.components.entities import SPAN_KEY, kg_columns

    if SPAN_KEY not in doc.spans:
        return {}
    cols = kg_columns(doc)
    return best_evidence(zip([r[2] for r in cols.rows], cols.keys), cols.confidence, cols.source)


def best_evidence(entity_keys: Iterable[tuple[str, str]], confs: Iterable[float],
                  sources: Iterable[str]) -> dict[tuple[str, str], tuple[float, str]]:
    """(label, key) -> (score, source) of the best-scored of parallel span columns, first on ties."""
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for k, conf, source in zip(entity_keys, confs, sources):
        if k not in best or conf > best[k][0]:
            best[k] = (conf, source)
    return best


def raw_confidence(best: float, mentions: int) -> float:
    """The uncalibrated score: the best mention's score, +0.05 when mentioned more than once."""
    return min(0.99, round(best + 0.05, 3)) if mentions > 1 else best


def entity_features(entity: Entity, source: str, best: float) -> dict[str, str]:
    """Categorical features of one extracted entity (all values are short strings).

    Parameters
    ----------
    entity : Entity
        The entity with all its mentions and its role.
    source : str
        Source of its best-scored span ("list0", "acronym", "name", "phrase", ...).
    best : float
        Raw score of that span (which also encodes how an unlisted name was typed: by a
        context word or by default).

    Examples
    --------
    >>> from schema import Entity, Mention
    >>> e = Entity(label="METHOD", name="BERT", key="bert", text="BERT", confidence=0.9,
    ...            mentions=[Mention(field="title", start=0, end=4, text="BERT", sentence=0)])
    >>> entity_features(e, "list0", 0.9)["raw"], entity_features(e, "list0", 0.9)["place"]
    ('0.90', 'title')
    """
    n = len(entity.mentions)
    return {
        "source": source,
        "raw": f"{best:.2f}",
        "label": entity.label,
        "mentions": "3+" if n >= 3 else str(max(n, 1)),
        "role": entity.role,
        "place": "title" if any(m.field == "title" for m in entity.mentions) else "abstract",
    }


@dataclass(frozen=True)
class CalibrationModel:
    """Additive log-odds table: confidence = sigmoid(bias + sum of one weight per feature value).

    Attributes
    ----------
    features : tuple of str
        Feature names used; the first (the source) must have been seen in training for the
        model to apply, otherwise the caller keeps the raw score.
    bias : float
        Log-odds of an entity whose feature values all have weight 0.
    weights : Mapping[str, Mapping[str, float]]
        feature -> value -> log-odds weight; a value not in the table adds 0.
    support : Mapping[str, Mapping[str, int]]
        feature -> value -> number of training entities (to judge how far to trust a weight).
    l2 : float
        Ridge penalty the weights were fitted with.
    """

    features: tuple[str, ...]
    bias: float
    weights: Mapping[str, Mapping[str, float]]
    support: Mapping[str, Mapping[str, int]]
    l2: float = 3.0
    note: str = ""
    #: probability per tuple of feature values (few distinct ones; not part of the model's data)
    _memo: dict[tuple[str | None, ...], float | None] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def probability(self, features: Mapping[str, str]) -> float | None:
        """Calibrated probability of being right, None if the source was never seen."""
        key = tuple(map(features.get, self.features))
        memo = self._memo
        if key in memo:
            return memo[key]
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = p = self._probability(features)
        return p

    def _probability(self, features: Mapping[str, str]) -> float | None:
        anchor = self.features[0]
        if features.get(anchor) not in self.weights.get(anchor, {}):
            return None
        z = self.bias + sum(self.weights[f].get(features.get(f, ""), 0.0) for f in self.features)
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        """Plain data for `patterns/calibration.json` (keys sorted, so diffs stay small)."""
        return {
            "note": self.note,
            "model": "additive log-odds (ridge logistic regression on one-hot features)",
            "features": list(self.features),
            "l2": self.l2,
            "bias": round(self.bias, 4),
            "weights": {f: {v: round(w, 4) for v, w in sorted(self.weights[f].items())} for f in self.features},
            "support": {f: dict(sorted(self.support[f].items())) for f in self.features},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CalibrationModel:
        """Inverse of :meth:`to_json`."""
        features = tuple(data["features"])
        return cls(
            features=features,
            bias=float(data["bias"]),
            weights={f: {v: float(w) for v, w in data["weights"].get(f, {}).items()} for f in features},
            support={f: {v: int(n) for v, n in data.get("support", {}).get(f, {}).items()} for f in features},
            l2=float(data.get("l2", 3.0)),
            note=str(data.get("note", "")),
        )


DEFAULT_FEATURES: tuple[str, ...] = ("source", "raw", "label", "mentions", "role", "place")
DEFAULT_L2 = 3.0


def fit_model(
    samples: Iterable[tuple[Mapping[str, str], bool]],
    features: Sequence[str] = DEFAULT_FEATURES,
    l2: float = DEFAULT_L2,
    note: str = "",
) -> CalibrationModel:
    """Fit the log-odds table by ridge-penalised logistic regression (Newton's method).

    Parameters
    ----------
    samples : iterable of (features, correct)
        Features from :func:`entity_features`; `correct` says whether the entity matches a
        gold entity (required or optional) of the same type in the same paper.
    features : sequence of str
        Which features to use; the first is the one that must be known at run time.
    l2 : float
        Penalty on the weights: larger pulls rare values towards the overall precision.

    Examples
    --------
    >>> m = fit_model([({"source": "name"}, True)] * 3 + [({"source": "name"}, False)], features=["source"])
    >>> round(m.probability({"source": "name"}), 2), m.probability({"source": "list0"})
    (0.75, None)
    """
    import numpy as np

    features = tuple(features)
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown calibration features: {sorted(unknown)}")
    rows = [(tuple(f[name] for name in features), bool(ok)) for f, ok in samples]
    if not rows:
        raise ValueError("no samples to fit the calibration on")
    columns = sorted({(name, row[i]) for row, _ in rows for i, name in enumerate(features)})
    index = {col: j for j, col in enumerate(columns)}
    x = np.zeros((len(rows), len(columns) + 1))
    x[:, -1] = 1.0  # bias column
    for r, (values, _) in enumerate(rows):
        for name, value in zip(features, values):
            x[r, index[(name, value)]] = 1.0
    y = np.array([ok for _, ok in rows], dtype=float)
    penalty = np.full(len(columns) + 1, l2)
    penalty[-1] = 1e-3  # the bias is (almost) free
    w = np.zeros(len(columns) + 1)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    weights: dict[str, dict[str, float]] = {name: {} for name in features}
    support: dict[str, dict[str, int]] = {name: {} for name in features}
    for (name, value), j in index.items():
        weights[name][value] = float(w[j])
        support[name][value] = int(x[:, j].sum())
    return CalibrationModel(features, float(w[-1]), weights, support, l2, note)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> CalibrationModel | None:
    """The packaged model (cached per process); None when the file is absent."""
    file = Path(path) if path else DEFAULT_MODEL
    if not file.exists():
        return None
    return CalibrationModel.from_json(json.loads(file.read_text(encoding="utf-8")))


def calibrated_confidence(entity: Entity, source: str, best: float,
                          model: CalibrationModel | None = None) -> float:
    """Confidence for `entity`: the model's probability that it is right, else its raw score.

    `model` defaults to the packaged one; the result is rounded to 3 decimals.
    """
    model = model if model is not None else load_model()
    raw = raw_confidence(best, len(entity.mentions))
    if model is None:
        return raw
    p = model.probability(entity_features(entity, source, best))
    return raw if p is None else round(min(max(p, 0.0), 1.0), 3)


def drop_below(extraction: Extraction, min_confidence: float) -> Extraction:
    """The extraction without entities under `min_confidence`, and nothing pointing at them.

    A result whose metric entity is dropped goes too; a result whose dataset or method was
    dropped keeps its number and metric but loses that link. A VARIANT_OF relation from a
    dropped entity, or to one of this paper's dropped entities, goes.

    Examples
    --------
    >>> from schema import Entity, Extraction
    >>> ex = Extraction(id="p", title="t", entities=[
    ...     Entity(label="METHOD", name="A", key="a", text="A", confidence=0.9),
    ...     Entity(label="METHOD", name="B", key="b", text="B", confidence=0.4)])
    >>> [e.key for e in drop_below(ex, 0.5).entities]
    ['a']
    """
    if min_confidence <= 0.0:
        return extraction
    kept = [e for e in extraction.entities if e.confidence >= min_confidence]
    if len(kept) == len(extraction.entities):
        return extraction
    dropped = {(e.label, e.key) for e in extraction.entities} - {(e.label, e.key) for e in kept}
    keys = {(e.label, e.key) for e in kept}
    results = []
    for r in extraction.results:
        if ("METRIC", r.metric) not in keys:
            continue
        update = {}
        if r.dataset is not None and ("DATASET", r.dataset) not in keys:
            update["dataset"] = None
        if r.method is not None and ("METHOD", r.method) not in keys:
            update["method"] = None
        results.append(r.model_copy(update=update) if update else r)
    relations = [
        rel for rel in extraction.relations
        if (rel.label, rel.source) in keys and (rel.label, rel.target) not in dropped
    ]
    return extraction.model_copy(update={"entities": kept, "results": results, "relations": relations})
