"""Span-level scoring (kg/span_eval.py) and the `kg eval-spans` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from kg.build import EXIT_FAILED, EXIT_OK
from kg.commands.eval_spans import register
from kg.evaluate import EvalInputError
from kg.span_eval import (format_span_errors, format_span_report, load_spans, predict_spans, score_spans,
                          span_error_summary)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "spans"
GOLD, PRED = FIXTURES / "gold.jsonl", FIXTURES / "pred.jsonl"


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


def doc(text: str, *spans: tuple[int, int, str], doc_id: str | None = None) -> dict:
    return {"id": doc_id, "text": text, "entities": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]}


def triple(c) -> tuple[int, int, int]:
    return c.tp, c.fp, c.fn


def render(renderable) -> str:
    console = Console(width=160, record=True)
    console.print(renderable)
    return console.export_text()


# --- scoring on the fixture pair ---------------------------------------------------------
# gold d1: BERT, TinyBERT (METHOD), GLUE (DATASET), accuracy (METRIC)
# pred d1: BERT ok; TinyBERT as DATASET; "GLUE benchmark" (boundary); accuracy ok; "evaluate" METHOD
# gold d2: Knowledge distillation, ResNet-50 (METHOD), image classification (TASK), ImageNet (DATASET)
# pred d2: "distillation" (boundary); ResNet-50 ok; "ResNet" (overlaps ResNet-50, already taken);
#          image classification ok; ImageNet missed


def test_span_eval_exact_and_lenient_counts_on_fixture_pair() -> None:
    report = score_spans(load_spans(GOLD), load_spans(PRED))
    assert {k: triple(c) for k, c in report.exact.items()} == {
        "METHOD": (2, 3, 2), "DATASET": (0, 2, 2), "METRIC": (1, 0, 0), "TASK": (1, 0, 0)}
    assert {k: triple(c) for k, c in report.lenient.items()} == {
        "METHOD": (3, 2, 1), "DATASET": (1, 1, 1), "METRIC": (1, 0, 0), "TASK": (1, 0, 0)}
    e, le = report.exact_overall, report.lenient_overall
    assert (e.precision, e.recall, e.f1) == pytest.approx((4 / 9, 4 / 8, 8 / 17))
    assert (le.precision, le.recall, le.f1) == pytest.approx((6 / 9, 6 / 8, 12 / 17))
    assert report.documents == 2 and report.missing_documents == []


def test_span_eval_errors_are_typed_on_fixture_pair() -> None:
    report = score_spans(load_spans(GOLD), load_spans(PRED))
    got = {(e.doc, e.kind, e.label, e.text, e.pred_text) for e in report.errors}
    assert got == {
        ("d1", "label", "METHOD", "TinyBERT", "TinyBERT"),
        ("d1", "boundary", "DATASET", "GLUE", "GLUE benchmark"),
        ("d1", "spurious", "METHOD", "evaluate", None),
        ("d2", "boundary", "METHOD", "Knowledge distillation", "distillation"),
        ("d2", "spurious", "METHOD", "ResNet", None),
        ("d2", "missed", "DATASET", "ImageNet", None),
    }
    summary = span_error_summary(report)
    assert summary["METHOD"]["boundary"] == {"'Knowledge distillation' -> 'distillation'": 1}
    assert summary["METHOD"]["label"] == {"'TinyBERT' as DATASET": 1}
    assert summary["DATASET"]["missed"] == {"'ImageNet'": 1}


def test_span_eval_lenient_is_one_to_one() -> None:
    text = "BERT and RoBERTa"
    gold = [doc(text, (0, 4, "METHOD"), (9, 16, "METHOD"))]
    pred = [doc(text, (0, 16, "METHOD"))]  # one long span over both gold spans
    report = score_spans(gold, pred)
    assert triple(report.lenient["METHOD"]) == (1, 0, 1)
    assert triple(report.exact["METHOD"]) == (0, 1, 2)


def test_span_eval_lenient_needs_same_label_and_real_overlap() -> None:
    text = "ResNet-50 on ImageNet"
    gold = [doc(text, (0, 9, "METHOD"), (13, 21, "DATASET"))]
    pred = [doc(text, (0, 9, "DATASET"), (9, 13, "DATASET"))]  # wrong label; touching, not overlapping
    report = score_spans(gold, pred)
    assert report.lenient_overall.tp == 0
    assert triple(report.lenient["DATASET"]) == (0, 2, 1)


def test_span_eval_duplicate_spans_count_once() -> None:
    gold = [doc("BERT", (0, 4, "METHOD"))]
    pred = [doc("BERT", (0, 4, "METHOD"), (0, 4, "METHOD"))]
    assert triple(score_spans(gold, pred).exact["METHOD"]) == (1, 0, 0)


def test_span_eval_joins_by_id_else_position() -> None:
    gold = [doc("BERT", (0, 4, "METHOD"), doc_id="a"), doc("GLUE", (0, 4, "DATASET"), doc_id="b"),
            doc("ELMo", (0, 4, "METHOD"))]
    pred = [doc("GLUE", (0, 4, "DATASET"), doc_id="b"),   # by id
            doc("BERT", (0, 4, "METHOD"), doc_id="zz"),   # unknown id: ignored
            doc("ELMo", (0, 4, "METHOD"))]                # no id: gold document at position 3
    report = score_spans(gold, pred)
    assert triple(report.exact_overall) == (2, 0, 1)
    assert report.missing_documents == ["a"] and report.unjoined_predictions == 1
    assert [(e.doc, e.kind, e.text) for e in report.errors] == [("a", "missed", "BERT")]


def test_span_eval_text_mismatch_is_an_input_error() -> None:
    gold = [doc("We use BERT.", (7, 11, "METHOD"), doc_id="a")]
    pred = [doc("We used BERT.", (8, 12, "METHOD"), doc_id="a")]
    with pytest.raises(EvalInputError, match="prediction 1: text differs from gold document a"):
        score_spans(gold, pred)


def test_span_eval_report_to_dict_and_tables() -> None:
    report = score_spans(load_spans(GOLD), load_spans(PRED))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["exact"]["overall"]["tp"] == 4 and data["lenient"]["overall"]["tp"] == 6
    assert data["lenient"]["by_label"]["METHOD"]["fn"] == 1
    assert {"doc": "d2", "kind": "missed", "label": "DATASET", "start": 72, "end": 80,
            "text": "ImageNet"} in data["errors"]
    table = format_span_report(report)
    assert [c.header for c in table.columns] == [
        "type", "P", "R", "F1", "TP", "FP", "FN", "lenient P", "lenient R", "lenient F1"]
    text = render(table)
    assert "0.444" in text and "0.667" in text  # exact and lenient overall precision
    errors = render(format_span_errors(report))
    assert "METHOD: 1 missed" not in errors and "METHOD: 0 missed, 2 spurious, 1 boundary, 1 label" in errors
    assert "'GLUE' -> 'GLUE benchmark'" in errors


# --- loading -----------------------------------------------------------------------------


def test_span_eval_load_spans_reads_fixture() -> None:
    rows = load_spans(GOLD)
    assert [r["id"] for r in rows] == ["d1", "d2"]
    assert rows[0]["entities"][0] == {"start": 11, "end": 15, "label": "METHOD"}
    assert rows[1]["source"] == f"{GOLD}:2"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"text": "a"}', "{oops"], ":2: invalid JSON"),
        (['["text"]'], ":1: expected a JSON object, got list"),
        (['{"entities": []}'], ":1: text: Field required"),
        (['{"text": "BERT", "entities": [{"start": 0, "end": 4, "label": "MODEL"}]}'], ":1: entities.0.label"),
        (['{"text": "BERT", "entities": [{"start": 3, "end": 3, "label": "METHOD"}]}'],
         ":1: entities.0: end 3 must be greater than start 3"),
        (['{"text": "BERT", "entities": [{"start": 0, "end": 9, "label": "METHOD"}]}'],
         ":1: entities.0: end 9 is past the end of the text (4 chars)"),
        (['{"text": "BERT", "entities": [{"start": "0", "end": 4, "label": "METHOD"}]}'], ":1: entities.0.start"),
        (['{"text": "BERT", "entities": [{"start": -1, "end": 4, "label": "METHOD"}]}'], ":1: entities.0.start"),
        (['{"text": "BERT", "entities": [{"start": 0, "end": 4, "label": "METHOD", "text": "BER"}]}'],
         ":1: entities.0: text 'BER' does not match text[0:4] = 'BERT'"),
        (['{"id": "x", "text": "a"}', "", '{"id": "x", "text": "b"}'], ":3: duplicate document id 'x' (first on line 1)"),
    ],
)
def test_span_eval_load_spans_bad_line_is_one_line_error(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError) as info:
        load_spans(path)
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


# --- predictions from our pipeline -------------------------------------------------------


def test_span_eval_predict_spans_gives_text_offsets(nlp) -> None:
    rows = [{"id": "a", "text": "We fine-tune BERT on GLUE."},
            {"text": "ResNet-50 reaches 76.1% top-1 accuracy on ImageNet."}]
    pred = predict_spans(rows, nlp)
    assert pred[0] == {"id": "a", "text": rows[0]["text"], "entities": [
        {"start": 13, "end": 17, "label": "METHOD"}, {"start": 21, "end": 25, "label": "DATASET"}]}
    assert pred[1]["id"] is None
    got = {(e["start"], e["end"], e["label"]) for e in pred[1]["entities"]}
    # the first word of the text is found too (an empty title would lose it)
    assert {(0, 9, "METHOD"), (24, 38, "METRIC"), (42, 50, "DATASET")} <= got


def test_span_eval_predict_spans_lists_every_mention(nlp) -> None:
    text = "BERT beats ELMo. We distill BERT."
    got = [(e["start"], e["end"]) for e in predict_spans([{"text": text}], nlp)[0]["entities"]
           if e["label"] == "METHOD"]
    assert [text[s:e] for s, e in got] == ["BERT", "ELMo", "BERT"]


def test_span_eval_predictions_score_against_their_own_gold(nlp) -> None:
    rows = [doc("We fine-tune BERT on GLUE.", (13, 17, "METHOD"), (21, 25, "DATASET"), doc_id="a")]
    report = score_spans(rows, predict_spans(rows, nlp))
    assert triple(report.exact_overall) == (2, 0, 0)


# --- command -----------------------------------------------------------------------------


runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture
def app(command_app) -> typer.Typer:
    return command_app(register)


def test_span_eval_command_prints_table_and_errors(app) -> None:
    result = runner.invoke(app, ["eval-spans", str(GOLD), "--pred", str(PRED), "--errors"])
    assert result.exit_code == EXIT_OK, result.output
    assert "Span evaluation (2 documents, 0 without prediction)" in result.output
    assert "'Knowledge distillation' -> 'distillation'" in result.output


def test_span_eval_command_json(app) -> None:
    result = runner.invoke(app, ["eval-spans", str(GOLD), "--pred", str(PRED), "--json"])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert data["exact"]["overall"]["f1"] == pytest.approx(8 / 17)
    assert "errors" not in data


def test_span_eval_command_runs_pipeline_without_pred(app, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(doc("We fine-tune BERT on GLUE.", (13, 17, "METHOD"), (21, 25, "DATASET")))
                    + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval-spans", str(gold), "--json"])
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["exact"]["overall"]["tp"] == 2


def test_span_eval_command_bad_line_is_one_line_error(app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "BERT", "entities": [{"start": 0, "end": 4, "label": "MODEL"}]}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval-spans", str(GOLD), "--pred", str(bad)])
    assert result.exit_code == EXIT_FAILED
    assert f"{bad}:1: entities.0.label" in result.output
    assert "Traceback" not in result.output
