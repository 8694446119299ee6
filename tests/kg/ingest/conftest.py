"""Fixtures shared by the ingest tests: the fixture folder and a read-everything helper."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from kg.ingest import ReadSummary, read_papers
from schema.paper import Paper

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"

ReadAll = Callable[..., tuple[list[Paper], ReadSummary]]


@pytest.fixture
def fixtures_dir() -> Path:
    """tests/fixtures/ingest: tiny input files, one per format."""
    return FIXTURES


@pytest.fixture
def read_all() -> ReadAll:
    """Read paths to a list of papers plus the filled-in summary."""

    def read(paths: Iterable[str | Path] | str | Path, fmt: str | None = None) -> tuple[list[Paper], ReadSummary]:
        if isinstance(paths, (str, Path)):
            paths = [paths]
        summary = ReadSummary()
        papers = list(read_papers(paths, fmt=fmt, summary=summary))
        return papers, summary

    return read
