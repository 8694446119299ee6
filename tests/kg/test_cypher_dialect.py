"""kg.cypher_dialect: Neo4j Cypher rewritten for LadybugDB, and one-line refusals for what cannot be.

The rewrites are checked as text here and by their rows on a real LadybugDB (the hand-built graph of
tests/conftest.py, answers worked out by hand); tests/kg/test_ladybug_parity.py checks them against Neo4j.
"""

from __future__ import annotations

import pytest

from kg.backends.base import QueryError
from kg.builder import build_batch
from kg.backends.networkx_backend import NetworkxBackend
from kg.cypher_dialect import translate
from kg.ladybug_index import query_graph


@pytest.fixture(scope="module")
def G(tiny_factory):
    store = NetworkxBackend()
    store.upsert(build_batch(tiny_factory()))
    return store.to_networkx()


@pytest.mark.parametrize(("neo4j", "ladybug"), [
    ("MATCH (a)-[r]->(b) RETURN type(r)", "MATCH (a)-[r]->(b) RETURN label(r)"),
    ("MATCH (n) RETURN labels(n)[0]", "MATCH (n) RETURN label(n)"),
    ("MATCH (n) RETURN labels(n)", "MATCH (n) RETURN [label(n)]"),
    ("MATCH (n:Method) RETURN n.key;", "MATCH (n:Method) RETURN n.key"),
    ("MATCH (n:Method) RETURN n.key ;  \n", "MATCH (n:Method) RETURN n.key "),
    ("MATCH p = shortestPath((a)-[*..6]-(b)) RETURN p", "MATCH p = (a)-[* SHORTEST 1..6 ]-(b) RETURN p"),
    ("MATCH p = allShortestPaths((a)-[:USES*2..4]-(b)) RETURN p",
     "MATCH p = (a)-[:USES* ALL SHORTEST 2..4 ]-(b) RETURN p"),
    ("MATCH (p) WHERE EXISTS { (p)-[:USES]->() } RETURN p", "MATCH (p) WHERE EXISTS { MATCH  (p)-[:USES]->() } RETURN p"),
    ("MATCH (m) RETURN m.aliases[0], m.aliases[2], m.aliases[-1]",
     "MATCH (m) RETURN m.aliases[1], m.aliases[3], m.aliases[-1]"),
    ("MATCH (v)-[:VARIANT_OF*1..3]->(m) RETURN v", "MATCH (v)-[:VARIANT_OF* TRAIL 1..3 ]->(m) RETURN v"),
    ("MATCH (a)<-[:USES]-(p)-[:USES]->(b) RETURN a",
     "MATCH (a)<-[_kg_r1:USES]-(p)-[_kg_r2:USES]->(b)  WHERE _kg_r1 <> _kg_r2 RETURN a"),
    ("MATCH (a)<-[:USES]-(p)-[:USES]->(b) WHERE a.name < b.name RETURN a",
     "MATCH (a)<-[_kg_r1:USES]-(p)-[_kg_r2:USES]->(b) WHERE (_kg_r1 <> _kg_r2) AND ( a.name < b.name ) RETURN a"),
    # different types can never be the same relationship: nothing added
    ("MATCH (a)<-[:USES]-(p)-[:EVALUATES_ON]->(b) RETURN a", "MATCH (a)<-[:USES]-(p)-[:EVALUATES_ON]->(b) RETURN a"),
    ("MATCH (a)-[r:USES]->(p), (p)-[:VARIANT_OF|USES*1..2]->(b) RETURN a",
     "MATCH (a)-[r:USES]->(p), (p)-[_kg_r1:VARIANT_OF|USES* TRAIL 1..2 ]->(b)  WHERE NOT r IN rels(_kg_r1) RETURN a"),
    ("MATCH (n) WHERE n:Method AND NOT n:Paper|Task RETURN n",
     "MATCH (n) WHERE label(n) = 'Method' AND NOT label(n) IN ['Paper', 'Task'] RETURN n"),
    ("MATCH (n {key: 'x'}) RETURN CASE WHEN n:Method THEN 1 ELSE 0 END",
     "MATCH (n {key: 'x'}) RETURN CASE WHEN label(n) = 'Method' THEN 1 ELSE 0 END"),
    ("MATCH (p:Paper) WHERE p.title = 'type(x); labels(n)[0]' RETURN p",
     "MATCH (p:Paper) WHERE p.title = 'type(x); labels(n)[0]' RETURN p"),
])
def test_translation_text(neo4j, ladybug):
    assert translate(neo4j).text == ladybug


