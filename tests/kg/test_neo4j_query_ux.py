"""`kg query --backend neo4j` against a real server (issue 15, points 5 and 6): write clauses are
refused by name unless --write, warnings on names the database does not have, the query from a
file, columns named as written."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kg.build import EXIT_OK, EXIT_USAGE
from kg.builder import build_batch
from kg.cli import app

pytestmark = pytest.mark.neo4j
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
HINT = "queries are read-only (Neo4j: add --write to run it)"


def query(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["query", "--backend", "neo4j", *map(str, args)], input=stdin)


@pytest.fixture
def tiny_neo4j(neo4j_backend, tiny_extractions):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    return neo4j_backend


@pytest.mark.parametrize(("cypher", "message"), [
    ("MATCH (m:Method {key: 'colbert'}) SET m.name = 'X' RETURN m.name", f"SET is not allowed: {HINT} (line 1, col 35)"),
    ("MATCH (m:Method {key: 'colbert'})\nDETACH DELETE m", f"DETACH DELETE is not allowed: {HINT} (line 2, col 1)"),
    ("MATCH (m:Method {key: 'colbert'}) REMOVE m.name", f"REMOVE is not allowed: {HINT} (line 1, col 35)"),
    ("MERGE (m:Method {key: 'colbert'}) ON MATCH SET m.name = 'X'", f"MERGE is not allowed: {HINT} (line 1, col 1)"),
    ("CREATE (:Method {key: 'new', name: 'New'})", f"CREATE is not allowed: {HINT} (line 1, col 1)"),
    ("MATCH (m:Method) FOREACH (k IN [1] | SET m.name = 'X')", f"FOREACH is not allowed: {HINT} (line 1, col 18)"),
])
def test_write_is_refused_by_name_and_changes_nothing(tiny_neo4j, cypher, message):
    before = tiny_neo4j.query("MATCH (n) RETURN count(n) AS n, collect(n.name) AS names")
    result = query(cypher)
    assert result.exit_code == EXIT_USAGE
    assert result.output.splitlines() == [f"error: {message}"]
    assert tiny_neo4j.query("MATCH (n) RETURN count(n) AS n, collect(n.name) AS names").rows == before.rows


def test_write_runs_with_the_write_flag(tiny_neo4j):
    cypher = "MATCH (m:Method {key: 'colbert'}) SET m.name = $name RETURN m.name"
    refused = query(cypher, "-p", "name=ColBERT 2")
    assert refused.exit_code == EXIT_USAGE
    assert refused.output.splitlines() == [f"error: SET is not allowed: {HINT} (line 1, col 35)"]
    result = query(cypher, "-p", "name=ColBERT 2", "--write", "--format", "csv")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines() == ["m.name", "ColBERT 2"]
    assert tiny_neo4j.query("MATCH (m:Method {key: 'colbert'}) RETURN m.name").rows == [["ColBERT 2"]]


def test_misspelt_names_and_unused_params_are_warnings(tiny_neo4j):
    result = query("MATCH (p:Paper)-[:USE]->(m:Mehtod) WHERE m.nmae = $name RETURN count(*)",
                   "-p", "name=BERT", "-p", "nmae=BERT", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout) == [{"count(*)": 0}]
    assert result.stderr.splitlines() == [
        "warning: label :Mehtod does not exist in the graph (line 1, col 28); did you mean :Method?",
        "warning: relationship type :USE does not exist in the graph (line 1, col 19); did you mean :USES?",
        "warning: property key nmae does not exist in the graph (line 1, col 44); did you mean name?",
        "warning: --param nmae is not used: the query has no $nmae; did you mean $name?",
    ]


def test_query_file_and_columns_as_written(tiny_neo4j, tmp_path):
    path = tmp_path / "top.cypher"
    path.write_text("MATCH (p:Paper)-[:USES]->(m:Method)\nRETURN m.name AS method, count(*)\n"
                    "ORDER BY method;\n", encoding="utf-8")
    result = query("-f", path, "--format", "csv")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines() == ["method,count(*)", "BERT,2", "ColBERT,1", "ResNet-50,1"]
    assert result.stderr == ""
    piped = query("-", "--format", "csv", stdin=path.read_text(encoding="utf-8"))
    assert piped.stdout == result.stdout
