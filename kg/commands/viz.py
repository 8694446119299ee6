"""`kg viz`: write the graph as one self-contained interactive HTML page (see kg/viz.py)."""

from __future__ import annotations

import re
import webbrowser
from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.commands.options import GraphFile

DEFAULT_PAGE = Path("graph.html")


def default_page(focus: str | None) -> Path:
    """graph.html, or graph.focus-<slug>.html for a focus, so a focused page never replaces the
    full explorer (slug: the focus in lower case, runs of other characters as one '-').

    >>> [str(default_page(f)) for f in (None, "Vision Transformer", "F1@10 (micro)")]
    ['graph.html', 'graph.focus-vision-transformer.html', 'graph.focus-f1-10-micro.html']
    """
    if focus is None:
        return DEFAULT_PAGE
    slug = re.sub(r"[^a-z0-9]+", "-", focus.casefold()).strip("-")[:60].strip("-") or "focus"
    return DEFAULT_PAGE.with_name(f"{DEFAULT_PAGE.stem}.focus-{slug}{DEFAULT_PAGE.suffix}")


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
        out_path: Annotated[Optional[Path], typer.Option(
            "--out", "-o", help="HTML file to write (default: graph.html; with --focus, "
                                "graph.focus-<name>.html).")] = None,
        title: Annotated[Optional[str], typer.Option(help="Page title (default: the graph file's name).")] = None,
        open_page: Annotated[bool, typer.Option(
            "--open", help="Open the page in the web browser (the BROWSER environment variable picks it).")] = False,
    ) -> None:
        """Write an interactive HTML explorer of the graph (opens offline, from disk).

        Example: kg viz --focus BERT --depth 2 -o bert.html
        """
        from kg.build import EXIT_FAILED
        from kg.cli import EXIT_NOT_FOUND, _open_graph, fail, out
        from kg.textsafe import terminal
        from kg.viz import FocusNotFound, write_html

        out_path = out_path or default_page(focus)
        G = _open_graph(graph).to_networkx()
        try:
            view = write_html(G, out_path, focus=focus, depth=depth, max_nodes=max_nodes,
                              min_confidence=min_confidence, title=title or f"{graph.name}: knowledge graph")
        except FocusNotFound as exc:
            raise fail(str(exc), EXIT_NOT_FOUND) from None
        except OSError as exc:
            raise fail(f"{out_path}: cannot write: {exc.strerror or exc}", EXIT_FAILED) from None
        shown = f"{len(view.nodes):,} of {view.total:,} nodes" if view.sampled else f"{len(view.nodes):,} nodes"
        if not open_page:
            out.print(f"wrote {terminal(out_path)} ({shown}); open it in a browser", highlight=False, soft_wrap=True)
            return
        out.print(f"wrote {terminal(out_path)} ({shown})", highlight=False, soft_wrap=True)
        if not webbrowser.open(out_path.resolve().as_uri()):
            out.print(f"no web browser found; open {terminal(out_path)} yourself", highlight=False, soft_wrap=True)
