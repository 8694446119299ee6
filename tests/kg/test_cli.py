"""The `kg` CLI end to end on real (small) inputs: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.build import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, SAMPLE_CORPUS
from kg.cli import EXIT_NOT_FOUND, app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, sample_head) -> Path:
    """The first 20 papers of the bundled sample."""
    return sample_head(tmp_path_factory.mktemp("corpus"), 20)


@pytest.fixture(scope="module")
def graph_file(small_corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "graph.graphml"
    result = invoke("build", small_corpus, "--out", out)
    assert result.exit_code == EXIT_OK, result.output
    return out


def test_cli_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("kg ")


def test_cli_build_prints_summary_and_saves(graph_file):
    G = nx.read_graphml(graph_file)
    labels = {d["label"] for _, d in G.nodes(data=True)}
    assert {"Paper", "Method", "Dataset", "Task"} <= labels
    assert sum(1 for _, d in G.nodes(data=True) if d["label"] == "Paper") == 20


def test_cli_build_twice_gives_identical_graph(small_corpus, graph_file, tmp_path):
    again = tmp_path / "again.graphml"
    assert invoke("build", small_corpus, "--out", again).exit_code == EXIT_OK
    appended = tmp_path / "appended.graphml"
    assert invoke("build", small_corpus, "--out", appended).exit_code == EXIT_OK
    assert invoke("build", small_corpus, "--out", appended, "--append").exit_code == EXIT_OK
    for other in (again, appended):
        assert graph_file.read_bytes() == other.read_bytes()


def test_cli_build_summary_table(small_corpus, tmp_path):
    result = invoke("build", small_corpus, "--out", tmp_path / "g.graphml")
    import re

    assert re.search(r"papers read\s*│\s*20\s*│", result.output), result.output
    assert "edges :EVALUATES_ON" in result.output


def test_cli_build_partial_input_reports_and_keeps_good_records(tmp_path):
    bad = tmp_path / "mixed.jsonl"
    good = {"title": "Knowledge distillation for BERT", "abstract": "We distil BERT into a small student and evaluate on GLUE with accuracy."}
    bad.write_text(json.dumps({**good, "id": "a"}) + "\n{not json\n" + json.dumps({**good, "id": "b"}) + "\n", encoding="utf-8")
    out = tmp_path / "g.graphml"
    result = invoke("build", bad, "--out", out)
    assert result.exit_code == EXIT_PARTIAL
    assert f"{bad}:2: malformed JSON" in result.output
    G = nx.read_graphml(out)
    assert {"Paper:a", "Paper:b"} <= set(G.nodes)


def test_cli_build_missing_file_fails_without_traceback(tmp_path):
    result = invoke("build", tmp_path / "nope.txt", "--out", tmp_path / "g.graphml")
    assert result.exit_code == EXIT_FAILED
    assert "Traceback" not in result.output and "nope.txt" in result.output
    assert not (tmp_path / "g.graphml").exists()


def test_cli_build_unknown_format_is_usage_error(tmp_path):
    path = tmp_path / "papers.pdf"
    path.write_text("%PDF-1.7", encoding="utf-8")
    result = invoke("build", path, "--out", tmp_path / "g.graphml")
    assert result.exit_code == EXIT_USAGE
    assert "papers.pdf" in result.output


@pytest.mark.parametrize("option", [["--clear"], ["--batch-papers", "10"]])
def test_cli_build_neo4j_only_options_refused_for_a_file(small_corpus, tmp_path, option):
    result = invoke("build", small_corpus, "--out", tmp_path / "g.graphml", *option)
    assert result.exit_code == EXIT_USAGE
    assert f"{option[0]} is for --backend neo4j" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g.graphml").exists()


def test_cli_extract_writes_the_contract(small_corpus, tmp_path):
    out = tmp_path / "ex.jsonl"
    result = invoke("extract", small_corpus, "-o", out)
    assert result.exit_code == EXIT_OK, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 20
    assert set(rows[0]) >= {"id", "title", "entities", "results"}
    ent = rows[1]["entities"][0]
    assert set(ent) == {"label", "name", "key", "text", "aliases", "role", "confidence", "mentions"}
    assert set(ent["mentions"][0]) == {"field", "start", "end", "text", "sentence"}
    names = {e["name"] for e in rows[1]["entities"]}
    assert {"Jina-ColBERT-v2", "ColBERT"} <= names


def test_cli_query_with_params_and_formats(graph_file):
    result = invoke("query", "MATCH (p:Paper)-[:PROPOSES]->(m:Method) WHERE m.name = $name RETURN p.title",
                    "--param", "name=Jina-ColBERT-v2", "--graph", graph_file, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows == [{"p.title": "Jina-ColBERT-v2: A General-Purpose Multilingual Late Interaction Retriever"}]
    csv_out = invoke("query", "MATCH (d:Dataset) RETURN d.name", "--graph", graph_file, "--format", "csv")
    assert csv_out.output.splitlines()[0] == "d.name"


def test_cli_query_hostile_param_stays_a_value(graph_file):
    result = invoke("query", "MATCH (m:Method) WHERE m.name = $name RETURN m.name",
                    "--param", "name=x' OR 1=1 //", "--graph", graph_file, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_cli_query_write_clause_is_refused(graph_file):
    result = invoke("query", "MATCH (n) DETACH DELETE n", "--graph", graph_file)
    assert result.exit_code == EXIT_USAGE
    assert "DETACH DELETE is not allowed" in result.output and "Traceback" not in result.output


def test_cli_query_bad_param_and_missing_graph(graph_file, tmp_path):
    assert invoke("query", "MATCH (n) RETURN n", "--param", "oops", "--graph", graph_file).exit_code == EXIT_USAGE
    missing = invoke("query", "MATCH (n) RETURN n", "--graph", tmp_path / "none.graphml")
    assert missing.exit_code == EXIT_NOT_FOUND and "kg build" in missing.output


def test_cli_export_formats_load_back(graph_file, tmp_path):
    G = nx.read_graphml(graph_file)
    for fmt in ("graphml", "gexf", "json"):
        target = tmp_path / f"out.{fmt}"
        result = invoke("export", "--format", fmt, "-o", target, "--graph", graph_file)
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    back = nx.read_graphml(tmp_path / "out.graphml")
    assert set(back.nodes) == set(G.nodes) and back.number_of_edges() == G.number_of_edges()


def test_cli_stats(graph_file):
    result = invoke("stats", "--graph", graph_file)
    assert result.exit_code == 0
    assert "(:Paper)" in result.output and "top methods" in result.output


def test_cli_eval_scores_predictions(small_corpus, tmp_path):
    pred = tmp_path / "pred.jsonl"
    assert invoke("extract", small_corpus, "-o", pred).exit_code == 0
    result = invoke("eval", "--pred", pred, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["by_type"]["METHOD"]["tp"] > 0


def test_cli_eval_bad_gold_is_one_line_error(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("{broken\n", encoding="utf-8")
    result = invoke("eval", "--gold", gold, "--pred", gold)
    assert result.exit_code == EXIT_FAILED
    assert "gold.jsonl:1" in result.output and "Traceback" not in result.output


def test_cli_export_neo4j_csv_writes_a_folder(graph_file, tmp_path):
    target = tmp_path / "import"
    result = invoke("export", "--format", "neo4j-csv", "-o", target, "--graph", graph_file)
    assert result.exit_code == 0, result.output
    assert (target / "import.sh").exists() and (target / "nodes_Paper.csv").exists()
    header = (target / "nodes_Paper.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("id:ID(Paper),") and header.endswith(",:LABEL")
    clash = tmp_path / "file.txt"
    clash.write_text("x", encoding="utf-8")
    assert invoke("export", "--format", "neo4j-csv", "-o", clash, "--graph", graph_file).exit_code == EXIT_USAGE


def test_cli_snapshot_formats_and_filters(tmp_path):
    from pathlib import Path as _P

    fixtures = _P(__file__).resolve().parent.parent / "fixtures" / "ingest"
    out = tmp_path / "ax.jsonl"
    result = invoke("extract", fixtures / "arxiv.jsonl", "--format", "arxiv", "--limit", "2", "-o", out)
    assert result.exit_code == EXIT_OK, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and all(r["id"].startswith("arXiv:") for r in rows)
    graph = tmp_path / "oa.graphml"
    result = invoke("build", fixtures / "openalex.jsonl", "--format", "openalex", "--year-from", "1900", "--out", graph)
    assert result.exit_code in (EXIT_OK, EXIT_PARTIAL), result.output
    assert any(n.startswith("Paper:openalex:W") for n in nx.read_graphml(graph).nodes)
    # a category filter on a format without categories is a usage error
    assert invoke("build", "--category", "cs", "--out", tmp_path / "x.graphml").exit_code == EXIT_USAGE


def test_cli_extract_with_two_workers_equals_one(tmp_path, monkeypatch):
    """Parallel extraction through the CLI writes the same records in the same order."""
    monkeypatch.setattr("kg.engines.IN_PROCESS_MAX", 256)  # so that 300 papers go to a pool (default: 2,500)
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()
    pairs = [(lines[i], lines[i + 1]) for i in range(0, len(lines), 2)]
    corpus = tmp_path / "papers.jsonl"  # 300 papers: more than one chunk, so a pool really runs
    corpus.write_text("".join(json.dumps({"id": f"x{i}", "title": pairs[i % len(pairs)][0],
                                          "abstract": pairs[i % len(pairs)][1]}) + "\n" for i in range(300)),
                      encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert invoke("extract", corpus, "-o", one, "--workers", "1").exit_code == EXIT_OK
    assert invoke("extract", corpus, "-o", two, "--workers", "2").exit_code == EXIT_OK
    assert one.read_bytes() == two.read_bytes()
    assert len(one.read_text(encoding="utf-8").splitlines()) == 300


def test_cli_engine_options_are_checked(tmp_path):
    assert invoke("extract", "--engine", "spark", "-o", tmp_path / "x.jsonl").exit_code == EXIT_USAGE
    assert invoke("extract", "--scheduler", "tcp://x:8786", "-o", tmp_path / "x.jsonl").exit_code == EXIT_USAGE


def test_cli_eval_reports_proposes(small_corpus, tmp_path):
    pred = tmp_path / "pred.jsonl"
    assert invoke("extract", small_corpus, "-o", pred).exit_code == 0
    report = json.loads(invoke("eval", "--pred", pred, "--json").output)
    assert set(report["proposes"]) >= {"precision", "recall", "f1", "tp", "fp", "fn"}
    assert report["proposes"]["tp"] > 0
    result = invoke("eval", "--pred", pred, "--errors")
    assert result.exit_code == 0, result.output
    assert "PROPOSES" in result.output and "PROPOSES:" in result.output
    only = invoke("eval", "--pred", pred, "--errors", "--label", "proposes")
    assert only.exit_code == 0 and "PROPOSES:" in only.output and "METHOD:" not in only.output
