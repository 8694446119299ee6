"""spaCy-based extraction of methods, datasets, metrics, tasks and results from papers."""

from extractors.pipeline import ModelNotFound, build_nlp, extract

__all__ = ["ModelNotFound", "build_nlp", "extract"]
