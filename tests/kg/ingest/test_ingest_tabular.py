"""The CSV and TSV readers: header matching, quoted newlines, record line numbers, bad bytes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kg.ingest.tabular import column_map, read_csv, read_tsv
from schema.paper import Paper, ReadIssue

ABSTRACT = "We propose a dense retriever. It beats BM25 on five datasets."


def _read(reader, path: Path) -> tuple[list[Paper], list[ReadIssue]]:
    issues: list[ReadIssue] = []
    return list(reader(path, issues.append)), issues


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(("name", "reader", "source"), [("papers.csv", read_csv, "csv"), ("papers.tsv", read_tsv, "tsv")])
def test_tabular_fixture_fields_and_quoted_newline(fixtures_dir: Path, name: str, reader, source: str, check_fixture_papers) -> None:
    papers, issues = _read(reader, fixtures_dir / name)
    assert issues == []
    _, second, third = check_fixture_papers(papers, source)
    # the abstract held a quoted newline: read as one record, whitespace normalised
    assert "\n" not in second.abstract and "ColBERT, have proven" in second.abstract
    assert third.url is None


def test_tabular_issue_line_is_where_the_record_starts(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(_csv([["title", "abstract"], ["A", "First line.\nSecond line."], ["B", ""], ["C", ABSTRACT]]))
    papers, issues = _read(read_csv, path)
    assert [p.title for p in papers] == ["A", "C"]
    assert [str(i) for i in issues] == [f"{path}:4: empty abstract"]


def test_tabular_missing_required_columns_is_one_file_level_issue(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(_csv([["name", "Summary", "year"], ["A", ABSTRACT, "2020"]]))
    papers, issues = _read(read_csv, path)
    assert papers == []
    assert [str(i) for i in issues] == [f"{path}: no title column (columns: name, Summary, year)"]
    assert issues[0].line is None


def test_tabular_invalid_utf8_in_a_middle_record(tmp_path: Path) -> None:
    path = tmp_path / "papers.tsv"
    path.write_bytes(
        b"title\tabstract\n"
        b"A\t" + ABSTRACT.encode() + b"\n"
        b'B\t"multi\nline \xff abstract."\n'
        b"C\t" + ABSTRACT.encode() + b"\n"
    )
    papers, issues = _read(read_tsv, path)
    assert [p.title for p in papers] == ["A", "C"]
    assert [str(i) for i in issues] == [f"{path}:3: invalid UTF-8 (byte 0xff at column 6 of line 4)"]


def test_tabular_columns_match_case_insensitively_and_abstract_beats_summary() -> None:
    columns = column_map([" Title ", "SUMMARY", "Abstract", "Journal", "published", "arxiv_id"])
    assert columns == {"title": 0, "abstract": 2, "venue": 3, "year": 4, "arxiv_id": 5}


def test_tabular_huge_field_and_bom_header(tmp_path: Path) -> None:
    big = "word " * 60_000 + "end."  # 300 kB, over the csv module's default 128 kB field limit
    path = tmp_path / "papers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv([["Title", "Abstract"], ["Big", big]]).encode())
    papers, issues = _read(read_csv, path)
    assert issues == []
    assert papers[0].title == "Big" and papers[0].abstract.endswith("word end.")


def test_tabular_short_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("id,title,abstract\nx1,Only a title\nx2,B," + ABSTRACT + "\n")
    papers, issues = _read(read_csv, path)
    assert [p.id for p in papers] == ["x2"]
    assert [str(i) for i in issues] == [f"{path}:2: too few fields (2 of 3)"]


def test_tabular_header_only_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("title,abstract\n")
    assert _read(read_csv, path) == ([], [])
