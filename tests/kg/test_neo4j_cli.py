"""`kg build/query/export/stats --backend neo4j` against a real server: idempotent, incremental,
interrupted loads, a server that dies mid-load, and the one-line errors users see."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.backends.neo4j_backend import Neo4jBackend
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import SAMPLE_CORPUS, Engine, build_graph
from kg.cli import app
from kg.ingest import read_papers

pytestmark = pytest.mark.neo4j
runner = CliRunner()


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


@pytest.fixture(scope="module")
def sample_reference(nlp):
    """`reference([SAMPLE_CORPUS], nlp)`, built once for the tests that compare with it."""
    return reference([SAMPLE_CORPUS], nlp)


def reference(inputs: list[Path], nlp, *, incremental_from: list[Path] | None = None):
    """The networkx graph `kg build` makes from the same input (what Neo4j must hold)."""
    store = NetworkxBackend()
    if incremental_from:
        build_graph(incremental_from, store, nlp=nlp, engine=Engine(workers=1))
    build_graph(inputs, store, nlp=nlp, engine=Engine(workers=1), incremental=bool(incremental_from))
    return store.to_networkx()


def copies(path: Path, n: int) -> Path:
    """The bundled sample `n` times over, each copy with its own paper ids (JSON Lines)."""
    papers = list(read_papers([SAMPLE_CORPUS]))
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            for p in papers:
                f.write(json.dumps({"id": f"c{i}-{p.id}", "title": p.title, "abstract": p.abstract}) + "\n")
    return path


def test_build_twice_is_idempotent_and_equals_networkx(neo4j_backend, sample_reference, graph_snapshot):
    first = runner.invoke(app, ["build", "--backend", "neo4j", "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert "graph loaded into Neo4j at bolt://127.0.0.1:" in first.output
    want = graph_snapshot(sample_reference)
    assert graph_snapshot(neo4j_backend.to_networkx()) == want
    counts = neo4j_backend.counts()
    again = runner.invoke(app, ["build", "--backend", "neo4j", "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert neo4j_backend.counts() == counts
    assert graph_snapshot(neo4j_backend.to_networkx()) == want


def test_second_file_adds_only_the_new_and_merges_by_key(neo4j_backend, tmp_path, nlp, graph_snapshot):
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("".join(lines[:200]), encoding="utf-8")
    b.write_text("".join(lines[200:]), encoding="utf-8")
    assert runner.invoke(app, ["build", str(a), "--backend", "neo4j", "-w", "1"]).exit_code == 0
    after_a = neo4j_backend.counts()
    assert runner.invoke(app, ["build", str(b), "--backend", "neo4j", "-w", "1"]).exit_code == 0
    both = NetworkxBackend()
    build_graph([a], both, nlp=nlp, engine=Engine(workers=1))
    graph_a, graph_b = both.to_networkx().copy(), built(b, nlp)  # a alone, b alone
    build_graph([b], both, nlp=nlp, engine=Engine(workers=1))
    assert graph_snapshot(neo4j_backend.to_networkx()) == graph_snapshot(both.to_networkx())
    shared = set(graph_a) & set(graph_b)
    assert len(shared) > 5, "the two halves share some methods/datasets"
    # b's entities merge into a's nodes by key, and b may resolve more of them into a's (cross-run resolution)
    assert neo4j_backend.counts().total_nodes <= after_a.total_nodes + graph_b.number_of_nodes() - len(shared)
    assert neo4j_backend.counts().total_nodes == both.to_networkx().number_of_nodes()


def built(path: Path, nlp):
    store = NetworkxBackend()
    build_graph([path], store, nlp=nlp, engine=Engine(workers=1))
    return store.to_networkx()


def test_incremental_snapshot_in_neo4j(neo4j_backend, tmp_path, nlp, graph_snapshot):
    v1 = [{"id": "a", "title": "Distilling BERT", "abstract": "We apply knowledge distillation to BERT and evaluate on GLUE."},
          {"id": "b", "title": "Segmentation study", "abstract": "We train a U-Net for semantic segmentation on Cityscapes."},
          {"id": "c", "title": "Tiny retrieval", "abstract": "ColBERT with late interaction is evaluated on MS MARCO."}]
    v2 = [v1[0],
          {"id": "b", "title": "Segmentation study", "abstract": "We train SegFormer for semantic segmentation on ADE20K."},
          {"id": "d", "title": "Speech", "abstract": "We fine-tune wav2vec 2.0 for speech recognition on LibriSpeech."}]
    f1, f2 = tmp_path / "v1.jsonl", tmp_path / "v2.jsonl"
    f1.write_text("".join(json.dumps(p) + "\n" for p in v1))
    f2.write_text("".join(json.dumps(p) + "\n" for p in v2))
    assert runner.invoke(app, ["build", str(f1), "--backend", "neo4j"]).exit_code == 0
    result = runner.invoke(app, ["build", str(f2), "--backend", "neo4j", "--incremental"])
    assert result.exit_code == 0, result.output
    assert "papers removed (gone from input)" in result.output
    G = neo4j_backend.to_networkx()
    assert "Paper:c" not in G and "Dataset:msmarco" not in G and "Dataset:ade20k" in G
    assert graph_snapshot(G) == graph_snapshot(reference([f2], nlp, incremental_from=[f1]))


def test_interrupted_load_rerun_gives_the_uninterrupted_graph(neo4j_backend, tmp_path, nlp, graph_snapshot):
    data = copies(tmp_path / "big.jsonl", 1)  # 215 papers in 11 batches: killed after the first
    proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(data), "--backend", "neo4j", "-w", "1",
                             "--batch-papers", "20"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while neo4j_backend.counts().nodes["Paper"] == 0:
            assert proc.poll() is None and time.monotonic() < deadline, "the load ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    partial = neo4j_backend.counts().nodes["Paper"]
    assert 0 < partial < 215 and partial % 20 == 0  # whole batches of --batch-papers
    done = runner.invoke(app, ["build", str(data), "--backend", "neo4j", "-w", "1"])  # the rerun, in-process
    assert done.exit_code == 0, done.output
    assert graph_snapshot(neo4j_backend.to_networkx()) == graph_snapshot(reference([data], nlp))


def test_clear_starts_fresh(neo4j_backend, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"id": "x", "title": "ColBERT retrieval",
                               "abstract": "We evaluate ColBERT on MS MARCO."}) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["build", "--backend", "neo4j", "-w", "1"]).exit_code == 0
    cleared = runner.invoke(app, ["build", str(one), "--backend", "neo4j", "--clear"])
    assert cleared.exit_code == 0, cleared.output
    assert neo4j_backend.counts().nodes["Paper"] == 1


def test_query_export_stats_on_neo4j(neo4j_backend, tmp_path, sample_reference):
    assert runner.invoke(app, ["build", "--backend", "neo4j", "-w", "1"]).exit_code == 0
    got = runner.invoke(app, ["query", "--backend", "neo4j", "--format", "json",
                              "MATCH (d:Dataset) WHERE d.key = $k RETURN d.name AS name", "-p", "k=msmarco"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout) == [{"name": "MS MARCO"}]

    refused = runner.invoke(app, ["query", "--backend", "neo4j", "MATCH (d:Dataset) DETACH DELETE d"])
    assert refused.exit_code == 2
    assert "DETACH DELETE is not allowed: queries are read-only (Neo4j: add --write" in refused.output
    assert "Traceback" not in refused.output
    assert neo4j_backend.counts().nodes["Dataset"] > 0

    named = runner.invoke(app, ["query", "--backend", "neo4j", "--named", "papers_on_dataset",
                                "-p", "dataset=ms-marco", "--format", "json"])
    assert named.exit_code == 0, named.output
    assert len(json.loads(named.stdout)) >= 2

    # the same GraphML, byte for byte, as exporting the networkx graph built from the same input
    ours = tmp_path / "neo4j.graphml"
    assert runner.invoke(app, ["export", "--backend", "neo4j", "-o", str(ours)]).exit_code == 0
    nx_file = tmp_path / "graph.graphml"
    NetworkxBackend(graph=sample_reference.copy()).save(nx_file)
    theirs = tmp_path / "nx.graphml"
    assert runner.invoke(app, ["export", "--graph", str(nx_file), "-o", str(theirs)]).exit_code == 0
    assert ours.read_bytes() == theirs.read_bytes()

    stats = runner.invoke(app, ["stats", "--backend", "neo4j"])
    assert stats.exit_code == 0 and "(:Paper)" in stats.output and "top methods" in stats.output

    wrote = runner.invoke(app, ["query", "--backend", "neo4j", "--write",
                                "MATCH (m:Method {key: $k}) SET m.note = $v RETURN m.note", "-p", "k=bert", "-p", "v=hi"])
    assert wrote.exit_code == 0 and "hi" in wrote.output


@pytest.mark.parametrize("args, message", [
    (["--password", "wrong-password"], "rejected user 'neo4j': wrong user name or password"),
    (["--database", "nosuchdb"], "has no database 'nosuchdb'"),
    (["--uri", "bolt://127.0.0.1:1"], "cannot reach Neo4j at bolt://127.0.0.1:1"),
])
def test_connection_faults_are_one_line(neo4j_settings, args, message):
    for command in (["build", "--backend", "neo4j"], ["query", "--backend", "neo4j", "RETURN 1"],
                    ["export", "--backend", "neo4j"], ["stats", "--backend", "neo4j"]):
        result = runner.invoke(app, [*command, *args])
        assert result.exit_code == 1, (command, result.output)
        assert message in result.output and "Traceback" not in result.output
        assert result.output.strip().count("\n") == 0 or "error:" in result.output.splitlines()[0]


def test_server_gone_mid_load_then_rerun_completes(tmp_path, nlp, graph_snapshot):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "neo4j"))
    import launcher

    server = launcher.start(tmp_path / "neo4j", password="gone-midway", jvm_options=launcher.SHORT_RUN)
    env = {**os.environ, "NEO4J_URI": server.uri, "NEO4J_PASSWORD": "gone-midway", "NEO4J_USER": "neo4j"}
    data = copies(tmp_path / "big.jsonl", 1)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(data), "--backend", "neo4j", "-w", "1",
                                 "--batch-papers", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        with Neo4jBackend(uri=server.uri, password="gone-midway") as probe:
            while probe.counts().nodes["Paper"] == 0:
                assert proc.poll() is None, "the load ended before the server could be stopped"
                time.sleep(0.05)
        server.kill()
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert "lost the connection to Neo4j" in stderr and "run the same command again" in stderr
        assert "Traceback" not in stderr

        server = launcher.start(tmp_path / "neo4j", port=server.port, password="gone-midway",
                                jvm_options=launcher.SHORT_RUN)
        done = runner.invoke(app, ["build", str(data), "--backend", "neo4j", "-w", "1"], env=env)  # in-process
        assert done.exit_code == 0, done.output
        with Neo4jBackend(uri=server.uri, password="gone-midway") as store:
            assert graph_snapshot(store.to_networkx()) == graph_snapshot(reference([data], nlp))
    finally:
        server.stop()
