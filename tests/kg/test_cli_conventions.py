"""CLI conventions on real commands (issue 16, points 1 and 2): -h, -q/-v, completion, one name per
idea (--out, --format, --input-format, old spellings hidden but accepted), kg.toml defaults below
environment variables, plain help texts, filter-emptied runs, one "not found" exit code."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg
from kg.build import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from kg.cli import EXIT_NOT_FOUND, app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
COMMANDS = ["build", "extract", "query", "export", "stats", "eval", "eval-spans", "aliases", "calibration", "index",
            "leaderboard", "report", "train", "viz"]


def invoke(*args: object, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_head) -> Path:
    """Ten papers of the bundled sample (txt: a title line, then an abstract line)."""
    return sample_head(tmp_path_factory.mktemp("corpus"), 10)


@pytest.fixture(scope="module")
def bad_jsonl(tmp_path_factory) -> Path:
    """One good paper, one malformed JSON line, one paper without an abstract."""
    path = tmp_path_factory.mktemp("bad") / "papers.jsonl"
    path.write_text('{"id": "a", "title": "BERT for things", "abstract": "We use BERT on GLUE and report F1 of 90."}\n'
                    '{bad json\n{"id": "b", "title": "x", "abstract": ""}\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def graph(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "graph.graphml"
    result = invoke("build", corpus, "--out", out, "-w", "1")
    assert result.exit_code == EXIT_OK, result.output
    return out


# -- -h, completion, help texts ---------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_cli_dash_h_is_help_with_plain_metavars_and_an_example(command):
    result = invoke(command, "-h")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Usage: " in text and f" {command} [OPTIONS]" in text
    assert "Example: kg " in text
    for python_type in ("<bool>", "<str>", "<int", "<float", "<path>", "list[", "<table|json|csv>"):
        assert python_type not in text, (command, python_type)
    assert "site-packages" not in text and str(Path(kg.__file__).parents[1]) not in text  # no install paths


def test_cli_app_help_offers_dash_h_quiet_verbose_and_completion():
    result = invoke("-h")
    assert result.exit_code == 0
    for option in ("--quiet", "-q", "--verbose", "-v", "--install-completion", "--show-completion"):
        assert option in result.output
    assert "Example: kg build" in result.output


def test_cli_show_completion_prints_a_bash_script(monkeypatch):
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # Typer's switch: name the shell
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "complete -o default -F" in result.output and "_COMPLETE=complete_bash" in result.output


# -- -q / -v -----------------------------------------------------------------------------------------

def test_cli_verbose_logs_inputs_and_pipeline_quiet_hides_warnings(bad_jsonl, tmp_path, monkeypatch, shared_pipelines):
    import extractors

    monkeypatch.setattr(extractors, "build_nlp", shared_pipelines)  # the real one: its build is logged
    normal = invoke("build", bad_jsonl, "-o", tmp_path / "n.graphml", "-w", "1")
    assert normal.exit_code == EXIT_PARTIAL
    assert "malformed JSON" in normal.stderr and "query index written" in normal.stderr
    assert "format jsonl (detected)" not in normal.stderr

    verbose = invoke("-v", "build", bad_jsonl, "-o", tmp_path / "v.graphml", "-w", "1")
    assert verbose.exit_code == EXIT_PARTIAL
    assert f"input {bad_jsonl}: format jsonl (detected)" in verbose.stderr
    assert "extraction pipeline" in verbose.stderr and "kg_classifier" in verbose.stderr

    quiet = invoke("-q", "build", bad_jsonl, "-o", tmp_path / "q.graphml", "-w", "1")
    assert quiet.exit_code == EXIT_PARTIAL  # same outcome, same exit code
    assert "malformed JSON" not in quiet.stderr and "query index written" not in quiet.stderr
    assert "building" not in quiet.stderr  # no progress bar
    assert "skipped 2" in quiet.stdout  # the summary is still printed


def test_cli_quiet_still_shows_errors(tmp_path):
    result = invoke("-q", "stats", "--graph", tmp_path / "none.graphml")
    assert result.exit_code == EXIT_NOT_FOUND
    assert "error: " in result.stderr and "no such graph file" in result.stderr


def test_cli_issue_lines_match_the_summary_counts(bad_jsonl, tmp_path):
    """Skipped records are printed as `skipped:`, and the footer never says "0 warning(s)"."""
    result = invoke("build", bad_jsonl, "-o", tmp_path / "g.graphml", "-w", "1")
    assert f"skipped: {bad_jsonl}:2: malformed JSON" in result.stderr
    assert "warning:" not in result.stderr
    assert "0 warning(s)" not in result.output and "0 file(s) failed" not in result.output
    assert "skipped 2" in result.output


# -- one name per idea -------------------------------------------------------------------------------

def test_cli_extract_and_export_write_with_out_and_still_take_output(corpus, graph, tmp_path):
    for spelling in ("--out", "-o", "--output"):
        target = tmp_path / f"ex{spelling.strip('-')}.jsonl"
        result = invoke("extract", corpus, spelling, target, "--limit", "2", "-w", "1")
        assert result.exit_code == EXIT_OK, result.output
        assert len(target.read_text(encoding="utf-8").splitlines()) == 2
        exported = tmp_path / f"g{spelling.strip('-')}.gexf"
        assert invoke("export", "--graph", graph, "--format", "gexf", spelling, exported).exit_code == EXIT_OK
        assert exported.read_text(encoding="utf-8").startswith("<?xml")
    for command in ("extract", "export"):
        help_text = invoke(command, "-h").output
        assert "--out" in help_text and "--output" not in help_text


def test_cli_input_format_with_the_old_format_spelling_hidden(bad_jsonl, tmp_path):
    renamed = bad_jsonl.with_name("papers.data")  # an extension that says nothing
    shutil.copy(bad_jsonl, renamed)
    for spelling in ("--input-format", "--format", "-f"):
        result = invoke("extract", renamed, spelling, "jsonl", "-o", tmp_path / "x.jsonl", "-w", "1")
        assert result.exit_code == EXIT_PARTIAL, (spelling, result.output)
        assert "extraction(s) written" in result.stderr
    help_text = invoke("build", "-h").output
    assert "--input-format" in help_text and "--format" not in help_text.replace("--input-format", "")


def test_cli_stats_format_json_and_csv(graph):
    data = json.loads(invoke("stats", "--graph", graph, "--format", "json").stdout)
    assert data["nodes"]["Paper"] == 10
    assert set(data["top"]) == {"Method", "Dataset", "Metric", "Task"}
    assert all({"name", "papers"} == set(row) for row in data["top"]["Method"])
    rows = list(csv.reader(io.StringIO(invoke("stats", "--graph", graph, "--format", "csv").stdout)))
    assert rows[0] == ["section", "name", "count"]
    assert ["nodes", "Paper", "10"] in rows
    assert any(row[0] == "top Method" for row in rows)


def test_cli_eval_format_csv_and_the_old_json_flag(corpus, tmp_path):
    pred = tmp_path / "pred.jsonl"
    assert invoke("extract", corpus, "-o", pred, "-w", "1").exit_code == EXIT_OK
    as_json = json.loads(invoke("eval", "--pred", pred, "--format", "json").stdout)
    assert json.loads(invoke("eval", "--pred", pred, "--json").stdout) == as_json
    rows = list(csv.DictReader(io.StringIO(invoke("eval", "--pred", pred, "--format", "csv").stdout)))
    method = next(r for r in rows if r["type"] == "METHOD")
    assert int(method["tp"]) == as_json["by_type"]["METHOD"]["tp"]
    assert {r["type"] for r in rows} >= {"METHOD", "DATASET", "overall", "PROPOSES"}
    assert "--json" not in invoke("eval", "-h").output


# -- config file ---------------------------------------------------------------------------------------

def test_cli_kg_toml_sets_the_graph_and_the_environment_wins(graph, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(graph, tmp_path / "mine.graphml")
    (tmp_path / "kg.toml").write_text('graph = "mine.graphml"\nworkers = 1\n', encoding="utf-8")
    result = invoke("stats", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["graph"] == "mine.graphml"
    assert "[default: mine.graphml]" in invoke("stats", "-h").output

    from_env = invoke("stats", env={"KG_GRAPH": "other.graphml"})  # the variable wins over the file
    assert from_env.exit_code == EXIT_NOT_FOUND and "other.graphml: no such graph file" in from_env.stderr
    explicit = invoke("stats", "--graph", "mine.graphml", "--format", "json", env={"KG_GRAPH": "other.graphml"})
    assert explicit.exit_code == EXIT_OK  # and an option wins over both


def test_cli_pyproject_tool_kg_table_and_kg_build_writes_there(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.kg]\ngraph = "built.graphml"\n',
                                             encoding="utf-8")
    result = invoke("build", corpus, "-w", "1", "--limit", "2")
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / "built.graphml").exists() and not (tmp_path / "graph.graphml").exists()
    verbose = invoke("-v", "stats")
    assert verbose.exit_code == EXIT_OK and "option defaults from pyproject.toml" in verbose.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('graph = "a.graphml"\nbackend = \n', "kg.toml: line 2: Invalid value"),
    ('graph = "a.graphml"\npassword = "secret"\n', "kg.toml: unknown key 'password' (the password is read only from"),
    ('grpah = "a.graphml"\n', "kg.toml: unknown key 'grpah' (did you mean graph?); expected one of graph, backend,"),
    ('workers = "two"\n', "kg.toml: workers = 'two': expected a whole number"),
    ('backend = "postgres"\n', "kg.toml: backend = 'postgres': expected networkx or neo4j"),
])
def test_cli_malformed_config_is_one_line_exit_2(text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kg.toml").write_text(text, encoding="utf-8")
    result = invoke("stats")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


# -- messages and exit codes ---------------------------------------------------------------------------

def test_cli_filters_that_remove_every_paper_say_which_and_exit_1(tmp_path):
    papers = tmp_path / "papers.jsonl"
    papers.write_text("".join(json.dumps({"id": f"p{i}", "title": f"Paper {i}", "abstract": "We use BERT on GLUE.",
                                          "year": 2020 + i % 3}) + "\n" for i in range(6)), encoding="utf-8")
    target = tmp_path / "g.graphml"
    result = invoke("build", papers, "--year-from", "2030", "-o", target, "-w", "1")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "error: --year-from 2030 removed all 6 papers; nothing was written"
    assert not target.exists()

    out = tmp_path / "x.jsonl"
    out.write_text("old\n", encoding="utf-8")
    result = invoke("extract", papers, "--year-to", "2001", "-o", out, "-w", "1")
    assert result.exit_code == 1
    assert "error: --year-to 2001 removed all 6 papers; " in result.stderr
    assert out.read_text(encoding="utf-8") == "old\n"  # left as it was

    result = invoke("build", papers, "--limit", "0", "-o", target, "-w", "1")
    assert result.exit_code == 1 and "error: --limit 0 removed all papers" in result.stderr


def test_cli_category_and_year_filters_are_told_apart(tmp_path):
    papers = tmp_path / "arxiv.jsonl"
    rows = [{"id": f"2101.0000{i}", "title": f"Paper {i}", "abstract": "We use BERT on GLUE.", "categories": cat,
             "update_date": date} for i, (cat, date) in enumerate([("cs.CL", "2021-01-01"), ("math.ST", "2021-01-01"),
                                                                     ("cs.CL", "2019-05-01")])]
    papers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = invoke("build", papers, "--input-format", "arxiv", "--category", "cs", "--year-from", "2022",
                    "-o", tmp_path / "g.graphml", "-w", "1")
    assert result.exit_code == 1, result.output
    assert ("error: --category cs removed 1 and --year-from 2022 removed 2: no paper left of 3"
            in result.stderr), result.stderr


def test_cli_not_found_is_exit_1_in_every_command(graph, tmp_path):
    missing = tmp_path / "none.graphml"
    for args in (["stats", "--graph", missing], ["query", "MATCH (n) RETURN n", "--graph", missing],
                 ["export", "--graph", missing], ["aliases", "--graph", missing], ["index", "--graph", missing],
                 ["viz", "--graph", missing], ["report", "--graph", missing], ["leaderboard", "-d", "x", "--graph", missing],
                 ["aliases", "NoSuchEntity", "--graph", graph], ["viz", "--focus", "NoSuchEntity", "--graph", graph,
                                                                 "-o", tmp_path / "v.html"],
                 ["leaderboard", "-d", "NoSuchDataset", "--graph", graph],
                 ["query", "--named", "no_such_query", "--graph", graph],
                 ["query", "--named", "datasets_of_method", "-p", "method=NoSuchMethod", "--graph", graph],
                 ["query", "-f", tmp_path / "none.cypher", "--graph", graph],
                 ["build", tmp_path / "none.jsonl", "-o", tmp_path / "g.graphml"],
                 ["build", "--overrides", tmp_path / "none.toml", "-o", tmp_path / "g.graphml"]):
        result = invoke(*args)
        assert result.exit_code == EXIT_NOT_FOUND == 1, (args, result.output)
        assert result.stderr.startswith("error: ") and "Traceback" not in result.output, (args, result.output)


def test_cli_no_progress_frame_after_an_error(tmp_path):
    """An error raised while the bar runs (a category filter on a format without categories) takes
    the bar off the screen first: the error is the last thing on stderr."""
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({"id": "a", "title": "T", "abstract": "We use BERT."}) + "\n", encoding="utf-8")
    result = invoke("extract", papers, "--year-from", "2020", "--category", "cs", "-o", tmp_path / "x.jsonl", "-w", "1")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def test_cli_eval_spans_format_csv_and_the_old_json_flag():
    spans = Path(__file__).parents[1] / "fixtures" / "spans"
    gold, pred = spans / "gold.jsonl", spans / "pred.jsonl"
    as_json = json.loads(invoke("eval-spans", gold, "--pred", pred, "--format", "json").stdout)
    assert json.loads(invoke("eval-spans", gold, "--pred", pred, "--json").stdout) == as_json
    rows = list(csv.DictReader(io.StringIO(invoke("eval-spans", gold, "--pred", pred, "--format", "csv").stdout)))
    exact = next(r for r in rows if (r["match"], r["label"]) == ("exact", "overall"))
    assert int(exact["tp"]) == as_json["exact"]["overall"]["tp"]
    assert {r["match"] for r in rows} == {"exact", "lenient"}
