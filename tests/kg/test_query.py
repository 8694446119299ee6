"""kg.query and kg.cypher_params: Cypher on networkx with safe parameters.

Answers are checked on the graph of `tiny_extractions` (tests/conftest.py), worked out by hand.
"""

from __future__ import annotations

import re

import pytest

from kg.analysis import top_methods
from kg.cypher_dialect import translate
from kg.cypher_params import cypher_literal, render_params, split_segments
from kg.query import EXAMPLE_QUERIES, QueryError, run_cypher, run_example
from schema import GraphBatch, NodeRecord

HOSTILE = [
    "'",
    '"',
    '"})',
    "//",
    "' OR 1=1 //",
    '" OR "1"="1',
    '"}) RETURN m //',
    "line\nbreak",
    "back\\slash\\",
    '\\"',
    "tab\tand\r\ncrlf",
    "$n and $other",
    "/* not a comment */",
    "emoji \U0001F600 and \u2028 separator",
    "MATCH (x) DETACH DELETE x",
]


# --- render_params ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ("O'Brien", '"O\'Brien"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("two\nlines", '"two\\nlines"'),
        ("bell\x07", '"bell\\u0007"'),
        (42, "42"),
        (-3, "-3"),
        (0.5, "0.5"),
        (1e-05, "1e-05"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (["a", 1, None], '["a", 1, null]'),
        (("x",), '["x"]'),
    ],
)
def test_cypher_params_literal(value, literal):
    assert cypher_literal(value) == literal


def test_cypher_params_render_replaces_params_outside_literals_and_comments():
    query = ("MATCH (m:Method {name: $name}) WHERE m.year > $year AND m.k = '$name' "
             '// $name\nRETURN m.name, "$year" /* $year */ LIMIT $limit')
    assert render_params(query, {"name": "BERT", "year": 2019, "limit": 5, "unused": 1}) == (
        "MATCH (m:Method {name: \"BERT\"}) WHERE m.year > 2019 AND m.k = '$name' "
        '// $name\nRETURN m.name, "$year" /* $year */ LIMIT 5'
    )


def test_cypher_params_render_is_single_pass():
    assert render_params("RETURN $a, $b", {"a": "$b", "b": "x"}) == 'RETURN "$b", "x"'


def test_cypher_params_missing_parameter():
    with pytest.raises(QueryError, match=r"^missing parameter \$dataset$"):
        render_params("MATCH (d:Dataset) WHERE d.name = $dataset RETURN d", {})


@pytest.mark.parametrize(
    ("value", "message"),
    [({"a": 1}, "unsupported value type dict"), (float("nan"), "cannot be written"),
     (object(), "unsupported value type object")],
)
def test_cypher_params_unsupported_value(value, message):
    with pytest.raises(QueryError, match=message):
        render_params("RETURN $v", {"v": value})


def test_cypher_params_split_segments_kinds():
    kinds = [(s.kind, s.text) for s in split_segments("a 'b\\'c' `d` // e\n\"f\" /* g */")]
    assert kinds == [("code", "a "), ("string", "'b\\'c'"), ("code", " "), ("ident", "`d`"),
                     ("code", " "), ("comment", "// e"), ("code", "\n"), ("string", '"f"'),
                     ("code", " "), ("comment", "/* g */")]


def test_cypher_params_unterminated_string_names_position():
    with pytest.raises(QueryError, match=r"unterminated string literal starting at line 2, col 16"):
        split_segments("MATCH (m)\nWHERE m.name = 'oops RETURN m")


# --- hostile values stay data ----------------------------------------------------------------

@pytest.fixture
def hostile_backend(tiny_backend):
    tiny_backend.upsert(GraphBatch(nodes=[
        NodeRecord(label="Method", key=f"hostile-{i}", props={"name": value})
        for i, value in enumerate(HOSTILE)
    ]))
    return tiny_backend


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=[repr(h) for h in HOSTILE])
def test_query_hostile_parameter_stays_data(hostile_backend, index):
    value = HOSTILE[index]
    result = hostile_backend.query("MATCH (m:Method) WHERE m.name = $n RETURN m.key, m.name",
                                   {"n": value})
    assert result.rows == [[f"hostile-{index}", value]]
    in_pattern = hostile_backend.query("MATCH (m:Method {name: $n}) RETURN m.key", {"n": value})
    assert in_pattern.rows == [[f"hostile-{index}"]]


