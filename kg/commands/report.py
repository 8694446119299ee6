"""`kg report`: one self-contained HTML page of graph analyses (plots and tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.commands.options import GraphFile


def register(app: typer.Typer) -> None:
    from kg.build import DEFAULT_GRAPH

    @app.command("report")
    def report_cmd(
        graph: GraphFile = DEFAULT_GRAPH,
        out_path: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("report.html"),
        top: Annotated[int, typer.Option("--top", "-n", min=1, max=200,
                                         help="Bars and table rows at most per section.")] = 15,
        title: Annotated[Optional[str], typer.Option(help="Page title (default: from the graph file name).")] = None,
    ) -> None:
        """Write an HTML report: most used methods and datasets, method x dataset heat map, co-usage
        communities, PageRank of methods, per-year trends and leaderboards (opens offline).

        Example: kg report -o report.html --top 20
        """
        from kg.cli import _open_graph, fail, out
        from kg.textsafe import terminal
        from kg.report import write_report

        G = _open_graph(graph).to_networkx()
        try:
            path = write_report(G, out_path, title=title or f"Knowledge graph report: {graph.name}", top=top)
        except OSError as exc:
            raise fail(f"{out_path}: cannot write ({exc.strerror or exc})") from None
        out.print(f"report written to [bold]{terminal(path)}[/]", highlight=False)
