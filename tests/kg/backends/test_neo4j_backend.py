"""The Neo4j backend against a real server: same graph as networkx, idempotent, incremental, errors."""

from __future__ import annotations

import pytest

from kg.backends import QueryError, WriteStats, get_backend
from kg.backends.neo4j_backend import Neo4jBackend, Neo4jUnavailable
from kg.backends.networkx_backend import NetworkxBackend
from kg.builder import build_batch
from schema.graph import GraphBatch, NodeRecord, RelRecord

pytestmark = pytest.mark.neo4j


def nx_graph(pairs):
    store = NetworkxBackend()
    store.upsert(build_batch(pairs))
    return store.to_networkx()


def test_get_backend_neo4j_connects_and_creates_constraints(neo4j_settings):
    with get_backend("neo4j", **neo4j_settings) as backend:
        assert isinstance(backend, Neo4jBackend)
        rows = backend.query("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                             "RETURN labelsOrTypes[0] AS label, properties[0] AS prop, type ORDER BY label",
                             write=True)  # SHOW is an administration command: refused read-only
    assert rows.rows == [["Dataset", "key", "UNIQUENESS"], ["Method", "key", "UNIQUENESS"],
                         ["Metric", "key", "UNIQUENESS"], ["Paper", "id", "UNIQUENESS"],
                         ["Result", "id", "UNIQUENESS"], ["Task", "key", "UNIQUENESS"]]


def test_same_graph_as_networkx(neo4j_backend, tiny_extractions, graph_snapshot):
    stats = neo4j_backend.upsert(build_batch(tiny_extractions))
    expected = nx_graph(tiny_extractions)
    assert stats.nodes_created == expected.number_of_nodes() == 18
    assert stats.rels_created == expected.number_of_edges() == 24
    assert graph_snapshot(neo4j_backend.to_networkx()) == graph_snapshot(expected)
    counts = neo4j_backend.counts()
    assert counts.nodes["Method"] == 6 and counts.rels["VARIANT_OF"] == 2 and counts.total_rels == 24


def test_loading_twice_changes_nothing(neo4j_backend, tiny_extractions, graph_snapshot):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    before = graph_snapshot(neo4j_backend.to_networkx())
    again = neo4j_backend.upsert(build_batch(tiny_extractions))
    assert again == WriteStats()
    assert graph_snapshot(neo4j_backend.to_networkx()) == before


def test_second_load_adds_only_what_is_new_and_merges_by_key(neo4j_backend, tiny_extractions, graph_snapshot):
    first = neo4j_backend.upsert(build_batch(tiny_extractions[:1]))
    second = neo4j_backend.upsert(build_batch(tiny_extractions[1:]))
    # p2 shares ColBERT and BERT with p1, p3 shares MS MARCO: those are updated, not created again
    assert first.nodes_created + second.nodes_created == 18
    assert second.nodes_updated >= 2
    assert graph_snapshot(neo4j_backend.to_networkx()) == graph_snapshot(nx_graph(tiny_extractions))
    colbert = neo4j_backend.query("MATCH (m:Method {key: $k}) RETURN m.name AS name, m.alias_evidence AS ev",
                                  {"k": "colbert"}).records()
    assert colbert == [{"name": "ColBERT", "ev": ["ColBERT @ p1", "ColBERT @ p2"]}]


def test_small_batches_split_into_many_transactions(neo4j_settings, tiny_extractions, graph_snapshot):
    with Neo4jBackend(**neo4j_settings, batch_rows=2) as backend:
        backend.clear()
        backend.upsert(build_batch(tiny_extractions))
        assert graph_snapshot(backend.to_networkx()) == graph_snapshot(nx_graph(tiny_extractions))


def test_relationship_to_a_missing_node_is_skipped(neo4j_backend):
    batch = GraphBatch(
        nodes=[NodeRecord(label="Paper", key="p9", props={"title": "T"})],
        rels=[RelRecord(type="USES", start_label="Paper", start_key="p9", end_label="Method", end_key="nowhere")])
    stats = neo4j_backend.upsert(batch)
    assert (stats.nodes_created, stats.rels_created, stats.rels_skipped) == (1, 0, 1)
    assert neo4j_backend.counts().total_rels == 0


def test_remove_papers_matches_networkx(neo4j_backend, tiny_extractions, graph_snapshot):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    reference = NetworkxBackend()
    reference.upsert(build_batch(tiny_extractions))
    got = neo4j_backend.remove_papers(["p2", "missing"])
    want = reference.remove_papers(["p2", "missing"])
    assert got == want and got.nodes_removed > 0
    G = neo4j_backend.to_networkx()
    assert "Method:jina-colbert-v2" not in G and "Dataset:colbench" not in G and "Method:colbert" in G
    assert graph_snapshot(G) == graph_snapshot(reference.to_networkx())
    assert neo4j_backend.paper_versions().keys() == {"p1", "p3"}


def test_query_is_read_only_unless_write(neo4j_backend, tiny_extractions):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    with pytest.raises(QueryError, match="--write"):
        neo4j_backend.query("MATCH (m:Method {key: $k}) SET m.name = $n", {"k": "bert", "n": "x"})
    assert neo4j_backend.query("MATCH (m:Method {key: 'bert'}) RETURN m.name").rows == [["BERT"]]
    neo4j_backend.query("MATCH (m:Method {key: $k}) SET m.name = $n", {"k": "bert", "n": "Bert!"}, write=True)
    assert neo4j_backend.query("MATCH (m:Method {key: 'bert'}) RETURN m.name").rows == [["Bert!"]]


def test_query_values_and_errors(neo4j_backend, tiny_extractions):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    hostile = "x' OR 1=1 //"
    assert neo4j_backend.query("MATCH (m:Method) WHERE m.name = $n RETURN m", {"n": hostile}).rows == []
    node = neo4j_backend.query("MATCH (m:Method {key: $k}) RETURN m", {"k": "bert"}).rows[0][0]
    assert node["name"] == "BERT" and node["label"] == "Method"
    with pytest.raises(QueryError, match="Neo4j refused the query"):
        neo4j_backend.query("MATCH (m:Method RETURN m")
    with pytest.raises(QueryError, match="Neo4j refused the query"):
        neo4j_backend.query("MATCH (m:Method) WHERE m.name = $missing RETURN m")


def test_wrong_password(neo4j_settings):
    with pytest.raises(Neo4jUnavailable, match="rejected user 'neo4j': wrong user name or password.*NEO4J_PASSWORD"):
        Neo4jBackend(**{**neo4j_settings, "password": "not-the-password"})


def test_unknown_database(neo4j_settings):
    with pytest.raises(Neo4jUnavailable, match="no database 'nosuchdb'.*--database"):
        Neo4jBackend(**neo4j_settings, database="nosuchdb")


def test_server_not_running():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Neo4jUnavailable, match=f"cannot reach Neo4j at bolt://127.0.0.1:{port}.*docker compose up -d"):
        Neo4jBackend(uri=f"bolt://127.0.0.1:{port}", password="x")


def test_bad_uri():
    with pytest.raises(Neo4jUnavailable, match="bad Neo4j URI 'http://x'"):
        Neo4jBackend(uri="http://x", password="x")
