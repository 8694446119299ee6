"""spaCy-based extraction of methods, datasets, metrics, tasks and results from papers.

`build_nlp`, `extract` and `ModelNotFound` load on first use: importing a light module of this
package (`extractors.normalize`, `extractors.lexicon`) does not import spaCy, so a `kg` process
that only hands papers to worker processes starts them sooner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extractors.pipeline import ModelNotFound, build_nlp, extract

__all__ = ["ModelNotFound", "build_nlp", "extract"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from extractors import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'extractors' has no attribute {name!r}")
