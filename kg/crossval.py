"""Cross-validated scores of the extraction pipeline on the bundled dev golds.

The span classifier learns from the same golds it would be scored on, so `kg eval` scores each
dev set by k-fold cross-validation by paper: for each fold a model is fitted on every other
labelled paper (the other folds, the other dev set, the open span corpora) and extracts only the
held-out papers. Every paper is scored once, by a model that never saw it; the folds are a seeded
shuffle of the paper ids (`extractors.training.train.paper_folds`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractors.pipeline import LEARNED, build_nlp, extract
from extractors.training.train import SEED, Doc_, fit, learn_heads, paper_folds, training_docs
from kg import evaluate as ev

DEV_SETS = ("seed", "arxiv")
SET_TITLES = {"seed": "seed dev set (108 papers)", "arxiv": "arXiv dev set (160 papers, Dec 2025)"}


def fold_training_docs(dev: dict[str, list[Doc_]], open_docs: list[Doc_], name: str, folds: dict[str, int],
                       fold: int) -> list[Doc_]:
    """What the model for `fold` of dev set `name` learns from: every labelled document except
    that fold's papers."""
    return [d for group, ds in dev.items() for d in ds if group != name or folds[d.doc_id] != fold] + open_docs


def cross_validate(k: int = 5, seed: int = SEED, sets: tuple[str, ...] = DEV_SETS, use_model: bool = True,
                   use_open: bool = True, progress: Callable[[str], None] | None = None,
                   fit_args: dict[str, Any] | None = None, shipped: bool = False) -> dict[str, ev.EvalReport]:
    """{set name: EvalReport} of k-fold cross-validated extraction on each dev set.

    With `use_model=False` the rules alone extract every paper (nothing is trained, so no folds);
    `shipped=True` uses the shipped model for every paper (it was trained on them: optimistic)."""
    from extractors.training.train import dev_sets

    pairs = dev_sets()
    reports: dict[str, ev.EvalReport] = {}
    if not use_model or shipped:
        nlp = build_nlp(use_model=use_model)
        for name in sets:
            preds = [e.model_dump() for e in extract([p for p, _ in pairs[name]], nlp)]
            reports[name] = ev.score([g for _, g in pairs[name]], preds)
        return reports
    heads = learn_heads()
    dev, open_docs = training_docs(heads)
    nlp = build_nlp()  # built once: each fold swaps in its own span classifier (building is ~1 s)
    with tempfile.TemporaryDirectory(prefix="kg-cv-") as tmp:
        for name in sets:
            folds = paper_folds([p.id for p, _ in pairs[name]], k, seed)
            preds: list[dict[str, Any]] = []
            for f in range(k):
                if progress:
                    progress(f"{name}: fold {f + 1}/{k}")
                train_docs = fold_training_docs(dev, open_docs if use_open else [], name, folds, f)
                model = fit(train_docs, heads=heads, **(fit_args or {}))
                path = Path(tmp) / f"{name}-{f}.json"
                model.save(path)
                nlp.replace_pipe(LEARNED, LEARNED, config={"model_path": str(path)})
                held_out = [p for p, _ in pairs[name] if folds[p.id] == f]
                preds.extend(e.model_dump() for e in extract(held_out, nlp))
            reports[name] = ev.score([g for _, g in pairs[name]], preds)
    return reports
