"""kg.analysis: answers on the `tiny_extractions` graph, worked out by hand."""

from __future__ import annotations

import pytest

import networkx as nx

from kg.analysis import (
    cooccurrence,
    entity_neighbors,
    find_entities,
    leaderboards,
    load_graph,
    method_communities,
    method_cousage_graph,
    method_dataset_matrix,
    method_pagerank,
    papers_of,
    results_for,
    top_datasets,
    top_entities,
    top_methods,
    yearly_trends,
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


# --- researcher's analyses on a hand-built graph of two fields --------------------------------------
#
# Vision papers v1-v4 use ResNet and ViT (v1-v3 also CNN); NLP papers n1-n3 use BERT, GPT and LSTM;
# b1 bridges them (ViT and BERT); u1 (no year) uses ViT only.
#   datasets: ImageNet <- v1 v2 v3 b1; GLUE <- n1 n2 b1; CIFAR-10 <- v1
#   years: v1 2019, v2 2020, v3 2020, v4 2021, n1 2019, n2 2021, n3 2021, b1 2021
#   results (top-1 accuracy): ResNet 76.0 (v1) and ViT 81.0 (v2) on ImageNet, ViT 84.0 (v3) on
#   ImageNet-1K (VARIANT_OF ImageNet); BERT 80.5 GLUE score (n1) alone on GLUE.
TWO_FIELDS = {
    "v1": (2019, ["ResNet", "ViT", "CNN"], ["ImageNet", "CIFAR-10"]),
    "v2": (2020, ["ResNet", "ViT", "CNN"], ["ImageNet"]),
    "v3": (2020, ["ResNet", "ViT", "CNN"], ["ImageNet"]),
    "v4": (2021, ["ResNet", "ViT"], []),
    "n1": (2019, ["BERT", "GPT", "LSTM"], ["GLUE"]),
    "n2": (2021, ["BERT", "GPT", "LSTM"], ["GLUE"]),
    "n3": (2021, ["BERT", "GPT", "LSTM"], []),
    "b1": (2021, ["ViT", "BERT"], ["ImageNet", "GLUE"]),
    "u1": (None, ["ViT"], []),
}


def _two_fields() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for pid, (year, methods, datasets) in TWO_FIELDS.items():
        G.add_node(f"Paper:{pid}", label="Paper", id=pid, title=f"Paper {pid}",
                   **({"year": year} if year else {}))
        for i, m in enumerate(methods):
            G.add_node(f"Method:{m.lower()}", label="Method", name=m, key=m.lower())
            G.add_edge(f"Paper:{pid}", f"Method:{m.lower()}", type="PROPOSES" if i == 0 else "USES")
        for d in datasets:
            G.add_node(f"Dataset:{d.lower()}", label="Dataset", name=d, key=d.lower())
            G.add_edge(f"Paper:{pid}", f"Dataset:{d.lower()}", type="EVALUATES_ON")
    G.add_node("Dataset:imagenet-1k", label="Dataset", name="ImageNet-1K", key="imagenet-1k")
    G.add_edge("Dataset:imagenet-1k", "Dataset:imagenet", type="VARIANT_OF")
    G.add_node("Metric:top1", label="Metric", name="top-1 accuracy", key="top 1 accuracy")
    G.add_node("Metric:glue", label="Metric", name="GLUE score", key="glue score")
    for rid, (pid, value, method, dataset, metric) in enumerate([
            ("v1", 76.0, "resnet", "imagenet", "top1"), ("v2", 81.0, "vit", "imagenet", "top1"),
            ("v3", 84.0, "vit", "imagenet-1k", "top1"), ("n1", 80.5, "bert", "glue", "glue")]):
        G.add_node(f"Result:r{rid}", label="Result", value=value, unit="%", text=f"{value}%")
        G.add_edge(f"Paper:{pid}", f"Result:r{rid}", type="REPORTS", evidence=f"It reaches {value}%.")
        G.add_edge(f"Result:r{rid}", f"Metric:{metric}", type="OF_METRIC")
        G.add_edge(f"Result:r{rid}", f"Dataset:{dataset}", type="ON_DATASET")
        G.add_edge(f"Result:r{rid}", f"Method:{method}", type="FOR_METHOD")
    return G


@pytest.fixture
def fields():
    return _two_fields()


def test_analysis_method_dataset_matrix_counts(fields):
    methods, datasets, counts = method_dataset_matrix(fields)
    assert datasets == ["ImageNet", "GLUE", "CIFAR-10"]
    # ViT: 4 papers with a dataset; BERT and ResNet 3 each (4 in all, ties by name); CNN 3 (3 in all)
    assert methods == ["ViT", "BERT", "ResNet", "CNN", "GPT", "LSTM"]
    assert counts == [[4, 1, 1], [1, 3, 0], [3, 0, 1], [3, 0, 1], [0, 2, 0], [0, 2, 0]]
    assert method_dataset_matrix(fields, top_methods=2, top_datasets=2) == (
        ["ViT", "BERT"], ["ImageNet", "GLUE"], [[4, 1], [1, 3]])


def test_analysis_method_dataset_matrix_without_datasets_is_empty():
    G = nx.MultiDiGraph()
    G.add_node("Paper:p", label="Paper")
    G.add_node("Method:m", label="Method", name="M")
    G.add_edge("Paper:p", "Method:m", type="USES")
    assert method_dataset_matrix(G) == ([], [], [])


def test_analysis_method_cousage_graph_weights_and_threshold(fields):
    H = method_cousage_graph(fields)  # min_papers=2: the one-paper bridge ViT-BERT is dropped
    assert sorted(H.edges(data="weight")) == [
        ("BERT", "GPT", 3), ("BERT", "LSTM", 3), ("CNN", "ResNet", 3), ("CNN", "ViT", 3),
        ("GPT", "LSTM", 3), ("ResNet", "ViT", 4)]
    assert H.nodes["ViT"]["papers"] == 6 and H.nodes["CNN"]["papers"] == 3
    full = method_cousage_graph(fields, min_papers=1)
    assert full["ViT"]["BERT"]["weight"] == 1 and full.number_of_edges() == 7
    assert method_cousage_graph(fields, min_papers=5).number_of_nodes() == 0


def test_analysis_method_communities_two_fields(fields):
    expected = [{"BERT", "GPT", "LSTM"}, {"CNN", "ResNet", "ViT"}]  # same size: ordered by first name
    assert method_communities(fields) == expected
    # with the bridge kept, Louvain still splits the two fields; the co-usage graph is accepted too
    assert method_communities(fields, min_papers=1) == expected
    assert method_communities(method_cousage_graph(fields, min_papers=1), seed=7) == expected
    assert method_communities(nx.MultiDiGraph()) == []


def test_analysis_method_pagerank_order_and_reference(fields):
    ranked = method_pagerank(fields, n=None)
    # ViT has the strongest ties (ResNet 4, CNN 3) and the bridge to BERT
    assert [name for name, _ in ranked][:3] == ["ViT", "BERT", "ResNet"]
    assert abs(sum(score for _, score in ranked) - 1.0) < 1e-9
    reference = nx.algorithms.link_analysis.pagerank_alg._pagerank_python(
        method_cousage_graph(fields, min_papers=1), weight="weight", tol=1e-12)
    assert all(abs(score - reference[name]) < 1e-9 for name, score in ranked)
    assert method_pagerank(fields, n=2) == ranked[:2]


def test_analysis_yearly_trends_counts_dated_papers(fields):
    # ViT: v1 2019, v2 v3 2020, v4 b1 2021 (u1 has no year); BERT and ResNet both have 4: by name
    assert yearly_trends(fields, top=2) == {
        "ViT": {2019: 1, 2020: 2, 2021: 2},
        "BERT": {2019: 1, 2020: 0, 2021: 3},
    }
    assert yearly_trends(fields, label="Dataset", top=1) == {"ImageNet": {2019: 1, 2020: 2, 2021: 1}}


def test_analysis_yearly_trends_empty_without_years(G):
    G = G.copy()
    for _, d in G.nodes(data=True):
        d.pop("year", None)
    assert yearly_trends(G) == {}


def test_analysis_leaderboards_variants_roll_up(fields):
    boards = leaderboards(fields)
    assert [(d, m, [(r["rank"], r["value"], r["method"], r["dataset"]) for r in rows])
            for d, m, rows in boards] == [
        ("ImageNet", "top-1 accuracy",
         [(1, 84.0, "ViT", "ImageNet-1K"), (2, 81.0, "ViT", "ImageNet"), (3, 76.0, "ResNet", "ImageNet")]),
    ]
    assert boards[0][2][0]["paper_title"] == "Paper v3"
    # a single result is a board only when asked for
    assert [(d, m) for d, m, _ in leaderboards(fields, min_results=1)] == [
        ("ImageNet", "top-1 accuracy"), ("GLUE", "GLUE score")]


# --- the same analyses on the bundled sample -------------------------------------------------------


@pytest.fixture(scope="module")
def sample(sample_graph):
    """The bundled sample's graph (tests/conftest.py)."""
    return sample_graph


def test_analysis_on_the_bundled_sample(sample):
    methods, datasets, counts = method_dataset_matrix(sample)
    assert methods[0] == "transformer" and "ImageNet" in datasets
    assert len(counts) == len(methods) == 15 and all(len(row) == len(datasets) == 10 for row in counts)
    assert all(any(row) for row in counts)
    H = method_cousage_graph(sample)
    communities = method_communities(H)
    assert len(communities) >= 2 and set().union(*communities) == set(H)
    assert method_communities(H) == communities  # seeded: same answer again
    assert method_pagerank(sample, n=1)[0][0] == "transformer"
    assert yearly_trends(sample) == {}  # the sample has no publication years
    assert ("ImageNet", "top-1 accuracy") in [(d, m) for d, m, _ in leaderboards(sample)]
