"""The JSON Lines and JSON readers: fields, aliases, bad lines, streamed arrays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.ingest import jsonl as jsonl_module
from kg.ingest.jsonl import read_json, read_jsonl
from kg.ingest.records import hash_id
from schema.paper import Paper, ReadIssue

ABSTRACT = "We propose a dense retriever.\nIt beats BM25 on  five datasets."


def _read(reader, path: Path) -> tuple[list[Paper], list[ReadIssue]]:
    issues: list[ReadIssue] = []
    return list(reader(path, issues.append)), issues


def _line(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(("name", "reader", "source"), [("papers.jsonl", read_jsonl, "jsonl"), ("papers.json", read_json, "json")])
def test_jsonl_and_json_fixture_fields(fixtures_dir: Path, name: str, reader, source: str, check_fixture_papers) -> None:
    papers, issues = _read(reader, fixtures_dir / name)
    assert issues == []
    _, second, _ = check_fixture_papers(papers, source)
    assert second.abstract.startswith("Multi-vector dense models")  # read from "summary"


def test_jsonl_malformed_line_between_two_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        _line(title="First", abstract=ABSTRACT) + "\n"
        + '{"title": "Broken", "abstract": \n'
        + _line(title="Third", abstract=ABSTRACT) + "\n"
    )
    papers, issues = _read(read_jsonl, path)
    assert [p.title for p in papers] == ["First", "Third"]
    assert [str(i) for i in issues] == [f"{path}:2: malformed JSON (Expecting value at column 33)"]


def test_jsonl_normalises_whitespace_and_ignores_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text("\n" + _line(title=" Dense\n Retrieval ", abstract=ABSTRACT) + "\n   \n")
    papers, issues = _read(read_jsonl, path)
    assert issues == []
    assert papers[0].title == "Dense Retrieval"
    assert papers[0].abstract == "We propose a dense retriever. It beats BM25 on five datasets."


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('["a list"]', "not a JSON object (list)"),
        (_line(venue="V"), "missing title and abstract"),
        (_line(title="T"), "missing abstract"),
        (_line(title="T", abstract=" \n "), "empty abstract"),
        (_line(title="T", summary=""), "empty abstract"),
    ],
)
def test_jsonl_bad_record_is_skipped_with_its_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(_line(title="Good", abstract=ABSTRACT) + "\n" + line + "\n")
    papers, issues = _read(read_jsonl, path)
    assert [p.title for p in papers] == ["Good"]
    assert [(i.line, i.reason, i.skipped) for i in issues] == [(2, reason, True)]


@pytest.mark.parametrize("line", [_line(abstract=ABSTRACT), _line(title="  ", abstract=ABSTRACT)])
def test_jsonl_record_without_a_title_is_kept_with_a_warning(tmp_path: Path, line: str) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(_line(title="Good", abstract="Fine.") + "\n" + line + "\n")
    papers, issues = _read(read_jsonl, path)
    assert [(p.title, p.abstract) for p in papers] == [
        ("Good", "Fine."), ("", "We propose a dense retriever. It beats BM25 on five datasets.")
    ]
    assert papers[1].id == hash_id(papers[1].abstract)  # from the abstract: two untitled papers stay apart
    assert [(i.line, i.skipped) for i in issues] == [(2, False)]
    assert issues[0].reason == (
        f"missing title (kept: abstract 'We propose a dense retriever. It beats B', id {papers[1].id})"
    )


def test_jsonl_bad_year_and_authors_are_warnings_and_the_paper_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(_line(title="T", abstract=ABSTRACT, year="someday", authors=5, date="2020") + "\n")
    papers, issues = _read(read_jsonl, path)
    assert [(p.year, p.authors) for p in papers] == [(None, ())]
    assert [(i.reason, i.skipped) for i in issues] == [
        ("unparseable year ('someday')", False),
        ("authors is not a list or a string", False),
    ]


def test_jsonl_invalid_utf8_in_a_middle_record(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    good = [_line(title=t, abstract=ABSTRACT).encode() for t in ("First", "Third")]
    path.write_bytes(good[0] + b'\n{"title": "Caf\xe9", "abstract": "x"}\n' + good[1] + b"\n")
    papers, issues = _read(read_jsonl, path)
    assert [p.title for p in papers] == ["First", "Third"]
    assert [str(i) for i in issues] == [f"{path}:2: invalid UTF-8 (byte 0xe9 at column 15)"]


def test_json_single_object_is_one_paper(tmp_path: Path) -> None:
    path = tmp_path / "paper.json"
    path.write_text(json.dumps({"title": "Only", "abstract": ABSTRACT, "arxiv_id": "arXiv:2106.01234"}))
    papers, issues = _read(read_json, path)
    assert issues == []
    assert [(p.id, p.title) for p in papers] == [("2106.01234", "Only")]


def test_json_bad_elements_are_reported_as_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([{"title": "A", "abstract": ABSTRACT}, 7, {"title": "C"}, {"title": "D", "abstract": ABSTRACT}]))
    papers, issues = _read(read_json, path)
    assert [p.title for p in papers] == ["A", "D"]
    assert [str(i) for i in issues] == [
        f"{path}:2: record 2: not a JSON object (int)",
        f"{path}:3: record 3: missing abstract",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json at all", "not valid JSON (expected a top-level array or object)"),
        ('[{"title": "A", "abstract": "B b."}, {"title": }]', "not valid JSON (Expecting value in record 2)"),
        ('[{"title": "A", "abstract": "B b."} {"title": "C"}]', "not valid JSON (expected ',' or ']' after record 1)"),
        ('[{"title": "A", "abstract": "B b."}', "not valid JSON (file ends inside the array, after record 1)"),
        ('[{"title": "A", "abstract": "B b."},', "not valid JSON (file ends inside the array, after record 1)"),
        ('{"title": "A", "abstract": "B b."} []', "not valid JSON (extra data after the top-level object)"),
    ],
)
def test_json_invalid_document_is_one_file_level_issue(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "papers.json"
    path.write_text(text)
    papers, issues = _read(read_json, path)
    assert [(i.line, i.reason) for i in issues] == [(None, reason)]
    # elements before the error were complete and valid papers: they stay read
    assert len(papers) == (1 if "record" in reason else 0)


def test_json_array_streams_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [{"id": f"r{i}", "title": f"Title {i} é\\\"", "abstract": ABSTRACT * (i % 3 + 1)} for i in range(40)]
    text = " [ 12345 ,\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    path = tmp_path / "papers.json"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(jsonl_module, "_CHUNK_BYTES", 7)  # cut numbers, strings, escapes and UTF-8
    papers, issues = _read(read_json, path)
    assert [p.id for p in papers] == [r["id"] for r in records]
    assert papers[5].title == 'Title 5 é\\"'
    assert [str(i) for i in issues] == [f"{path}:1: record 1: not a JSON object (int)"]


def test_json_invalid_utf8_skips_only_its_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "papers.json"
    good = [json.dumps({"title": t, "abstract": ABSTRACT}).encode() for t in ("A", "C")]
    path.write_bytes(b"[" + good[0] + b',{"title": "B\xff", "abstract": "x"},' + good[1] + b"]")
    monkeypatch.setattr(jsonl_module, "_CHUNK_BYTES", 16)
    papers, issues = _read(read_json, path)
    assert [p.title for p in papers] == ["A", "C"]
    assert [str(i) for i in issues] == [f"{path}:2: record 2: invalid UTF-8 (byte 0xff)"]


def test_json_empty_array_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_text(" [ ] ")
    assert _read(read_json, path) == ([], [])
