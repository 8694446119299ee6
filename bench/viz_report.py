"""Time `kg viz` and `kg report` (the Python side: layout, labels, page, plots) and their peak memory.

    python bench/viz_report.py                 # the bundled sample and a 5,000-paper synthetic graph
    python bench/viz_report.py --papers 10000  # another synthetic size

The last row times `kg.layout.community_layout` alone on 500 separate triangles (500
communities to pack, the layout's worst case).

The synthetic graph is tests/browser's seeded corpus (skewed entity popularity, like real ones).
Graph building is not timed: each row is one `write_html` or `write_report` call on a graph in
memory, what `kg viz` / `kg report` do after loading the graph file. The time is of a plain
call; peak memory is the tracemalloc peak (Python allocations) of a second, traced call.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from kg.backends.networkx_backend import NetworkxBackend  # noqa: E402
from kg.build import SAMPLE_CORPUS, build_graph  # noqa: E402
from kg.layout import community_layout  # noqa: E402
from kg.report import write_report  # noqa: E402
from kg.viz import write_html  # noqa: E402


def _synthetic(n_papers: int):  # noqa: ANN202 - networkx.MultiDiGraph
    name = "kg_bench_browser_conftest"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "browser" / "conftest.py")
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module.make_synthetic_graph(n_papers)


def _measure(fn: Callable[[], object]) -> tuple[float, float]:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    tracemalloc.start()  # traced separately: tracing slows Python down several times
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=5000, help="papers of the synthetic graph")
    args = parser.parse_args(argv)
    store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], store)
    graphs = {"bundled sample": store.to_networkx(), f"synthetic {args.papers:,} papers": _synthetic(args.papers)}
    print(f"{'graph':<26} {'nodes':>7} {'command':<8} {'seconds':>8} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, G in graphs.items():
            for command, fn in (("viz", lambda: write_html(G, Path(tmp) / "graph.html")),
                                ("report", lambda: write_report(G, Path(tmp) / "report.html"))):
                seconds, peak = _measure(fn)
                print(f"{name:<26} {G.number_of_nodes():>7,} {command:<8} {seconds:>8.2f} {peak:>9.1f}")
    triangles = nx.disjoint_union_all([nx.complete_graph(3)] * 500)  # the packing's worst case: many communities
    seconds, peak = _measure(lambda: community_layout(triangles, seed=0))
    print(f"{'500 separate triangles':<26} {1500:>7,} {'layout':<8} {seconds:>8.2f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
