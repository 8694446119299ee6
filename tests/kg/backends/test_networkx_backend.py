"""kg.backends.networkx_backend: idempotent upserts, counts, files, Cypher on top."""

from __future__ import annotations

import networkx as nx
import pytest

from kg.backends import GraphFileError, WriteStats
from kg.backends.networkx_backend import NetworkxBackend
from kg.builder import build_batch
from schema import GraphBatch, NodeRecord, RelRecord


def _snapshot(G: nx.MultiDiGraph):
    """Nodes and edges with data, comparable with ==."""
    return (
        sorted(G.nodes(data=True), key=lambda item: item[0]),
        sorted(G.edges(keys=True, data=True), key=lambda item: item[:3]),
    )


def test_networkx_backend_node_and_edge_layout(tiny_backend):
    G = tiny_backend.to_networkx()
    assert G.nodes["Method:colbert"] == {
        "name": "ColBERT", "aliases": [], "key": "colbert",
        "alias_evidence": ["ColBERT @ p1", "ColBERT @ p2"],
        "label": "Method", "__labels__": {"Method"},
    }
    assert G.nodes["Paper:p1"]["id"] == "p1"
    assert G.nodes["Result:p1#abstract:105-110"]["id"] == "p1#abstract:105-110"
    edge = G.edges["Paper:p1", "Method:bm25", "COMPARES_WITH"]
    assert edge["type"] == "COMPARES_WITH" and edge["__labels__"] == {"COMPARES_WITH"}
    assert edge["role"] == "compared" and edge["confidence"] == 0.8


def test_networkx_backend_repeated_values_are_stored_once(tiny_backend):
    """Memory at scale: a label set, an edge's node ids, a role or extractor string and a confidence
    are one object however many elements hold them (the values are equal either way)."""
    G = tiny_backend.to_networkx()
    edges = [(u, v, d) for u, v, d in G.edges(data=True) if d["type"] == "USES"]
    assert len(edges) >= 2
    (u1, v1, a), (u2, v2, b) = edges[:2]
    assert a["__labels__"] is b["__labels__"] and a["role"] is b["role"] and a["extractor"] is b["extractor"]
    papers = [d for _, d in G.nodes(data=True) if d["label"] == "Paper"]
    assert papers[0]["__labels__"] is papers[1]["__labels__"] and papers[0]["extractor"] is papers[1]["extractor"]
    ids = {id(n): n for n in G}
    for u, v in G.edges():  # edge ends are the node id objects themselves, not equal copies
        assert id(u) in ids and id(v) in ids
    confidences = {}
    for *_, d in G.edges(data=True):
        assert confidences.setdefault(d["confidence"], d["confidence"]) is d["confidence"]


def test_networkx_backend_upsert_twice_gives_identical_graph(nx_backend, tiny_extractions):
    batch = build_batch(tiny_extractions)
    first = nx_backend.upsert(batch)
    assert first == WriteStats(nodes_created=18, rels_created=24)
    before = _snapshot(nx_backend.to_networkx())
    assert nx_backend.upsert(batch) == WriteStats()
    assert _snapshot(nx_backend.to_networkx()) == before


def test_networkx_backend_counts_by_label_and_type(tiny_backend):
    counts = tiny_backend.counts()
    assert counts.nodes == {"Paper": 3, "Method": 6, "Dataset": 3, "Metric": 2, "Task": 2,
                            "Result": 2}
    assert counts.rels == {
        "PROPOSES": 3, "USES": 4, "COMPARES_WITH": 1, "EVALUATES_ON": 3, "MEASURES": 2,
        "ADDRESSES": 2, "REPORTS": 2, "OF_METRIC": 2, "ON_DATASET": 2, "FOR_METHOD": 1,
        "VARIANT_OF": 2,
    }
    assert (counts.total_nodes, counts.total_rels) == (18, 24)


def test_networkx_backend_counts_zero_for_empty_graph(nx_backend):
    counts = nx_backend.counts()
    assert counts.total_nodes == 0 and counts.nodes["Paper"] == 0 and counts.rels["USES"] == 0


