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


def _check_fixture_papers(papers: list[Paper], source: str) -> tuple[Paper, Paper, Paper]:
    """The three papers every structured fixture (jsonl, json, csv, tsv) holds, field by field."""
    from kg.ingest.records import hash_id

    assert [p.id for p in papers] == [
        "fixture-1",
        "10.0000/fixture.2",
        hash_id("Multi-View Document Representation Learning for Open-Domain Dense Retrieval"),
    ]
    first, second, third = papers
    assert (first.year, first.authors, first.venue, first.url) == (
        2020, ("Ann Author", "Bo Writer"), "Test Venue", "https://example.org/1"
    )
    assert (second.year, second.authors) == (2024, ("Cai Coder", "Dana Dev", "Eve Günther"))
    assert (third.year, third.authors, third.venue) == (None, (), None)
    assert {p.source for p in papers} == {source}
    return first, second, third


@pytest.fixture
def check_fixture_papers() -> Callable[[list[Paper], str], tuple[Paper, Paper, Paper]]:
    """Assert the shared content of the structured fixtures; returns the three papers."""
    return _check_fixture_papers
