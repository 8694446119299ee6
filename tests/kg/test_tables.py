"""Tables at 60, 80 and 120 columns and in pipes: numbers whole, names whole once folded lines are
joined, and the json/csv formats of `kg calibration` and `kg aliases` (issue 16, point 3)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.table import Table
from typer.testing import CliRunner

from kg.build import EXIT_OK
from kg.cli import app
from kg.reliability import RECORD_COLUMNS
from kg.tables import PIPE_WIDTH, print_table
from kg.textsafe import SafeConsole

WIDTHS = (60, 80, 120)
LONG_NAME = "Retrieval-Augmented-Generation-with-Hierarchical-Sparse-Attention-v2"


def invoke(columns: int | None, *args: str):
    """The command's result with $COLUMNS set (None: unset, as in a pipe)."""
    runner = CliRunner(env={"COLUMNS": None if columns is None else str(columns), "NO_COLOR": "1"})
    return runner.invoke(app, [str(a) for a in args])


def row_blocks(text: str) -> list[list[str]]:
    """The cells of a box-drawn table, one list per row between rules (show_lines tables), each
    cell's lines joined by a space."""
    rows: list[list[str]] = []
    block: list[list[str]] = []
    for line in text.splitlines():
        if line[:1] in "│┃":
            block.append([piece.strip() for piece in line.strip()[1:-1].replace("┃", "│").split("│")])
        elif block:
            rows.append([" ".join(filter(None, parts)) for parts in zip(*block)])
            block = []
    return rows


def line_cells(text: str) -> set[str]:
    """Every cell of every table line, one line at a time (numbers never span lines)."""
    return {cell for line in text.splitlines() if line[:1] in "│┃"
            for cell in (piece.strip() for piece in line.strip()[1:-1].replace("┃", "│").split("│"))}


def squeeze(text: str) -> str:
    return "".join(text.split())


def assert_fits(text: str, columns: int) -> None:
    assert "…" not in text
    widest = max(len(line) for line in text.splitlines())
    assert widest <= columns, f"a line is {widest} columns wide at COLUMNS={columns}"


# -- kg calibration ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gold_papers(tmp_path_factory, sample_head) -> Path:
    """The first 40 papers of the bundled sample (title and abstract lines), most of them in the dev gold."""
    return sample_head(tmp_path_factory.mktemp("calibration"), 40)


