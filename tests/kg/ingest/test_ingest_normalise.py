"""Every reader cleans text the same way: no control characters, noncharacters or lone surrogates; NFC.

Each format gets the same dirty paper, written the way that format carries such characters
(JSON escapes, raw bytes in JSON strings, raw bytes in txt/csv/tsv, a surrogate encoded as UTF-8
the way Java and JavaScript tools write it), and must give the same clean paper.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.ingest import ReadSummary, read_papers
from kg.ingest.clean import clean_text

#: NUL, \x01, ESC with a terminal colour code, U+FFFF, a lone surrogate, a tab, a decomposed é
DIRTY_TITLE = "Tab\x00le\x01 of \x1b[31mcontents\uffff \ud800x\tPoincare\u0301"
CLEAN_TITLE = "Table of [31mcontents \ufffdx Poincaré"
DIRTY_ABSTRACT = ("We fine-tune BE\x00RT on SQu\x01AD\x1b and report F1.\uffff It beats the baseline by a wide "
                  "margin on every split we tried, with the lone \udc80 surrogate and the\x7f end of the text.")
CLEAN_ABSTRACT = ("We fine-tune BERT on SQuAD and report F1. It beats the baseline by a wide "
                  "margin on every split we tried, with the lone \ufffd surrogate and the end of the text.")


def _utf8(text: str) -> bytes:
    """UTF-8 bytes, lone surrogates encoded as three bytes (CESU-8 style, as Java/JS write them)."""
    return text.encode("utf-8", "surrogatepass")


def _table(delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows([["id", "title", "abstract", "authors"], ["d1", DIRTY_TITLE, DIRTY_ABSTRACT, "Ann\x00 Author"]])
    return _utf8(out.getvalue())


def _record(escape: bool) -> str:
    return json.dumps({"id": "d1", "title": DIRTY_TITLE, "abstract": DIRTY_ABSTRACT, "authors": ["Ann\x00 Author"]},
                      ensure_ascii=escape)


def _arxiv() -> str:
    return json.dumps({"id": "2101.00001", "title": DIRTY_TITLE, "abstract": DIRTY_ABSTRACT,
                       "authors": "Ann\x00 Author", "categories": "cs.CL",
                       "versions": [{"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"}]})


def _openalex() -> str:
    words = {}
    for position, word in enumerate(DIRTY_ABSTRACT.split(" ")):
        words.setdefault(word, []).append(position)
    return json.dumps({"id": "https://openalex.org/W1", "title": DIRTY_TITLE, "publication_year": 2021,
                       "authorships": [{"author": {"display_name": "Ann\x00 Author"}}],
                       "abstract_inverted_index": words})


#: (file name, format, content)
DIRTY_FILES = [
    ("escaped.jsonl", None, (_record(True) + "\n").encode()),
    ("raw.jsonl", None, _utf8(_record(False) + "\n")),
    ("escaped.json", None, ("[" + _record(True) + "]").encode()),
    ("raw.json", None, ("[" + _record(False).replace("\ud800", "\\ud800").replace("\udc80", "\\udc80") + "]").encode()),
    ("papers.txt", None, _utf8(f"{DIRTY_TITLE}\n{DIRTY_ABSTRACT}\n")),
    ("papers.csv", None, _table(",")),
    ("papers.tsv", None, _table("\t")),
    ("arxiv.jsonl", "arxiv", (_arxiv() + "\n").encode()),
    ("openalex.jsonl", "openalex", (_openalex() + "\n").encode()),
]


@pytest.mark.parametrize(("name", "fmt", "content"), DIRTY_FILES, ids=[name for name, _, _ in DIRTY_FILES])
def test_normalise_every_reader_gives_clean_text(tmp_path: Path, name: str, fmt: str | None, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    summary = ReadSummary()
    papers = list(read_papers([path], fmt=fmt, summary=summary))
    assert summary.issues == []
    [paper] = papers
    assert paper.title == CLEAN_TITLE
    assert paper.abstract == CLEAN_ABSTRACT
    if name != "papers.txt":  # txt has no authors
        assert paper.authors == ("Ann Author",)
    for text in (paper.id, paper.title, paper.abstract, *paper.authors):
        text.encode("utf-8")  # no surrogate left
        assert all(ch in "\t\n\r" or ch >= " " for ch in text) and "\x7f" not in text and "\uffff" not in text


def test_normalise_surrogate_pair_is_joined_and_ids_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "x\x00\x1b1", "title": "Emoji \ud83d\ude00 title", "abstract": "An abstract."})
                    + "\n", encoding="utf-8")
    [paper] = list(read_papers([path]))
    assert (paper.id, paper.title) == ("x1", "Emoji \U0001f600 title")


@pytest.mark.parametrize(("text", "expected"), [
    ("plain ASCII", "plain ASCII"),
    ("a\x00b\x01c\x08d\x0ee\x1bf\x7fg\x80h\x9fi", "abcdefghi"),
    ("line\nbreak\r\nand\ttab\x0bvt\x0cff\x1cfs\x85nel\u2028ls", "line break and tab vt ff fs nel ls"),
    ("non\ufdd0char\ufffe\uffff\U0001fffe\U0010ffffs", "nonchars"),
    ("lone \udfff and \ud800", "lone \ufffd and \ufffd"),
    ("Cafe\u0301 \u212b", "Café Å"),  # NFC composes, and maps the Angstrom sign to Å
    ("keep \u200b zero-width and \u00e9", "keep \u200b zero-width and é"),
])
def test_normalise_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_normalise_dirty_papers_build_a_graph_every_command_reads_back(tmp_path: Path) -> None:
    from kg.cli import app

    runner = CliRunner(env={"COLUMNS": "200"})
    inputs = []
    for name, fmt, content in DIRTY_FILES:
        if fmt is None and name.endswith((".jsonl", ".csv", ".txt")):
            path = tmp_path / name
            path.write_bytes(content.replace(b"d1", name.encode()) if b"d1" in content else content)
            inputs.append(str(path))
    graph = tmp_path / "g.graphml"
    result = runner.invoke(app, ["build", *inputs, "--out", str(graph)])
    assert result.exit_code == 0, result.output
    assert "read 4 papers" in result.output
    stats = runner.invoke(app, ["stats", "--graph", str(graph)])
    assert stats.exit_code == 0, stats.output
    again = runner.invoke(app, ["build", *inputs, "--out", str(graph), "--incremental"])
    assert again.exit_code == 0, again.output
    assert "papers unchanged (not re-extracted)" in again.output
    graph_text = graph.read_text(encoding="utf-8")
    assert "\x00" not in graph_text and "\x1b" not in graph_text and CLEAN_TITLE in graph_text
