"""Tests for the gold scorer behind `kg eval` (kg/evaluate.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from kg.evaluate import (
    Counts,
    EvalInputError,
    EvalReport,
    PaperErrors,
    error_summary,
    format_errors,
    format_report,
    load_gold,
    load_predictions,
    normalize_surface,
    parse_number,
    score,
)
from schema.extraction import Entity, Extraction, ResultRecord


def ent(name: str, *aliases: str, required: bool = True) -> dict:
    return {"name": name, "aliases": list(aliases), "required": required}


def gold_paper(pid: str, title: str = "", **fields) -> dict:
    paper = {"id": pid, "title": title or f"Title of {pid}",
             "methods": [], "datasets": [], "metrics": [], "tasks": [], "results": []}
    paper.update(fields)
    return paper


def pred_ent(label: str, name: str, text: str | None = None, *aliases: str, key: str | None = None) -> dict:
    return {"label": label, "name": name, "key": key or name.lower(),
            "text": text or name, "aliases": list(aliases), "confidence": 1.0}


def pred_paper(pid: str, title: str = "", entities=(), results=()) -> dict:
    return {"id": pid, "title": title or f"Title of {pid}",
            "entities": list(entities), "results": list(results)}


# --- normalize_surface ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MS-MARCO", "MS MARCO"),
        ("ms_marco", "MS MARCO"),
        ("bi-encoder", "bi encoder"),
        ("Cross-Encoders", "cross-encoder"),
        ("datasets", "dataset"),
        ("queries", "query"),
        ("GANs", "GAN"),
        ("LLMs", "llm"),
        ("ResNets", "ResNet"),
        ("matrices", "matrix"),
        ("patches", "patch"),
        ("classes", "class"),
        ("Self\u2013Attention", "self-attention"),
        ('"BERT",', "BERT"),
        ("(ViT)", "ViT"),
        ("ColBERT's", "ColBERT"),
        ("CNN / DailyMail", "CNN/DailyMail"),
        ("  Top-1   accuracy ", "top 1 accuracy"),
    ],
)
def test_evaluate_normalize_surface_equates_spelling_variants(a: str, b: str) -> None:
    assert normalize_surface(a) == normalize_surface(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ResNet-50", "ResNet-101"),
        ("CIFAR-10", "CIFAR-100"),
        ("nDCG@10", "nDCG@100"),
        ("nDCG@10", "nDCG 10"),
        ("ImageNet-1K", "ImageNet-21K"),
        ("BERT", "RoBERTa"),
    ],
)
def test_evaluate_normalize_surface_keeps_distinct_names_apart(a: str, b: str) -> None:
    assert normalize_surface(a) != normalize_surface(b)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("analysis", "analysis"),
        ("corpus", "corpus"),
        ("loss", "loss"),
        ("bias", "bias"),
        ("series", "series"),
        ("DARTS", "darts"),  # all-caps acronym: its S is not a plural
        ("SimQ-NAS", "simq nas"),
        ("nDCG@10", "ndcg@10"),
        ("LLM.int8()", "llm.int8()"),
        ("", ""),
        (" ,; ", ""),
    ],
)
def test_evaluate_normalize_surface_leaves_singulars_and_symbols(raw: str, expected: str) -> None:
    assert normalize_surface(raw) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("92.9%", 92.9), ("+1.9 points over state of the art", 1.9), ("up to x1500", 1500.0),
     ("1.05x-1.28x", 1.05), ("~33.5% higher", 33.5), ("1,500 FPS", 1500.0), ("n/a", None)],
)
def test_evaluate_parse_number_takes_first_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


# --- entity scoring ---------------------------------------------------------------------


def test_evaluate_plural_hyphen_case_variants_are_true_positives() -> None:
    gold = [gold_paper("p1", methods=[ent("cross-encoder"), ent("Bi-Encoder")],
                       datasets=[ent("MS MARCO")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "Cross Encoders"),
                                       pred_ent("METHOD", "bi-encoders"),
                                       pred_ent("DATASET", "ms-marco")])]
    report = score(gold, pred)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (3, 0, 0)


def test_evaluate_prediction_matches_through_gold_alias_or_pred_text() -> None:
    gold = [gold_paper("p1", methods=[ent("Vision Transformer", "ViT")])]
    via_gold_alias = [pred_paper("p1", entities=[pred_ent("METHOD", "ViT")])]
    via_pred_text = [pred_paper("p1", entities=[pred_ent("METHOD", "vit-model", "Vision Transformers")])]
    assert score(gold, via_gold_alias).by_type["METHOD"].tp == 1
    assert score(gold, via_pred_text).by_type["METHOD"].tp == 1


def test_evaluate_optional_gold_is_neither_rewarded_nor_punished() -> None:
    gold = [gold_paper("p1", methods=[ent("BERT"), ent("encoder", required=False)])]
    with_optional = [pred_paper("p1", entities=[pred_ent("METHOD", "BERT"), pred_ent("METHOD", "encoders")])]
    without = [pred_paper("p1", entities=[pred_ent("METHOD", "BERT")])]
    a, b = score(gold, with_optional).by_type["METHOD"], score(gold, without).by_type["METHOD"]
    assert (a.tp, a.fp, a.fn) == (b.tp, b.fp, b.fn) == (1, 0, 0)


def test_evaluate_entity_type_must_agree() -> None:
    gold = [gold_paper("p1", datasets=[ent("ImageNet")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "ImageNet")])]
    report = score(gold, pred)
    assert (report.by_type["DATASET"].fn, report.by_type["METHOD"].fp) == (1, 1)


def test_evaluate_matching_is_one_to_one() -> None:
    gold = [gold_paper("p1", methods=[ent("ColBERT")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "ColBERT"), pred_ent("METHOD", "colbert", key="k2")])]
    c = score(gold, pred).by_type["METHOD"]
    assert (c.tp, c.fp, c.fn) == (1, 1, 0)


def test_evaluate_matching_maximises_true_positives() -> None:
    # p_a fits both gold entries, p_b only the first: a greedy pass taking p_a for the first
    # gold would lose one true positive; the one-to-one matching must find both.
    gold = [gold_paper("p1", methods=[ent("transformer"), ent("Vision Transformer", "ViT")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "ViT", "transformer"),
                                       pred_ent("METHOD", "transformers")])]
    c = score(gold, pred).by_type["METHOD"]
    assert (c.tp, c.fp, c.fn) == (2, 0, 0)


def test_evaluate_required_gold_wins_over_optional_for_one_prediction() -> None:
    gold = [gold_paper("p1", tasks=[ent("retrieval", required=False), ent("Retrieval", "IR")])]
    pred = [pred_paper("p1", entities=[pred_ent("TASK", "retrieval")])]
    c = score(gold, pred).by_type["TASK"]
    assert (c.tp, c.fp, c.fn) == (1, 0, 0)


def test_evaluate_resnet_variants_stay_distinct() -> None:
    gold = [gold_paper("p1", methods=[ent("ResNet-50")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "ResNet-101")])]
    c = score(gold, pred).by_type["METHOD"]
    assert (c.tp, c.fp, c.fn) == (0, 1, 1)


# --- joining papers ---------------------------------------------------------------------


def test_evaluate_joins_by_id_then_by_title() -> None:
    gold = [gold_paper("seed-001", "Jina-ColBERT-v2: A Late Interaction Retriever", methods=[ent("ColBERT")]),
            gold_paper("seed-002", "Dense Retrieval, Revisited", methods=[ent("BERT")])]
    pred = [
        pred_paper("seed-001", "some other title", [pred_ent("METHOD", "ColBERT")]),
        pred_paper("a1b2c3", "dense retrieval  revisited.", [pred_ent("METHOD", "BERT")]),
        pred_paper("zzz", "A paper that is not in the gold", [pred_ent("METHOD", "GPT")]),
    ]
    report = score(gold, pred)
    assert (report.joined_by_id, report.joined_by_title, report.unjoined_predictions) == (1, 1, 1)
    c = report.by_type["METHOD"]
    assert (c.tp, c.fp, c.fn) == (2, 0, 0)  # the GPT prediction of the unknown paper is ignored


def test_evaluate_gold_paper_without_prediction_counts_misses() -> None:
    gold = [gold_paper("p1", methods=[ent("BERT"), ent("model", required=False)],
                       datasets=[ent("GLUE")], results=[{"metric": "F1", "value": "90.1"}])]
    report = score(gold, [])
    assert report.missing_papers == ["p1"]
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 0, 2)
    assert report.results.fn == 1
    assert {(e.label, tuple(e.missed)) for e in report.errors} == {
        ("METHOD", ("BERT",)), ("DATASET", ("GLUE",)), ("RESULT", ("F1=90.1",))}


def test_evaluate_duplicate_prediction_for_one_paper_is_ignored() -> None:
    gold = [gold_paper("p1", methods=[ent("BERT")])]
    pred = [pred_paper("p1", entities=[pred_ent("METHOD", "BERT")]),
            pred_paper("p1", entities=[pred_ent("METHOD", "GPT")])]
    report = score(gold, pred)
    assert report.duplicate_predictions == 1
    assert (report.overall.tp, report.overall.fp) == (1, 0)


# --- results ----------------------------------------------------------------------------


def test_evaluate_results_match_on_metric_and_value() -> None:
    gold = [gold_paper(
        "p1",
        metrics=[ent("mean reciprocal rank", "MRR"), ent("F1")],
        results=[{"metric": "MRR", "value": "+1.9 points", "dataset": None, "method": None},
                 {"metric": "F1", "value": "92.9%", "dataset": "DiMSUM", "method": None}],
    )]
    pred = [pred_paper(
        "p1",
        entities=[pred_ent("METRIC", "Mean Reciprocal Rank", key="metric-7")],
        results=[
            {"metric": "metric-7", "value": 1.9},   # metric via the predicted entity's key and name
            {"metric": "f1", "value": 92.0},        # right metric, wrong value
            {"metric": "accuracy", "value": 92.9},  # right value, wrong metric
        ],
    )]
    report = score(gold, pred)
    assert (report.results.tp, report.results.fp, report.results.fn) == (1, 2, 1)
    assert report.results.precision == pytest.approx(1 / 3)
    assert report.results.recall == pytest.approx(1 / 2)


def test_evaluate_accepts_extraction_models() -> None:
    gold = [gold_paper("p1", metrics=[ent("nDCG@10")],
                       results=[{"metric": "nDCG@10", "value": "52.3"}])]
    extraction = Extraction(
        id="p1", title="Title of p1",
        entities=[Entity(label="METRIC", name="nDCG@10", key="ndcg@10", text="NDCG@10", confidence=0.9)],
        results=[ResultRecord(metric="ndcg@10", value=52.3, start=0, end=4)],
    )
    report = score(gold, [extraction])
    assert (report.by_type["METRIC"].tp, report.results.tp) == (1, 1)


# --- exact numbers on a hand-made pair ---------------------------------------------------


@pytest.fixture
def tiny_gold_and_pred() -> tuple[list[dict], list[dict]]:
    gold = [
        gold_paper("seed-1", "Dense Retrieval with ColBERT",
                   methods=[ent("ColBERT"), ent("cross-encoder", "cross-encoders"),
                            ent("our model", required=False)],
                   datasets=[ent("MS MARCO"), ent("BEIR")],
                   metrics=[ent("nDCG@10"), ent("MRR")],
                   tasks=[ent("dense retrieval")]),
        gold_paper("seed-2", "A Study of ResNet-50",
                   methods=[ent("ResNet-50")], datasets=[ent("ImageNet")],
                   tasks=[ent("image classification")]),
        gold_paper("seed-3", "BERT Again", methods=[ent("BERT")]),
    ]
    pred = [
        pred_paper("seed-1", "Dense Retrieval with ColBERT", [
            pred_ent("METHOD", "ColBERT"),           # TP
            pred_ent("METHOD", "Cross-Encoders"),    # TP
            pred_ent("METHOD", "our model"),         # optional: ignored
            pred_ent("METHOD", "ColBERT", key="c2"),  # duplicate: FP
            pred_ent("DATASET", "MS-MARCO"),         # TP (BEIR missed: FN)
            pred_ent("DATASET", "TREC"),             # FP
            pred_ent("METRIC", "NDCG@10"),           # TP (MRR missed: FN)
            pred_ent("METRIC", "MRR@10"),            # FP
            pred_ent("TASK", "Dense-Retrieval"),     # TP
        ]),
        pred_paper("4f9c0e", "A study of ResNet-50.", [  # joined by title
            pred_ent("METHOD", "ResNet-101"),        # FP (ResNet-50 missed: FN)
            pred_ent("DATASET", "ImageNet"),         # TP (image classification missed: FN)
        ]),
        # seed-3 has no prediction: BERT missed (FN)
    ]
    return gold, pred


def test_evaluate_exact_scores_on_tiny_pair(tiny_gold_and_pred) -> None:
    report = score(*tiny_gold_and_pred)
    expected = {  # label: (tp, fp, fn, precision, recall, f1)
        "METHOD": (2, 2, 2, 2 / 4, 2 / 4, 0.5),
        "DATASET": (2, 1, 1, 2 / 3, 2 / 3, 2 / 3),
        "METRIC": (1, 1, 1, 1 / 2, 1 / 2, 0.5),
        "TASK": (1, 0, 1, 1.0, 1 / 2, 2 / 3),
    }
    for label, (tp, fp, fn, p, r, f1) in expected.items():
        c = report.by_type[label]
        assert (c.tp, c.fp, c.fn) == (tp, fp, fn), label
        assert (c.precision, c.recall, c.f1) == pytest.approx((p, r, f1)), label
    o = report.overall
    assert (o.tp, o.fp, o.fn) == (6, 4, 5)
    assert (o.precision, o.recall, o.f1) == pytest.approx((6 / 10, 6 / 11, 12 / 21))
    assert report.missing_papers == ["seed-3"]
    assert report.joined_by_title == 1
    method_errors = {e.paper_id: (e.missed, e.spurious) for e in report.errors if e.label == "METHOD"}
    assert method_errors == {"seed-1": ([], ["ColBERT"]), "seed-2": (["ResNet-50"], ["ResNet-101"]),
                             "seed-3": (["BERT"], [])}


def test_evaluate_report_to_dict_and_table(tiny_gold_and_pred) -> None:
    report = score(*tiny_gold_and_pred)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["overall"]["tp"] == 6 and data["by_type"]["DATASET"]["fp"] == 1
    assert data["papers"]["missing"] == ["seed-3"]
    table = format_report(report)
    assert [c.header for c in table.columns] == ["type", "P", "R", "F1", "TP", "FP", "FN"]
    console = Console(width=120, record=True)
    console.print(table)
    text = console.export_text()
    assert "METHOD" in text and "RESULT" in text
    assert "0.600" in text  # overall precision 6/10


# --- loading files ----------------------------------------------------------------------


def test_evaluate_load_bundled_gold() -> None:
    gold = load_gold(Path(__file__).parents[2] / "kg" / "data" / "dev_gold.jsonl")
    assert len(gold) == 108
    assert all(g["id"].startswith("seed-") for g in gold)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "a"}', "{not json"], ":2: invalid JSON"),
        (['{"id": "a", "methods": [{"aliases": []}]}'], ":1: methods.0.name: Field required"),
        (['{"id": "a", "methods": [{"name": "X", "required": "maybe"}]}'], ":1: methods.0.required"),
        (['["a list"]'], ":1: expected a JSON object"),
        (['{"id": "a"}', "", '{"id": "a"}'], ":3: duplicate paper id 'a' (first on line 1)"),
    ],
)
def test_evaluate_load_gold_reports_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError) as info:
        load_gold(path)
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


def test_evaluate_load_gold_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EvalInputError, match="cannot open"):
        load_gold(tmp_path / "nope.jsonl")


def test_evaluate_load_predictions_validates_contract(tmp_path: Path) -> None:
    good = Extraction(id="p1", title="T").model_dump_json()
    path = tmp_path / "pred.jsonl"
    path.write_text(good + "\n" + '{"id": "p2", "title": "T", "entities": [{"label": "PERSON"}]}\n',
                    encoding="utf-8")
    with pytest.raises(EvalInputError) as info:
        load_predictions(path)
    assert str(info.value).startswith(f"{path}:2: entities.0.label")
    path.write_text(good + "\n", encoding="utf-8")
    assert [p.id for p in load_predictions(path)] == ["p1"]


# --- error summaries across papers --------------------------------------------------------


@pytest.fixture
def report_with_errors() -> EvalReport:
    """Hand-made errors: GAN missed in 3 papers under 3 spellings, LSTM in 1; two spurious."""
    errors = [
        PaperErrors("p1", "METHOD", missed=["GANs", "LSTM"], spurious=["model"]),
        PaperErrors("p2", "METHOD", missed=["GAN"], spurious=["models", "[CLS] token"]),
        PaperErrors("p3", "METHOD", missed=["GAN"]),
        PaperErrors("p3", "DATASET", missed=["MS-MARCO"], spurious=["ImageNet"]),
        PaperErrors("p4", "DATASET", missed=["MS MARCO"]),
        PaperErrors("p4", "RESULT", missed=["F1=90.1"]),
    ]
    return EvalReport(by_type={}, overall=Counts(), results=Counts(), errors=errors, gold_papers=4)


def test_evaluate_error_summary_counts_normalised_names_across_papers(report_with_errors) -> None:
    summary = error_summary(report_with_errors)
    assert list(summary) == ["METHOD", "DATASET", "METRIC", "TASK"]
    assert summary["METHOD"]["missed"] == {"GAN": 3, "LSTM": 1}  # shown in its most frequent spelling
    assert summary["METHOD"]["spurious"] == {"model": 2, "[CLS] token": 1}
    assert summary["DATASET"]["missed"] == {"MS-MARCO": 2}
    assert summary["METRIC"] == {"missed": {}, "spurious": {}}
    assert summary["METHOD"]["missed"].most_common(1) == [("GAN", 3)]


def test_evaluate_error_summary_one_type_and_top(report_with_errors) -> None:
    summary = error_summary(report_with_errors, label="method", top=1)
    assert summary == {"METHOD": {"missed": {"GAN": 3}, "spurious": {"model": 2}}}
    assert error_summary(report_with_errors, label="RESULT")["RESULT"]["missed"] == {"F1=90.1": 1}
    with pytest.raises(ValueError, match="unknown type 'PERSON'"):
        error_summary(report_with_errors, label="PERSON")


def test_evaluate_format_errors_groups_by_type(report_with_errors) -> None:
    console = Console(width=120, record=True)
    console.print(format_errors(report_with_errors))
    text = console.export_text()
    assert "METHOD: 4 missed, 3 spurious" in text and "DATASET: 2 missed, 1 spurious" in text
    assert "TASK: 0 missed, 0 spurious" in text
    assert "[CLS] token" in text  # names are printed as text, not read as markup
    assert text.index("METHOD:") < text.index("DATASET:")
    console = Console(width=120, record=True)
    console.print(format_errors(report_with_errors, label="DATASET", top=5))
    only = console.export_text()
    assert "DATASET:" in only and "METHOD:" not in only


def test_evaluate_error_summary_on_scored_papers(tiny_gold_and_pred) -> None:
    summary = error_summary(score(*tiny_gold_and_pred))
    assert summary["METHOD"] == {"missed": {"ResNet-50": 1, "BERT": 1},
                                 "spurious": {"ColBERT": 1, "ResNet-101": 1}}
    assert summary["DATASET"] == {"missed": {"BEIR": 1}, "spurious": {"TREC": 1}}


# --- PROPOSES: predicted role "proposed" against gold "proposed": true ---------------------


def proposed_ent(name: str, *aliases: str, required: bool = True) -> dict:
    return {**ent(name, *aliases, required=required), "proposed": True}


def with_role(entity: dict, role: str) -> dict:
    return {**entity, "role": role}


@pytest.fixture
def proposes_gold_and_pred() -> tuple[list[dict], list[dict]]:
    """One paper: the variant it builds, its base, an optional own framework, its benchmark."""
    gold = [gold_paper(
        "p1",
        methods=[proposed_ent("Jina-ColBERT-v2"), ent("ColBERT"),
                 proposed_ent("retrieval framework", required=False), ent("BM25", required=False)],
        datasets=[proposed_ent("BiBench"), ent("MS MARCO")],
    )]
    pred = [pred_paper("p1", entities=[
        with_role(pred_ent("METHOD", "Jina-ColBERT-v2"), "proposed"),        # TP
        with_role(pred_ent("METHOD", "ColBERT"), "proposed"),                # FP: only used
        with_role(pred_ent("METHOD", "retrieval frameworks"), "proposed"),   # optional proposed: nothing
        with_role(pred_ent("METHOD", "BM25"), "proposed"),                   # FP: optional, not proposed
        with_role(pred_ent("METHOD", "GraphSAGE"), "proposed"),              # FP: not in the gold at all
        with_role(pred_ent("DATASET", "BiBench"), "evaluated_on"),           # found, wrong role: FN
        with_role(pred_ent("DATASET", "MS-MARCO"), "evaluated_on"),          # not a PROPOSES prediction
    ])]
    return gold, pred


def test_evaluate_proposes_counts_and_errors(proposes_gold_and_pred) -> None:
    report = score(*proposes_gold_and_pred)
    assert (report.proposes.tp, report.proposes.fp, report.proposes.fn) == (1, 3, 1)
    assert report.proposes.precision == pytest.approx(1 / 4)
    assert report.proposes.recall == pytest.approx(1 / 2)
    errors = [e for e in report.errors if e.label == "PROPOSES"]
    assert len(errors) == 1 and errors[0].paper_id == "p1"
    assert errors[0].missed == ["BiBench"]
    assert sorted(errors[0].spurious) == ["BM25", "ColBERT", "GraphSAGE"]
    # the entity rows do not look at roles: every METHOD prediction but GraphSAGE is matched
    assert (report.by_type["METHOD"].tp, report.by_type["METHOD"].fp) == (2, 1)


def test_evaluate_proposes_prefers_the_proposed_gold_entity() -> None:
    """A prediction whose forms fit two gold entities counts against the proposed one."""
    gold = [gold_paper("p1", methods=[ent("ViT", "vision transformer"),
                                       proposed_ent("Vision Transformer", "ViT")])]
    pred = [pred_paper("p1", entities=[with_role(pred_ent("METHOD", "ViT"), "proposed")])]
    report = score(gold, pred)
    assert (report.proposes.tp, report.proposes.fp, report.proposes.fn) == (1, 0, 0)


def test_evaluate_proposes_missing_paper_and_no_flags() -> None:
    gold = [gold_paper("p1", methods=[proposed_ent("BiViT"), ent("BERT")]),
            gold_paper("p2", methods=[ent("BERT")])]
    pred = [pred_paper("p2", entities=[with_role(pred_ent("METHOD", "BERT"), "used")])]
    report = score(gold, pred)
    assert (report.proposes.tp, report.proposes.fp, report.proposes.fn) == (0, 0, 1)
    assert report.proposes.precision == 0.0  # undefined: reported as 0.0


def test_evaluate_proposes_from_extraction_objects() -> None:
    """Roles come from the extraction contract (`Entity.role`), not only from dicts."""
    gold = [gold_paper("p1", methods=[proposed_ent("BiViT"), ent("BERT")])]
    pred = [Extraction(id="p1", title="Title of p1", entities=[
        Entity(label="METHOD", name="BiViT", key="bivit", text="BiViT", role="proposed", confidence=0.9),
        Entity(label="METHOD", name="BERT", key="bert", text="BERT", role="proposed", confidence=0.9)])]
    report = score(gold, pred)
    assert (report.proposes.tp, report.proposes.fp, report.proposes.fn) == (1, 1, 0)


def test_evaluate_proposes_in_json_table_and_error_summary(proposes_gold_and_pred) -> None:
    report = score(*proposes_gold_and_pred)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["proposes"]["tp"] == 1 and data["proposes"]["fp"] == 3 and data["proposes"]["fn"] == 1
    assert any(e["label"] == "PROPOSES" for e in data["errors"])
    console = Console(width=120, record=True)
    console.print(format_report(report))
    assert "PROPOSES" in console.export_text()
    summary = error_summary(report, label="proposes")
    assert summary["PROPOSES"]["missed"] == {"BiBench": 1}
    assert summary["PROPOSES"]["spurious"] == {"ColBERT": 1, "BM25": 1, "GraphSAGE": 1}
    assert "PROPOSES" not in error_summary(report)  # the default stays the four entity types


def test_evaluate_load_gold_proposed_flag(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "a", "methods": [{"name": "X", "proposed": true}, {"name": "Y"}]}\n'
                    '{"id": "b", "methods": [{"name": "X", "proposed": "maybe"}]}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match=":2: methods.0.proposed"):
        load_gold(path)
    path.write_text('{"id": "a", "methods": [{"name": "X", "proposed": true}, {"name": "Y"}]}\n',
                    encoding="utf-8")
    (paper,) = load_gold(path)
    assert [m["proposed"] for m in paper["methods"]] == [True, False]


@pytest.mark.parametrize(("name", "papers"), [("dev_gold.jsonl", 108), ("arxiv_dev_gold.jsonl", 160)])
def test_evaluate_bundled_golds_mark_what_papers_propose(name: str, papers: int) -> None:
    gold = load_gold(Path(__file__).parents[2] / "kg" / "data" / name)
    assert len(gold) == papers
    flagged = [e for g in gold for f in ("methods", "datasets", "metrics", "tasks") for e in g[f] if e["proposed"]]
    assert len(flagged) > papers  # most papers introduce something, many several things
    with_flag = sum(any(e["proposed"] for f in ("methods", "datasets") for e in g[f]) for g in gold)
    assert with_flag > papers // 2