def test_query_hostile_list_parameter_stays_data(hostile_backend):
    result = hostile_backend.query(
        "MATCH (m:Method) WHERE m.name IN $names RETURN m.key ORDER BY m.key",
        {"names": ["' OR 1=1 //", '"})', "BERT"]},
    )
    assert result.rows == [["bert"], ["hostile-2"], ["hostile-4"]]


# --- refusals, parse errors, and what the old engine could not run --------------------------------

@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("CREATE (m:Method {name: 'x'}) RETURN m", "CREATE is not allowed: queries are read-only"),
        ("MERGE (m:Method {key: 'x'}) RETURN m", "MERGE is not allowed"),
        ("MATCH (m) DETACH DELETE m", "DETACH DELETE is not allowed"),
        ("MATCH (m) DELETE m", "DELETE is not allowed"),
        ("MATCH (m) SET m.name = 'x' RETURN m", "SET is not allowed"),
        ("MATCH (m) REMOVE m.name RETURN m", "REMOVE is not allowed"),
        ("MATCH (m) FOREACH (x IN [1] | SET m.a = x)", "FOREACH is not allowed"),
        ("LOAD CSV FROM 'f' AS row RETURN row", "LOAD CSV is not allowed"),
        ("CALL db.labels()", "CALL is not allowed on the embedded engine"),
    ],
)
def test_query_refused_construct_is_named(tiny_backend, query, named):
    with pytest.raises(QueryError, match=re.escape(named)):
        tiny_backend.query(query)


def test_query_refusal_gives_position():
    with pytest.raises(QueryError, match=r"CREATE is not allowed: .* \(line 2, col 1\)$"):
        translate("MATCH (m:Method)\nCREATE (x) RETURN m")


@pytest.mark.parametrize(
    ("query", "rows"),
    [  # each refused by the grand-cypher engine before LadybugDB; answers worked out by hand
        ("MATCH (p:Paper {id: 'p3'}) OPTIONAL MATCH (p)-[:REPORTS]->(r:Result) RETURN p.id, r.value", [["p3", None]]),
        ("MATCH (m:Method) WITH m WHERE m.key STARTS WITH 'res' RETURN m.name ORDER BY m.name",
         [["ResNet-50"], ["resnet"]]),
        ("UNWIND [1, 2] AS x RETURN x", [[1], [2]]),
        ("MATCH (a:Paper {id: 'p1'}) RETURN a.id AS x UNION MATCH (b:Paper {id: 'p2'}) RETURN b.id AS x",
         [["p1"], ["p2"]]),
        ("MATCH (p:Paper) RETURN p.id, CASE WHEN p.year IS NULL THEN 'undated' ELSE 'dated' END ORDER BY p.id",
         [["p1", "dated"], ["p2", "dated"], ["p3", "undated"]]),
        ("MATCH (p:Paper) RETURN COUNT(*)", [[3]]),
        ("MATCH (p:Paper)-[:USES]->(m:Method) RETURN count(DISTINCT m), count(p)", [[3, 4]]),
        ("MATCH (p:Paper)-[:USES]->(m:Method), (p)-[:EVALUATES_ON]->(d:Dataset) RETURN p.id, m.key, d.key "
         "ORDER BY p.id, m.key", [["p1", "bert", "ms marco"], ["p2", "bert", "beir"], ["p2", "colbert", "beir"],
                                  ["p3", "resnet-50", "ms marco"]]),
        ("MATCH (t:Task) RETURN t.name ORDER BY t.name;", [["image classification"], ["passage retrieval"]]),
    ],
)
def test_query_constructs_the_old_engine_refused_now_run(tiny_backend, query, rows):
    assert sorted(tiny_backend.query(query).rows, key=repr) == sorted(rows, key=repr)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (p:Paper) WHERE p.title STARTS WITH 'Jina' RETURN p.id",
        "MATCH (p:Paper) WHERE p.title ENDS WITH 'v2' RETURN p.id",
        "MATCH (p:Paper) WHERE p.title = 'CREATE or SET, WITH UNION' RETURN p.id",
        "MATCH (p:Paper) // WITH and DELETE in a comment\nWHERE p.id = 'p2' RETURN p.id",
        "MATCH (m:Method {set: 1}) RETURN m.name",
    ],
)
def test_query_keywords_inside_literals_or_operators_are_not_refused(query):
    translate(query)


