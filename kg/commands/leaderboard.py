"""`kg leaderboard`: the results reported on one dataset across papers, ranked per metric."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import fields
from enum import Enum
from itertools import groupby
from typing import Annotated, Optional

import typer

from kg.commands.options import GraphFile


class LeaderboardFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _value(value: float, unit: str | None) -> str:
    text = f"{value:g}"
    if unit in (None, ""):
        return text
    return f"{text}{unit}" if unit in ("%", "x") else f"{text} {unit}"


def register(app: typer.Typer) -> None:
    from kg.build import DEFAULT_GRAPH

    @app.command("leaderboard")
    def leaderboard_cmd(
        dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name, key or alias (any case).")],
        metric: Annotated[Optional[str], typer.Option("--metric", "-m", help="Only this metric.")] = None,
        graph: GraphFile = DEFAULT_GRAPH,
        fmt: Annotated[LeaderboardFormat, typer.Option("--format", "-f")] = LeaderboardFormat.table,
        top: Annotated[Optional[int], typer.Option(min=1, help="At most N rows per metric.")] = None,
        lower_is_better: Annotated[Optional[bool], typer.Option(
            "--lower-is-better/--higher-is-better",
            help="Ranking direction (default: from the metric's name; error, loss, FID, latency, ... are lower)."
        )] = None,
        include_relative: Annotated[bool, typer.Option(
            "--include-relative", help="Also list deltas such as 'by 2.4%' or '+1.9 points' (ranked apart).")] = False,
        variants: Annotated[bool, typer.Option(
            "--variants/--no-variants", help="Count results on the dataset's variants (ImageNet-1K for ImageNet).")] = True,
    ) -> None:
        """Rank the results reported on a dataset across papers, per metric (best first).

        Example: kg leaderboard --dataset ImageNet --metric "top-1 accuracy" --top 5
        """
        from rich.table import Table

        from kg.cli import EXIT_NOT_FOUND, _open_graph, err, fail, out
        from kg.tables import print_table
        from kg.textsafe import terminal, utf8_text
        from kg.leaderboard import LeaderboardError, LeaderboardRow, leaderboard

        G = _open_graph(graph).to_networkx()
        try:
            rows = leaderboard(G, dataset, metric, lower_is_better, include_variants=variants,
                               include_relative=include_relative)
        except LeaderboardError as exc:
            raise fail(str(exc), EXIT_NOT_FOUND) from None
        groups = [list(g) for _, g in groupby(rows, key=lambda r: (r.metric, r.unit, r.relative))]
        if top is not None:
            groups = [g[:top] for g in groups]
        rows = [r for g in groups for r in g]
        if fmt is LeaderboardFormat.json:
            sys.stdout.write(utf8_text(json.dumps([r.to_dict() for r in rows], indent=1, ensure_ascii=False)) + "\n")
            return
        if fmt is LeaderboardFormat.csv:
            buf = io.StringIO()
            writer = csv.writer(buf)
            names = [f.name for f in fields(LeaderboardRow)]
            writer.writerow(names)
            for r in rows:
                writer.writerow(["" if v is None else v for v in (getattr(r, n) for n in names)])
            sys.stdout.write(utf8_text(buf.getvalue()))
            return
        if not rows:
            err.print(terminal(f"no results reported on {dataset!r} in {graph}"), highlight=False)
            return
        for group in groups:
            head = group[0]
            unit = f" ({head.unit})" if head.unit else ""
            kind = ", deltas" if head.relative else ""
            direction = "lower is better" if head.lower_is_better else "higher is better"
            table = Table(title=terminal(f"{head.metric}{unit}{kind}: {direction}"), title_justify="left")
            table.add_column("rank", justify="right", no_wrap=True)
            table.add_column("value", justify="right", no_wrap=True)
            table.add_column("method", min_width=10, max_width=32)
            table.add_column("dataset", min_width=8, max_width=20)
            table.add_column("paper", min_width=20, ratio=1)
            for r in group:
                table.add_row(str(r.rank), terminal(r.text or _value(r.value, r.unit)), terminal(r.method),
                              terminal(r.dataset), terminal(r.paper_title))
            print_table(out, table)
        out.print(f"{len(rows)} result(s) in {len(groups)} metric group(s); --format json adds paper ids and evidence",
                  highlight=False)
