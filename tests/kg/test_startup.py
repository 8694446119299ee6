"""Commands that never run the extraction pipeline must not import spaCy (half a second of start-up
for every `kg query`); `kg extract` with workers leaves it to the workers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kg.build import SAMPLE_CORPUS

PROBE = """
import runpy, sys
sys.argv = ["kg", *sys.argv[1:]]
try:
    runpy.run_module("kg", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("SPACY" if "spacy" in sys.modules else "NO-SPACY", code, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """The sample's graph file and index, made by `kg build` in this process (the probes below are the subprocesses)."""
    from typer.testing import CliRunner

    from kg.cli import app

    path = tmp_path_factory.mktemp("startup") / "g.graphml"
    done = CliRunner().invoke(app, ["build", str(SAMPLE_CORPUS), "-o", str(path), "-w", "1"])
    assert done.exit_code == 0, done.output
    return path


@pytest.mark.parametrize("args", [
    ["--version"],
    ["stats", "--graph", "{graph}"],
    ["query", "MATCH (p:Paper) RETURN count(p) AS n", "--graph", "{graph}"],
    ["query", "--named", "top_methods", "--graph", "{graph}"],
])
def test_commands_that_only_read_a_graph_do_not_import_spacy(graph, args):
    argv = [a.format(graph=graph) for a in args]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False)
    last = done.stderr.strip().splitlines()[-1]
    assert last == "NO-SPACY 0", done.stderr


def test_the_extraction_commands_do_import_it(graph):
    """The probe can tell: a command that extracts loads spaCy."""
    done = subprocess.run([sys.executable, "-c", PROBE, "extract", str(SAMPLE_CORPUS), "-o", str(graph.with_suffix(".jsonl")),
                           "--limit", "3"], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] == "SPACY 0", done.stderr
