"""`kg index`: (re)build the LadybugDB query index beside a graph file (kg/ladybug_index.py), and the
embedded `kg query` path that runs on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

from kg.commands.options import GraphFile


def write_build_index(G: Any, graph: Path) -> None:
    """After `kg build` saved `graph`: write its query index; a failure is a warning (`kg query`
    rebuilds a missing index itself)."""
    from kg.cli import note, warn
    from kg.ladybug_index import index_path, write_index

    target = index_path(graph)
    try:
        stats = write_index(G, target, source=graph)
    except (OSError, RuntimeError) as exc:
        warn(f"{target}: query index not written ({exc}); `kg query` builds it on first use")
        return
    note(f"query index written to {stats.path}")


def _named_on_index(index: Path, graph: Path, name: str, params: Mapping[str, Any], timeout: float,
                    memory: int | None) -> Any:
    """A canned query's Cypher on the index (in the bounded child process)."""
    from kg.ladybug_index import LadybugIndex, _OutOfMemory
    from kg.named_queries import run_named

    try:
        with LadybugIndex(index, graph, memory) as idx:
            return run_named(idx, name, params, timeout=timeout)
    except _OutOfMemory:
        raise MemoryError from None


def query_embedded(graph: Path, cypher: str | None, params: Mapping[str, Any], timeout: float,
                   memory_mb: int | None, named: str | None = None) -> Any:
    """`kg query` on the embedded default: bring the index up to date, then run the query (or the
    canned query `named`) in a child process that `--timeout` and `--memory-limit` can stop
    (kg.bounded). None for a canned query that only has a Python path (the caller runs that)."""
    from kg.named_queries import NAMED_QUERIES

    if named is not None and not getattr(NAMED_QUERIES.get(named), "embedded", False):
        return None
    from kg.backends import BackendError
    from kg.bounded import MEMORY_SHARE, available_memory, run_bounded
    from kg.build import EXIT_FAILED
    from kg.cli import EXIT_NOT_FOUND, fail, note
    from kg.ladybug_index import ensure_index, query_index

    if not graph.exists():
        raise fail(f"{graph}: no such graph file (run `kg build` first, or pass --graph)", EXIT_NOT_FOUND)
    from kg.cli import _status

    try:
        with _status(f"checking the query index of {graph}"):  # rebuilt here when the graph changed
            index = ensure_index(graph, note=lambda m: note(f"note: {m}"))
    except BackendError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    if named is None:
        from kg.cli import _warn_about_names
        from kg.ladybug_index import index_vocabulary

        class _Names:  # what `_warn_about_names` asks of a store, from the index's metadata
            def vocabulary(self) -> Any:
                return index_vocabulary(index)

        _warn_about_names(_Names(), cypher, params)
    if memory_mb:
        memory = memory_mb * 2**20
    else:
        free = available_memory()
        memory = int(free * MEMORY_SHARE) if free else None
    if named is not None:
        return run_bounded(_named_on_index, index, graph, named, params, timeout, memory, timeout=timeout,
                           memory=memory)
    return run_bounded(query_index, index, graph, cypher, params, timeout, memory, timeout=timeout, memory=memory)


def register(app: typer.Typer) -> None:
    """Add the `index` command to `app`."""
    from kg.build import DEFAULT_GRAPH

    @app.command("index")
    def index_cmd(
        graph: GraphFile = DEFAULT_GRAPH,
    ) -> None:
        """Rebuild the query index (graph.lbdb/, LadybugDB) that `kg query` runs on, from the graph file.

        `kg build` writes it and `kg query` rebuilds it when the graph file changed; run this after
        replacing the graph file by hand, or when `kg query` reports the index unreadable.

        Example: kg index --graph graph.graphml
        """
        from kg.backends import BackendError
        from kg.backends.networkx_backend import read_graph_file
        from kg.build import EXIT_FAILED
        from kg.cli import EXIT_NOT_FOUND, _status, fail, out
        from kg.ladybug_index import index_path, write_index
        from kg.textsafe import terminal

        if not graph.exists():
            raise fail(f"{graph}: no such graph file (run `kg build` first, or pass --graph)", EXIT_NOT_FOUND)
        try:
            with _status(f"loading {graph}"):
                G = read_graph_file(graph)
            with _status(f"writing the query index of {graph.name}"):
                stats = write_index(G, index_path(graph), source=graph)
        except BackendError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
        except (OSError, RuntimeError) as exc:
            raise fail(f"{index_path(graph)}: cannot write the query index: {exc}", EXIT_FAILED) from None
        out.print(f"wrote {terminal(stats.path)}: {stats.nodes:,} nodes and {stats.rels:,} relationships in "
                  f"{stats.seconds:.2f} s ({stats.rate:,.0f}/s)", highlight=False)
