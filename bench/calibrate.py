"""Fit the entity-confidence calibration on the dev gold and print an honest reliability table.

    python bench/calibrate.py                # reliability: raw vs packaged vs 5-fold CV
    python bench/calibrate.py --folds 2      # 2-fold cross-validation instead
    python bench/calibrate.py --write        # also refit on all dev papers and rewrite
                                             # extractors/patterns/calibration.json

Entities are extracted from the bundled sample, joined to the dev gold, and labelled correct
when they match a gold entity (required or optional) of the same type in the same paper
(`kg.evaluate.entity_outcomes`). The "raw" column is the old hand-set score, the
"packaged" column the shipped model (fitted on these same papers, so optimistic), the CV
column the model refitted on the other folds for each fold of papers (the honest number).
Besides the binned table it prints the expected calibration error (ECE), log loss and Brier
score of each. The fitted model changes confidences only, never which entities are found.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from extractors.calibration import DEFAULT_FEATURES, DEFAULT_L2, DEFAULT_MODEL, fit_model  # noqa: E402
from kg.build import DEV_GOLD, SAMPLE_CORPUS  # noqa: E402
from kg.reliability import (collect_samples, cross_validate, expected_calibration_error,  # noqa: E402
                                     format_reliability, reliability_table)
from kg.evaluate import load_gold  # noqa: E402
from kg.ingest import read_papers  # noqa: E402


def proper_scores(confidences: Sequence[float], outcomes: Sequence[bool]) -> tuple[float, float]:
    """(log loss, Brier score): lower is better; both reward sharp *and* honest scores."""
    eps = 1e-6
    n = len(outcomes)
    log_loss = -sum(math.log(min(max(c if o else 1.0 - c, eps), 1.0)) for c, o in zip(confidences, outcomes)) / n
    brier = sum((c - o) ** 2 for c, o in zip(confidences, outcomes)) / n
    return log_loss, brier


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=DEV_GOLD, help="gold JSONL (default: bundled dev gold)")
    parser.add_argument("--input", type=Path, nargs="*", default=[SAMPLE_CORPUS],
                        help="paper files to extract (default: bundled sample)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds over papers (>= 2)")
    parser.add_argument("--l2", type=float, default=DEFAULT_L2, help="ridge penalty of the fit")
    parser.add_argument("--write", action="store_true",
                        help=f"refit on all gold papers and rewrite {DEFAULT_MODEL.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")

    gold = load_gold(args.gold)
    samples = collect_samples(read_papers(args.input), gold)
    if not samples:
        print("no extracted entity belongs to a gold paper", file=sys.stderr)
        return 1
    outcomes = [s.correct for s in samples]
    n_papers = len({s.paper for s in samples})
    columns = {
        "raw": [s.raw for s in samples],
        "packaged": [s.confidence for s in samples],
        f"{args.folds}-fold CV": cross_validate(samples, folds=args.folds, l2=args.l2),
    }
    console = Console(width=max(Console().width, 110))
    console.print(format_reliability({name: (conf, outcomes) for name, conf in columns.items()}))
    console.print(f"{len(samples)} entities from {n_papers} gold papers, "
                  f"{sum(outcomes) / len(outcomes):.3f} correct overall", highlight=False)
    for name, conf in columns.items():
        ll, brier = proper_scores(conf, outcomes)
        ece = expected_calibration_error(reliability_table(conf, outcomes))
        console.print(f"{name:>12}: ECE {ece:.3f}  log loss {ll:.3f}  Brier {brier:.3f}", highlight=False)

    if args.write:
        note = (f"fitted by bench/calibrate.py on {args.gold.name}: {len(samples)} entities "
                f"from {n_papers} papers, {sum(outcomes)} correct")
        model = fit_model(((s.features, s.correct) for s in samples),
                          features=DEFAULT_FEATURES, l2=args.l2, note=note)
        DEFAULT_MODEL.write_text(json.dumps(model.to_json(), indent=1, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        console.print(f"wrote {DEFAULT_MODEL}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
