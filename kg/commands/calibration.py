"""`kg calibration`: the reliability table of entity confidences against a gold file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.commands.options import OutputFormat, QueryFormat


def register(app: typer.Typer) -> None:
    """Add `kg calibration` to `app`."""

    @app.command("calibration")
    def calibration_cmd(
        gold: Annotated[Optional[Path], typer.Option(help="Gold JSONL (default: the bundled dev gold).")] = None,
        inputs: Annotated[Optional[list[Path]], typer.Option(
            "--input", "-i", help="Papers to extract (default: the bundled sample).")] = None,
        folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds over papers.")] = 5,
        fmt: OutputFormat = QueryFormat.table,
    ) -> None:
        """Reliability table of entity confidences against a gold file: raw scores, the packaged
        model (fitted on the bundled dev gold, so optimistic there) and the model re-fitted by
        cross-validation over papers (honest).

        Example: kg calibration --folds 5
        """
        from extractors.calibration import load_model
        from kg import evaluate as ev
        from kg.backends.base import QueryResult
        from kg.reliability import (RECORD_COLUMNS, TITLE, collect_samples, cross_validate, reliability_layouts,
                                    reliability_records)
        from kg.build import DEV_GOLD, SAMPLE_CORPUS, EXIT_FAILED
        from kg.cli import _print_result, err, fail, out
        from kg.tables import print_layouts
        from kg.textsafe import terminal
        from kg.ingest import read_papers

        try:
            gold_rows = ev.load_gold(gold or DEV_GOLD)
        except ev.EvalInputError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
        papers = read_papers(list(inputs) if inputs else [SAMPLE_CORPUS], on_issue=lambda i: err.print(terminal(i)))
        samples = collect_samples(papers, gold_rows)
        if not samples:
            raise fail("no extracted entity belongs to a gold paper (check --gold and --input)", EXIT_FAILED)
        outcomes = [s.correct for s in samples]
        columns: dict[str, tuple[Sequence[float], Sequence[bool]]] = {
            "raw": ([s.raw for s in samples], outcomes),
        }
        if load_model() is not None:
            columns["packaged model"] = ([s.confidence for s in samples], outcomes)
        columns[f"{folds}-fold CV"] = (cross_validate(samples, folds=folds), outcomes)
        n_papers = len({s.paper for s in samples})
        records = reliability_records(columns)
        if fmt is not QueryFormat.table:
            _print_result(QueryResult(RECORD_COLUMNS, records), fmt)
            return
        print_layouts(out, reliability_layouts(records), title=TITLE)
        out.print(f"{len(samples)} entities from {n_papers} gold papers; correct = matches a gold "
                  "entity (required or optional) of the same type", highlight=False)
