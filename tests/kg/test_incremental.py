"""Incremental rebuilds: a new snapshot adds, changes and deletes papers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.backends.networkx_backend import NetworkxBackend
from kg.build import build_graph

V1 = [
    {"id": "a", "title": "Distilling BERT", "abstract": "We apply knowledge distillation to BERT and evaluate on GLUE."},
    {"id": "b", "title": "Segmentation study", "abstract": "We train a U-Net for semantic segmentation on Cityscapes."},
    {"id": "c", "title": "Tiny retrieval", "abstract": "ColBERT with late interaction is evaluated on MS MARCO."},
]
V2 = [
    V1[0],  # unchanged
    {"id": "b", "title": "Segmentation study", "abstract": "We train SegFormer for semantic segmentation on ADE20K."},
    {"id": "d", "title": "Speech", "abstract": "We fine-tune wav2vec 2.0 for speech recognition on LibriSpeech."},
]  # c is gone


def write(path: Path, papers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    return path


def shape(G):
    return set(G.nodes), {(u, v, k) for u, v, k in G.edges(keys=True)}


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


def test_incremental_update_equals_fresh_build(tmp_path, nlp):
    store = NetworkxBackend()
    build_graph([write(tmp_path / "v1.jsonl", V1)], store, nlp=nlp)
    assert "Dataset:msmarco" in store.to_networkx() and "Dataset:cityscape" in store.to_networkx()
    report = build_graph([write(tmp_path / "v2.jsonl", V2)], store, nlp=nlp, incremental=True)
    assert (report.unchanged, report.changed, report.removed) == (1, 1, 1)
    assert report.extracted == 2  # only b and d went through the extractor
    fresh = NetworkxBackend()
    build_graph([tmp_path / "v2.jsonl"], fresh, nlp=nlp)
    assert shape(store.to_networkx()) == shape(fresh.to_networkx())
    G = store.to_networkx()
    assert "Paper:c" not in G and "Dataset:msmarco" not in G  # only c supported them
    assert "Dataset:cityscape" not in G and "Dataset:ade20k" in G  # b's old dataset went, new one came
    assert all(not e.endswith(" @ c") for _, d in G.nodes(data=True) for e in d.get("alias_evidence", []))


def test_incremental_same_snapshot_extracts_nothing(tmp_path, nlp):
    store = NetworkxBackend()
    build_graph([write(tmp_path / "v1.jsonl", V1)], store, nlp=nlp)
    before = shape(store.to_networkx())
    report = build_graph([tmp_path / "v1.jsonl"], store, nlp=nlp, incremental=True)
    assert (report.unchanged, report.changed, report.removed, report.extracted) == (3, 0, 0, 0)
    assert shape(store.to_networkx()) == before


def test_incremental_variant_edge_goes_with_its_only_paper(tmp_path, nlp):
    papers = [{"id": "x", "title": "ResNets", "abstract": "We train ResNet-50 on ImageNet."},
              {"id": "y", "title": "Other", "abstract": "We train ResNet on CIFAR-10."}]
    store = NetworkxBackend()
    build_graph([write(tmp_path / "p.jsonl", papers)], store, nlp=nlp)
    G = store.to_networkx()
    assert G.has_edge("Method:resnet50", "Method:resnet", key="VARIANT_OF")
    build_graph([write(tmp_path / "p2.jsonl", papers[1:])], store, nlp=nlp, incremental=True)
    assert "Method:resnet50" not in G and "Method:resnet" in G


def test_incremental_cli(tmp_path):
    from kg.cli import app

    runner = CliRunner(env={"COLUMNS": "200"})
    graph = tmp_path / "g.graphml"
    assert runner.invoke(app, ["build", str(write(tmp_path / "v1.jsonl", V1)), "--out", str(graph)]).exit_code == 0
    result = runner.invoke(app, ["build", str(write(tmp_path / "v2.jsonl", V2)), "--out", str(graph), "--incremental"])
    assert result.exit_code == 0, result.output
    assert "papers unchanged (not re-extracted)" in result.output
    assert "Paper:c" not in NetworkxBackend.load(graph).to_networkx()


def _snapshot(n: int) -> list[dict]:
    """n distinct papers, each naming its own method and dataset."""
    return [{"id": f"p{i}", "title": f"Study {i}",
             "abstract": f"We train Net{i} on the Corpus{i} dataset and report accuracy."} for i in range(n)]


def _truncated_gzip(source: Path, target: Path) -> Path:
    data = gzip.compress(source.read_bytes())
    target.write_bytes(data[: len(data) // 2])
    return target


def test_incremental_from_a_truncated_gzip_keeps_the_papers_it_never_saw(tmp_path):
    from kg.cli import app

    runner = CliRunner(env={"COLUMNS": "80"})  # the warning stays one line on a narrow terminal
    graph = tmp_path / "g.graphml"
    full = write(tmp_path / "full.jsonl", _snapshot(100))
    assert runner.invoke(app, ["build", str(full), "--out", str(graph)]).exit_code == 0
    cut = _truncated_gzip(full, tmp_path / "cut.jsonl.gz")

    result = runner.invoke(app, ["build", str(cut), "--out", str(graph), "--incremental"])
    assert result.exit_code == 3, result.output  # a file failed: partial success
    papers = [n for n in NetworkxBackend.load(graph).to_networkx() if n.startswith("Paper:")]
    assert len(papers) == 100
    kept = [line for line in result.output.splitlines() if "rerun with --prune" in line]
    assert len(kept) == 1 and "1 file(s) failed" in kept[0], result.output
    n_kept = int(kept[0].split("kept ")[1].split()[0])
    assert 0 < n_kept < 100

    # --prune forces the removal; a complete input removes without it
    result = runner.invoke(app, ["build", str(cut), "--out", str(graph), "--incremental", "--prune"])
    assert result.exit_code == 3 and "rerun with --prune" not in result.output
    assert sum(n.startswith("Paper:") for n in NetworkxBackend.load(graph).to_networkx()) == 100 - n_kept
    assert runner.invoke(app, ["build", str(full), "--out", str(graph), "--incremental"]).exit_code == 0
    result = runner.invoke(app, ["build", str(write(tmp_path / "less.jsonl", _snapshot(60))), "--out", str(graph),
                                 "--incremental"])
    assert result.exit_code == 0 and "rerun with --prune" not in result.output
    assert sum(n.startswith("Paper:") for n in NetworkxBackend.load(graph).to_networkx()) == 60


@pytest.mark.parametrize("bad", ["skipped record", "limit"])
def test_incremental_keeps_missing_papers_after_a_skipped_record_or_a_limit(tmp_path, nlp, bad):
    store = NetworkxBackend()
    build_graph([write(tmp_path / "v1.jsonl", V1)], store, nlp=nlp)
    filters = None
    if bad == "skipped record":  # c's line is unreadable: c may well still be in the snapshot
        lines = (tmp_path / "v1.jsonl").read_bytes().splitlines(keepends=True)
        (tmp_path / "v2.jsonl").write_bytes(lines[0] + lines[1] + b'{"id": "c", "title": "\xff"}\n')
    else:  # --limit 2: the reader stops before c
        from kg.ingest.filters import PaperFilter

        (tmp_path / "v2.jsonl").write_bytes((tmp_path / "v1.jsonl").read_bytes())
        filters = PaperFilter(limit=2)
    report = build_graph([tmp_path / "v2.jsonl"], store, nlp=nlp, incremental=True, filters=filters)
    assert (report.removed, report.kept) == (0, 1)
    assert "Paper:c" in store.to_networkx()
    assert report.kept_message().startswith("kept 1 paper(s) that are not in the input")
    report = build_graph([tmp_path / "v2.jsonl"], store, nlp=nlp, incremental=True, filters=filters, prune=True)
    assert (report.removed, report.kept) == (1, 0) and "Paper:c" not in store.to_networkx()


def test_incremental_duplicate_ids_do_not_block_removal(tmp_path, nlp):
    store = NetworkxBackend()
    build_graph([write(tmp_path / "v1.jsonl", V1)], store, nlp=nlp)
    report = build_graph([write(tmp_path / "v2.jsonl", [V1[0], V1[0], V1[1]])], store, nlp=nlp, incremental=True)
    assert report.summary.skipped == 1 and (report.removed, report.kept) == (1, 0)
