"""Progress for the slow phases of a build, and the one-process path for small inputs (issue 16,
point 4): the library announces each phase after extraction, the CLI shows it on a terminal and
prints nothing more than before when stderr is not one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import engines
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import EXIT_OK, Engine, build_graph, extract_files
from kg.cli import app
from kg.engines import IN_PROCESS_MAX, workers_for
from kg.textsafe import SafeConsole

PAPERS = [{"id": f"p{i}", "title": f"Paper {i}", "abstract": "We fine-tune BERT on SQuAD and report 91.2 F1."}
          for i in range(5)]


@pytest.fixture
def papers_file(tmp_path) -> Path:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    return path


def test_build_graph_reports_the_phases_after_extraction(papers_file, tmp_path):
    events: list[tuple[str, int | None]] = []
    done: dict[str, int] = {}

    def phase(description: str, total: int | None):
        events.append((description, total))
        return lambda n: done.__setitem__(description, done.get(description, 0) + n)

    extracted: list[int] = []
    build_graph([papers_file], NetworkxBackend(), engine=Engine(workers=1), progress=extracted.append,
                phase=phase, cache=tmp_path / "graph.graphml.extractions.jsonl")
    assert sum(extracted) == len(PAPERS)  # extraction's own count is unchanged
    assert events == [("resolving names across 5 papers", 5),
                      ("writing the extraction cache graph.graphml.extractions.jsonl", None)]
    assert done == {"resolving names across 5 papers": 5}


def _tty_console(monkeypatch) -> io.StringIO:
    """Make the CLI's stderr console a terminal writing into a buffer (what a person would see)."""
    buf = io.StringIO()
    monkeypatch.setattr("kg.cli.err", SafeConsole(file=buf, force_terminal=True, width=120, color_system=None))
    return buf


def test_cli_build_shows_each_phase_on_a_terminal(papers_file, tmp_path, monkeypatch):
    screen = _tty_console(monkeypatch)
    graph = tmp_path / "g.graphml"
    result = CliRunner().invoke(app, ["build", str(papers_file), "-o", str(graph), "--workers", "1"])
    assert result.exit_code == EXIT_OK, result.output
    shown = screen.getvalue()
    for line in ("loading the extraction pipeline", "counting papers in papers.jsonl", "building",
                 "resolving names across 5 papers", "writing the extraction cache", f"saving {graph}",
                 "writing the query index of g.graphml"):
        assert line in shown, line


def test_cli_build_prints_no_phase_lines_when_stderr_is_not_a_terminal(papers_file, tmp_path):
    result = CliRunner().invoke(app, ["build", str(papers_file), "-o", str(tmp_path / "g.graphml"), "--workers", "1"])
    assert result.exit_code == EXIT_OK, result.output
    for line in ("loading the extraction pipeline", "counting papers", "resolving names", "saving", "writing the"):
        assert line not in result.output, line
    assert "5/5" in result.output  # the finished bar, as before


def test_cli_loading_a_graph_shows_a_status_on_a_terminal(tiny_graph_file, monkeypatch):
    screen = _tty_console(monkeypatch)
    result = CliRunner().invoke(app, ["aliases", "--graph", str(tiny_graph_file), "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    assert f"loading {tiny_graph_file}" in screen.getvalue()
    assert json.loads(result.stdout)  # stdout holds the data only


def test_small_inputs_run_in_one_process_whatever_the_workers():
    assert IN_PROCESS_MAX >= 1000  # a few hundred papers never start a pool (bench/worker_crossover.py)
    assert workers_for(300, 2) == 1
    assert workers_for(IN_PROCESS_MAX, 2) == 1
    assert workers_for(IN_PROCESS_MAX + 1, 2) == 2
    assert workers_for(IN_PROCESS_MAX + 1, 1) == 1


def test_extraction_of_a_few_hundred_papers_chooses_this_process(tmp_path, monkeypatch):
    """The engine's choice for 300 papers with 2 workers, as `kg extract --workers 2` makes it."""
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "title": f"Paper {i}", "abstract": "We use BERT."}) + "\n"
                            for i in range(300)), encoding="utf-8")
    report = extract_files([path], io.StringIO(), engine=Engine(workers=2))
    assert (report.extracted, report.workers) == (300, 1)
    monkeypatch.setattr(engines, "IN_PROCESS_MAX", 100)  # above the limit, the workers asked for
    report = extract_files([path], io.StringIO(), engine=Engine(workers=2))
    assert (report.extracted, report.workers) == (300, 2)


@pytest.mark.xdist_group("kg-eval")  # shares the run's cross-validation (tests/kg/test_train.py)
def test_cli_eval_counts_its_folds_on_a_terminal(monkeypatch):
    screen = _tty_console(monkeypatch)
    result = CliRunner().invoke(app, ["eval", "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    shown = screen.getvalue()
    assert "10/10" in shown and "/?" not in shown  # 5 folds of each dev set, cached or trained


def test_cli_eval_without_folds_shows_a_status_not_an_empty_bar(monkeypatch):
    screen = _tty_console(monkeypatch)
    result = CliRunner().invoke(app, ["eval", "--no-model", "--set", "seed", "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    shown = screen.getvalue()
    assert "evaluating, rules only (--no-model)" in shown and "/?" not in shown
