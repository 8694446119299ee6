"""Filters and --limit: category and year selection, counted apart from issues; reading stops at the limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.ingest import IngestError, ReadSummary, read_papers
from kg.ingest import base as base_module
from kg.ingest.filters import PaperFilter, category_patterns
from schema.paper import Paper

ARXIV_IDS = ["arXiv:2106.01234", "arXiv:hep-th/9901001", "arXiv:0801.0002", "arXiv:1501.00003", "arXiv:2301.00004"]


def _read(paths: list[Path], fmt: str | None, filters: PaperFilter) -> tuple[list[Paper], ReadSummary]:
    summary = ReadSummary()
    return list(read_papers(paths, fmt=fmt, summary=summary, filters=filters)), summary


@pytest.mark.parametrize(
    ("terms", "category", "kept"),
    [
        (["cs.CL"], "cs.CL", True),
        (["cs.CL"], "cs.CLX", False),
        (["cs.CL"], "cs.LG", False),
        (["cs.cl"], "cs.CL", True),  # case-insensitive
        (["cs"], "cs.LG", True),  # a whole archive
        (["cs."], "cs.LG", True),
        (["cs"], "cond-mat.str-el", False),
        (["math"], "math-ph", False),  # another archive, not a subject of math
        (["hep-*"], "hep-th", True),  # explicit prefix
        (["computer science"], "Computer Science", True),
        (["Computer"], "Computer vision", False),
        (["computer*"], "Computer vision", True),
        (["cs.LG", "stat.ML"], "stat.ML", True),
    ],
)
def test_filters_category_terms_match_exactly_or_below(terms: list[str], category: str, kept: bool) -> None:
    assert PaperFilter(categories=tuple(terms)).keeps_categories([category]) is kept


def test_filters_category_patterns_are_case_folded() -> None:
    assert category_patterns(["cs.", "Hep-*", "Machine Learning"]) == (
        frozenset({"cs", "machine learning"}), ("cs.", "hep-", "machine learning.")
    )


@pytest.mark.parametrize(
    ("year_from", "year_to", "year", "kept"),
    [
        (2020, None, 2020, True),
        (2020, None, 2019, False),
        (None, 2020, 2021, False),
        (2015, 2021, 2018, True),
        (2015, 2015, 2015, True),
        (2015, None, None, False),  # no year: out whenever a range is set
        (None, None, None, True),
    ],
)
def test_filters_year_range_is_inclusive(year_from: int | None, year_to: int | None, year: int | None, kept: bool) -> None:
    assert PaperFilter(year_from=year_from, year_to=year_to).keeps_year(year) is kept


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": -1}, "limit must be 0 or more (got -1)"),
        ({"year_from": 2022, "year_to": 2020}, "year range is empty: from 2022 to 2020"),
        ({"categories": ("cs.CL", " ")}, "category filter: empty category"),
    ],
)
def test_filters_bad_options_are_one_line_usage_errors(options: dict, message: str) -> None:
    with pytest.raises(IngestError) as info:
        PaperFilter(**options)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("options", "ids", "filtered"),
    [
        ({"categories": ("cs",)}, [ARXIV_IDS[0], ARXIV_IDS[2], ARXIV_IDS[3], ARXIV_IDS[4]], 1),
        ({"categories": ("cs.LG",)}, [ARXIV_IDS[0], ARXIV_IDS[4]], 3),
        ({"categories": ("math",)}, [ARXIV_IDS[1], ARXIV_IDS[2]], 3),
        ({"categories": ("hep-*",)}, [ARXIV_IDS[1]], 4),
        ({"year_from": 2010}, [ARXIV_IDS[0], ARXIV_IDS[3], ARXIV_IDS[4]], 2),
        ({"year_to": 2009}, [ARXIV_IDS[1], ARXIV_IDS[2]], 3),
        ({"year_from": 2015, "year_to": 2021, "categories": ("cs.CV", "cs.IR")}, [ARXIV_IDS[0], ARXIV_IDS[3]], 3),
        ({"limit": 2}, ARXIV_IDS[:2], 0),
        ({"limit": 1, "categories": ("cs",)}, ARXIV_IDS[:1], 0),  # stops before the hep-th record is seen
        ({"limit": 2, "categories": ("cs.LG",), "year_from": 2022}, [ARXIV_IDS[4]], 4),
    ],
)
def test_filters_select_arxiv_records(fixtures_dir: Path, options: dict, ids: list[str], filtered: int) -> None:
    papers, summary = _read([fixtures_dir / "arxiv.jsonl"], "arxiv", PaperFilter(**options))
    assert [p.id for p in papers] == ids
    assert (summary.read, summary.filtered, summary.skipped, summary.issues) == (len(ids), filtered, 0, [])


def test_filters_openalex_by_concept_or_topic_name_before_the_abstract(fixtures_dir: Path) -> None:
    path = fixtures_dir / "openalex.jsonl"
    papers, summary = _read([path], "openalex", PaperFilter(categories=("medicine",)))
    assert [p.id for p in papers] == ["openalex:W2963341956"]
    # the work without an abstract is filtered out, not reported
    assert (summary.filtered, summary.skipped, summary.issues) == (3, 0, [])

    papers, summary = _read([path], "openalex", PaperFilter(categories=("Computer Vision and Pattern Recognition",)))
    assert [p.id for p in papers] == ["openalex:W4318000004"]
    assert [str(i) for i in summary.issues] == [f"{path}:3: no abstract"]  # it matches, so it is read (and bad)
    assert (summary.filtered, summary.skipped) == (2, 1)


def test_filters_year_range_on_a_format_without_categories(fixtures_dir: Path) -> None:
    papers, summary = _read([fixtures_dir / "papers.jsonl"], None, PaperFilter(year_from=2021))
    assert [(p.id, p.year) for p in papers] == [("10.0000/fixture.2", 2024)]
    assert summary.filtered == 2  # 2020, and no year
    assert str(summary) == "read 1 papers from 1 file(s); filtered out 2"  # no zero counts
    assert summary.filtered_by == {"year": 2}


def test_filters_a_filtered_paper_is_no_duplicate_of_a_later_one(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        json.dumps({"id": "same", "title": "Old version", "abstract": "Text.", "year": 2010}) + "\n"
        + json.dumps({"id": "same", "title": "New version", "abstract": "Text.", "year": 2022}) + "\n"
    )
    papers, summary = _read([path], None, PaperFilter(year_from=2020))
    assert [(p.id, p.title) for p in papers] == [("same", "New version")]
    assert (summary.filtered, summary.skipped) == (1, 0)


def test_filters_category_filter_on_a_format_without_categories_is_a_usage_error(fixtures_dir: Path) -> None:
    with pytest.raises(IngestError) as info:
        read_papers([fixtures_dir / "arxiv.jsonl", fixtures_dir / "papers.csv"], fmt=None,
                    filters=PaperFilter(categories=("cs.CL",)))
    # arxiv.jsonl is recognised as arXiv records by its content: only the CSV has no categories
    assert str(info.value) == (
        f"{fixtures_dir / 'papers.csv'}: a category filter needs an input format with categories "
        "(arxiv, openalex); 'csv' has none"
    )


def test_filters_limit_stops_reading_the_file(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes((fixtures_dir / "arxiv.jsonl").read_bytes() + b"{broken line past the limit\n")
    papers, summary = _read([path, tmp_path / "never-opened.jsonl"], "arxiv", PaperFilter(limit=5))
    assert [p.id for p in papers] == ARXIV_IDS
    assert summary.issues == []  # neither the broken line nor the missing second file was reached
    assert (summary.files, summary.read) == (1, 5)


def test_filters_limit_counts_across_files_and_formats(fixtures_dir: Path) -> None:
    paths = [fixtures_dir / "papers.jsonl", fixtures_dir / "papers_raw_head.txt", fixtures_dir / "papers.csv"]
    papers, summary = _read(paths, None, PaperFilter(limit=4))
    assert [p.source for p in papers] == ["jsonl", "jsonl", "jsonl", "txt"]
    assert (summary.files, summary.read) == (2, 4)  # the csv file is never opened
    assert [i.line for i in summary.issues] == [1, 2]  # web-page boilerplate above the txt file's first paper


def test_filters_limit_zero_opens_nothing(tmp_path: Path) -> None:
    papers, summary = _read([tmp_path / "missing.jsonl"], None, PaperFilter(limit=0))
    assert papers == [] and summary.files == 0 and summary.issues == []


def test_filters_limit_closes_the_file_it_stopped_in(fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    real_open = base_module.open_input

    def spy(path: Path):
        stream = real_open(path)
        opened.append(stream)
        return stream

    monkeypatch.setattr(base_module, "open_input", spy)
    papers = list(read_papers([fixtures_dir / "arxiv.jsonl"], fmt="arxiv", filters=PaperFilter(limit=1)))
    assert [p.id for p in papers] == ARXIV_IDS[:1]
    assert len(opened) == 1 and opened[0].closed
