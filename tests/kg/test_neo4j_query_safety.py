"""`kg query --backend neo4j` against a real server: read-only refuses file reads and administration,
and a query that runs too long is stopped by the server with one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kg.backends import QueryError
from kg.build import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from kg.builder import build_batch
from kg.cli import app

pytestmark = pytest.mark.neo4j
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
#: two billion rows counted: minutes of server time
ENDLESS = "UNWIND range(1, 2000000000) AS x WITH x WHERE x < 0 RETURN count(x) AS n"


def query(*args: str):
    return runner.invoke(app, ["query", "--backend", "neo4j", *map(str, args)])


def test_load_csv_of_a_server_file_is_refused_read_only(neo4j_backend):
    result = query('LOAD CSV FROM "file:///etc/passwd" AS row RETURN row')
    assert result.exit_code == EXIT_USAGE
    assert "root:" not in result.output
    assert "LOAD CSV is not allowed: queries are read-only (Neo4j: add --write to run it)" in result.output


@pytest.mark.parametrize(("cypher", "named"), [
    ("SHOW USERS", "SHOW USERS is an administration command"),
    ("SHOW SETTINGS YIELD name RETURN name", "SHOW SETTINGS is an administration command"),
    ("CALL dbms.listConfig() YIELD name RETURN name", "procedure dbms.listConfig is not allowed"),
    ("CREATE USER mallory SET PASSWORD 'mallory-pass' CHANGE NOT REQUIRED", "CREATE USER is an administration"),
])
def test_administration_is_refused_read_only(neo4j_backend, cypher, named):
    with pytest.raises(QueryError, match=named):
        neo4j_backend.query(cypher)
    users = neo4j_backend.query("SHOW USERS YIELD user RETURN user", write=True)
    assert ["mallory"] not in users.rows


def test_reads_and_procedures_for_reading_still_work(neo4j_backend, tiny_extractions):
    neo4j_backend.upsert(build_batch(tiny_extractions))
    labels = neo4j_backend.query("CALL db.labels() YIELD label RETURN label ORDER BY label")
    assert ["Method"] in labels.rows
    result = query("MATCH (m:Method {key: $k}) RETURN m.name", "-p", "k=colbert", "--format", "csv")
    assert result.exit_code == EXIT_OK and result.output.splitlines() == ["m.name", "ColBERT"]


def test_timeout_stops_the_query_on_the_server(neo4j_backend):
    result = query(ENDLESS, "--timeout", "0.5")
    assert result.exit_code == EXIT_FAILED
    assert result.output.strip().splitlines() == [
        "error: query stopped: it ran longer than the 0.5 s timeout; narrow it (LIMIT, a bounded path "
        "length such as *1..3) or raise --timeout"]
    # the server is free again: the next query answers
    assert neo4j_backend.query("RETURN 1 AS one").rows == [[1]]
