"""The txt reader: title/abstract line pairs from web dumps, boilerplate reported and skipped."""

from __future__ import annotations

from pathlib import Path

from kg.ingest.records import hash_id
from kg.ingest.txt import looks_like_abstract, read_txt
from schema.paper import ReadIssue

ABSTRACT_1 = (
    "We propose a dense retriever that encodes queries and passages separately. "
    "It beats BM25 on five open-domain question answering datasets by a wide margin."
)
ABSTRACT_2 = (
    "This paper studies late interaction for retrieval. Token-level embeddings are "
    "compared with MaxSim, which keeps quality high while the index stays small enough."
)


def _read(path: Path) -> tuple[list, list[ReadIssue]]:
    issues: list[ReadIssue] = []
    return list(read_txt(path, issues.append)), issues


def test_txt_reads_pairs_ignoring_blank_lines_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_bytes(
        f"Dense Retrieval\r\n\r\n{ABSTRACT_1}\r\n\n\nLate   Interaction\tModels\n{ABSTRACT_2}".encode()
    )
    papers, issues = _read(path)
    assert issues == []
    assert [p.title for p in papers] == ["Dense Retrieval", "Late Interaction Models"]
    assert papers[0].abstract == ABSTRACT_1
    assert papers[0].id == hash_id("Dense Retrieval")
    assert {p.source for p in papers} == {"txt"}


def test_txt_web_dump_head_skips_two_boilerplate_lines(fixtures_dir: Path) -> None:
    path = fixtures_dir / "papers_raw_head.txt"
    papers, issues = _read(path)
    assert [str(issue) for issue in issues] == [
        f"{path}:1: not a title followed by an abstract: 'Get trending papers in your email inbox once a day!'",
        f"{path}:2: not a title followed by an abstract: 'Get trending papers in your email inbox!'",
    ]
    assert [p.title for p in papers] == [
        "Distilling Knowledge for Fast Retrieval-based Chat-bots",
        "Jina-ColBERT-v2: A General-Purpose Multilingual Late Interaction Retriever",
        "Multi-View Document Representation Learning for Open-Domain Dense Retrieval",
    ]
    assert papers[0].abstract.startswith("Response retrieval is a subset of neural ranking")


def test_txt_abstract_without_a_title_is_kept_with_a_warning(tmp_path: Path) -> None:
    long_abstract = (ABSTRACT_1 + " ") * 3
    path = tmp_path / "papers.txt"
    path.write_text(f"Dense Retrieval\n{ABSTRACT_1}\n{long_abstract}\nLate Interaction\n{ABSTRACT_2}\n")
    papers, issues = _read(path)
    assert [p.title for p in papers] == ["Dense Retrieval", "", "Late Interaction"]
    assert papers[1].abstract == long_abstract.strip()
    assert [(i.line, i.skipped) for i in issues] == [(3, False)]
    assert issues[0].reason.startswith("missing title (kept: abstract 'We propose a dense")


def test_txt_dangling_last_title_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_text(f"Dense Retrieval\n{ABSTRACT_1}\n\nCookie settings\n")
    papers, issues = _read(path)
    assert len(papers) == 1
    assert [str(i) for i in issues] == [f"{path}:4: not a title followed by an abstract: 'Cookie settings'"]


def test_txt_line_pair_of_two_short_lines_is_never_a_paper(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_text("Home\nAbout us\nDense Retrieval\n" + ABSTRACT_1 + "\n")
    papers, issues = _read(path)
    assert [p.title for p in papers] == ["Dense Retrieval"]
    assert [i.line for i in issues] == [1, 2]


def test_txt_long_title_with_a_question_mark_is_still_a_title(tmp_path: Path) -> None:
    # a real title of the sample corpus: 176 characters with a sentence end inside
    title = (
        "Attention is All You Need? Good Embeddings with Statistics are enough:Large Scale Audio "
        "Understanding without Transformers/ Convolutions/ BERTs/ Mixers/ Attention/ RNNs or ...."
    )
    assert looks_like_abstract(title)
    path = tmp_path / "papers.txt"
    path.write_text(f"Dense Retrieval\n{ABSTRACT_1}\n{title}\n{ABSTRACT_2}\n")
    papers, issues = _read(path)
    assert issues == []
    assert [p.title for p in papers] == ["Dense Retrieval", title]


def test_txt_invalid_utf8_line_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_bytes(
        b"Dense Retrieval\n" + ABSTRACT_1.encode() + b"\n"
        b"Bad \xff Title\n" + ABSTRACT_2.encode() + b"\n"
        b"Late Interaction\n" + ABSTRACT_2.encode() + b"\n"
    )
    papers, issues = _read(path)
    assert [p.title for p in papers] == ["Dense Retrieval", "Late Interaction"]
    # one issue for the record: its abstract goes with the unreadable title, unpaired
    assert [str(i) for i in issues] == [f"{path}:3: invalid UTF-8 (byte 0xff at column 5)"]


def test_txt_invalid_utf8_abstract_drops_its_title(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_bytes(
        b"Dense Retrieval\n" + ABSTRACT_1.encode() + b"\n"
        b"Lost Title\nAn abstract with a bad byte \xc3\x28 in it. " + ABSTRACT_2.encode() + b"\n"
        b"Late Interaction\n" + ABSTRACT_2.encode() + b"\n"
    )
    papers, issues = _read(path)
    assert [p.title for p in papers] == ["Dense Retrieval", "Late Interaction"]
    assert [str(i) for i in issues] == [f"{path}:4: invalid UTF-8 (byte 0xc3 at column 29)"]


def test_txt_duplicate_title_is_a_duplicate_id(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_text(f"Dense Retrieval\n{ABSTRACT_1}\nDense  retrieval\n{ABSTRACT_2}\n")
    papers, issues = _read(path)
    assert len(papers) == 1
    assert [str(i) for i in issues] == [f"{path}:3: duplicate id {hash_id('Dense Retrieval')}"]
