"""read_papers / detect_format / ReadSummary: chaining files, gzip, failures, duplicates, counts."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import kg
from kg.ingest import READERS, IngestError, ReadSummary, detect_format, read_papers
from kg.ingest.summary import MAX_ISSUES, reason_category
from schema.paper import ReadIssue

FORMATS = ["txt", "jsonl", "json", "csv", "tsv"]
FIXTURE = {
    "txt": "papers_raw_head.txt",
    "jsonl": "papers.jsonl",
    "json": "papers.json",
    "csv": "papers.csv",
    "tsv": "papers.tsv",
}
FIRST_TITLE = "Distilling Knowledge for Fast Retrieval-based Chat-bots"
ABSTRACT = "We propose a dense retriever. It beats BM25 on five datasets."


def test_read_readers_cover_the_five_formats_and_the_two_snapshots() -> None:
    assert sorted(READERS) == sorted([*FORMATS, "arxiv", "openalex"])


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.txt", "txt"),
        ("a.jsonl", "jsonl"),
        ("a.NDJSON", "jsonl"),
        ("dir.v2/a.json", "json"),
        ("a.csv.gz", "csv"),
        ("a.tsv.GZ", "tsv"),
        ("papers.2024.jsonl.gz", "jsonl"),
        ("query.xml", "arxiv"),
    ],
)
def test_read_detect_format_from_extension(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["papers.pdf", "papers", "papers.gz", "papers.txt.bz2"])
def test_read_detect_format_unknown_extension_is_a_one_line_error(name: str) -> None:
    with pytest.raises(IngestError) as info:
        detect_format(Path(name))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{name}:")
    assert ".jsonl" in message and ".tsv" in message
    assert isinstance(info.value, ValueError)


def test_read_unknown_format_raises_before_reading_anything(fixtures_dir: Path) -> None:
    issues: list[ReadIssue] = []
    good = fixtures_dir / "papers.jsonl"
    with pytest.raises(IngestError, match="unknown input format 'xml'"):
        read_papers([good], fmt="xml", on_issue=issues.append)
    with pytest.raises(IngestError, match="papers.pdf"):
        read_papers([good, Path("missing.txt"), Path("papers.pdf")], on_issue=issues.append)
    assert issues == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_gzip_is_transparent_for_every_format(tmp_path: Path, fixtures_dir: Path, read_all, fmt: str) -> None:
    source = fixtures_dir / FIXTURE[fmt]
    named_gz = tmp_path / (source.name + ".gz")
    named_gz.write_bytes(gzip.compress(source.read_bytes()))
    unnamed = tmp_path / ("compressed_" + source.name)  # gzip found by magic bytes, not by name
    unnamed.write_bytes(named_gz.read_bytes())

    plain, plain_summary = read_all(source)
    for path in (named_gz, unnamed):
        papers, summary = read_all(path)
        assert papers == plain
        assert (summary.read, summary.skipped, summary.failed_files) == (3, plain_summary.skipped, [])
    assert plain[0].title == FIRST_TITLE


def test_read_file_named_gz_but_not_gzip_fails_and_others_go_on(tmp_path: Path, fixtures_dir: Path, read_all) -> None:
    fake = tmp_path / "papers.jsonl.gz"
    fake.write_bytes((fixtures_dir / "papers.jsonl").read_bytes())
    papers, summary = read_all([fake, fixtures_dir / "papers.csv"])
    assert len(papers) == 3
    assert summary.failed_files == [str(fake)]
    assert [str(i) for i in summary.issues] == [f"{fake}: not gzip-compressed although named .gz"]


def test_read_truncated_gzip_keeps_earlier_papers_and_fails_the_file(tmp_path: Path, read_all) -> None:
    lines = "".join(f'{{"title": "Paper {i}", "abstract": "{ABSTRACT} {i}"}}\n' for i in range(2000))
    data = gzip.compress(lines.encode())
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    papers, summary = read_all(path)
    assert 0 < len(papers) < 2000
    assert summary.failed_files == [str(path)]
    # the same line-numbered message as the snapshot readers: every line before it became a paper
    assert summary.issues[-1].reason == f"truncated gzip: data ends after line {len(papers)}, the rest of the file is lost"


def test_read_missing_file_and_directory_fail_and_others_go_on(tmp_path: Path, fixtures_dir: Path, read_all) -> None:
    missing = tmp_path / "missing.txt"
    directory = tmp_path / "folder.csv"
    directory.mkdir()
    papers, summary = read_all([missing, fixtures_dir / "papers.jsonl", directory])
    assert len(papers) == 3
    assert summary.files == 3
    assert summary.failed_files == [str(missing), str(directory)]
    assert [str(i) for i in summary.issues] == [
        f"{missing}: cannot open file (No such file or directory)",
        f"{directory}: cannot open file (Is a directory)",
    ]
    assert summary.reasons == {"cannot open file": 2}
    assert summary.skipped == 0


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read files without read permission")
def test_read_unreadable_file_fails(tmp_path: Path, read_all) -> None:
    path = tmp_path / "secret.jsonl"
    path.write_text('{"title": "T", "abstract": "A a."}\n')
    path.chmod(0)
    papers, summary = read_all(path)
    assert papers == []
    assert [str(i) for i in summary.issues] == [f"{path}: cannot open file (Permission denied)"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_empty_file_fails_for_every_format(tmp_path: Path, read_all, fmt: str) -> None:
    empty = tmp_path / f"empty.{fmt}"
    empty.write_bytes(b"")
    empty_gz = tmp_path / f"empty.{fmt}.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    papers, summary = read_all([empty, empty_gz])
    assert papers == []
    assert summary.failed_files == [str(empty), str(empty_gz)]
    assert summary.reasons == {"empty file": 2}


@pytest.mark.parametrize("fmt", [*FORMATS, "arxiv", "openalex"])
def test_read_whitespace_only_file_fails_with_a_reason(tmp_path: Path, read_all, fmt: str) -> None:
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"  \n\n\t \r\n")
    papers, summary = read_all([blank], fmt=fmt)
    assert papers == [] and summary.failed_files == [str(blank)]
    assert [str(i) for i in summary.issues] == [f"{blank}: empty file (only whitespace)"]


def test_read_directory_without_an_extension_is_a_file_issue_not_a_stop(tmp_path: Path, fixtures_dir: Path,
                                                                        read_all) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for fmt in (None, "jsonl"):
        papers, summary = read_all([folder, fixtures_dir / "papers.jsonl"], fmt=fmt)
        assert len(papers) == 3
        assert summary.failed_files == [str(folder)] and not summary.complete
        assert [str(i) for i in summary.issues] == [f"{folder}: cannot open file (Is a directory)"]


def test_read_bad_inputs_on_the_cli_are_one_line_each_and_the_run_goes_on(tmp_path: Path, fixtures_dir: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    folder = tmp_path / "downloads"
    folder.mkdir()
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\n")
    locked = tmp_path / "locked.jsonl"
    locked.write_bytes((fixtures_dir / "papers.jsonl").read_bytes().replace(b'"fixture-1"', b'"locked-1"'))
    locked.chmod(0)
    out = tmp_path / "x.jsonl"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["extract", str(folder), str(fixtures_dir / "papers.jsonl"), str(blank), str(locked), "-o", str(out)])
    assert result.exit_code == 3, result.output  # partial success: files were skipped
    assert f"{folder}: cannot open file (Is a directory)" in result.output
    assert f"{blank}: empty file (only whitespace)" in result.output
    readable = os.access(locked, os.R_OK)  # root reads it anyway
    if not readable:
        assert f"{locked}: cannot open file (Permission denied)" in result.output
    n_failed = 2 if readable else 3
    assert f"read {4 if readable else 3} papers from 4 file(s)" in result.output
    assert f"{n_failed} file(s) failed" in result.output
    assert len(out.read_text().splitlines()) == (4 if readable else 3)


def test_read_duplicate_ids_keep_the_first_across_files(tmp_path: Path, fixtures_dir: Path, read_all) -> None:
    jsonl = fixtures_dir / "papers.jsonl"
    again = tmp_path / "again.jsonl"
    again.write_text('{"id": "new-1", "title": "New", "abstract": "A new abstract."}\n' + jsonl.read_text())
    papers, summary = read_all([jsonl, again, fixtures_dir / "papers.csv"])
    assert [p.id for p in papers] == ["fixture-1", "10.0000/fixture.2", papers[2].id, "new-1"]
    assert summary.read == 4
    assert summary.skipped == 6
    assert summary.reasons == {"duplicate id": 6}
    assert str(summary.issues[0]) == f"{again}:2: duplicate id fixture-1"
    assert str(summary.issues[3]) == f"{fixtures_dir / 'papers.csv'}:2: duplicate id fixture-1"


def test_read_summary_counts_and_forwards_every_issue(tmp_path: Path, fixtures_dir: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        b'{"title": "Kept", "abstract": "Fine.", "year": "soon"}\n'
        b"{broken\n"
        b'{"title": "No abstract", "abstract": ""}\n'
        b'{"title": "Caf\xe9", "abstract": "x"}\n'
    )
    no_columns = tmp_path / "table.csv"
    no_columns.write_text("name,text\nA,B\n")
    forwarded: list[ReadIssue] = []
    summary = ReadSummary()
    papers = list(
        read_papers([fixtures_dir / "papers_raw_head.txt", bad, no_columns], summary=summary, on_issue=forwarded.append)
    )
    assert len(papers) == 4
    assert (summary.files, summary.read, summary.skipped, summary.warnings) == (3, 4, 5, 1)
    assert summary.failed_files == [str(no_columns)]
    assert summary.reasons == {
        "not a title followed by an abstract": 2,
        "unparseable year": 1,
        "malformed JSON": 1,
        "empty abstract": 1,
        "invalid UTF-8": 1,
        "no abstract column": 1,
    }
    assert forwarded == summary.issues and len(forwarded) == 7
    assert str(summary).startswith("read 4 papers from 3 file(s); skipped 5; 1 warning(s); 1 file(s) failed (")


def test_read_summary_keeps_only_the_first_issues_but_counts_all(tmp_path: Path, read_all) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("{oops\n" * (MAX_ISSUES + 5))
    papers, summary = read_all(path)
    assert papers == []
    assert summary.skipped == MAX_ISSUES + 5
    assert len(summary.issues) == MAX_ISSUES
    assert summary.issues[-1].line == MAX_ISSUES


def test_read_streams_lazily(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text('{"title": "First", "abstract": "A a."}\n{broken\n')
    issues: list[ReadIssue] = []
    stream = read_papers([path], on_issue=issues.append)
    assert next(stream).title == "First"
    assert issues == []  # the bad second line has not been read yet
    assert list(stream) == [] and len(issues) == 1


def test_read_explicit_format_overrides_the_extension(tmp_path: Path, fixtures_dir: Path, read_all) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes((fixtures_dir / "papers.tsv").read_bytes())
    papers, summary = read_all(path, fmt="tsv")
    assert len(papers) == 3 and summary.issues == []


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("invalid UTF-8 (byte 0xff at column 3)", "invalid UTF-8"),
        ("not a title followed by an abstract: 'A (b) c'", "not a title followed by an abstract"),
        ("record 12: duplicate id 2106.01234", "duplicate id"),
        ("record 3: not a JSON object (int)", "not a JSON object"),
        ("empty file", "empty file"),
    ],
)
def test_summary_reason_category(reason: str, category: str) -> None:
    assert reason_category(reason) == category


def test_read_bundled_sample_corpus() -> None:
    path = Path(kg.__file__).parent / "data" / "papers_sample.txt"
    summary = ReadSummary()
    issues: list[ReadIssue] = []
    papers = list(read_papers([path], summary=summary, on_issue=issues.append))
    assert len(papers) == 215
    assert issues == [] and summary.skipped == 0 and summary.failed_files == []
    assert papers[0].title == FIRST_TITLE
    assert len({p.id for p in papers}) == 215
    assert all("\n" not in p.abstract and "  " not in p.abstract for p in papers)
