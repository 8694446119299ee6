"""Leaderboards over a hand-built graph, the `kg leaderboard` command, and the bundled sample."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from kg.builder import build_batch
from kg.commands.leaderboard import register
from kg.leaderboard import LeaderboardError, is_lower_better, is_relative, leaderboard
from schema import Entity, Extraction, Paper, Relation, ResultRecord

IMAGENET = ("DATASET", "ImageNet", "imagenet", ("ILSVRC",))
IMAGENET_1K = ("DATASET", "ImageNet-1K", "imagenet1k", ())
TOP1 = ("METRIC", "top-1 accuracy", "top 1 accuracy", ("top-1 acc",))
TOP5_ERR = ("METRIC", "top-5 error", "top 5 error", ())


def _paper(pid: str, sentence: str, entities: list[tuple], results: list[tuple],
           relations: tuple[Relation, ...] = ()) -> tuple[Paper, Extraction]:
    """One paper with one sentence; results are (metric key, number text, value, unit, dataset, method[,
    relative])."""
    ents = [Entity(label=label, name=name, key=key, text=name, aliases=list(aliases), confidence=0.9,
                   role="proposed" if label == "METHOD" else "reported")
            for label, name, key, aliases in entities]
    recs = [ResultRecord(metric=metric, value=value, unit=unit, dataset=dataset, method=method,
                         start=sentence.index(text), end=sentence.index(text) + len(text), text=text, sentence=0,
                         relative=bool(relative))
            for metric, text, value, unit, dataset, method, *relative in results]
    title = f"{entities[0][1]}: a paper"
    return (Paper(id=pid, title=title, abstract=sentence),
            Extraction(id=pid, title=title, entities=ents, results=recs, relations=list(relations),
                       sentences=[sentence]))


def _pairs() -> list[tuple[Paper, Extraction]]:
    alpha = ("METHOD", "AlphaNet", "alphanet", ())
    beta = ("METHOD", "BetaNet", "betanet", ())
    gamma = ("METHOD", "GammaNet", "gammanet", ())
    return [
        _paper("p1", "AlphaNet reaches 82.5% top-1 accuracy and 4.1% top-5 error on ImageNet.",
               [alpha, IMAGENET, TOP1, TOP5_ERR],
               [("top 1 accuracy", "82.5%", 82.5, "%", "imagenet", "alphanet"),
                ("top 5 error", "4.1%", 4.1, "%", "imagenet", "alphanet")]),
        _paper("p2", "BetaNet reaches 84.0% top-1 accuracy on ImageNet-1K, improving over AlphaNet by 1.5%.",
               [beta, IMAGENET_1K, TOP1],
               [("top 1 accuracy", "84.0%", 84.0, "%", "imagenet1k", "betanet"),
                ("top 1 accuracy", "1.5%", 1.5, "%", "imagenet1k", "betanet", True)],
               (Relation(type="VARIANT_OF", source="imagenet1k", target="imagenet", label="DATASET",
                         target_name="ImageNet"),)),
        _paper("p3", "GammaNet gets 82.5% top-1 accuracy and 3.2% top-5 error on ILSVRC.",
               [gamma, IMAGENET, TOP1, TOP5_ERR],
               [("top 1 accuracy", "82.5%", 82.5, "%", "imagenet", "gammanet"),
                ("top 5 error", "3.2%", 3.2, "%", "imagenet", "gammanet")]),
        _paper("p4", "DeltaNet reaches 90.1% top-1 accuracy on CIFAR-10.",
               [("METHOD", "DeltaNet", "deltanet", ()), ("DATASET", "CIFAR-10", "cifar10", ()), TOP1],
               [("top 1 accuracy", "90.1%", 90.1, "%", "cifar10", "deltanet")]),
    ]


@pytest.fixture
def graph(nx_backend):
    nx_backend.upsert(build_batch(_pairs()))
    return nx_backend.to_networkx()


def _table(rows) -> list[tuple]:
    return [(r.rank, r.metric, r.value, r.method, r.dataset) for r in rows]


def test_leaderboard_ranks_each_metric_best_first(graph):
    assert _table(leaderboard(graph, "ImageNet")) == [
        (1, "top-1 accuracy", 84.0, "BetaNet", "ImageNet-1K"),
        (2, "top-1 accuracy", 82.5, "AlphaNet", "ImageNet"),
        (2, "top-1 accuracy", 82.5, "GammaNet", "ImageNet"),
        (1, "top-5 error", 3.2, "GammaNet", "ImageNet"),
        (2, "top-5 error", 4.1, "AlphaNet", "ImageNet"),
    ]


def test_leaderboard_rows_carry_paper_and_evidence(graph):
    row = leaderboard(graph, "imagenet", "top-5 error")[0]
    assert (row.paper_id, row.paper_title, row.unit, row.text) == ("p3", "GammaNet: a paper", "%", "3.2%")
    assert row.evidence == "GammaNet gets 82.5% top-1 accuracy and 3.2% top-5 error on ILSVRC."
    assert row.lower_is_better and not row.relative


@pytest.mark.parametrize("dataset,metric", [("imagenet", "TOP-1 ACC"), ("ILSVRC", "top 1 accuracy"),
                                            ("IMAGENET", "Top-1 Accuracy")])
def test_leaderboard_matches_names_keys_and_aliases_in_any_case(graph, dataset, metric):
    rows = leaderboard(graph, dataset, metric)
    assert [(r.value, r.method) for r in rows] == [(84.0, "BetaNet"), (82.5, "AlphaNet"), (82.5, "GammaNet")]


def test_leaderboard_variants_can_be_left_out(graph):
    rows = leaderboard(graph, "ImageNet", "top-1 accuracy", include_variants=False)
    assert [r.method for r in rows] == ["AlphaNet", "GammaNet"]
    assert [r.method for r in leaderboard(graph, "ImageNet-1K")] == ["BetaNet"]


def test_leaderboard_deltas_are_listed_only_on_request(graph):
    assert 1.5 not in [r.value for r in leaderboard(graph, "ImageNet")]
    deltas = [r for r in leaderboard(graph, "ImageNet", include_relative=True) if r.relative]
    assert [(r.rank, r.value, r.method) for r in deltas] == [(1, 1.5, "BetaNet")]


def test_leaderboard_direction_can_be_overridden(graph):
    rows = leaderboard(graph, "ImageNet", "top-1 accuracy", lower_is_better=True)
    assert [(r.rank, r.value) for r in rows] == [(1, 82.5), (1, 82.5), (3, 84.0)]


def test_leaderboard_unknown_dataset_names_close_matches(graph):
    with pytest.raises(LeaderboardError, match=r"no dataset 'ImageNett'.*close matches: ImageNet"):
        leaderboard(graph, "ImageNett")


def test_leaderboard_unknown_metric_names_the_reported_ones(graph):
    with pytest.raises(LeaderboardError, match=r"no results for metric 'BLEU' on 'CIFAR-10'.*top-1 accuracy"):
        leaderboard(graph, "CIFAR-10", "BLEU")


def test_leaderboard_on_the_shared_tiny_graph(tiny_backend):
    rows = leaderboard(tiny_backend.to_networkx(), "MS-MARCO")
    assert _table(rows) == [(1, "MRR@10", 36.0, "ColBERT", "MS MARCO")]


@pytest.mark.parametrize("metric,lower", [("top-5 error", True), ("WER", True), ("perplexity", True),
                                          ("FID", True), ("rFID", True), ("latency", True), ("RMSE", True),
                                          ("bpp", True), ("bits per dimension", True), ("top-1 accuracy", False),
                                          ("BLEU", False), ("mIoU", False), ("throughput", False)])
def test_leaderboard_direction_from_metric_names(metric, lower):
    assert is_lower_better(metric) is lower


@pytest.mark.parametrize("text,unit,evidence,relative", [
    ("+1.9", None, "", True),
    ("1.9 points", "points", "improves F1 by 1.9 points", True),
    ("2.4%", "%", "surpassing EfficientNet by 2.4% with comparable compute", True),
    ("1.1%", "%", "surpassing DeiT-B/ResMLP-B24 by 0.3%/1.1% accuracy", True),
    ("2.01%", "%", "81.72% validation accuracy, 2.01% higher than the baseline", True),
    ("88.0%", "%", "an ImageNet accuracy of 88.0%, an ADE20K mIoU of 55.6%", False),
    ("82.5%", "%", "achieves up to 82.5% accuracy on ImageNet", False),
])
def test_leaderboard_is_relative(text, unit, evidence, relative):
    assert is_relative(text, unit, evidence) is relative


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def app(command_app) -> typer.Typer:
    return command_app(register)


@pytest.fixture
def graph_file(nx_backend, tmp_path):
    nx_backend.upsert(build_batch(_pairs()))
    return nx_backend.save(tmp_path / "lb.graphml")


def test_leaderboard_cli_json(app, graph_file):
    result = CliRunner().invoke(app, ["leaderboard", "--dataset", "imagenet", "--metric", "top-5 error",
                                      "--graph", str(graph_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["rank"], r["value"], r["method"], r["paper_id"]) for r in rows] == [
        (1, 3.2, "GammaNet", "p3"), (2, 4.1, "AlphaNet", "p1")]


def test_leaderboard_cli_csv_with_top(app, graph_file):
    result = CliRunner().invoke(app, ["leaderboard", "-d", "ImageNet", "-g", str(graph_file), "-f", "csv",
                                      "--top", "1"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["metric"], r["value"], r["method"]) for r in rows] == [
        ("top-1 accuracy", "84.0", "BetaNet"), ("top-5 error", "3.2", "GammaNet")]


def test_leaderboard_cli_table_groups_per_metric(app, graph_file):
    result = CliRunner().invoke(app, ["leaderboard", "--dataset", "ImageNet", "--graph", str(graph_file)])
    assert result.exit_code == 0, result.output
    assert "top-1 accuracy (%): higher is better" in result.stdout
    assert "top-5 error (%): lower is better" in result.stdout
    assert result.stdout.index("BetaNet") < result.stdout.index("AlphaNet")
    assert "5 result(s) in 2 metric group(s)" in result.stdout


def test_leaderboard_cli_unknown_dataset_is_one_line(app, graph_file):
    result = CliRunner().invoke(app, ["leaderboard", "--dataset", "ImageNett", "--graph", str(graph_file)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: no dataset 'ImageNett' in the graph; close matches: ImageNet, ImageNet-1K"]


def test_leaderboard_cli_missing_graph_is_not_found(app, tmp_path):
    result = CliRunner().invoke(app, ["leaderboard", "--dataset", "x", "--graph", str(tmp_path / "none.graphml")])
    assert result.exit_code == 1
    assert "no such graph file" in result.stderr


# --- end to end on the bundled sample ---------------------------------------------------------


def test_leaderboard_on_the_bundled_sample_ranks_imagenet_top1(sample_graph):
    rows = leaderboard(sample_graph, "ImageNet", "top-1 accuracy")
    assert len(rows) >= 3
    assert {r.metric for r in rows} == {"top-1 accuracy"} and {r.unit for r in rows} == {"%"}
    assert [r.value for r in rows] == sorted((r.value for r in rows), reverse=True)
    assert rows[0].rank == 1 and all(r.evidence and r.paper_title for r in rows)
    assert any(r.dataset != "ImageNet" for r in rows)  # ImageNet-1K and ILSVRC-2012 are variants
    assert all(r.text in r.evidence for r in rows)


def test_leaderboard_docstring_examples_run():
    import doctest

    import kg.leaderboard as module

    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0


def _named_rows(G, dataset: str) -> list[list]:
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.named_queries import run_named

    return run_named(NetworkxBackend(graph=G), "leaderboard", {"dataset": dataset}).rows


def _board_rows(G, dataset: str) -> list[list]:
    return [[r.dataset, r.metric, r.value, r.unit, r.method, r.paper_title] for r in leaderboard(G, dataset)]


@pytest.mark.parametrize("dataset", ["ImageNet", "CIFAR-10", "COCO"])
def test_leaderboard_and_named_query_give_the_same_rows_on_the_sample(sample_graph, dataset):
    board = _board_rows(sample_graph, dataset)
    assert board, f"no results on {dataset} in the sample: the comparison would be vacuous"
    assert _named_rows(sample_graph, dataset) == board


def test_named_query_leaves_deltas_out_and_counts_variants(graph):
    # p2's "improving over AlphaNet by 1.5%" is relative; its 84.0% on ImageNet-1K (a variant) counts
    assert _named_rows(graph, "ImageNet") == _board_rows(graph, "ImageNet") == [
        ["ImageNet-1K", "top-1 accuracy", 84.0, "%", "BetaNet", "BetaNet: a paper"],
        ["ImageNet", "top-1 accuracy", 82.5, "%", "AlphaNet", "AlphaNet: a paper"],
        ["ImageNet", "top-1 accuracy", 82.5, "%", "GammaNet", "GammaNet: a paper"],
        ["ImageNet", "top-5 error", 3.2, "%", "GammaNet", "GammaNet: a paper"],
        ["ImageNet", "top-5 error", 4.1, "%", "AlphaNet", "AlphaNet: a paper"],
    ]


def test_leaderboard_trusts_the_relative_mark_and_falls_back_for_older_graphs(graph):
    node = next(n for n, d in graph.nodes(data=True) if d.get("label") == "Result" and d.get("value") == 84.0)
    graph.nodes[node]["relative"] = True  # marked by the extractor: left out, though "84.0%" reads as a score
    assert 84.0 not in [r.value for r in leaderboard(graph, "ImageNet")]
    delta = next(n for n, d in graph.nodes(data=True) if d.get("label") == "Result" and d.get("value") == 1.5)
    del graph.nodes[delta]["relative"]  # a graph built before the mark: "by 1.5%" in the evidence decides
    assert 1.5 not in [r.value for r in leaderboard(graph, "ImageNet")]
    assert 1.5 in [r.value for r in leaderboard(graph, "ImageNet", include_relative=True)]


def test_kg_query_named_leaderboard_and_kg_leaderboard_print_the_same_rows(sample_graph, tmp_path):
    from kg.cli import app as kg_app
    from kg.export import write_graph

    path = tmp_path / "sample.graphml"
    write_graph(sample_graph, path)
    runner = CliRunner()
    for dataset in ("ImageNet", "COCO"):
        named = runner.invoke(kg_app, ["query", "--named", "leaderboard", "--param", f"dataset={dataset}",
                                       "--graph", str(path), "--format", "json"])
        board = runner.invoke(kg_app, ["leaderboard", "--dataset", dataset, "--graph", str(path), "--format", "json"])
        assert named.exit_code == 0 and board.exit_code == 0, named.output + board.output
        expected = [{"dataset": r["dataset"], "metric": r["metric"], "value": r["value"], "unit": r["unit"],
                     "method": r["method"], "paper": r["paper_title"]} for r in json.loads(board.stdout)]
        assert expected and json.loads(named.stdout) == expected
