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


def test_tabular_missing_abstract_column_is_one_file_level_issue(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(_csv([["name", "text", "year"], ["A", ABSTRACT, "2020"]]))
    papers, issues = _read(read_csv, path)
    assert papers == []
    assert [str(i) for i in issues] == [
        f"{path}: no abstract column (columns: name, text, year; accepted names: "
        "abstract, summary, abstracts, summaries, abstract_text, paper_abstract, abstractnote, abstract note, description)"
    ]
    assert issues[0].line is None


def test_tabular_without_a_title_column_keeps_every_record_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(_csv([["name", "Summary", "year"], ["A", ABSTRACT, "2020"], ["B", "Second one.", "2021"]]))
    papers, issues = _read(read_csv, path)
    assert [(p.title, p.year) for p in papers] == [("", 2020), ("", 2021)]
    assert [(i.line, i.skipped, i.reason.split(" (")[0]) for i in issues] == [
        (2, False, "missing title"), (3, False, "missing title")
    ]


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


def _abstract(n: int) -> str:
    return f"Paper {n} trains a model. It beats BM25 on five datasets."


def test_tabular_unclosed_quote_costs_one_line_and_the_rows_after_it_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        "id,title,abstract\n"
        f"1,Good one,{_abstract(1)}\n"
        f'2,"Broken title,{_abstract(2)}\n'  # the quote is never closed
        f"3,Good three,{_abstract(3)}\n"
        f"4,Good four,{_abstract(4)}\n"
    )
    papers, issues = _read(read_csv, path)
    assert [(p.id, p.title, p.abstract) for p in papers] == [
        (str(n), f"Good {word}", _abstract(n)) for n, word in ((1, "one"), (3, "three"), (4, "four"))
    ]
    assert [(i.line, i.reason.split(" (")[0]) for i in issues] == [(3, "unclosed quote")]
    assert str(issues[0]).startswith(f"{path}:3: unclosed quote")


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_tabular_broken_quotes_never_merge_records(tmp_path: Path, delimiter: str) -> None:
    d = delimiter
    path = tmp_path / ("papers.csv" if d == "," else "papers.tsv")
    path.write_text(
        f"id{d}title{d}abstract\n"
        f"1{d}Good one{d}{_abstract(1)}\n"
        f'2{d}"Broken title{d}{_abstract(2)}\n'  # opened here, "closed" by the quote in row 4
        f"3{d}Good three{d}{_abstract(3)}\n"
        f'4{d}Good four{d}"Abstract{d} four."\n'
        f'5{d}"Quoted" title{d}{_abstract(5)}\n'  # text after a closing quote
        f"6{d}Title{d} with a delimiter{d}{_abstract(6)}\n"  # one field too many
        f'7{d}Title with 5" screen{d}{_abstract(7)}\n'  # a quote inside an unquoted field is text
        f"8{d}Good eight{d}{_abstract(8)}\n"
    )
    papers, issues = _read(read_csv if d == "," else read_tsv, path)
    assert [p.id for p in papers] == ["1", "3", "4", "7", "8"]
    assert papers[2].abstract == ("Abstract, four." if d == "," else "Abstract four.")  # a tab is whitespace
    assert papers[3].title == 'Title with 5" screen'
    assert all("\n" not in p.title and p.title.startswith(("Good", "Title")) for p in papers)
    assert [(i.line, i.reason) for i in issues] == [
        (3, "malformed quoting (text after a closing quote)"),
        (6, "malformed quoting (text after a closing quote)"),
        (7, "too many fields (4 of 3)"),
    ]


def test_tabular_broken_quote_is_reported_by_the_cli_with_a_partial_exit_code(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    path = tmp_path / "papers.csv"
    path.write_text(
        "title,abstract\n"
        f'"Broken title,{_abstract(1)}\n'
        f"Good two,{_abstract(2)}\n"
        f'Good three,"{_abstract(3)}"\n'
    )
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["extract", str(path), "--output", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 3, result.output
    assert f"{path}:2: malformed quoting" in result.output
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_tabular_whitespace_only_file_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("  \n\n\t\n")
    papers, issues = _read(read_csv, path)
    assert papers == [] and [str(i) for i in issues] == [f"{path}: empty file (only whitespace)"]


def test_tabular_unclosed_quote_is_given_up_after_max_record_lines(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.ingest import tabular

    monkeypatch.setattr(tabular, "MAX_RECORD_LINES", 3)
    path = tmp_path / "papers.csv"
    path.write_text("title,abstract\n" + f'"Broken,{_abstract(0)}\n'
                    + "".join(f"Good {n},{_abstract(n)}\n" for n in range(1, 8)))
    papers, issues = _read(read_csv, path)
    assert [p.title for p in papers] == [f"Good {n}" for n in range(1, 8)]
    assert [str(i) for i in issues] == [f"{path}:2: unclosed quote (a quoted field runs over 3 lines)"]
