"""`kg query` ergonomics on the embedded backend (issue 15, points 5 and 6): the query from a file
or stdin, warnings on names the graph does not have and on unused --param names, columns named
as written, and writes refused by their text with one line.

The graph is `tiny_extractions` (tests/conftest.py); answers are worked out by hand from it.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kg.backends import QueryError
from kg.build import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from kg.cli import app
from kg.cypher_params import check_read_only
from kg.query_text import names_used, query_warnings, return_columns
from kg.backends.base import GraphVocabulary

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
USES_QUERY = "MATCH (p:Paper)-[:USES]->(m:Method)\nRETURN m.name, count(p)\nORDER BY m.name"
USES_ROWS = [["BERT", 2], ["ColBERT", 1], ["ResNet-50", 1]]


def query(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["query", *map(str, args)], input=stdin)


# --- the query from a file or stdin ------------------------------------------------------------

def test_query_from_file_ending_with_semicolon(tiny_graph_file, tmp_path):
    path = tmp_path / "uses.cypher"
    path.write_text("// methods and their papers\n" + USES_QUERY + ";\n", encoding="utf-8")
    result = query("-f", path, "--graph", tiny_graph_file, "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout) == [{"m.name": m, "count(p)": n} for m, n in USES_ROWS]
    assert result.stderr == ""


def test_query_from_stdin(tiny_graph_file):
    result = query("-", "--graph", tiny_graph_file, "--format", "csv", stdin=USES_QUERY + "\n")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines() == ["m.name,count(p)", "BERT,2", "ColBERT,1", "ResNet-50,1"]
    with_file_option = query("-f", "-", "--graph", tiny_graph_file, "--format", "csv", stdin=USES_QUERY)
    assert with_file_option.stdout == result.stdout


def test_query_file_not_found_is_exit_1(tiny_graph_file, tmp_path):
    result = query("-f", tmp_path / "nope.cypher", "--graph", tiny_graph_file)
    assert result.exit_code == EXIT_FAILED  # "not found", as in every command
    assert result.output.splitlines() == [f"error: {tmp_path}/nope.cypher: no such query file"]


@pytest.mark.parametrize(("args", "content", "message"), [
    (["-f", "csv"], None, "error: csv: no such query file; -f reads the query from a file, "
                          "the output format is --format csv"),
    (["-f", "{dir}/q.cypher", "MATCH (n) RETURN n"], b"RETURN 1",
     "error: give the query once: as CYPHER, or with -f FILE (or '-' for stdin)"),
    (["-f", "{dir}/q.cypher"], b"  // nothing but a comment\n;\n", "error: {dir}/q.cypher: the query is empty"),
    (["-f", "{dir}/q.cypher"], b"MATCH (m:Method) RETURN m.key;\nMATCH (d:Dataset) RETURN d.key;",
     "error: {dir}/q.cypher: one statement per query: a second one follows the ';' at line 1, col 30"),
    (["-f", "{dir}/q.cypher"], b"MATCH (m:Method) WHERE m.name = '\xff' RETURN m.key",
     "error: {dir}/q.cypher: not UTF-8 text (byte 33)"),
])
def test_query_file_mistakes_are_one_line(tiny_graph_file, tmp_path, args, content, message):
    if content is not None:
        (tmp_path / "q.cypher").write_bytes(content)
    result = query(*[a.format(dir=tmp_path) for a in args], "--graph", tiny_graph_file)
    assert result.exit_code == EXIT_USAGE
    assert result.output.splitlines() == [message.format(dir=tmp_path)]


# --- warnings: names the graph does not have, --param names the query does not use -------------

def test_query_warns_about_misspelt_names_with_close_matches(tiny_graph_file):
    clean = query("MATCH (v:Method)-[r:VARIANT_OF*1..2]->(m:Method {key: $k}) WHERE v.name STARTS WITH 'Jina' "
                  "RETURN v.name, m.name", "-p", "k=colbert", "--graph", tiny_graph_file, "--format", "csv")
    assert clean.exit_code == EXIT_OK and clean.stderr == ""  # nothing to warn about
    assert clean.stdout.splitlines() == ["v.name,m.name", "Jina-ColBERT-v2,ColBERT"]
    result = query("MATCH (p:Paper)-[:USE]->(m:Mehtod)\nWHERE m.nmae = 'BERT' RETURN p.id, p.titel",
                   "--graph", tiny_graph_file, "--format", "json")
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout) == []
    assert result.stderr.splitlines() == [
        "warning: label :Mehtod does not exist in the graph (line 1, col 28); did you mean :Method?",
        "warning: relationship type :USE does not exist in the graph (line 1, col 19); did you mean :USES?",
        "warning: property key nmae does not exist in the graph (line 2, col 9); did you mean name?",
        "warning: property key titel does not exist in the graph (line 2, col 38); did you mean title?",
    ]


def test_query_warns_about_unused_params_and_still_runs(tiny_graph_file):
    result = query("MATCH (m:Method) WHERE m.key = $key RETURN m.name", "-p", "key=bert", "-p", "kye=bm25",
                   "-p", "limit=3", "--graph", tiny_graph_file, "--format", "csv")
    assert result.exit_code == EXIT_OK
    assert result.stdout.splitlines() == ["m.name", "BERT"]
    assert result.stderr.splitlines() == [
        "warning: --param kye is not used: the query has no $kye; did you mean $key?",
        "warning: --param limit is not used: the query has no $limit",
    ]


def test_query_missing_param_is_named_before_the_graph_is_read(tmp_path):
    result = query("MATCH (m:Method {key: $key}) RETURN m.name", "--graph", tmp_path / "no-graph.graphml")
    assert result.exit_code == EXIT_USAGE
    assert result.output.splitlines() == ["error: missing parameter $key (pass --param key=VALUE)"]


def test_names_used_reads_only_graph_names():
    used = names_used(
        "MATCH (m:`Method` {key: $k})<-[r:USES|:PROPOSES*1..2]-(p:Paper) "
        "WHERE p.year > 2020 AND NOT m:Dataset AND p.title CONTAINS '$notaparam m.fake :Fake' "
        "WITH m, {a: 1} AS map UNWIND m.aliases AS alias "
        "RETURN map.a, alias, m {.name, papers: 1}, db.labels(), apoc.text.join([], $sep)")
    assert [n for n, _ in used.labels] == ["Method", "Paper", "Dataset"]
    assert [n for n, _ in used.rel_types] == ["USES", "PROPOSES"]
    assert [n for n, _ in used.property_keys] == ["key", "year", "title", "aliases", "name"]
    assert [n for n, _ in used.params] == ["k", "sep"]


def test_names_written_are_not_warned_about():
    vocabulary = GraphVocabulary(frozenset({"Method"}), frozenset({"USES"}), frozenset({"name", "key"}))
    cypher = "MATCH (m:Method {key: $k}) SET m.score = 1, m:Reviewed CREATE (m)-[:CITED_BY]->(:Note {text: 'x'})"
    assert query_warnings(cypher, vocabulary, {"k": "bert"}) == []


# --- result columns named as written -------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_query_columns_are_named_as_written(tiny_graph_file, fmt):
    result = query("MATCH (p:Paper)-[:USES]->(m:Method) RETURN m.name AS method, count( p ), "
                   "toUpper(m.key) ORDER BY method LIMIT 1", "--graph", tiny_graph_file, "--format", fmt)
    assert result.exit_code == EXIT_OK, result.output
    header = {"json": lambda out: list(json.loads(out)[0]),
              "csv": lambda out: out.splitlines()[0].split(","),
              "table": lambda out: [c.strip() for c in out.splitlines()[1].strip("┃ ").split("┃")]}[fmt](result.stdout)
    assert header == ["method", "count( p )", "toUpper(m.key)"]


def test_return_columns_follow_neo4j_naming():
    assert return_columns("MATCH (m) RETURN DISTINCT m.name, count(*) AS `my count`, $x, 'a' // note\n"
                          "ORDER BY m.name") == ["m.name", "my count", "$x", "'a'"]
    assert return_columns("MATCH (m) RETURN *") is None
    assert return_columns("CALL { MATCH (m) RETURN m } RETURN m.key AS key") == ["key"]


# --- read-only: write clauses refused by their text, --write on the embedded file -----------------

@pytest.mark.parametrize(("cypher", "message"), [
    ("MATCH (m:Method {key: 'nope'})\n  SET m.name = 'x' RETURN m.name", "SET is not allowed: queries are read-only "
     "(Neo4j: add --write to run it) (line 2, col 3)"),
    ("MATCH (m:Method) DETACH DELETE m", "DETACH DELETE is not allowed: queries are read-only (Neo4j: add --write "
     "to run it) (line 1, col 18)"),
    ("COPY Method FROM 'methods.csv'", "COPY is not allowed: queries are read-only (Neo4j: add --write to run it) "
     "(line 1, col 1)"),
    ("LOAD FROM 'papers.csv' RETURN *", "LOAD FROM is not allowed: queries are read-only (Neo4j: add --write to "
     "run it) (line 1, col 1)"),
])
def test_query_write_refused_before_the_graph_is_read(tmp_path, cypher, message):
    result = query(cypher, "--graph", tmp_path / "no-graph.graphml")
    assert result.exit_code == EXIT_USAGE
    assert result.output.splitlines() == [f"error: {message}"]


def test_query_write_on_the_embedded_file_is_refused_and_the_file_kept(tiny_graph_file):
    before = tiny_graph_file.read_bytes()
    result = query("MATCH (m:Method {key: 'bert'}) SET m.name = 'x' RETURN m.name", "--write", "--graph", tiny_graph_file)
    assert result.exit_code == EXIT_USAGE
    assert result.output.splitlines() == [
        "error: --write needs --backend neo4j: a query never changes the embedded graph file (rebuild it with "
        "`kg build`)"]
    assert tiny_graph_file.read_bytes() == before


def test_read_only_check_leaves_names_that_look_like_keywords_alone():
    check_read_only("MATCH (m:Method {start: 1, show: 2, load: 3}) RETURN m.name")  # map keys
    check_read_only("MATCH (s:Set)-[:CREATE]->(x: Merge) RETURN s.set, x.delete")  # labels, a type, properties
    check_read_only("MATCH (s:Paper:Set)-[:USES|REMOVE]->(x) RETURN x.name AS set")  # more labels, an alias


def test_read_only_check_still_names_write_clauses_in_subqueries():
    with pytest.raises(QueryError, match=r"^MERGE is not allowed: .* \(line 1, col 25\)$"):
        check_read_only("MATCH (m) CALL { WITH m MERGE (x:Note) } RETURN 1")


def test_networkx_vocabulary_is_what_the_graph_holds(tiny_backend):
    vocabulary = tiny_backend.vocabulary()
    assert "title" in vocabulary.property_keys and "__labels__" not in vocabulary.property_keys
    assert "nmae" not in vocabulary.property_keys
    assert sorted(vocabulary.labels) == ["Dataset", "Method", "Metric", "Paper", "Result", "Task"]
    assert sorted(vocabulary.rel_types) == ["ADDRESSES", "COMPARES_WITH", "EVALUATES_ON", "FOR_METHOD", "MEASURES",
                                            "OF_METRIC", "ON_DATASET", "PROPOSES", "REPORTS", "USES", "VARIANT_OF"]
    assert {"name", "key", "aliases", "confidence", "value", "unit", "year"} <= set(vocabulary.property_keys)
