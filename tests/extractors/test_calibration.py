"""Calibrated confidence: the lookup, the fit, gold labelling, the reliability table, filtering."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from extractors.calibration import (DEFAULT_FEATURES, CalibrationModel, calibrated_confidence, drop_below,
                                    entity_evidence, entity_features, fit_model, load_model)
from extractors.pipeline import make_doc
from extractors.records import doc_to_extraction
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import build_graph
from kg.commands.calibration import register
from kg.reliability import Sample, cross_validate, entity_outcomes, expected_calibration_error, reliability_table
from schema import Entity, Extraction, Mention, Paper, Relation, ResultRecord


def _mention(field: str = "abstract", start: int = 0) -> Mention:
    return Mention(field=field, start=start, end=start + 3, text="abc", sentence=0)


def _entity(label: str, name: str, confidence: float = 0.5, key: str | None = None, role: str = "mentioned",
            mentions: list[Mention] | None = None, aliases: tuple[str, ...] = ()) -> Entity:
    return Entity(label=label, name=name, key=key or name.lower(), text=name, aliases=list(aliases), role=role,
                  confidence=confidence, mentions=mentions if mentions is not None else [_mention()])


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


HAND_MODEL = CalibrationModel(
    features=("source", "label", "mentions"),
    bias=1.0,
    weights={"source": {"list0": 0.5, "phrase": -1.5}, "label": {"TASK": -0.5}, "mentions": {"3+": 1.0}},
    support={"source": {"list0": 10, "phrase": 10}, "label": {"TASK": 5}, "mentions": {"3+": 4}},
)


def test_calibration_lookup_adds_the_weights_of_each_feature_value():
    assert HAND_MODEL.probability({"source": "list0", "label": "TASK", "mentions": "3+"}) == pytest.approx(
        _sigmoid(1.0 + 0.5 - 0.5 + 1.0))
    # a value the table has no weight for adds nothing
    assert HAND_MODEL.probability({"source": "phrase", "label": "METRIC", "mentions": "1"}) == pytest.approx(
        _sigmoid(1.0 - 1.5))
    # an unseen source: no calibrated value
    assert HAND_MODEL.probability({"source": "list1", "label": "TASK", "mentions": "1"}) is None


def test_calibration_unseen_source_keeps_the_raw_score():
    twice = _entity("METHOD", "FooNet", mentions=[_mention(), _mention(start=10)])
    # raw score: best span 0.6, +0.05 for more than one mention
    assert calibrated_confidence(twice, "list1", 0.6, model=HAND_MODEL) == 0.65
    once = _entity("TASK", "parsing", role="used")
    assert calibrated_confidence(once, "phrase", 0.5, model=HAND_MODEL) == round(_sigmoid(1.0 - 1.5 - 0.5), 3)


def test_calibration_entity_features_of_a_title_entity():
    ent = _entity("DATASET", "ImageNet", role="evaluated_on",
                  mentions=[_mention("title"), _mention(start=5), _mention(start=9)])
    assert entity_features(ent, "list0", 0.9) == {
        "source": "list0", "raw": "0.90", "label": "DATASET", "mentions": "3+",
        "role": "evaluated_on", "place": "title",
    }
    assert entity_features(_entity("METHOD", "X"), "name", 0.55)["place"] == "abstract"


def test_calibration_fit_recovers_the_precision_of_each_bucket():
    samples = ([({"source": "list0"}, True)] * 9 + [({"source": "list0"}, False)]
               + [({"source": "phrase"}, True)] * 5 + [({"source": "phrase"}, False)] * 5)
    model = fit_model(samples, features=["source"], l2=1e-4)
    assert model.probability({"source": "list0"}) == pytest.approx(0.9, abs=1e-3)
    assert model.probability({"source": "phrase"}) == pytest.approx(0.5, abs=1e-3)
    assert model.support == {"source": {"list0": 10, "phrase": 10}}
    # a stronger penalty pulls both towards the overall precision (0.7)
    smooth = fit_model(samples, features=["source"], l2=10.0)
    assert 0.7 < smooth.probability({"source": "list0"}) < 0.9
    assert 0.5 < smooth.probability({"source": "phrase"}) < 0.7
    assert CalibrationModel.from_json(json.loads(json.dumps(model.to_json()))).probability(
        {"source": "list0"}) == pytest.approx(0.9, abs=1e-3)


def test_calibration_fit_rejects_unknown_features():
    with pytest.raises(ValueError, match="unknown calibration features"):
        fit_model([({"source": "x"}, True)], features=["colour"])


def test_calibration_packaged_model_is_applied_by_records(nlp):
    model = load_model()
    assert model is not None and model.features == DEFAULT_FEATURES
    assert {"list0", "acronym", "name", "phrase"} <= set(model.weights["source"])
    paper = Paper(id="p1", title="FooNet: fast image classification",
                  abstract="We propose FooNet. FooNet reaches 81.2% top-1 accuracy on ImageNet, "
                           "outperforming ResNet-50.")
    doc = nlp(make_doc(nlp, paper))
    extraction = doc_to_extraction(doc, paper.id, paper.title)
    evidence = entity_evidence(doc)
    assert extraction.entities
    for ent in extraction.entities:
        best, source = evidence[(ent.label, ent.key)]
        expected = model.probability(entity_features(ent, source, best))
        assert ent.confidence == round(expected, 3)


GOLD = {
    "id": "p1", "title": "T",
    "methods": [{"name": "BERT", "aliases": [], "required": True},
                {"name": "encoder", "aliases": [], "required": False}],
    "datasets": [{"name": "ImageNet", "aliases": ["ILSVRC"], "required": True}],
    "metrics": [], "tasks": [],
}


def test_calibration_reliability_table_on_a_tiny_gold_paper():
    pred = Extraction(id="p1", title="T", entities=[
        _entity("METHOD", "BERT", 0.95),                  # required gold: right
        _entity("METHOD", "encoders", 0.85),              # optional gold, plural: right
        _entity("METHOD", "LSTM", 0.75),                  # not in gold: wrong
        _entity("DATASET", "ILSVRC", 0.65),               # gold alias: right
        _entity("METRIC", "ImageNet", 0.3),               # right name, wrong type: wrong
    ])
    outcomes = entity_outcomes(GOLD, pred)
    assert outcomes == [True, True, False, True, False]
    bins = reliability_table([e.confidence for e in pred.entities], outcomes)
    assert [(b.name, b.count, b.correct) for b in bins] == [
        (">=0.9", 1, 1), ("0.8-0.9", 1, 1), ("0.7-0.8", 1, 0), ("0.6-0.7", 1, 1), ("0.5-0.6", 0, 0), ("<0.5", 1, 0)]
    assert bins[2].mean_confidence == pytest.approx(0.75)
    # (0.05 + 0.15 + 0.75 + 0.35 + 0.3) / 5
    assert expected_calibration_error(bins) == pytest.approx(0.32)


def test_calibration_two_predictions_of_one_gold_entity_count_once():
    pred = Extraction(id="p1", title="T", entities=[
        _entity("METHOD", "BERT", 0.9, key="bert"), _entity("METHOD", "BERT", 0.8, key="bert-2")])
    assert sorted(entity_outcomes(GOLD, pred)) == [False, True]


def test_calibration_cross_validation_never_scores_a_paper_with_its_own_data():
    # each paper has a source of its own: out of fold it is unseen, so the raw score stays
    samples = [Sample(paper=f"p{i}", name="x", label="METHOD", features={**dict.fromkeys(DEFAULT_FEATURES, "v"),
                                                                        "source": f"s{i}"},
                      raw=0.42, confidence=0.42, correct=True) for i in range(4)]
    assert cross_validate(samples, folds=2) == [0.42] * 4
    shared = [Sample(paper=f"p{i}", name="x", label="METHOD", features=dict.fromkeys(DEFAULT_FEATURES, "v"),
                     raw=0.42, confidence=0.42, correct=True) for i in range(4)]
    assert all(c > 0.5 for c in cross_validate(shared, folds=2))
    with pytest.raises(ValueError):
        cross_validate(samples, folds=1)


def _tiny_extraction() -> Extraction:
    return Extraction(
        id="p1", title="T",
        entities=[_entity("METHOD", "FooNet", 0.9, key="foonet"), _entity("METHOD", "ResNet-50", 0.4, key="resnet50"),
                  _entity("METRIC", "accuracy", 0.9), _entity("METRIC", "BLEU", 0.3, key="bleu"),
                  _entity("DATASET", "Zorb", 0.2, key="zorb")],
        results=[ResultRecord(metric="accuracy", value=81.2, unit="%", dataset="zorb", method="foonet", start=0, end=5),
                 ResultRecord(metric="bleu", value=30.1, start=9, end=13)],
        relations=[Relation(type="VARIANT_OF", source="resnet50", target="resnet", target_name="ResNet"),
                   Relation(type="VARIANT_OF", source="foonet", target="resnet50", target_name="ResNet-50")],
    )


def test_calibration_drop_below_removes_entities_and_what_points_at_them():
    kept = drop_below(_tiny_extraction(), 0.5)
    assert [e.key for e in kept.entities] == ["foonet", "accuracy"]
    # the BLEU result goes with its metric; the accuracy result loses only its dataset link
    assert [(r.metric, r.dataset, r.method) for r in kept.results] == [("accuracy", None, "foonet")]
    assert kept.relations == []
    assert drop_below(_tiny_extraction(), 0.0) == _tiny_extraction()


def test_calibration_min_confidence_filters_the_built_graph(tmp_path: Path, nlp):
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({
        "id": "p1", "title": "FooNet: fast image classification with knowledge distillation",
        "abstract": "We propose FooNet, a convolutional network trained with knowledge distillation. FooNet "
                    "reaches 81.2% top-1 accuracy on ImageNet and 23.1 mAP on COCO, outperforming ResNet-50.",
    }) + "\n", encoding="utf-8")

    def graph(threshold: float):
        store = NetworkxBackend()
        build_graph([papers], store, nlp=nlp, min_confidence=threshold)
        return store.to_networkx()

    full = graph(0.0)
    conf = {node: d["confidence"] for _, node, d in full.out_edges("Paper:p1", data=True)
            if full.nodes[node]["label"] != "Result"}
    metric_conf = {n: c for n, c in conf.items() if full.nodes[n]["label"] == "Metric"}
    assert metric_conf, "the test paper should yield a metric with a result"
    threshold = min(metric_conf.values()) + 0.0005
    kept = {n for n, c in conf.items() if c >= threshold}
    assert kept and kept != set(conf), "the threshold should keep some entities and drop others"

    filtered = graph(threshold)
    entities = {n for n, d in filtered.nodes(data=True) if d["label"] not in ("Paper", "Result")}
    parents = {t for n in kept for _, t, d in full.out_edges(n, data=True) if d["type"] == "VARIANT_OF"}
    assert entities == kept | parents  # a kept variant still links to its family node
    for result, data in filtered.nodes(data=True):
        if data["label"] == "Result":
            assert all(target in kept for _, target in filtered.out_edges(result))
    dropped_metric = min(metric_conf, key=metric_conf.get)
    assert any(full.nodes[r]["label"] == "Result" for r, _ in full.in_edges(dropped_metric))
    assert dropped_metric not in filtered


def test_calibration_command_prints_the_reliability_table():
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    result = CliRunner().invoke(app, ["calibration", "--folds", "2"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "2-fold CV" in result.output and "ECE" in result.output and ">=0.9" in result.output
    assert "gold papers" in result.output


def test_calibration_command_bad_gold_is_one_line(tmp_path: Path):
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    bad = tmp_path / "gold.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["calibration", "--gold", str(bad)])
    assert result.exit_code == 1
    assert "gold.jsonl:1" in result.output and "Traceback" not in result.output
