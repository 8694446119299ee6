"""Cross-paper resolution across runs: loading papers in two runs (`--append`) gives the entity nodes
one run over all of them gives, whichever run brings the acronym definition."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.backends.networkx_backend import NetworkxBackend
from kg.build import Engine, build_graph
from kg.cli import app

#: d1 defines FWN; u1, u2 write only the acronym; l1 only the long form
TEXTS = {
    "d1": "We propose frobnicated widget networks (FWN) for image classification on ImageNet.",
    "u1": "We use FWN as a baseline for image classification on ImageNet.",
    "u2": "FWN improves accuracy on CIFAR-10.",
    "l1": "Frobnicated widget networks are strong baselines on CIFAR-10.",
}
#: (first run, second run): the definition comes second (and u1 is in both), or first
SPLITS = [(["u1", "u2", "l1"], ["d1", "u1"]), (["d1", "u1"], ["u2", "l1"])]


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


def papers(path: Path, ids: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "title": "A study", "abstract": TEXTS[i]}) + "\n" for i in ids),
                    encoding="utf-8")
    return path


def entities(G: nx.MultiDiGraph) -> dict:
    """Entity nodes by id with what must not depend on how the papers were split into runs."""
    return {n: (d.get("alias_evidence"), d.get("merged_keys")) for n, d in G.nodes(data=True)
            if d["label"] in ("Method", "Dataset", "Metric", "Task")}


def edges(G: nx.MultiDiGraph) -> set:
    return set(G.edges(keys=True))


@pytest.mark.parametrize(("first", "second"), SPLITS)
def test_two_runs_give_the_entities_of_one_run(tmp_path, nlp, first, second):
    a, b = papers(tmp_path / "a.jsonl", first), papers(tmp_path / "b.jsonl", second)
    both = papers(tmp_path / "ab.jsonl", list(dict.fromkeys(first + second)))
    one = NetworkxBackend()
    build_graph([both], one, nlp=nlp, engine=Engine(workers=1))
    two = NetworkxBackend()
    build_graph([a], two, nlp=nlp, engine=Engine(workers=1))
    build_graph([b], two, nlp=nlp, engine=Engine(workers=1))
    G1, G2 = one.to_networkx(), two.to_networkx()
    # the node is keyed by the defined long form, not by the bare acronym most papers write
    assert "Method:frobnicated widget network" in G1 and "Method:fwn" not in G1
    assert entities(G2) == entities(G1)
    assert edges(G2) == edges(G1)
    assert sorted(G2.predecessors("Method:frobnicated widget network")) == ["Paper:d1", "Paper:l1", "Paper:u1", "Paper:u2"]


def test_cli_append_merges_into_the_existing_node(tmp_path):
    first, second = SPLITS[0]
    a, b = papers(tmp_path / "a.jsonl", first), papers(tmp_path / "b.jsonl", second)
    both = papers(tmp_path / "ab.jsonl", list(dict.fromkeys(first + second)))
    runner = CliRunner()
    g1, g2 = tmp_path / "one.graphml", tmp_path / "two.graphml"
    assert runner.invoke(app, ["build", str(both), "--out", str(g1), "-w", "1"]).exit_code == 0
    assert runner.invoke(app, ["build", str(a), "--out", str(g2), "-w", "1"]).exit_code == 0
    before = NetworkxBackend(g2).to_networkx()
    assert {"Method:fwn", "Method:frobnicated widget network"} <= set(before)  # no definition yet: two nodes
    assert runner.invoke(app, ["build", str(b), "--out", str(g2), "-w", "1", "--append"]).exit_code == 0
    G1, G2 = NetworkxBackend(g1).to_networkx(), NetworkxBackend(g2).to_networkx()
    assert entities(G2) == entities(G1)
    assert set(G2.edges(keys=True)) == set(G1.edges(keys=True))


@pytest.mark.neo4j
@pytest.mark.parametrize(("first", "second"), SPLITS)
def test_two_runs_into_neo4j_give_the_entities_of_one_run(neo4j_backend, tmp_path, nlp, first, second):
    a, b = papers(tmp_path / "a.jsonl", first), papers(tmp_path / "b.jsonl", second)
    both = papers(tmp_path / "ab.jsonl", list(dict.fromkeys(first + second)))
    one = NetworkxBackend()
    build_graph([both], one, nlp=nlp, engine=Engine(workers=1))
    build_graph([a], neo4j_backend, nlp=nlp, engine=Engine(workers=1))
    build_graph([b], neo4j_backend, nlp=nlp, engine=Engine(workers=1))
    G1, G2 = one.to_networkx(), neo4j_backend.to_networkx()
    assert entities(G2) == entities(G1)
    assert edges(G2) == edges(G1)
