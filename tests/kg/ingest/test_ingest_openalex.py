"""The OpenAlex works reader: real-layout work objects, inverted-index abstracts, gzip parts."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

from kg.ingest import ReadSummary, read_papers
from kg.ingest.clean import clean_html
from kg.ingest.openalex import (
    MalformedIndex,
    read_openalex,
    rebuild_abstract,
    work_categories,
    work_url,
    work_venue,
    work_year,
)
from schema.paper import Paper, ReadIssue

EXPECTED = [
    Paper(
        id="openalex:W3034999214",
        title="Dense Passage Retrieval for Open-Domain Question Answering",  # <i> tags removed
        abstract="Open-domain question answering relies on efficient passage retrieval. We show that retrieval can "
        "be practically implemented using dense representations alone, and our dual-encoder outperforms a strong "
        "BM25 system by 9%-19% absolute in terms of top-20 passage retrieval accuracy.",
        year=2020,
        authors=("Vladimir Karpukhin", "Barlas Oğuz"),
        venue="Empirical Methods in Natural Language Processing",
        url="https://doi.org/10.18653/v1/2020.emnlp-main.550",
        source="openalex",
    ),
    Paper(
        id="openalex:W2963341956",
        title="A Randomized Trial of Early Mobilisation",  # title is null: display_name
        abstract="We report a randomized trial of 120 patients. The primary outcome improved in the treated group.",
        year=2019,  # publication_year is null: publication_date
        authors=("K. Tanaka", "María López"),  # unresolved author: raw_author_name
        venue=None,  # primary_location is null
        url="https://openalex.org/W2963341956",  # no DOI
        source="openalex",
    ),
    Paper(
        id="openalex:W4318000004",
        title="Segment & Track Anything",
        abstract="We present a unified model for segmenting and tracking any object in videos, reaching 71.3 J&F on DAVIS.",
        year=2023,
        authors=("Wei Zhang",),
        venue="arXiv (Cornell University)",
        url="https://doi.org/10.48550/arxiv.2305.06558",  # a bare DOI becomes a link
        source="openalex",
    ),
]


def _read(path: Path) -> tuple[list[Paper], list[ReadIssue]]:
    issues: list[ReadIssue] = []
    return list(read_openalex(path, issues.append)), issues


def _fixture_lines(fixtures_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (fixtures_dir / "openalex.jsonl").read_text(encoding="utf-8").splitlines()]


def test_openalex_fixture_works_field_by_field(fixtures_dir: Path) -> None:
    path = fixtures_dir / "openalex.jsonl"
    papers, issues = _read(path)
    assert papers == EXPECTED
    assert [str(issue) for issue in issues] == [f"{path}:3: no abstract"]


def test_openalex_snapshot_part_is_gzip_without_a_format_extension(tmp_path: Path, fixtures_dir: Path) -> None:
    part = tmp_path / "updated_date=2024-05-01" / "part_000.gz"
    part.parent.mkdir()
    part.write_bytes(gzip.compress((fixtures_dir / "openalex.jsonl").read_bytes(), mtime=0))
    summary = ReadSummary()
    assert list(read_papers([part], fmt="openalex", summary=summary)) == EXPECTED
    assert (summary.read, summary.skipped, summary.reasons) == (3, 1, {"no abstract": 1})


def test_openalex_truncated_part_keeps_complete_works(tmp_path: Path, fixtures_dir: Path) -> None:
    data = gzip.compress((fixtures_dir / "openalex.jsonl").read_bytes(), compresslevel=9, mtime=0)
    cut = data[: len(data) * 4 // 5]  # the first work is the bulk of the compressed bytes
    complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")  # lines the cut bytes still hold
    assert 0 < complete < 4
    part = tmp_path / "part_001.gz"
    part.write_bytes(cut)
    summary = ReadSummary()
    papers = list(read_papers([part], fmt="openalex", summary=summary))
    assert papers == EXPECTED[:complete]
    assert str(summary.issues[-1]) == f"{part}: truncated gzip: data ends after line {complete}, the rest of the file is lost"
    assert summary.failed_files == [str(part)]


def test_openalex_rebuilds_the_abstract_from_word_positions() -> None:
    index = {"model": [4], "a": [1, 3], "We": [0], "propose": [2], "Results:": [6], "BERT.": [5]}
    assert rebuild_abstract(index) == "We a propose a model BERT. Results:"


def test_openalex_rebuild_closes_gaps_and_keeps_shared_positions_in_order() -> None:
    assert rebuild_abstract({"end.": [9], "Start": [0], "middle": [4]}) == "Start middle end."
    assert rebuild_abstract({"x": [1], "y": [1], "first": [0]}) == "first x y"
    assert rebuild_abstract({}) == ""


@pytest.mark.parametrize("index", [{"word": 3}, {"word": ["1"]}, {"word": [-1]}, {"word": [True]}, {"word": [1.5]}])
def test_openalex_rebuild_rejects_malformed_positions(index: dict) -> None:
    with pytest.raises(MalformedIndex):
        rebuild_abstract(index)


@pytest.mark.parametrize(
    ("index", "reason"),
    [
        (None, "no abstract"),
        ({}, "no abstract"),
        ("Plain text abstract", "malformed abstract_inverted_index (a string that is not JSON: Expecting value)"),
        ([["Fine.", 0]], "malformed abstract_inverted_index (a list, not an object)"),
        ({"word": [0], "other": "1"}, "malformed abstract_inverted_index (positions of 'other' are not a list)"),
    ],
)
def test_openalex_work_without_a_usable_abstract_is_skipped(tmp_path: Path, index: object, reason: str) -> None:
    path = tmp_path / "works.jsonl"
    good = {"id": "https://openalex.org/W1", "title": "Good", "abstract_inverted_index": {"Fine.": [0]}}
    bad = {"id": "https://openalex.org/W2", "title": "Bad", "abstract_inverted_index": index}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    papers, issues = _read(path)
    assert [(p.id, p.abstract) for p in papers] == [("openalex:W1", "Fine.")]
    assert [(i.line, i.reason) for i in issues] == [(2, reason)]


def test_openalex_missing_id_is_reported_and_missing_title_kept_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "works.jsonl"
    index = {"Text.": [0]}
    path.write_text(
        json.dumps({"title": "No id", "abstract_inverted_index": index}) + "\n"
        + json.dumps({"id": "https://openalex.org/W9", "title": None, "display_name": None, "abstract_inverted_index": index}) + "\n"
        + "{not json\n"
    )
    papers, issues = _read(path)
    assert [(p.id, p.title, p.abstract) for p in papers] == [("openalex:W9", "", "Text.")]
    assert [(i.line, i.reason, i.skipped) for i in issues] == [
        (1, "missing id", True),
        (2, "missing title (kept: abstract 'Text.', id openalex:W9)", False),
        (3, "malformed JSON (Expecting property name enclosed in double quotes at column 2)", True),
    ]


def test_openalex_categories_are_concepts_and_topics_with_their_levels(fixtures_dir: Path) -> None:
    first = _fixture_lines(fixtures_dir)[0]
    assert work_categories(first) == (
        "Computer science", "Question answering", "Information retrieval",
        "Natural Language Processing Techniques", "Artificial Intelligence", "Computer Science", "Physical Sciences",
    )
    assert work_categories({"concepts": None, "topics": [{"display_name": None, "field": None}]}) == ()


def test_openalex_year_venue_and_url_fallbacks() -> None:
    assert work_year({"publication_year": 2018, "publication_date": "2017-01-01"}) == 2018
    assert work_year({"publication_year": None, "publication_date": "2017-01-01"}) == 2017
    assert work_year({}) is None
    assert work_venue({"primary_location": {"source": None}, "host_venue": {"display_name": "PeerJ"}}) == "PeerJ"
    assert work_venue({"primary_location": {"source": {"display_name": "  "}}}) is None
    assert work_url({"doi": "doi:10.1/x"}, "W1") == "https://doi.org/10.1/x"
    assert work_url({"doi": ""}, "W1") == "https://openalex.org/W1"


def test_clean_html_removes_inline_tags_and_entities() -> None:
    assert clean_html("Effect of <i>E. coli</i> on H<sub>2</sub>O &amp; CO<sup>2</sup>") == "Effect of E. coli on H2O & CO2"
    assert clean_html("<jats:p>An abstract.</jats:p>") == "An abstract."
    assert clean_html("a < b and c > d") == "a < b and c > d"


def test_openalex_other_format_read_as_openalex_is_reported_per_line(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv.jsonl"
    papers, issues = _read(path)
    assert papers == []
    assert [str(issue) for issue in issues] == [
        f"{path}:1: not an OpenAlex work id ('2106.01234')",
        f"{path}:2: not an OpenAlex work id ('hep-th/9901001')",
        f"{path}:3: not an OpenAlex work id ('0801.0002')",
        f"{path}:4: not an OpenAlex work id ('1501.00003')",
        f"{path}:5: not an OpenAlex work id ('2301.00004')",
    ]