@pytest.mark.parametrize(("query", "message"), [
    ("MATCH (n) DETACH DELETE n", "DETACH DELETE is not allowed: queries are read-only"),
    ("CREATE (m:Method {key: 'x'})", "CREATE is not allowed"),
    ("MATCH (m) SET m.name = 'x' RETURN m", "SET is not allowed"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV is not allowed"),
    ("COPY (MATCH (m) RETURN m.key) TO '/tmp/out.csv'", "COPY is not allowed: queries are read-only"),
    ("LOAD FROM '/etc/passwd' RETURN *", "LOAD FROM is not allowed: queries are read-only"),
    ("ATTACH '/tmp/x' AS other", "ATTACH is not allowed"),
    ("CALL db.labels() YIELD label RETURN label", "CALL is not allowed on the embedded engine: procedures differ"),
    ("MATCH (a)-[*]->(b) RETURN b", "an unbounded variable-length pattern is not supported"),
    ("MATCH (a)-[:VARIANT_OF*2..]->(b) RETURN b", "an unbounded variable-length pattern"),
    ("MATCH p = shortestPath((a)-[*]-(b)) RETURN p", "an unbounded variable-length pattern"),
    ("MATCH (a)-[:X*1..2]->(b)-[:X*1..2]->(c) RETURN c", "two variable-length patterns"),
    ("MATCH (n) RETURN id(n)", "id() numbers differ"),
    ("MATCH (n) RETURN keys(n)", "keys() lists every column"),
    ("MATCH (n) RETURN properties(n)", "properties() lists every column"),
    ("MATCH (n) RETURN n.aliases[1..2]", "list slices ([a..b]) are not supported"),
    ("MATCH (n) RETURN n.aliases[size(n.aliases) - 1]", "a list index or dynamic property"),
    ("MATCH (n) RETURN n; MATCH (m) RETURN m", "one statement at a time"),
    ("MATCH (p:Paper) WITH p ORDER BY p.id RETURN collect(p.id)", "collect() after WITH ... ORDER BY"),
    ("MATCH (p:Paper) WHERE p.title CONTAINS '' RETURN p.id", "CONTAINS '' is false on the embedded engine"),
    ("MATCH (p:Paper) WHERE NOT 2 IN [1, null] RETURN p.id", "a list holding null"),
])
def test_refusals_name_the_construct(query, message):
    with pytest.raises(QueryError) as info:
        translate(query)
    assert message in str(info.value)
    assert "\n" not in str(info.value) and "(line 1, col " in str(info.value)


def test_names_used_as_variables_are_not_refused():
    translate("MATCH (load:Paper)-[set:USES]->(copy:Method) RETURN load.id, set.role, copy.key")


def test_relationship_uniqueness_gives_neo4j_rows(G):
    # colbert and bert share p1 (PROPOSES/USES) and p2 (USES both): the pairs come from distinct edges only
    result = query_graph(G, "MATCH (a:Method)<-[:USES]-(p:Paper)-[:USES]->(b:Method) RETURN a.key, b.key, p.id "
                            "ORDER BY p.id, a.key")
    assert result.rows == [["bert", "colbert", "p2"], ["colbert", "bert", "p2"]]
    undirected = query_graph(G, "MATCH (m:Method {key: 'bert'})-[:USES]-(p:Paper) RETURN count(p) AS n")
    assert undirected.rows == [[2]]


def test_rewrites_give_neo4j_rows(G):
    assert query_graph(G, "MATCH (p:Paper {id: 'p1'})-[r]->(d:Dataset) RETURN type(r), labels(d), labels(d)[0];"
                       ).rows == [["EVALUATES_ON", ["Dataset"], "Dataset"]]
    with pytest.raises(QueryError, match="out of range"):  # Neo4j: null; an error here, never a wrong row
        query_graph(G, "MATCH (m:Method {key: 'colbert'}) RETURN m.aliases[0]")
    assert query_graph(G, "MATCH (d:Dataset {key: 'ms marco'}) RETURN d.aliases[0], d.aliases[-1]").rows == [
        ["MS-MARCO", "MSMARCO"]]
    path = query_graph(G, "MATCH (a:Method {key: 'jina-colbert-v2'}), (b:Dataset {key: 'ms marco'}) "
                          "MATCH p = shortestPath((a)-[*..4]-(b)) RETURN length(p) AS hops")
    assert path.rows == [[3]]  # jina -VARIANT_OF-> colbert <-PROPOSES- p1 -EVALUATES_ON-> ms marco
    exists = query_graph(G, "MATCH (d:Dataset) WHERE EXISTS { (d)<-[:ON_DATASET]-(:Result) } RETURN d.key ORDER BY d.key")
    assert exists.rows == [["beir"], ["ms marco"]]


def test_sum_of_nothing_is_zero_and_sums_are_plain_numbers(G):
    assert query_graph(G, "MATCH (m:Method {key: 'none'}) RETURN sum(size(m.aliases)) AS n").rows == [[0]]
    total = query_graph(G, "MATCH (p:Paper) RETURN sum(p.year) AS years").rows
    assert total == [[4044]] and type(total[0][0]) is int


def test_empty_string_parameter_with_contains_is_refused(G):
    with pytest.raises(QueryError, match=r"parameter \$q is an empty string and the query uses CONTAINS"):
        query_graph(G, "MATCH (p:Paper) WHERE p.title CONTAINS $q RETURN p.id", {"q": ""})
    assert query_graph(G, "MATCH (p:Paper) WHERE p.title CONTAINS $q RETURN p.id", {"q": "Jina"}).rows == [["p2"]]


def test_parameters_stay_parameters(G):
    hostile = "' OR 1=1 //"
    assert query_graph(G, "MATCH (m:Method) WHERE m.name = $n RETURN m.key", {"n": hostile}).rows == []
    assert query_graph(G, "MATCH (m:Method {name: $n}) RETURN m.key", {"n": "BERT"}).rows == [["bert"]]
    with pytest.raises(QueryError, match=r"^missing parameter \$n$"):
        query_graph(G, "MATCH (m:Method {name: $n}) RETURN m.key")


def test_names_the_graph_lacks_find_nothing_as_on_neo4j(G):
    # Neo4j: no rows for a label or type nothing has, null for a property key nothing has (kg query warns)
    assert query_graph(G, "MATCH (m:Nope) RETURN m").rows == []
    assert query_graph(G, "MATCH (p:Paper)-[:USE]->(m) RETURN count(*) AS n").rows == [[0]]
    assert query_graph(G, "MATCH (p:Paper) OPTIONAL MATCH (p)-[:USE]->(m) RETURN p.id, m ORDER BY p.id").rows == [
        ["p1", None], ["p2", None], ["p3", None]]
    assert query_graph(G, "MATCH (m:Method {key: 'bert'}) RETURN m.nope, m.name").rows == [[None, "BERT"]]
    assert query_graph(G, "MATCH (m:Method) WHERE m.nope = 'x' RETURN m.key").rows == []
    assert query_graph(G, "MATCH (m:Method|Nope) WHERE m.key = 'bert' RETURN m.key").rows == [["bert"]]
    # a map's key is no property: left alone
    assert query_graph(G, "WITH {nope: 1} AS m RETURN m.nope").rows == [[1]]


@pytest.mark.parametrize(("query", "message"), [
    ("MATCH (m:Method RETURN m", "cannot parse query"),
    ("RETURN split('a,b', ',')", "function split() is not available on the embedded engine"),
    ("MATCH (m:Method {nope: 'x'}) RETURN m", "no property nope"),
])
def test_engine_errors_are_one_line(G, query, message):
    with pytest.raises(QueryError) as info:
        query_graph(G, query)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_list_parameter_holding_null_is_refused(G):
    """`NOT p.id IN $ids` with a null in $ids: null on Neo4j (row dropped), true on LadybugDB (row kept)."""
    with pytest.raises(QueryError, match=r"parameter \$ids is a list holding null"):
        query_graph(G, "MATCH (p:Paper) WHERE NOT p.id IN $ids RETURN p.id", {"ids": ["p1", None]})
    assert query_graph(G, "MATCH (p:Paper) WHERE p.id IN $ids RETURN p.id", {"ids": ["p1"]}).rows == [["p1"]]
    translate("MATCH (p:Paper) WHERE p.title IN ['null', 'a'] RETURN p.id")  # the word in a string is fine
