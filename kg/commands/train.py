"""`kg train`: rebuild the span classifier from the annotated data kept in the repo."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the `train` command to `app`."""

    @app.command("train")
    def train_cmd(
        out_path: Annotated[Optional[Path], typer.Option(
            "--out", "-o", help="Model file to write (default: the shipped model, "
                                "extractors/models/span_classifier.json).")] = None,
        no_open: Annotated[bool, typer.Option(
            "--no-open", help="Train on the two dev golds only (leave out SciREX and TDMSci).")] = False,
    ) -> None:
        """Train the span classifier (seeded: the same data gives the same file) and write it.

        Data: the seed and arXiv dev golds projected onto the rules' candidates, plus the SciREX
        and TDMSci train splits (extractors/training/data). `kg eval` cross-validates it.

        Example: kg train -o my_classifier.json
        """
        from extractors.components.classifier import DEFAULT_MODEL
        from extractors.training.train import train
        from contextlib import nullcontext

        from kg.cli import EXIT_FAILED, err, fail, is_quiet, out
        from kg.textsafe import terminal

        target = out_path or DEFAULT_MODEL
        with nullcontext() if is_quiet() else err.status("training the span classifier"):
            try:
                model = train(target, use_open=not no_open)
            except OSError as exc:
                raise fail(f"{target}: cannot write ({exc.strerror or exc})", EXIT_FAILED) from None
        digest = hashlib.sha256(Path(target).read_bytes()).hexdigest()[:12]
        size = Path(target).stat().st_size
        meta = model.meta
        out.print(f"trained on {meta.get('examples')} candidate spans ({', '.join(meta.get('trained_on', []))}); "
                  f"{len(model.weights)} features, {len(model.heads)} head words", highlight=False, soft_wrap=True)
        out.print(f"wrote {terminal(target)} ({size / 1024:.0f} KiB, sha256 {digest})", highlight=False, soft_wrap=True)