@pytest.mark.parametrize(
    "query",
    ["MATCH (p:Paper)\nRETRN p.id", "MATCH (p:Paper RETURN p.id", "MATCH (p:Paper) WHERE p.title = $t RETRN p.id"],
)
def test_query_parse_error_is_one_clear_line(tiny_backend, query):
    with pytest.raises(QueryError) as info:
        tiny_backend.query(query, {"t": "a\nlong\nvalue"})
    assert str(info.value).startswith("cannot parse query: ") and "\n" not in str(info.value)


def test_query_engine_failure_becomes_query_error(tiny_backend):
    with pytest.raises(QueryError, match=r"cannot run this query: Variable x is not in scope"):
        tiny_backend.query("MATCH (p:Paper) RETURN x.id")


# --- what the embedded engine does -----------------------------------------------------------

def test_query_columns_follow_return_order(tiny_backend):
    result = tiny_backend.query(
        "MATCH (p:Paper)-[:USES]->(m:Method) "
        "RETURN count(p) AS n, m.name, toLower(m.name) ORDER BY n DESC, m.name"
    )
    assert result.columns == ["n", "m.name", "toLower(m.name)"]
    assert result.rows == [[2, "BERT", "bert"], [1, "ColBERT", "colbert"],
                           [1, "ResNet-50", "resnet-50"]]


def test_query_aggregation_over_nothing_gives_one_row(tiny_backend):
    result = tiny_backend.query("MATCH (p:Paper)-[:USES]->(m:Dataset) RETURN COUNT(p) AS n")
    assert result.rows == [[0]]


def test_query_unknown_relationship_type_finds_nothing(tiny_backend):
    # as on Neo4j (which warns; so does `kg query`): no relationship of that type, a count of 0
    assert tiny_backend.query("MATCH (p:Paper)-[:NOPE]->(m) RETURN COUNT(p) AS n").rows == [[0]]


def test_query_nodes_come_back_as_property_dicts(tiny_backend):
    result = tiny_backend.query("MATCH (m:Method) WHERE m.key = 'bm25' RETURN m")
    assert result.rows == [[{"name": "BM25", "aliases": [], "alias_evidence": ["BM25 @ p1"], "key": "bm25",
                             "label": "Method"}]]


def test_query_each_parallel_edge_is_a_match(tiny_backend):
    tiny_backend.upsert(GraphBatch(rels=[{
        "type": "USES", "start_label": "Paper", "start_key": "p1",
        "end_label": "Method", "end_key": "colbert", "props": {"confidence": 0.4},
    }]))  # p1 now PROPOSES and USES colbert
    result = tiny_backend.query(
        "MATCH (p:Paper)-[r]->(m:Method) WHERE p.id = 'p1' AND m.key = 'colbert' "
        "RETURN type(r), r.confidence ORDER BY r.confidence"
    )
    assert result.rows == [["USES", 0.4], ["PROPOSES", 0.95]]


def test_query_portable_syntax_is_adapted(tiny_backend):
    result = tiny_backend.query(
        "MATCH (p:Paper) // papers\nWHERE p.title STARTS WITH 'Jina' /* single quotes */ "
        "RETURN p.id, p.year"
    )
    assert result.rows == [["p2", 2024]]


def test_query_label_alternatives_and_variable_length(tiny_backend):
    alternatives = tiny_backend.query(
        "MATCH (p:Paper)-[:PROPOSES]->(x:Method|Dataset) RETURN x.name ORDER BY x.name")
    assert alternatives.rows == [["ColBERT"], ["ColBench"], ["Jina-ColBERT-v2"]]
    hops = tiny_backend.query(
        "MATCH (v:Method)-[:VARIANT_OF*1..2]->(m:Method) RETURN v.name, m.name ORDER BY v.name")
    assert hops.rows == [["Jina-ColBERT-v2", "ColBERT"], ["ResNet-50", "resnet"]]


# --- example queries -------------------------------------------------------------------------

def test_query_examples_are_documented():
    assert set(EXAMPLE_QUERIES) == {"papers_on_dataset", "top_methods", "datasets_of_method",
                                    "results_on_dataset"}
    for cypher, doc, params in EXAMPLE_QUERIES.values():
        assert cypher.startswith("MATCH") and doc and params
        render_params(cypher, params)  # every placeholder has an example value


