"""`kg viz`: write the graph as one self-contained interactive HTML page (see kg/viz.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.commands.options import GraphFile

DEFAULT_PAGE = Path("graph.html")


def register(app: typer.Typer) -> None:
    """Add the `viz` command to `app`."""
    from kg.build import DEFAULT_GRAPH

    @app.command("viz")
    def viz_cmd(
        graph: GraphFile = DEFAULT_GRAPH,
        focus: Annotated[Optional[str], typer.Option(
            "--focus", help="Show only the neighbourhood of this entity (name, key or alias, any case) "
                            "or paper.")] = None,
        depth: Annotated[int, typer.Option(
            "--depth", min=1, help="Hops around --focus: 1 = its papers, 2 = also their other entities, ...")] = 2,
        max_nodes: Annotated[int, typer.Option(
            "--max-nodes", min=1, help="Draw at most this many nodes (the most connected are kept).")] = 1500,
        min_confidence: Annotated[float, typer.Option(
            "--min-confidence", min=0.0, max=1.0, help="Leave out edges below this confidence (0-1).")] = 0.0,
        out_path: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = DEFAULT_PAGE,
        title: Annotated[Optional[str], typer.Option(help="Page title (default: the graph file's name).")] = None,
    ) -> None:
        """Write an interactive HTML explorer of the graph (opens offline, from disk).

        Example: kg viz --focus BERT --depth 2 -o bert.html
        """
        from kg.build import EXIT_FAILED
        from kg.cli import EXIT_NOT_FOUND, _open_graph, fail, out
        from kg.textsafe import terminal
        from kg.viz import FocusNotFound, write_html

        G = _open_graph(graph).to_networkx()
        try:
            view = write_html(G, out_path, focus=focus, depth=depth, max_nodes=max_nodes,
                              min_confidence=min_confidence, title=title or f"{graph.name}: knowledge graph")
        except FocusNotFound as exc:
            raise fail(str(exc), EXIT_NOT_FOUND) from None
        except OSError as exc:
            raise fail(f"{out_path}: cannot write: {exc.strerror or exc}", EXIT_FAILED) from None
        shown = f"{len(view.nodes):,} of {view.total:,} nodes" if view.sampled else f"{len(view.nodes):,} nodes"
        out.print(f"wrote {terminal(out_path)} ({shown}); open it in a browser", highlight=False, soft_wrap=True)
