"""The span classifier's model file, and whether pipelines use it: no spaCy here, so a process
that only checks the file (the parent of a worker pool) starts its workers without importing spaCy.

The model (`kg train` writes it) is a multinomial logistic regression as plain JSON weights
(`extractors/models/span_classifier.json`, no pickle); `extractors.components.classifier` runs it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "span_classifier.json"
REBUILD_HINT = "kg train"
MODEL_ENV = "KG_SPAN_MODEL"


class ModelError(ValueError):
    """The span classifier's model file is missing or unreadable."""


NO_MODEL_ENV = "KG_NO_MODEL"


def model_enabled() -> bool:
    """Whether pipelines include the learned span classifier: yes unless KG_NO_MODEL is set (the
    CLI's --no-model sets it, so worker processes started later build the same pipeline)."""
    return os.environ.get(NO_MODEL_ENV, "").strip().lower() not in ("1", "true", "yes")


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


class SpanModel:
    """Multinomial logistic regression as plain dicts: feature -> weight per class."""

    def __init__(self, classes: Iterable[str], bias: list[float], weights: dict[str, list[float]],
                 meta: dict[str, Any] | None = None, heads: Iterable[str] = (), singles: Iterable[str] = ()) -> None:
        self.classes = tuple(classes)
        #: head words the candidate generator starts from (learned from annotated names)
        self.heads = sorted(set(heads))
        #: one-word names the generator proposes on their own ("distillation", "perplexity")
        self.singles = sorted(set(singles))
        self.bias = list(bias)
        self.weights = weights
        self.meta = dict(meta or {})
        self._matrix: tuple[dict[str, int], np.ndarray] | None = None

    def scores(self, feats: Iterable[str]) -> list[float]:
        """Per class, the sum of the weights of `feats` (distinct binary features; no bias): one
        dict look-up per feature, the columns summed in C."""
        vecs = [w for w in map(self.weights.get, feats) if w is not None]
        return list(map(sum, zip(*vecs))) if vecs else [0.0] * len(self.classes)

    @property
    def matrix(self) -> tuple[dict[str, int], np.ndarray]:
        """(feature -> row, weights as a float64 matrix with a last all-zero row for unknown
        features), built on first use: a Doc's candidates are scored with one gather and one
        `np.add.reduceat`."""
        if self._matrix is None:
            names = list(self.weights)
            rows = [self.weights[f] for f in names] + [[0.0] * len(self.classes)]
            self._matrix = ({f: i for i, f in enumerate(names)}, np.asarray(rows, dtype=np.float64))
        return self._matrix

    def proba(self, feats: Iterable[str]) -> list[float]:
        """Class probabilities of one feature set (binary features, value 1)."""
        return softmax([b + s for b, s in zip(self.bias, self.scores(list(dict.fromkeys(feats))))])

    def to_json(self) -> dict[str, Any]:
        return {"format": "kg-span-classifier/1", "classes": list(self.classes), "bias": self.bias,
                "meta": self.meta, "heads": self.heads, "singles": self.singles,
                "weights": self.weights}

    def save(self, path: str | Path) -> None:
        """Write the model as compact, key-sorted JSON (byte-identical for identical weights), whole
        or not at all: a pipeline loading it meanwhile (another process) never reads half a file."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | Path) -> SpanModel:
        """Read a model file; a missing or corrupt one is a `ModelError` naming the file and the fix."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            if data.get("format") != "kg-span-classifier/1":
                raise ValueError("not a kg span-classifier model")
            classes = data["classes"]
            weights = {f: list(map(float, w)) for f, w in data["weights"].items()}
            bias = list(map(float, data["bias"]))
            if len(bias) != len(classes) or any(len(w) != len(classes) for w in weights.values()):
                raise ValueError("weights do not match the classes")
        except FileNotFoundError:
            raise ModelError(f"{p}: span classifier model not found; rebuild it with `{REBUILD_HINT}` "
                             "(or run with --no-model)") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"{p}: corrupt span classifier model ({exc}); rebuild it with `{REBUILD_HINT}` "
                             "(or run with --no-model)") from None
        return cls(classes, bias, weights, data.get("meta"), data.get("heads", []),
                   data.get("singles", []))


_MODELS: dict[str, SpanModel] = {}


def load_model(path: str | Path | None = None) -> SpanModel:
    """The span model at `path` (default: $KG_SPAN_MODEL, else the shipped one), loaded once per process."""
    p = str(Path(path or os.environ.get(MODEL_ENV) or DEFAULT_MODEL))
    model = _MODELS.get(p)
    if model is None:
        model = _MODELS[p] = SpanModel.load(p)
    return model