@pytest.fixture(scope="module")
def calibration_records(gold_papers) -> list[dict]:
    result = invoke(80, "calibration", "--input", gold_papers, "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    return json.loads(result.stdout)


def test_calibration_json_has_one_record_per_scoring_and_bin(calibration_records):
    assert calibration_records and all(list(r) == RECORD_COLUMNS for r in calibration_records)
    scorings = {r["scoring"] for r in calibration_records}
    assert {"raw", "5-fold CV"} <= scorings
    assert len(calibration_records) == 6 * len(scorings)  # six confidence bins each
    assert sum(r["n"] for r in calibration_records if r["scoring"] == "raw") > 50


def test_calibration_csv_has_the_json_records(gold_papers, calibration_records):
    result = invoke(80, "calibration", "--input", gold_papers, "--format", "csv")
    assert result.exit_code == EXIT_OK, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == RECORD_COLUMNS
    assert [(r["scoring"], r["confidence"], int(r["n"])) for r in rows] == \
        [(r["scoring"], r["confidence"], r["n"]) for r in calibration_records]


@pytest.mark.parametrize("columns", WIDTHS)
def test_calibration_table_shows_every_number_whole(gold_papers, calibration_records, columns):
    result = invoke(columns, "calibration", "--input", gold_papers)
    assert result.exit_code == EXIT_OK, result.output
    assert_fits(result.stdout, columns)
    cells = line_cells(result.stdout)
    for r in calibration_records:
        assert str(r["n"]) in cells, (r, columns)
        for key in ("mean_confidence", "fraction_correct", "ece"):
            if r[key] is not None:
                assert f"{r[key]:.3f}" in cells, (key, r, columns)


def test_calibration_in_a_pipe_is_laid_out_for_100_columns(gold_papers):
    result = invoke(None, "calibration", "--input", gold_papers)
    assert result.exit_code == EXIT_OK, result.output
    table_lines = [line for line in result.stdout.splitlines() if line[:1] in "┏┃│└"]
    # the wide layout (one row per bin, a column group per scoring) needs more than 80 columns
    assert 80 < max(len(line) for line in table_lines) <= PIPE_WIDTH
    assert "…" not in result.stdout


# -- kg aliases ----------------------------------------------------------------------------------------

@pytest.fixture
def alias_graph(tmp_path, tiny_extractions) -> Path:
    """The tiny graph plus a method whose name is one word longer than any column at 60 or 80."""
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.builder import build_batch
    from schema import Entity

    paper, extraction = tiny_extractions[0]
    extraction.entities.append(Entity(label="METHOD", name=LONG_NAME, key=LONG_NAME.lower(), text=LONG_NAME,
                                      role="used", confidence=0.9))
    path = tmp_path / "graph.graphml"
    with NetworkxBackend(path) as store:
        store.upsert(build_batch(tiny_extractions))
    return path


@pytest.mark.parametrize("columns", WIDTHS)
def test_aliases_table_shows_names_forms_and_counts_whole(alias_graph, columns):
    data = json.loads(invoke(columns, "aliases", "--graph", alias_graph, "--format", "json").stdout)
    assert LONG_NAME in {e["name"] for e in data}
    result = invoke(columns, "aliases", "--graph", alias_graph)
    assert result.exit_code == EXIT_OK, result.output
    table = result.stdout[:result.stdout.index("A wrong merge?")]
    assert_fits(table, columns)
    rows = row_blocks(table)[1:]  # the header block first
    assert len(rows) == len(data)
    for entry, row in zip(data, rows):
        text = squeeze(" ".join(row))
        assert squeeze(entry["name"]) in text, (entry["name"], row)
        for form in entry["forms"]:
            assert squeeze(repr(form)) in text, (form, row)
        assert str(entry["papers"]) in row, (entry, row)


def test_aliases_csv_and_json_have_every_field(alias_graph):
    data = json.loads(invoke(80, "aliases", "--graph", alias_graph, "--format", "json").stdout)
    assert list(data[0]) == ["label", "key", "name", "forms", "merged_keys", "papers", "unresolved"]
    assert json.loads(invoke(80, "aliases", "--graph", alias_graph, "--json").stdout) == data  # the old spelling
    rows = list(csv.DictReader(io.StringIO(invoke(80, "aliases", "--graph", alias_graph, "--format", "csv").stdout)))
    assert [r["name"] for r in rows] == [e["name"] for e in data]
    assert [json.loads(r["forms"]) for r in rows] == [e["forms"] for e in data]
    assert [int(r["papers"]) for r in rows] == [e["papers"] for e in data]


# -- every other table -----------------------------------------------------------------------------------

@pytest.mark.parametrize("columns", (60, 80))
def test_stats_keeps_counts_and_names_whole(alias_graph, columns):
    result = invoke(columns, "stats", "--graph", alias_graph)
    assert result.exit_code == EXIT_OK, result.output
    assert_fits(result.stdout, columns)
    cells = line_cells(result.stdout)
    assert {"(:Paper)", "3", "(:Method)", "7"} <= cells
    assert LONG_NAME in squeeze("".join(cell for cell in (line.split("│")[1] for line in result.stdout.splitlines()
                                                          if line.startswith("│") and line.count("│") == 3)))


def test_query_table_keeps_numbers_whole_at_60_columns(alias_graph):
    result = invoke(60, "query", "--graph", alias_graph,
                    "MATCH (p:Paper) RETURN p.title AS title, p.title AS again, 1234567.125 AS big, "
                    "-0.000123 AS small ORDER BY title")
    assert result.exit_code == EXIT_OK, result.output
    assert_fits(result.stdout, 60)
    cells = line_cells(result.stdout)
    assert {"1234567.125", "-0.000123"} <= cells


def test_print_table_widens_rather_than_cutting_numbers(monkeypatch):
    """Ten number columns cannot fit in 40: the table is printed wider, every number whole."""
    monkeypatch.setenv("COLUMNS", "40")
    table = Table(*(f"c{i}" for i in range(10)))
    table.add_row(*(f"{i}.123456" for i in range(10)))
    buf = io.StringIO()
    print_table(SafeConsole(file=buf), table)
    assert {f"{i}.123456" for i in range(10)} <= line_cells(buf.getvalue())
    assert "…" not in buf.getvalue()
