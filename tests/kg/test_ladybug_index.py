"""The query index beside the graph file: written by `kg build` (also --incremental and --append) and
`kg index`, rebuilt by `kg query` when missing or stale, refused with one line when corrupt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.backends.networkx_backend import NetworkxBackend
from kg.build import EXIT_FAILED, EXIT_OK
from kg.cli import app
from kg.ladybug_index import (INDEX_FORMAT, META_FILE, DB_FILE, LadybugIndex, index_path, index_status, load_into,
                              write_index)
from schema import GraphBatch, NodeRecord

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

V1 = [
    {"id": "a", "title": "Distilling BERT", "abstract": "We apply knowledge distillation to BERT and evaluate on GLUE."},
    {"id": "c", "title": "Tiny retrieval", "abstract": "ColBERT with late interaction is evaluated on MS MARCO."},
]
V2 = [V1[0], {"id": "d", "title": "Speech", "abstract": "We fine-tune wav2vec 2.0 for speech recognition on LibriSpeech."}]


def write(path: Path, papers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    return path


def kg(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def paper_ids(graph: Path) -> list[str]:
    result = kg("query", "MATCH (p:Paper) RETURN p.id ORDER BY p.id", "--graph", graph, "--format", "csv")
    assert result.exit_code == EXIT_OK, result.output
    return result.output.splitlines()[1:]


def test_index_path_sits_beside_the_graph():
    assert index_path(Path("out/graph.graphml")) == Path("out/graph.lbdb")
    assert index_path(Path("g.graphml.gz")) == Path("g.lbdb")
    assert index_path(Path("g.json")) == Path("g.lbdb")


def test_build_writes_the_index_and_incremental_and_append_keep_it_in_sync(tmp_path):
    graph = tmp_path / "g.graphml"
    result = kg("build", write(tmp_path / "v1.jsonl", V1), "--out", graph)
    assert result.exit_code == EXIT_OK, result.output
    assert "query index written to" in result.output and index_status(graph) is None
    assert paper_ids(graph) == ["a", "c"]
    assert kg("build", write(tmp_path / "v2.jsonl", V2), "--out", graph, "--incremental").exit_code == EXIT_OK
    assert index_status(graph) is None  # written by the build, not rebuilt by the query
    assert paper_ids(graph) == ["a", "d"]
    assert kg("build", write(tmp_path / "v3.jsonl", V1[1:]), "--out", graph, "--append").exit_code == EXIT_OK
    assert index_status(graph) is None
    assert paper_ids(graph) == ["a", "c", "d"]


def test_query_builds_a_missing_index_and_rebuilds_a_stale_one(tiny_graph_file):
    assert not index_path(tiny_graph_file).exists()
    assert paper_ids(tiny_graph_file) == ["p1", "p2", "p3"]
    assert index_status(tiny_graph_file) is None
    with NetworkxBackend(tiny_graph_file) as store:  # the graph file changes behind the index's back
        store.upsert(GraphBatch(nodes=[NodeRecord(label="Paper", key="p9", props={"title": "New"})]))
    assert index_status(tiny_graph_file) == f"{index_path(tiny_graph_file)} is older than {tiny_graph_file}"
    result = kg("query", "MATCH (p:Paper) RETURN count(*) AS n", "--graph", tiny_graph_file, "--format", "csv")
    assert result.exit_code == EXIT_OK
    assert result.output.splitlines() == [
        f"note: {index_path(tiny_graph_file)} is older than {tiny_graph_file}; rebuilding the query index from {tiny_graph_file}",
        "n", "4"]


def test_index_of_an_older_format_is_rebuilt_not_read(tiny_graph_file):
    write_index(NetworkxBackend.load(tiny_graph_file).to_networkx(), index_path(tiny_graph_file), source=tiny_graph_file)
    meta_file = index_path(tiny_graph_file) / META_FILE
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "format": INDEX_FORMAT - 1}))
    assert "written by another version of kg" in index_status(tiny_graph_file)
    assert paper_ids(tiny_graph_file)[-3:] == ["p1", "p2", "p3"]
    assert json.loads(meta_file.read_text())["format"] == INDEX_FORMAT


def test_corrupt_index_is_one_line_naming_it_and_kg_index_repairs_it(tiny_graph_file):
    index = index_path(tiny_graph_file)
    write_index(NetworkxBackend.load(tiny_graph_file).to_networkx(), index, source=tiny_graph_file)
    db = index / DB_FILE
    db.write_bytes(b"\x00garbage" * 4096)
    result = kg("query", "MATCH (p:Paper) RETURN p.id", "--graph", tiny_graph_file)
    assert result.exit_code == EXIT_FAILED
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"error: {index}: the query index is corrupt or unreadable")
    assert lines[0].endswith(f"rebuild it with `kg index --graph {tiny_graph_file}` (or `kg build`)")
    repaired = kg("index", "--graph", tiny_graph_file)
    assert repaired.exit_code == EXIT_OK and f"wrote {index}: 18 nodes and 24 relationships" in repaired.output
    assert paper_ids(tiny_graph_file) == ["p1", "p2", "p3"]


def test_kg_index_without_a_graph_file(tmp_path):
    result = kg("index", "--graph", tmp_path / "none.graphml")
    assert result.exit_code == 1 and "no such graph file (run `kg build` first" in result.output


def test_index_holds_what_the_graph_holds(tiny_graph_file, graph_snapshot):
    G = NetworkxBackend.load(tiny_graph_file).to_networkx()
    stats = write_index(G, index_path(tiny_graph_file), source=tiny_graph_file)
    assert (stats.nodes, stats.rels) == (G.number_of_nodes(), G.number_of_edges())
    with LadybugIndex(stats.path) as idx:
        assert idx.counts() == NetworkxBackend(graph=G).counts()
        colbert = idx.query("MATCH (m:Method {key: 'colbert'}) RETURN m").rows[0][0]
        expected = {k: v for k, v in G.nodes["Method:colbert"].items() if k != "__labels__"}
        assert colbert == expected
        rel = idx.query("MATCH (:Paper {id: 'p1'})-[r:EVALUATES_ON]->() RETURN r").rows[0][0]
        assert rel == {k: v for k, v in G.edges["Paper:p1", "Dataset:ms marco", "EVALUATES_ON"].items()
                       if k != "__labels__"}
        # typed columns: numbers stay numbers, lists stay lists
        assert idx.query("MATCH (r:Result) RETURN r.value ORDER BY r.value").rows == [[0.521], [36.0]]
        assert idx.query("MATCH (p:Paper) WHERE p.year > $y RETURN p.id", {"y": 2021}).rows == [["p2"]]


def test_index_is_read_only_even_for_the_engine(tiny_graph_file):
    index = index_path(tiny_graph_file)
    write_index(NetworkxBackend.load(tiny_graph_file).to_networkx(), index, source=tiny_graph_file)
    with LadybugIndex(index) as idx:
        with pytest.raises(Exception, match="read-only"):
            idx._conn.execute("CREATE (m:Method {key: 'x'})")  # past the dialect's refusal: the database says no


def test_failed_write_keeps_the_old_index(tiny_graph_file, monkeypatch):
    index = index_path(tiny_graph_file)
    write_index(NetworkxBackend.load(tiny_graph_file).to_networkx(), index, source=tiny_graph_file)
    before = (index / DB_FILE).read_bytes()

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kg.ladybug_index.load_into", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_index(NetworkxBackend.load(tiny_graph_file).to_networkx(), index, source=tiny_graph_file)
    assert (index / DB_FILE).read_bytes() == before
    assert [p.name for p in index.parent.iterdir() if ".tmp-" in p.name] == []
    assert load_into is not broken and os.path.isdir(index)


def test_query_opens_the_index_without_reading_the_graph_file(tiny_graph_file):
    assert paper_ids(tiny_graph_file) == ["p1", "p2", "p3"]  # builds the index
    st = tiny_graph_file.stat()
    tiny_graph_file.write_bytes(b"x" * st.st_size)  # unreadable as GraphML, same size and time: the index is current
    os.utime(tiny_graph_file, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert index_status(tiny_graph_file) is None
    assert paper_ids(tiny_graph_file) == ["p1", "p2", "p3"]
    named = kg("query", "--named", "top_methods", "--param", "limit=2", "--graph", tiny_graph_file, "--format", "csv")
    assert named.exit_code == EXIT_OK and named.output.splitlines() == [
        "method,key,papers", "BERT,bert,2", "ColBERT,colbert,2"]
