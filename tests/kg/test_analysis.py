"""kg.analysis: answers on the `tiny_extractions` graph, worked out by hand."""

from __future__ import annotations

import pytest

from kg.analysis import (
    cooccurrence,
    entity_neighbors,
    find_entities,
    load_graph,
    papers_of,
    results_for,
    top_datasets,
    top_entities,
    top_methods,
)
from kg.backends import GraphFileError


@pytest.fixture
def G(tiny_backend):
    return tiny_backend.to_networkx()


def test_analysis_top_methods_any_relationship(G):
    # colbert: p1 PROPOSES, p2 USES; bert: p1 USES, p2 USES; the rest one paper each
    assert top_methods(G) == [("BERT", 2), ("ColBERT", 2), ("BM25", 1), ("Jina-ColBERT-v2", 1),
                              ("ResNet-50", 1)]


def test_analysis_top_methods_by_relationship_type_and_n(G):
    assert top_methods(G, n=1, rel_types=["USES"]) == [("BERT", 2)]
    assert top_methods(G, rel_types=["PROPOSES"]) == [("ColBERT", 1), ("Jina-ColBERT-v2", 1)]
    assert top_methods(G, rel_types=["COMPARES_WITH"]) == [("BM25", 1)]


def test_analysis_top_datasets_and_other_labels(G):
    assert top_datasets(G) == [("MS MARCO", 2), ("BEIR", 1), ("ColBench", 1)]
    assert top_datasets(G, rel_types=["EVALUATES_ON"]) == [("MS MARCO", 2), ("BEIR", 1)]
    assert top_entities(G, "Task") == [("image classification", 1), ("passage retrieval", 1)]
    assert top_entities(G, "Metric", n=None) == [("MRR@10", 1), ("nDCG@10", 1)]


def test_analysis_cooccurrence_method_dataset(G):
    assert cooccurrence(G) == [
        ("BERT", "BEIR", 1), ("BERT", "ColBench", 1), ("BERT", "MS MARCO", 1),
        ("BM25", "MS MARCO", 1), ("ColBERT", "BEIR", 1), ("ColBERT", "ColBench", 1),
        ("ColBERT", "MS MARCO", 1), ("Jina-ColBERT-v2", "BEIR", 1),
        ("Jina-ColBERT-v2", "ColBench", 1), ("ResNet-50", "MS MARCO", 1),
    ]


def test_analysis_cooccurrence_min_papers_and_same_label(G):
    assert cooccurrence(G, "Method", "Method", min_papers=2) == [
        ("BERT", "ColBERT", 2), ("ColBERT", "BERT", 2)]
    assert cooccurrence(G, min_papers=2) == []


def test_analysis_find_entities_by_key_name_or_alias(G):
    assert find_entities(G, "msmarco") == ["Dataset:ms marco"]
    assert find_entities(G, "ms-marco") == ["Dataset:ms marco"]
    assert find_entities(G, "MS MARCO", label="Method") == []
    assert find_entities(G, "colbert") == ["Method:colbert"]


def test_analysis_papers_of_entity(G):
    rows = papers_of(G, "ColBERT")
    assert [(r["id"], r["rel"], r["entity"]) for r in rows] == [
        ("p1", "PROPOSES", "ColBERT"), ("p2", "USES", "ColBERT")]
    assert rows[0]["title"] == "ColBERT: Efficient Passage Search"
    assert rows[0]["confidence"] == 0.95
    assert rows[0]["evidence"] == "We present ColBERT, a late-interaction retriever built on BERT."
    assert [r["id"] for r in papers_of(G, "ms marco", label="Dataset")] == ["p1", "p3"]
    assert papers_of(G, "nothing") == []


def test_analysis_entity_neighbors(G):
    # BERT is in p1 and p2; every other entity of those papers, Results excluded
    assert entity_neighbors(G, "BERT", n=None) == [
        ("Method", "ColBERT", 2),
        ("Dataset", "BEIR", 1), ("Dataset", "ColBench", 1), ("Dataset", "MS MARCO", 1),
        ("Method", "BM25", 1), ("Method", "Jina-ColBERT-v2", 1),
        ("Metric", "MRR@10", 1), ("Metric", "nDCG@10", 1),
        ("Task", "passage retrieval", 1),
    ]
    assert entity_neighbors(G, "BERT", n=1) == [("Method", "ColBERT", 2)]


def test_analysis_results_for_dataset_metric_method(G):
    assert results_for(G, dataset="MS MARCO") == [{
        "paper": "p1", "title": "ColBERT: Efficient Passage Search", "metric": "MRR@10",
        "value": 36.0, "unit": "%", "dataset": "MS MARCO", "method": "ColBERT", "text": "36.0%",
    }]
    assert [r["value"] for r in results_for(G)] == [36.0, 0.521]
    assert results_for(G, metric="ndcg@10")[0]["method"] is None
    assert results_for(G, dataset="BEIR", method="ColBERT") == []


def test_analysis_load_graph_round_trip(tiny_backend, tmp_path):
    path = tiny_backend.save(tmp_path / "g.graphml")
    assert top_methods(load_graph(path)) == top_methods(tiny_backend.to_networkx())


def test_analysis_load_graph_missing_file(tmp_path):
    with pytest.raises(GraphFileError, match="no such file"):
        load_graph(tmp_path / "missing.graphml")


@pytest.mark.parametrize(
    "module",
    ["kg.analysis", "kg.builder", "kg.export", "kg.cypher_params", "kg.query",
     "kg.backends.networkx_backend"],
)
def test_analysis_docstring_examples_run(module):
    """The Examples sections of the graph modules are real (numpydoc, as in networkx)."""
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module), verbose=False)
    assert tried > 0 and failures == 0