def test_query_example_papers_on_dataset(tiny_backend):
    G = tiny_backend.to_networkx()
    assert run_example(G, "papers_on_dataset", dataset="MS MARCO").rows == [
        ["A study of ResNet-50"], ["ColBERT: Efficient Passage Search"]]
    assert run_example(G, "papers_on_dataset", dataset="BEIR").rows == [["Jina-ColBERT-v2"]]
    assert run_example(G, "papers_on_dataset", dataset="ImageNet").rows == []


def test_query_example_top_methods(tiny_backend):
    G = tiny_backend.to_networkx()
    result = run_example(G, "top_methods", limit=2)
    assert result.columns == ["m.name", "papers"]
    assert result.rows == [["BERT", 2], ["ColBERT", 1]]


def test_query_example_top_methods_matches_python_fast_path(tiny_backend):
    G = tiny_backend.to_networkx()
    cypher = [tuple(row) for row in run_example(G, "top_methods", limit=10).rows]
    assert cypher == top_methods(G, n=10, rel_types=["USES"])
    assert cypher == [("BERT", 2), ("ColBERT", 1), ("ResNet-50", 1)]


@pytest.mark.parametrize(
    ("method", "datasets"),
    [("ColBERT", [["BEIR"], ["MS MARCO"]]), ("BERT", [["BEIR"], ["MS MARCO"]]),
     ("ResNet-50", [["MS MARCO"]]), ("BM25", [])],
)
def test_query_example_datasets_of_method(tiny_backend, method, datasets):
    result = run_example(tiny_backend.to_networkx(), "datasets_of_method", method=method)
    assert result.rows == datasets


def test_query_example_results_on_dataset(tiny_backend):
    G = tiny_backend.to_networkx()
    marco = run_example(G, "results_on_dataset", dataset="MS MARCO")
    assert marco.columns == ["m.name", "r.value", "r.unit", "p.title"]
    assert marco.rows == [["MRR@10", 36.0, "%", "ColBERT: Efficient Passage Search"]]
    beir = run_example(G, "results_on_dataset", dataset="BEIR")
    assert beir.rows == [["nDCG@10", 0.521, None, "Jina-ColBERT-v2"]]


def test_query_run_example_unknown_name(tiny_backend):
    with pytest.raises(QueryError, match="unknown example 'nope'"):
        run_example(tiny_backend.to_networkx(), "nope")


def test_query_run_cypher_on_plain_graph():
    import networkx as nx

    G = nx.MultiDiGraph()
    G.add_node("Task:qa", label="Task", name="QA", __labels__={"Task"})
    assert run_cypher(G, "MATCH (t:Task) RETURN t.name").rows == [["QA"]]


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("MATCH (p:Paper)-[r]->(m:Method) WHERE p.id = 'p2' AND m.key = 'colbert' "
         "RETURN p.id, type(r)", [["p2", "USES"]]),
        ("MATCH (p:Paper {id: 'p2'})-[r]->(m:Method {key: 'colbert'}) RETURN type(r)",
         [["USES"]]),
        ("MATCH (p:Paper)-[:PROPOSES]->(m:Method) WHERE p.id = 'p2' AND m.key = 'colbert' "
         "RETURN p.id", []),
        ("MATCH (m:Method)<-[:USES]-(p:Paper)-[:EVALUATES_ON]->(d:Dataset) "
         "WHERE m.name = 'ColBERT' AND d.name = 'BEIR' RETURN p.id", [["p2"]]),
    ],
)
def test_query_where_on_both_ends_of_an_edge(tiny_backend, query, rows):
    # grand-cypher 1.2 alone returns no rows for the matching ones (edge keys are not 0)
    assert tiny_backend.query(query).rows == rows


def test_query_does_not_modify_the_graph(tiny_backend):
    G = tiny_backend.to_networkx()
    before = (sorted(G.nodes(data=True)), sorted(G.edges(keys=True, data=True)))
    tiny_backend.query("MATCH (p:Paper)-[r]->(m) RETURN p, r, m")
    assert (sorted(G.nodes(data=True)), sorted(G.edges(keys=True, data=True))) == before
