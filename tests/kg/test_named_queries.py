"""Named queries: exact answers on the hand-built graph, parameter errors, entity-name resolution,
and the same table from the Python path (networkx) and the Cypher (a real Neo4j server)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from kg.analysis import find_entities
from kg.backends.base import QueryError, QueryResult
from kg.backends.networkx_backend import NetworkxBackend
from kg.named_queries import NAMED_QUERIES, entity_matches, run_named
from kg.leaderboard import LOWER_IS_BETTER_CYPHER

ENTITY_LABELS = ("Method", "Dataset", "Metric", "Task")


def rows(backend, name: str, **params: Any) -> list[list[Any]]:
    return run_named(backend, name, params).rows


@pytest.fixture(scope="module")
def sample_backend(tiny_factory) -> NetworkxBackend:
    """The bundled sample corpus plus the hand-built papers (which have years) in networkx."""
    from kg.build import SAMPLE_CORPUS, build_graph
    from kg.builder import build_batch

    backend = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], backend)
    backend.upsert(build_batch(tiny_factory()))
    return backend


# -- the catalogue ---------------------------------------------------------------------------------

def test_catalogue_is_well_formed():
    assert len(NAMED_QUERIES) >= 12
    for name, q in NAMED_QUERIES.items():
        assert q.name == name
        assert q.description.endswith(".") and q.description.count(". ") == 0, name
        # every value reaches Neo4j as a $parameter, and every parameter is used
        assert set(re.findall(r"\$(\w+)", q.cypher)) == {p.name for p in q.params} | set(q.constants), name
        assert all(p.kind in ("text", "int", "float", "method", "dataset", "metric", "task") for p in q.params)


# -- exact answers on the hand-built graph (tests/conftest.py) -------------------------------------

def test_papers_on_dataset_by_any_spelling(tiny_backend):
    expected = [["p1", "ColBERT: Efficient Passage Search", 2020], ["p3", "A study of ResNet-50", None]]
    for spelling in ("ms-marco", "MS MARCO", "msmarco", "ms marco"):
        assert rows(tiny_backend, "papers_on_dataset", dataset=spelling) == expected
    # BEIR: p2 evaluates on it and reports its nDCG@10 there (counted once)
    assert rows(tiny_backend, "papers_on_dataset", dataset="BEIR") == [["p2", "Jina-ColBERT-v2", 2024]]


def test_top_methods_and_datasets(tiny_backend):
    result = run_named(tiny_backend, "top_methods")
    assert result.columns == ["method", "key", "papers"]
    assert result.rows == [["BERT", "bert", 2], ["ColBERT", "colbert", 2], ["BM25", "bm25", 1],
                           ["Jina-ColBERT-v2", "jina-colbert-v2", 1], ["ResNet-50", "resnet-50", 1]]
    assert rows(tiny_backend, "top_methods", limit="2") == result.rows[:2]
    assert rows(tiny_backend, "top_datasets") == [["MS MARCO", "ms marco", 2], ["BEIR", "beir", 1],
                                                  ["ColBench", "colbench", 1]]


def test_datasets_tasks_and_methods_around_entities(tiny_backend):
    assert rows(tiny_backend, "datasets_of_method", method="ColBERT") == [["BEIR", "beir", 1],
                                                                          ["MS MARCO", "ms marco", 1]]
    assert rows(tiny_backend, "datasets_of_method", method="resnet-50") == [["MS MARCO", "ms marco", 1]]
    assert rows(tiny_backend, "tasks_with_dataset", dataset="MS MARCO") == [
        ["image classification", "image classification", 1], ["passage retrieval", "passage retrieval", 1]]
    assert rows(tiny_backend, "methods_for_task", task="Passage Retrieval") == [["BERT", "bert", 1],
                                                                                ["ColBERT", "colbert", 1]]
    assert rows(tiny_backend, "methods_for_task", task="image classification") == [["ResNet-50", "resnet-50", 1]]


def test_co_used_methods(tiny_backend):
    assert rows(tiny_backend, "co_used_methods", method="ColBERT") == [
        ["BERT", "bert", 2], ["BM25", "bm25", 1], ["Jina-ColBERT-v2", "jina-colbert-v2", 1]]
    assert rows(tiny_backend, "co_used_methods", method="ColBERT", limit=1) == [["BERT", "bert", 2]]
    assert rows(tiny_backend, "co_used_methods", method="ResNet-50") == []


def test_leaderboard_with_and_without_method(tiny_backend):
    result = run_named(tiny_backend, "leaderboard", {"dataset": "MS MARCO"})
    assert result.records() == [{"dataset": "MS MARCO", "metric": "MRR@10", "value": 36.0, "unit": "%",
                                 "method": "ColBERT", "paper": "ColBERT: Efficient Passage Search"}]
    # the BEIR result names no method and no unit: nulls, not a missing row
    assert rows(tiny_backend, "leaderboard", dataset="beir") == [
        ["BEIR", "nDCG@10", 0.521, None, None, "Jina-ColBERT-v2"]]
    assert rows(tiny_backend, "leaderboard", dataset="ColBench") == []


def test_methods_proposed_and_variants(tiny_backend):
    assert rows(tiny_backend, "methods_proposed") == [["ColBERT: Efficient Passage Search", "ColBERT"],
                                                      ["Jina-ColBERT-v2", "Jina-ColBERT-v2"]]
    assert rows(tiny_backend, "methods_proposed", limit=1) == [["ColBERT: Efficient Passage Search", "ColBERT"]]
    assert rows(tiny_backend, "variants_of", method="ColBERT") == [["Jina-ColBERT-v2", "jina-colbert-v2", 1]]
    assert rows(tiny_backend, "variants_of", method="resnet") == [["ResNet-50", "resnet-50", 1]]
    assert rows(tiny_backend, "variants_of", method="Jina-ColBERT-v2") == []


def test_variants_follow_chains_up_to_three_hops():
    from schema.graph import GraphBatch, NodeRecord, RelRecord

    chain = ["m0", "m1", "m2", "m3", "m4"]  # m4 -> m3 -> m2 -> m1 -> m0, plus a shortcut m2 -> m0
    backend = NetworkxBackend()
    backend.upsert(GraphBatch(
        nodes=[NodeRecord(label="Method", key=k, props={"name": k.upper()}) for k in chain],
        rels=[RelRecord(type="VARIANT_OF", start_label="Method", start_key=a, end_label="Method", end_key=b)
              for a, b in [("m1", "m0"), ("m2", "m1"), ("m3", "m2"), ("m4", "m3"), ("m2", "m0")]]))
    assert rows(backend, "variants_of", method="m0") == [["M1", "m1", 1], ["M2", "m2", 1], ["M3", "m3", 2],
                                                         ["M4", "m4", 3]]


def test_papers_metric_above(tiny_backend):
    assert rows(tiny_backend, "papers_metric_above", metric="MRR@10", threshold="30") == [
        ["p1", "ColBERT: Efficient Passage Search", 36.0]]
    assert rows(tiny_backend, "papers_metric_above", metric="mrr@10", threshold=36) == []
    assert rows(tiny_backend, "papers_metric_above", metric="nDCG@10", threshold=0.5) == [
        ["p2", "Jina-ColBERT-v2", 0.521]]


def test_shortest_connection(tiny_backend):
    result = run_named(tiny_backend, "shortest_connection", {"source": "BM25", "target": "Jina-ColBERT-v2"})
    assert result.columns == ["hops", "path"]
    # through the paper comparing with BM25, then ColBERT's variant (BERT's route is one hop longer)
    assert result.rows == [[3, ["BM25", "ColBERT: Efficient Passage Search", "ColBERT", "Jina-ColBERT-v2"]]]
    # direction is ignored; "resnet" only exists as a VARIANT_OF target, named by its key:
    # resnet <- ResNet-50 <- paper -> MS MARCO <- paper -> BM25
    assert rows(tiny_backend, "shortest_connection", source="resnet", target="bm25") == [
        [5, ["resnet", "ResNet-50", "A study of ResNet-50", "MS MARCO", "ColBERT: Efficient Passage Search", "BM25"]]]
    # several equally short paths, sorted
    assert rows(tiny_backend, "shortest_connection", source="BERT", target="ColBERT") == [
        [2, ["BERT", "ColBERT: Efficient Passage Search", "ColBERT"]], [2, ["BERT", "Jina-ColBERT-v2", "ColBERT"]]]
    assert rows(tiny_backend, "shortest_connection", source="BERT", target="ColBERT", limit=1) == [
        [2, ["BERT", "ColBERT: Efficient Passage Search", "ColBERT"]]]
    assert rows(tiny_backend, "shortest_connection", source="ColBERT", target="colbert") == []


# -- parameters and errors -------------------------------------------------------------------------

def test_unknown_query_lists_the_available_ones(tiny_backend):
    with pytest.raises(QueryError, match=r"unknown named query 'top_method'.*top_methods"):
        run_named(tiny_backend, "top_method")


BAD_CALLS = [
    ("leaderboard", {}, r"query leaderboard needs --param dataset=\.\.\. \(dataset name"),
    ("papers_metric_above", {"metric": "MRR@10"}, r"needs --param threshold=\.\.\."),
    ("top_methods", {"dataset": "BEIR"}, r"has no parameter 'dataset'; its parameters: limit"),
    ("top_methods", {"limit": "ten"}, r"--param limit must be an integer, not 'ten'"),
    ("top_methods", {"limit": 2.5}, "--param limit must"),
    ("top_methods", {"limit": True}, "--param limit must"),
    ("top_methods", {"limit": -1}, "--param limit must"),
    ("papers_metric_above", {"metric": "MRR@10", "threshold": "high"}, r"--param threshold must be a number, not 'high'"),
    ("variants_of", {"method": ["ColBERT"]}, "must be a method name"),
    # unknown entities: the closest names as a hint, and a name of another label is not one of this label
    ("leaderboard", {"dataset": "MS MARCI"}, r"^no dataset matches 'MS MARCI' \(did you mean 'MS MARCO'\?\)$"),
    ("variants_of", {"method": "ColBERTv9"}, r"^no method matches 'ColBERTv9' \(did you mean .*'ColBERT'"),
    ("methods_for_task", {"task": "zzzz"}, r"^no task matches 'zzzz'$"),
    ("variants_of", {"method": "BEIR"}, "no method matches 'BEIR'"),
]


@pytest.mark.parametrize("name, params, message", BAD_CALLS)
def test_bad_parameters_are_clear_errors(tiny_backend, name, params, message):
    with pytest.raises(QueryError, match=message):
        run_named(tiny_backend, name, params)


class RecordingBackend:
    """Not networkx: named queries must go through `query` with resolved keys in the parameters."""

    def __init__(self, entities: dict[str, list[list[Any]]]):
        self.entities = entities
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
        self.calls.append((cypher, dict(params or {})))
        found = re.fullmatch(r"MATCH \(n:(\w+)\) RETURN n\.key AS key, n\.name AS name, n\.aliases AS aliases", cypher)
        if found:
            return QueryResult(["key", "name", "aliases"], self.entities.get(found.group(1), []))
        return QueryResult(["x"], [["answer"]])


def test_other_backends_get_the_cypher_with_key_lists():
    backend = RecordingBackend({"Dataset": [["ms marco", "MS MARCO", ["MSMARCO"]], ["beir", "BEIR", []]],
                                "Method": [["colbert", "ColBERT", []], ["colbert v2", "ColBERT-v2", ["ColBERTv2"]],
                                           ["bm25", "BM25", None]]})
    assert run_named(backend, "leaderboard", {"dataset": "ms-marco"}).rows == [["answer"]]
    assert backend.calls[-1] == (NAMED_QUERIES["leaderboard"].cypher,
                                 {"dataset": ["ms marco"], "lower_is_better": LOWER_IS_BETTER_CYPHER})
    backend.calls.clear()
    run_named(backend, "shortest_connection", {"source": "colbertv2", "target": "BM25", "limit": "3"})
    # one candidate query for both method parameters, then the named query
    assert [c for c, _ in backend.calls].count(backend.calls[0][0]) == 1 and len(backend.calls) == 2
    assert backend.calls[-1][1] == {"source": ["colbert v2"], "target": ["bm25"], "limit": 3}
    with pytest.raises(QueryError, match=r"no method matches 'colbart' \(did you mean 'ColBERT'"):
        run_named(backend, "variants_of", {"method": "colbart"})


def test_entity_matching_agrees_with_find_entities(sample_backend):
    G = sample_backend.to_networkx()
    by_label = {label: [(n, d) for n, d in G.nodes(data=True) if d.get("label") == label] for label in ENTITY_LABELS}
    texts = ["ms-marco", "MSMARCO", "BERT", "bert-base", "Cross-Encoders", "  ColBERT ", "CIFAR10", "nope"]
    for label, nodes in by_label.items():
        for _, d in nodes[:: max(1, len(nodes) // 6)]:  # a few entities of each label, by every form
            texts += [f for f in (d.get("key"), d.get("name"), *(d.get("aliases") or [])) if f][:3]
            texts += [str(d.get("name")).upper().replace(" ", "-")]
    for text in texts:
        for label, nodes in by_label.items():
            mine = sorted(n for n, d in nodes if entity_matches(text, d.get("key"), d.get("name"), d.get("aliases")))
            assert mine == find_entities(G, text, label), (text, label)


# -- parity with Neo4j -----------------------------------------------------------------------------

def _names(result: QueryResult) -> list[str]:
    return [row[0] for row in result.rows if row[0]]


def _parity_params(backend: NetworkxBackend) -> list[tuple[str, dict[str, Any]]]:
    """Realistic parameters for every named query, chosen so the networkx answer is not empty."""
    G = backend.to_networkx()
    methods = _names(run_named(backend, "top_methods", {"limit": 15}))
    datasets = _names(run_named(backend, "top_datasets", {"limit": 15}))
    def most_linked(label: str, rel: str) -> list[str]:
        """Names of the entities of `label` with the most incoming `rel` edges first."""
        degree = Counter(G.nodes[v]["name"] for _, v, t in G.edges(data="type")
                         if t == rel and G.nodes[v].get("label") == label)
        return sorted(degree, key=lambda n: (-degree[n], n))

    tasks = most_linked("Task", "ADDRESSES")
    bases = most_linked("Method", "VARIANT_OF")  # methods with the most variants
    values: dict[str, list[float]] = {}
    for r, d in G.nodes(data=True):
        if d.get("label") == "Result":
            for _, mt, t in G.out_edges(r, data="type"):
                if t == "OF_METRIC":
                    values.setdefault(G.nodes[mt]["name"], []).append(d["value"])
    metric, found = max(values.items(), key=lambda item: (len(item[1]), item[0]))

    def first(name: str, options: list[dict[str, Any]], ok: Any = bool) -> tuple[str, dict[str, Any]]:
        for params in options:
            if ok(run_named(backend, name, params).rows):
                return name, params
        return name, options[0]

    return [
        ("top_methods", {}), ("top_methods", {"limit": 3}), ("top_datasets", {}), ("methods_proposed", {}),
        ("methods_proposed", {"limit": 7}),
        first("papers_on_dataset", [{"dataset": "MS-MARCO"}]),
        first("datasets_of_method", [{"method": m} for m in methods]),
        first("leaderboard", [{"dataset": d} for d in datasets]),
        first("variants_of", [{"method": m} for m in bases]),
        first("variants_of", [{"method": m} for m in bases], ok=lambda rows: any(r[2] > 1 for r in rows)),
        first("co_used_methods", [{"method": m, "limit": 5} for m in methods]),
        first("tasks_with_dataset", [{"dataset": d} for d in datasets]),
        ("papers_metric_above", {"metric": metric, "threshold": sorted(found)[len(found) // 2]}),
        ("papers_metric_above", {"metric": metric, "threshold": min(found) - 1}),
        first("shortest_connection", [{"source": methods[0], "target": m} for m in methods[5:]]),
        ("shortest_connection", {"source": "BM25", "target": "ResNet-50", "limit": 50}),
        first("methods_for_task", [{"task": t} for t in tasks]),
    ]


@pytest.mark.neo4j
def test_networkx_and_neo4j_give_the_same_tables(sample_backend, neo4j_backend, tiny_factory):
    from kg.build import SAMPLE_CORPUS, build_graph
    from kg.builder import build_batch

    build_graph([SAMPLE_CORPUS], neo4j_backend)
    neo4j_backend.upsert(build_batch(tiny_factory()))
    assert neo4j_backend.counts() == sample_backend.counts()

    cases = _parity_params(sample_backend)
    assert {name for name, _ in cases} == set(NAMED_QUERIES), "every named query needs a parity case"
    empty = []
    for name, params in cases:
        expected = run_named(sample_backend, name, params)
        got = run_named(neo4j_backend, name, params)
        assert got.columns == expected.columns, f"{name} {params}: columns differ"
        assert got.rows == expected.rows, f"{name} {params}: networkx and Neo4j rows differ"
        if not expected.rows:
            empty.append(name)
    assert not empty, f"parity is vacuous for {empty}"
    # entity names that match nothing fail the same way on both
    for backend in (sample_backend, neo4j_backend):
        with pytest.raises(QueryError, match=r"no dataset matches 'MS MARCI' \(did you mean 'MS MARCO'"):
            run_named(backend, "leaderboard", {"dataset": "MS MARCI"})


def test_embedded_index_gives_the_python_paths_tables(sample_backend, tmp_path):
    """`kg query --named` on the embedded default runs the Cypher on the LadybugDB index: the same tables
    as the Python path (which the Neo4j test above holds to Neo4j's), for every query marked embedded."""
    from kg.ladybug_index import LadybugIndex, write_index

    index = write_index(sample_backend.to_networkx(), tmp_path / "graph.lbdb")
    cases = [(name, params) for name, params in _parity_params(sample_backend) if NAMED_QUERIES[name].embedded]
    assert {name for name, _ in cases} == {n for n, q in NAMED_QUERIES.items() if q.embedded}
    assert len({name for name, _ in cases}) >= 10
    with LadybugIndex(index.path) as idx:
        for name, params in cases:
            expected = run_named(sample_backend, name, params)
            got = run_named(idx, name, params)
            assert (got.columns, got.rows) == (expected.columns, expected.rows), f"{name} {params}"
        with pytest.raises(QueryError, match=r"no dataset matches 'MS MARCI' \(did you mean 'MS MARCO'"):
            run_named(idx, "papers_on_dataset", {"dataset": "MS MARCI"})
