"""`kg query` limits on the embedded backend: a time limit, a memory cap, and what read-only refuses."""

from __future__ import annotations


import pytest
from typer.testing import CliRunner

from kg.backends import QueryError
from kg.build import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from kg.cli import app
from kg.cypher_params import check_read_only

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
#: 18 nodes to the fifth: 1.9 million rows, minutes of work and gigabytes for grand-cypher
CARTESIAN = "MATCH (a) MATCH (b) MATCH (c) MATCH (d) MATCH (e) RETURN a.name, b.name, c.name, d.name, e.name"


def query(*args: str):
    return runner.invoke(app, ["query", *map(str, args)])


def test_timeout_stops_a_cartesian_product_with_one_line(tiny_graph_file):
    result = query(CARTESIAN, "--graph", tiny_graph_file, "--timeout", "0.5")
    assert result.exit_code == EXIT_FAILED
    assert result.output.strip().splitlines() == [
        "error: query stopped: it ran longer than the 0.5 s timeout; narrow it (LIMIT, a bounded path "
        "length such as *1..3) or raise --timeout"]


def test_memory_limit_turns_memory_error_into_one_line(tiny_graph_file):
    result = query(CARTESIAN, "--graph", tiny_graph_file, "--memory-limit", "64", "--timeout", "600")
    assert result.exit_code == EXIT_FAILED
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: query stopped: it ran out of memory (64 MiB)")


def test_bounded_query_still_answers_and_reports_its_errors(tiny_graph_file):
    ok = query("MATCH (m:Method) WHERE m.key = $k RETURN m.name", "-p", "k=colbert", "--graph", tiny_graph_file,
               "--timeout", "60", "--format", "csv")
    assert ok.exit_code == EXIT_OK and ok.output.splitlines() == ["m.name", "ColBERT"]
    bad = query("MATCH (m:Method RETURN m", "--graph", tiny_graph_file, "--timeout", "60")
    assert bad.exit_code == EXIT_USAGE and "cannot parse query" in bad.output
    named = query("--named", "top_methods", "--graph", tiny_graph_file, "--timeout", "60", "--format", "csv")
    assert named.exit_code == EXIT_OK, named.output


@pytest.mark.parametrize(("cypher", "named"), [
    ('LOAD CSV FROM "file:///etc/passwd" AS row RETURN row', "LOAD CSV is not allowed"),
    ("SHOW USERS", "SHOW USERS is an administration command"),
    ("USE system SHOW USERS", "SHOW USERS is an administration command"),
    ("EXPLAIN SHOW SETTINGS YIELD name RETURN name", "SHOW SETTINGS is an administration command"),
    ("CREATE USER bob SET PASSWORD 'secret-pass'", "CREATE USER is an administration command"),
    ("DROP DATABASE neo4j", "DROP DATABASE is an administration command"),
    ("GRANT ROLE admin TO bob", "GRANT ROLE is an administration command"),
    ("MATCH (n) RETURN n.name AS x UNION TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
     "TERMINATE TRANSACTIONS is an administration command"),
    ("CALL dbms.listConfig()", "procedure dbms.listConfig is not allowed"),
    ("CALL `dbms`.`listConfig`() YIELD name RETURN name", "procedure `dbms`.`listConfig` is not allowed"),
    ("CALL apoc.load.json('file:///etc/passwd')", "procedure apoc.load.json is not allowed"),
])
def test_read_only_refuses_files_admin_and_procedures(cypher, named):
    with pytest.raises(QueryError, match="queries are read-only") as info:
        check_read_only(cypher)
    assert named in str(info.value)


@pytest.mark.parametrize("cypher", [
    "MATCH (start)-->(stop) RETURN start.name, stop.name",
    'MATCH (p:Paper) WHERE p.title CONTAINS "SHOW USERS" OR p.title = "LOAD CSV" RETURN p',
    "MATCH (show:Paper) RETURN show.title // CALL dbms.listConfig()",
    "CALL db.labels() YIELD label RETURN label",
    "MATCH (p:Paper) CALL (p) { MATCH (p)-->(m) RETURN count(m) AS n } RETURN p.id, n",
])
def test_read_only_lets_ordinary_reads_through(cypher):
    check_read_only(cypher)


def test_cli_refuses_load_csv_on_the_embedded_backend(tiny_graph_file):
    result = query('LOAD CSV FROM "file:///etc/passwd" AS row RETURN row', "--graph", tiny_graph_file)
    assert result.exit_code == EXIT_USAGE and "root:" not in result.output
    assert "LOAD CSV is not allowed: queries are read-only" in result.output
