"""The same Cypher, the same rows: the embedded default (LadybugDB index, through kg.cypher_dialect) and
a real Neo4j server, both built from the bundled sample plus the hand-made papers (which have years).

Rows are compared as multisets (order only where the query sorts it, checked separately). Each query
is ordinary Neo4j Cypher as a user writes it; the ones that once went wrong on the embedded engine
without an error (undirected patterns, a node shared by two MATCH clauses, 2-hop co-occurrence with
`m1.name < m2.name`) are here.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kg.backends.networkx_backend import NetworkxBackend
from kg.ladybug_index import LadybugIndex, write_index

pytestmark = pytest.mark.neo4j

#: (id, query, parameters, whether ORDER BY fixes the whole row order)
QUERIES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("inline_map", "MATCH (m:Method {name: 'BERT'}) RETURN m.key, m.name", {}, False),
    ("inline_map_param", "MATCH (d:Dataset {name: $name}) RETURN d.key", {"name": "ImageNet"}, False),
    ("starts_with", "MATCH (m:Method) WHERE m.name STARTS WITH 'BERT' RETURN m.name ORDER BY m.name", {}, True),
    ("contains", "MATCH (p:Paper) WHERE p.title CONTAINS 'Transformer' RETURN p.id", {}, False),
    ("ends_with", "MATCH (d:Dataset) WHERE d.name ENDS WITH '-10' RETURN d.name", {}, False),
    ("regex", "MATCH (m:Method) WHERE m.name =~ 'Res[Nn]et.*' RETURN m.name", {}, False),
    ("in_list", "MATCH (d:Dataset) WHERE d.name IN ['ImageNet', 'GLUE', 'nope'] RETURN d.name", {}, False),
    ("in_param_list", "MATCH (m:Method) WHERE m.name IN $names RETURN m.key",
     {"names": ["BERT", "transformer", "ColBERT", "missing"]}, False),
    ("size_and_tolower", "MATCH (m:Method) WHERE size(m.name) <= 4 RETURN toLower(m.name) AS n, size(m.name) AS s",
     {}, False),
    ("one_hop", "MATCH (p:Paper)-[:EVALUATES_ON]->(d:Dataset {name: 'ImageNet'}) RETURN p.title", {}, False),
    ("two_hops", "MATCH (m:Method)<-[:USES]-(p:Paper)-[:EVALUATES_ON]->(d:Dataset) WHERE m.name = 'transformer' "
     "RETURN d.name, count(p) AS n", {}, False),
    ("three_hops", "MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:ON_DATASET]->(d:Dataset)<-[:EVALUATES_ON]-(q:Paper) "
     "RETURN d.name, count(DISTINCT q) AS papers", {}, False),
    ("comma_patterns", "MATCH (p:Paper)-[:USES]->(m:Method), (p)-[:EVALUATES_ON]->(d:Dataset) "
     "WHERE d.name = 'ImageNet' RETURN m.name, count(*) AS n", {}, False),
    ("undirected", "MATCH (m:Method {name: 'BERT'})-[:USES]-(p:Paper) RETURN count(p) AS n", {}, False),
    ("undirected_any", "MATCH (m:Method {name: 'transformer'})--(x) RETURN labels(x)[0] AS l, count(*) AS n", {}, False),
    ("shared_node_two_matches", "MATCH (p:Paper)-[:USES]->(m:Method) MATCH (p)-[:ADDRESSES]->(t:Task) "
     "RETURN m.name, t.name", {}, False),
    ("co_occurrence", "MATCH (m1:Method)<-[:USES]-(p:Paper)-[:USES]->(m2:Method) WHERE m1.name < m2.name "
     "RETURN m1.name, m2.name, count(*) AS n ORDER BY n DESC, m1.name, m2.name LIMIT 10", {}, True),
    ("co_occurrence_all", "MATCH (m1:Method)<-[:USES]-(p:Paper)-[:USES]->(m2:Method) "
     "RETURN count(*) AS pairs", {}, False),
    ("same_type_two_hops_undirected", "MATCH (a:Method)-[:USES]-(p:Paper)-[:USES]-(b:Method) "
     "WHERE a.name = 'transformer' RETURN b.name, count(*) AS n", {}, False),
    ("type_alternatives", "MATCH (p:Paper)-[r:USES|PROPOSES]->(m:Method {name: 'transformer'}) "
     "RETURN type(r) AS t, count(*) AS n", {}, False),
    ("variable_length", "MATCH (v:Method)-[:VARIANT_OF*1..3]->(m:Method) RETURN v.name, m.name", {}, False),
    ("variable_length_undirected", "MATCH (a:Method {name: 'Vision Transformer'})-[:VARIANT_OF*1..2]-(b:Method) "
     "RETURN b.name", {}, False),
    ("path_length", "MATCH path = (v:Method)-[:VARIANT_OF*1..3]->(m:Method) RETURN v.key, m.key, length(path) AS hops",
     {}, False),
    ("path_nodes", "MATCH path = (v:Method)-[:VARIANT_OF*2..3]->(m:Method) RETURN path", {}, False),
    ("shortest_path", "MATCH (a:Method {name: 'ColBERT'}), (b:Method {name: 'BERT'}) "
     "MATCH p = shortestPath((a)-[*..6]-(b)) RETURN length(p) AS hops", {}, False),
    ("shortest_path_typed", "MATCH (a:Dataset {name: 'ImageNet'}), (b:Dataset {name: 'CIFAR-10'}) "
     "MATCH p = shortestPath((a)-[:EVALUATES_ON*..4]-(b)) RETURN length(p) AS hops", {}, False),
    ("count_star", "MATCH (p:Paper) RETURN count(*) AS n", {}, False),
    ("count_distinct", "MATCH (p:Paper)-[:USES]->(m:Method) RETURN count(DISTINCT m) AS methods, count(p) AS uses",
     {}, False),
    ("collect", "MATCH (p:Paper)-[:EVALUATES_ON]->(d:Dataset {name: 'GLUE'}) RETURN d.name, collect(p.id) AS ids",
     {}, False),
    ("sum_ints_and_nothing", "MATCH (p:Paper) OPTIONAL MATCH (p)-[:REPORTS]->(r:Result) WHERE p.id IN ['p1', 'p3'] "
     "RETURN p.id, sum(p.year) AS years, sum(r.value) AS total", {}, False),
    ("sum_over_no_rows", "MATCH (m:Method {name: 'no such method'}) RETURN sum(size(m.aliases)) AS n", {}, False),
    ("avg_min_max", "MATCH (r:Result) WHERE r.unit = '%' RETURN avg(r.value) AS mean, min(r.value) AS lo, "
     "max(r.value) AS hi, count(r) AS n", {}, False),
    ("with_filter", "MATCH (p:Paper)-[:USES]->(m:Method) WITH m, count(p) AS n WHERE n >= 5 RETURN m.name, n", {},
     False),
    ("with_pipeline", "MATCH (d:Dataset)<-[:EVALUATES_ON]-(p:Paper) WITH d, count(p) AS n ORDER BY n DESC LIMIT 3 "
     "MATCH (p2:Paper)-[:EVALUATES_ON]->(d) WITH d, n, collect(p2.id) AS ids RETURN d.name, n, size(ids) AS k",
     {}, False),
    ("optional_match_nulls", "MATCH (p:Paper) WHERE p.id IN ['p1', 'p2', 'p3'] "
     "OPTIONAL MATCH (p)-[:REPORTS]->(r:Result) RETURN p.id, r.value", {}, False),
    ("optional_match_count", "MATCH (m:Method) WHERE m.name STARTS WITH 'B' OPTIONAL MATCH (m)-[:VARIANT_OF]->(x) "
     "RETURN m.name, count(x) AS variants_of", {}, False),
    ("not_pattern", "MATCH (p:Paper) WHERE NOT (p)-[:USES]->(:Method) RETURN count(p) AS n", {}, False),
    ("pattern_predicate", "MATCH (p:Paper) WHERE (p)-[:REPORTS]->(:Result) RETURN count(p) AS n", {}, False),
    ("exists_subquery", "MATCH (m:Method) WHERE EXISTS { (m)<-[:PROPOSES]-(:Paper) } AND m.name STARTS WITH 'C' "
     "RETURN m.name", {}, False),
    ("exists_match_subquery", "MATCH (d:Dataset) WHERE EXISTS { MATCH (d)<-[:ON_DATASET]-(r:Result) "
     "WHERE r.value > 90 } RETURN d.name", {}, False),
    ("unwind_list_property", "MATCH (m:Method) WHERE m.name STARTS WITH 'B' UNWIND m.aliases AS alias "
     "RETURN m.name, alias", {}, False),
    ("unwind_param", "UNWIND $names AS name MATCH (m:Method {name: name}) RETURN name, m.key",
     {"names": ["BERT", "transformer", "absent"]}, False),
    ("case", "MATCH (r:Result) RETURN CASE WHEN r.value >= 50 THEN 'high' WHEN r.value IS NULL THEN 'none' "
     "ELSE 'low' END AS band, count(*) AS n", {}, False),
    ("is_null", "MATCH (p:Paper) WHERE p.year IS NULL RETURN count(p) AS n", {}, False),
    ("is_not_null", "MATCH (p:Paper) WHERE p.year IS NOT NULL RETURN p.id, p.year", {}, False),
    ("distinct", "MATCH (p:Paper)-[:EVALUATES_ON]->(d:Dataset) RETURN DISTINCT d.name", {}, False),
    ("skip_limit", "MATCH (m:Method) RETURN m.key ORDER BY m.key SKIP 5 LIMIT 7", {}, True),
    ("order_nulls", "MATCH (p:Paper) WHERE p.id IN ['p1', 'p2', 'p3'] RETURN p.id, p.year ORDER BY p.year DESC",
     {}, True),
    ("labels", "MATCH (n) WHERE n.name = 'ImageNet' RETURN labels(n) AS ls, n.key", {}, False),
    ("type", "MATCH (p:Paper {id: 'p1'})-[r]->(x) RETURN type(r) AS t, coalesce(x.name, x.id) AS target", {}, False),
    ("node_value", "MATCH (m:Method {key: 'colbert'}) RETURN m", {}, False),
    ("rel_value", "MATCH (:Paper {id: 'p2'})-[r:USES]->(:Method {key: 'colbert'}) RETURN r", {}, False),
    ("list_index", "MATCH (m:Method) WHERE size(m.aliases) >= 2 "
     "RETURN m.key, m.aliases[0] AS first, m.aliases[1] AS second, m.aliases[-1] AS last", {}, False),
    ("union", "MATCH (m:Method {name: 'BERT'}) RETURN m.name AS name UNION MATCH (d:Dataset {name: 'GLUE'}) "
     "RETURN d.name AS name", {}, False),
    ("aggregate_top", "MATCH (p:Paper)-[:USES]->(m:Method) RETURN m.name AS method, count(*) AS papers "
     "ORDER BY papers DESC, method LIMIT 10", {}, True),
    ("variable_length_predicate", "MATCH (m:Method) WHERE (m)-[:VARIANT_OF*1..2]->(:Method) RETURN count(m) AS n",
     {}, False),
    ("count_subquery", "MATCH (m:Method) WHERE m.name STARTS WITH 'V' "
     "RETURN m.name, COUNT { (m)<-[:USES]-(:Paper) } AS users", {}, False),
    ("label_predicate", "MATCH (n) WHERE n.name STARTS WITH 'BERT' AND NOT n:Dataset "
     "RETURN labels(n)[0] AS l, count(*) AS n", {}, False),
    ("label_predicate_alternatives", "MATCH (p:Paper)-->(x) WHERE x:Method|Dataset RETURN labels(x)[0] AS l, "
     "count(*) AS n", {}, False),
    ("unknown_label", "MATCH (m:Mehtod) RETURN count(m) AS n", {}, False),
    ("unknown_type_optional", "MATCH (p:Paper) WHERE p.id IN ['p1', 'p2'] OPTIONAL MATCH (p)-[:USE]->(m) "
     "RETURN p.id, m.name", {}, False),
    ("unknown_property", "MATCH (p:Paper) WHERE p.id IN ['p1', 'p2'] RETURN p.id, p.titel", {}, False),
    ("trailing_semicolon", "MATCH (t:Task) RETURN count(t) AS n;", {}, False),
]


def _hashable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


#: queries whose lists come in no defined order (collect without ORDER BY): compared as multisets
UNORDERED_LISTS = {"collect"}


def _sorted_lists(value: Any) -> Any:
    return sorted(map(repr, value)) if isinstance(value, list) else value


def _multiset(rows: list[list[Any]]) -> Counter:
    return Counter(_hashable(row) for row in rows)


@pytest.fixture(scope="module")
def engines(tmp_path_factory, neo4j_server, tiny_factory):
    """(embedded index, Neo4j backend), both built from the bundled sample and the hand-made papers."""
    from kg.backends.neo4j_backend import Neo4jBackend
    from kg.build import SAMPLE_CORPUS, build_graph
    from kg.builder import build_batch

    nx_store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], nx_store)
    nx_store.upsert(build_batch(tiny_factory()))
    index = write_index(nx_store.to_networkx(), Path(tmp_path_factory.mktemp("lbdb")) / "graph.lbdb")
    neo = Neo4jBackend(uri=neo4j_server.uri, user="neo4j", password=neo4j_server.password)
    neo.clear()
    build_graph([SAMPLE_CORPUS], neo)
    neo.upsert(build_batch(tiny_factory()))
    embedded = LadybugIndex(index.path)
    assert embedded.counts() == neo.counts() == nx_store.counts()
    yield embedded, neo
    embedded.close()
    neo.close()


def test_parity_suite_covers_forty_queries():
    assert len(QUERIES) >= 40
    assert len({q[0] for q in QUERIES}) == len(QUERIES)


@pytest.mark.parametrize(("cypher", "params", "ordered"), [q[1:] for q in QUERIES], ids=[q[0] for q in QUERIES])
def test_embedded_default_returns_neo4j_rows(engines, cypher, params, ordered, request):
    embedded, neo = engines
    want = neo.query(cypher, params)
    got = embedded.query(cypher, params)
    if request.node.callspec.id in UNORDERED_LISTS:
        want.rows[:] = [[_sorted_lists(v) for v in row] for row in want.rows]
        got.rows[:] = [[_sorted_lists(v) for v in row] for row in got.rows]
    assert not any(isinstance(v, Decimal) for row in got.rows for v in row), "numbers come back as int or float"
    assert got.columns == want.columns
    assert _multiset(got.rows) == _multiset(want.rows)
    if ordered:
        assert [_hashable(r) for r in got.rows] == [_hashable(r) for r in want.rows]
    assert want.rows, "a query that finds nothing checks little"
