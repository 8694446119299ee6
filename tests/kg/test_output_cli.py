"""Safe output from the commands: atomic `kg extract -o`, escaped terminal text, foreign GraphML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.atomic import AtomicFile, clean_stale
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import EXIT_FAILED, EXIT_OK
from kg.builder import build_batch
from kg.cli import app
from kg.textsafe import escape_controls, terminal
from schema import Entity, Extraction, Paper, ResultRecord

runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


# ------------------------------------------------------------------ atomic file outputs

def test_output_extract_failing_run_keeps_the_previous_file(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "previous"}\n', encoding="utf-8")
    (tmp_path / "a-folder").mkdir()  # an input that exists but cannot be read
    result = invoke("extract", tmp_path / "a-folder", "-o", out)
    assert result.exit_code == EXIT_FAILED
    assert out.read_text(encoding="utf-8") == '{"id": "previous"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "out.jsonl"]  # no temporary file left
    assert "was left as it was" in result.output


@pytest.mark.parametrize("command", ["extract", "build"])
def test_no_input_file_at_all_is_one_line_before_any_progress(tmp_path, command):
    out = tmp_path / ("out.jsonl" if command == "extract" else "g.graphml")
    result = invoke(command, tmp_path / "papers.jsonl", tmp_path / "more.txt", "-o", out)
    assert result.exit_code == EXIT_FAILED
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {tmp_path / 'papers.jsonl'}: no such file; {tmp_path / 'more.txt'}: no such file"]
    assert not out.exists()


def test_output_extract_replaces_the_file_and_cleans_stale_temporaries(tmp_path, sample_head):
    corpus = sample_head(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out.jsonl.{int(dead.stdout)}.tmp"  # a killed run's leftover: its process is gone
    stale.write_text("half a line", encoding="utf-8")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as live:
        running = tmp_path / f".out.jsonl.{live.pid}.tmp"  # a concurrent run still writing
        running.write_text("busy", encoding="utf-8")
        try:
            result = invoke("extract", corpus, "-o", out)
        finally:
            live.kill()
    assert result.exit_code == EXIT_OK, result.output
    assert [json.loads(line)["title"] for line in out.read_text(encoding="utf-8").splitlines()][0]
    assert not stale.exists() and running.exists()


def test_output_atomic_file_error_keeps_target_and_removes_temporary(tmp_path):
    target = tmp_path / "g.graphml.gz"
    target.write_bytes(b"before")
    with pytest.raises(RuntimeError):
        with AtomicFile(target, "wb") as f:
            f.write(b"partial")
            raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"before" and sorted(p.name for p in tmp_path.iterdir()) == ["g.graphml.gz"]
    assert clean_stale(target) == []


def test_output_graph_save_failure_keeps_the_old_graph(tmp_path):
    path = tmp_path / "g.graphml"
    NetworkxBackend(graph=nx.MultiDiGraph()).save(path)
    before = path.read_bytes()
    G = nx.MultiDiGraph()

    class Unwritable:
        def __str__(self) -> str:
            raise RuntimeError("cannot be written")

    for i in range(1000):  # the failure comes after part of the file was written
        G.add_node(f"Method:m{i}", label="Method", key=f"m{i}", name=f"m{i}")
    G.add_node("Method:x", label="Method", key="x", name=Unwritable())
    with pytest.raises(RuntimeError):
        NetworkxBackend(graph=G).save(path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["g.graphml"]


# ------------------------------------------------------------------ terminal output

TITLE = "SQuAD\x1b[31m [/b] study\x07"
METHOD = "BERT\x1b]0;owned\x07[bold]"
DATASET = "SQuAD\x1b[31m"


@pytest.fixture
def hostile_graph(tmp_path) -> Path:
    """A saved graph whose paper title and entity names carry escape sequences and markup."""
    text = "BERT reaches 93.2 F1 on SQuAD."
    paper = Paper(id="p\x1b[1", title=TITLE, abstract=text, year=2020)
    ents = [Entity(label="METHOD", name=METHOD, key="bert", text="BERT", role="proposed", confidence=0.9),
            Entity(label="DATASET", name=DATASET, key="squad", text="SQuAD", role="evaluated_on", confidence=0.9),
            Entity(label="METRIC", name="F1\x1b[0m", key="f1", text="F1", role="reported", confidence=0.9)]
    result = ResultRecord(metric="f1", value=93.2, unit=None, dataset="squad", method="bert",
                          start=13, end=17, text="93.2", sentence=0)
    extraction = Extraction(id=paper.id, title=TITLE, entities=ents, results=[result], sentences=[text])
    backend = NetworkxBackend()
    backend.upsert(build_batch([(paper, extraction)]))
    path = tmp_path / "hostile.json"  # JSON holds control characters (GraphML replaces them)
    backend.save(path)
    return path


@pytest.mark.parametrize("args", [
    ["query", "MATCH (p:Paper) RETURN p.title, p.id"],
    ["query", "MATCH (m:Method) RETURN m.name"],
    ["query", "--named", "top_methods"],
    ["stats"],
    ["aliases"],
    ["leaderboard", "--dataset", "squad"],
])
def test_output_terminal_never_gets_raw_control_characters(hostile_graph, args):
    result = invoke(*args, "--graph", hostile_graph)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.output  # shown as text


def test_output_query_table_shows_names_as_written(hostile_graph):
    result = invoke("query", "MATCH (p:Paper) RETURN p.title", "--graph", hostile_graph)
    assert "SQuAD\\x1b[31m [/b] study\\x07" in result.output  # markup in data is text, not a tag


def test_output_terminal_helper():
    assert escape_controls("a\x1b[31mb\r\n\t\x00\ud800\u202e") == "a\\x1b[31mb\\x0d\\x0a\\x09\\x00\\ud800\\u202e"
    assert escape_controls("line\n\tnext\x1b", keep_lines=True) == "line\n\tnext\\x1b"
    assert terminal("[/b] x\x1b") == "\\[/b] x\\x1b" and terminal(None) == ""


# ------------------------------------------------------------------ foreign GraphML

@pytest.fixture
def foreign_graph(tmp_path) -> Path:
    """What another tool writes: integer ids, numbers where we have text, attributes missing."""
    G = nx.MultiDiGraph()
    G.add_node(1, label="Paper", title=5)
    G.add_node(2, label="Method", name=7)
    G.add_node(3, label="Method")
    G.add_node(4, label=9)
    G.add_node(5)
    G.add_edge(1, 2, type="USES")
    G.add_edge(1, 3)
    G.add_edge(1, 4, type=3, confidence="high")
    path = tmp_path / "foreign.graphml"
    nx.write_graphml(G, path)
    return path


@pytest.mark.parametrize("args", [
    ["stats"],
    ["query", "MATCH (m:Method) RETURN m.name"],
    ["query", "--named", "top_methods"],
    ["aliases"],
])
def test_output_foreign_graphml_is_read(foreign_graph, args):
    result = invoke(*args, "--graph", foreign_graph)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_output_foreign_graphml_exports(foreign_graph, tmp_path):
    for fmt in ("graphml", "gexf", "json"):
        target = tmp_path / f"out.{fmt}"
        assert invoke("export", "-f", fmt, "-o", target, "--graph", foreign_graph).exit_code == 0
    back = NetworkxBackend.load(tmp_path / "out.json").to_networkx()
    assert sorted(back.nodes) == ["1", "2", "3", "4", "5"] and back.nodes["2"]["name"] == "7"
    result = invoke("export", "-f", "neo4j-csv", "-o", tmp_path / "csv", "--graph", foreign_graph)
    assert result.exit_code == EXIT_FAILED and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("xml", "reason"), [
    ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph><node id="a"/><node id="b"/>'
     '<hyperedge><endpoint node="a"/><endpoint node="b"/></hyperedge></graph></graphml>', "hyperedges"),
    ("<html><body/></html>", "not GraphML"),
    ('<graphml><graph><node id="a">', "no element found"),
    ('<graphml><key id="d0" for="node" attr.name="year" attr.type="int"/><graph><node id="a">'
     '<data key="d0">abc</data></node></graph></graphml>', "'abc' of 'year' is not a valid int"),
    ("", "no element found"),
])
def test_output_unreadable_graphml_is_one_line(tmp_path, xml, reason):
    path = tmp_path / "bad.graphml"
    path.write_text(xml, encoding="utf-8")
    result = invoke("stats", "--graph", path)
    assert result.exit_code == EXIT_FAILED
    assert reason in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_output_graphml_reader_defaults_and_undirected_edges(tmp_path):
    path = tmp_path / "u.graphml"
    path.write_text(
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key id="k" for="node" attr.name="label" attr.type="string"><default>Method</default></key>'
        '<graph edgedefault="undirected"><node id="1"/><node id="2"><data key="k">Task</data></node>'
        '<edge source="1" target="2"/></graph></graphml>', encoding="utf-8")
    G = NetworkxBackend.load(path).to_networkx()
    assert dict(G.nodes(data="label")) == {"1": "Method", "2": "Task"}
    assert sorted((u, v) for u, v, _ in G.edges(keys=True)) == [("1", "2"), ("2", "1")]


# ------------------------------------------------------------------ machine-readable output

@pytest.fixture
def surrogate_graph(tmp_path) -> Path:
    """Another tool's node-link JSON whose strings hold lone surrogates (JSON allows `\\ud800`)."""
    path = tmp_path / "surrogates.json"
    path.write_text(json.dumps({
        "directed": True, "multigraph": True, "graph": {},
        "nodes": [{"node_id": "Paper:p1", "label": "Paper", "id": "p1", "title": "T \ud800 x"},
                  {"node_id": "Method:m", "label": "Method", "key": "m", "name": "M\udfff", "aliases": []}],
        "edges": [{"source": "Paper:p1", "target": "Method:m", "key": "USES", "type": "USES"}]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [
    ["query", "MATCH (p:Paper)-[:USES]->(m:Method) RETURN p.title, m.name", "--format", "json"],
    ["query", "MATCH (p:Paper)-[:USES]->(m:Method) RETURN p.title, m.name", "--format", "csv"],
    ["aliases", "--json"],
])
def test_output_machine_formats_replace_lone_surrogates(surrogate_graph, args):
    result = invoke(*args, "--graph", surrogate_graph)
    assert result.exit_code == 0, result.output
    assert "M\ufffd" in result.output and "\ud800" not in result.output and "\udfff" not in result.output
