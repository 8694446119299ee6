"""`kg eval-spans`: span-level precision/recall/F1 (exact and lenient) on span JSONL files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.commands.options import OutputFormat, QueryFormat


def register(app: typer.Typer) -> None:
    """Add the ``eval-spans`` command to ``app``."""
    app.command("eval-spans")(eval_spans_cmd)


def eval_spans_cmd(
    gold: Annotated[Path, typer.Argument(help='Gold span JSONL: {"id"?, "text", "entities": '
                                              '[{"start", "end", "label"}]} per line.')],
    pred: Annotated[Optional[Path], typer.Option(help="Predicted spans in the same format "
                                                      "(default: run our extractors on the gold texts).")] = None,
    fmt: OutputFormat = QueryFormat.table,
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,  # the old spelling of --format json
    errors: Annotated[bool, typer.Option("--errors", help="List the most frequent missed, spurious, "
                                                          "boundary and label errors per type.")] = False,
    top: Annotated[int, typer.Option(min=1, help="With --errors: spans shown per type and kind.")] = 20,
) -> None:
    """Span-level P/R/F1 per entity type, exact (start, end, label) and lenient (overlap).

    Example: kg eval-spans gold_spans.jsonl --pred predicted_spans.jsonl --errors
    """
    from kg import span_eval as se
    from kg.build import EXIT_FAILED
    from kg.cli import _load_nlp, _write_csv, fail, out
    from kg.tables import print_table

    if as_json:
        fmt = QueryFormat.json
    try:
        gold_rows = se.load_spans(gold)
        pred_rows = se.load_spans(pred) if pred is not None else se.predict_spans(gold_rows, _load_nlp(None))
        report = se.score_spans(gold_rows, pred_rows)
    except se.EvalInputError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    if fmt is QueryFormat.csv:  # one row per matching mode and label
        keys = ["precision", "recall", "f1", "tp", "fp", "fn"]
        data = report.to_dict()
        _write_csv(["match", "label", *keys],
                   [[mode, label, *(counts[k] for k in keys)]
                    for mode in ("exact", "lenient")
                    for label, counts in [*data[mode]["by_label"].items(), ("overall", data[mode]["overall"])]])
        return
    if fmt is QueryFormat.json:
        data = report.to_dict()
        if not errors:
            data.pop("errors")
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return
    print_table(out, se.format_span_report(report))
    if errors:
        print_table(out, se.format_span_errors(report, top=top))
