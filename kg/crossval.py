"""Cross-validated scores of the extraction pipeline on the bundled dev golds.

The span classifier learns from the same golds it would be scored on, so `kg eval` scores each
dev set by k-fold cross-validation by paper: for each fold a model is fitted on every other
labelled paper (the other folds, the other dev set, the open span corpora) and extracts only the
held-out papers. Every paper is scored once, by a model that never saw it; the folds are a seeded
shuffle of the paper ids (`extractors.training.train.paper_folds`).

The held-out predictions are cached (`cache_dir()`), keyed by the folds, the settings and a hash
of every file that can change them (the code and data of `extractors`, `schema` and `kg`, and the
versions of spaCy, scikit-learn and numpy), so `kg eval --errors` after `kg eval` is instant and
any edit to a rule, a name list or the training data computes them again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib.metadata import version
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
    if not use_model or shipped:
        nlp = build_nlp(use_model=use_model)
        return {name: ev.score([g for _, g in pairs[name]],
                               [e.model_dump() for e in extract([p for p, _ in pairs[name]], nlp)])
                for name in sets}
    keys = {name: _cache_key(name, k, seed, use_open, fit_args) for name in sets}
    preds_of = {name: _read_cache(keys[name]) for name in sets}
    todo = [name for name, preds in preds_of.items() if preds is None]
    if todo:
        heads = learn_heads()
        dev, open_docs = training_docs(heads)
        nlp = build_nlp(use_model=True)  # built once: each fold swaps in its own span classifier (~1 s a build)
        with tempfile.TemporaryDirectory(prefix="kg-cv-") as tmp:
            for name in todo:
                folds = paper_folds([p.id for p, _ in pairs[name]], k, seed)
                preds: list[dict[str, Any]] = []
                for f in range(k):
                    if progress:
                        progress(f"{name}: fold {f + 1}/{k}")
                    train_docs = fold_training_docs(dev, open_docs if use_open else [], name, folds, f)
                    path = Path(tmp) / f"{name}-{f}.json"
                    fit(train_docs, heads=heads, **(fit_args or {})).save(path)
                    nlp.replace_pipe(LEARNED, LEARNED, config={"model_path": str(path)})
                    held_out = [p for p, _ in pairs[name] if folds[p.id] == f]
                    preds.extend(e.model_dump() for e in extract(held_out, nlp))
                preds_of[name] = preds
                _write_cache(keys[name], preds)
    return {name: ev.score([g for _, g in pairs[name]], preds_of[name]) for name in sets}


def cache_dir() -> Path | None:
    """Where held-out predictions are kept: $KG_CACHE_DIR, else $XDG_CACHE_HOME/papers-kg (default
    ~/.cache/papers-kg); KG_CACHE_DIR=off keeps nothing."""
    configured = os.environ.get("KG_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured) / "cv"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "papers-kg" / "cv"


_ROOT = Path(__file__).resolve().parent.parent


def _source_fingerprint() -> str:
    """A hash of every file whose change can change a prediction."""
    h = hashlib.sha256()
    for lib in ("spacy", "scikit-learn", "numpy"):
        h.update(f"{lib}={version(lib)};".encode())
    for package in ("extractors", "schema", "kg"):
        for path in sorted((_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".html", ".js"):
                h.update(str(path.relative_to(_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _cache_key(name: str, k: int, seed: int, use_open: bool, fit_args: dict[str, Any] | None) -> str:
    settings = json.dumps([name, k, seed, use_open, fit_args or {}], sort_keys=True)
    return hashlib.sha256(f"{settings}|{_fingerprint()}".encode()).hexdigest()[:32]


@functools.cache
def _fingerprint() -> str:
    """`_source_fingerprint`, once per process."""
    return _source_fingerprint()


def _read_cache(key: str) -> list[dict[str, Any]] | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, unreadable or half-written: compute again
        return None


def _write_cache(key: str, preds: list[dict[str, Any]]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(preds), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")  # atomic: a concurrent reader sees all or nothing
    except OSError:  # a read-only home: no cache, same answers
        pass