def test_networkx_backend_updates_edge_confidence_to_max(nx_backend):
    def batch(confidence, evidence):
        return GraphBatch(
            nodes=[NodeRecord(label="Paper", key="p", props={"title": "T"}),
                   NodeRecord(label="Method", key="bert", props={"name": "BERT"})],
            rels=[RelRecord(type="USES", start_label="Paper", start_key="p",
                            end_label="Method", end_key="bert",
                            props={"confidence": confidence, "evidence": evidence})],
        )

    nx_backend.upsert(batch(0.5, "first"))
    assert nx_backend.upsert(batch(0.9, "second")) == WriteStats(rels_updated=1)
    assert nx_backend.upsert(batch(0.7, "third")) == WriteStats()
    G = nx_backend.to_networkx()
    assert G.number_of_edges() == 1
    assert G.edges["Paper:p", "Method:bert", "USES"]["confidence"] == 0.9
    assert G.edges["Paper:p", "Method:bert", "USES"]["evidence"] == "first"


def test_networkx_backend_skips_relationship_to_unknown_node(nx_backend):
    stats = nx_backend.upsert(GraphBatch(
        nodes=[NodeRecord(label="Paper", key="p", props={"title": "T"})],
        rels=[RelRecord(type="USES", start_label="Paper", start_key="p",
                        end_label="Method", end_key="nowhere")],
    ))
    assert stats == WriteStats(nodes_created=1, rels_skipped=1)
    assert nx_backend.to_networkx().number_of_edges() == 0


@pytest.mark.parametrize("name", ["graph.graphml", "graph.json", "graph.graphml.gz"])
def test_networkx_backend_save_load_round_trip(tiny_backend, tmp_path, name):
    path = tiny_backend.save(tmp_path / name)
    loaded = NetworkxBackend.load(path)
    assert _snapshot(loaded.to_networkx()) == _snapshot(tiny_backend.to_networkx())
    assert loaded.counts() == tiny_backend.counts()


def test_networkx_backend_second_run_on_saved_file_changes_nothing(tmp_path, tiny_extractions):
    path = tmp_path / "kg.graphml"
    with NetworkxBackend(path) as backend:
        backend.upsert(build_batch(tiny_extractions))
    saved = path.read_bytes()
    with NetworkxBackend(path) as again:
        before = _snapshot(again.to_networkx())
        assert again.upsert(build_batch(tiny_extractions)) == WriteStats()
        assert _snapshot(again.to_networkx()) == before
    assert path.read_bytes() == saved


def test_networkx_backend_close_saves_to_path(nx_backend, tiny_extractions):
    nx_backend.upsert(build_batch(tiny_extractions[:1]))
    assert not nx_backend.path.exists()
    nx_backend.close()
    assert NetworkxBackend.load(nx_backend.path).counts().nodes["Paper"] == 1


def test_networkx_backend_query_uses_labels_after_load(tiny_backend, tmp_path):
    loaded = NetworkxBackend.load(tiny_backend.save(tmp_path / "g.graphml"))
    result = loaded.query("MATCH (p:Paper)-[:COMPARES_WITH]->(m:Method) RETURN p.id, m.name")
    assert result.rows == [["p1", "BM25"]]


def test_networkx_backend_load_missing_file_names_path(tmp_path):
    missing = tmp_path / "nope.graphml"
    with pytest.raises(GraphFileError) as info:
        NetworkxBackend.load(missing)
    assert str(info.value) == f"{missing}: cannot read graph: no such file"


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.graphml", "<graphml><graph><node id='a'>"), ("bad.json", "{not json"),
     ("bad.graphml", "")],
)
def test_networkx_backend_load_corrupt_file_is_one_line_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(GraphFileError) as info:
        NetworkxBackend(path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot read graph: ")
    assert "\n" not in message


def test_networkx_backend_rejects_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the graph format"):
        NetworkxBackend(tmp_path / "graph.txt")
