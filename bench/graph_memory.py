"""Memory of the embedded (networkx) graph per paper, and the peak memory of `kg build`.

    python bench/graph_memory.py                  # graph of 50,000 papers; kg build of 20,000
    python bench/graph_memory.py --papers 10000 --build-papers 2000

1. The sample's extractions, repeated with new paper ids up to --papers, are loaded into a
   `NetworkxBackend` batch by batch (as `kg build` does); the Python heap the graph holds
   (tracemalloc, after the batches are gone) divided by the papers is the memory per paper, and
   the projection for 2.5 million arXiv papers follows from it. The copies share their evidence
   sentences (same string objects), so a real corpus adds ~150 bytes per relationship on top.
2. `kg build` runs as a subprocess on --build-papers real-looking papers (the sample repeated
   with new ids, JSON Lines) with 2 workers; its peak RSS (and that of its worker processes)
   comes from `resource.getrusage(RUSAGE_CHILDREN)`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from neo4j_load import copies, sample_pairs  # noqa: E402  (same synthetic corpus)


def graph_memory(n: int) -> None:
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.builder import build_batch

    pairs = sample_pairs()
    gc.collect()
    tracemalloc.start()
    backend = NetworkxBackend()
    chunk: list = []
    t0 = time.perf_counter()
    for pair in copies(pairs, n):
        chunk.append(pair)
        if len(chunk) == 256:
            backend.upsert(build_batch(chunk))
            chunk = []
    if chunk:
        backend.upsert(build_batch(chunk))
    chunk = []
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    G = backend.to_networkx()
    per_paper = held / n
    print(f"networkx graph of {n:,} papers: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, "
          f"built in {time.perf_counter() - t0:.1f} s (under tracemalloc)")
    print(f"  held {held / 2**20:,.0f} MiB = {per_paper / 1024:.2f} KiB per paper "
          f"(peak while loading {peak / 2**20:,.0f} MiB)")
    print(f"  projected for 2.5 million papers: {per_paper * 2.5e6 / 2**30:.1f} GiB "
          "(entities are shared, so this is an upper bound for the entity part)")


def build_memory(n: int) -> None:
    from kg.build import SAMPLE_CORPUS
    from kg.ingest import read_papers

    papers = list(read_papers([SAMPLE_CORPUS]))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "papers.jsonl"
        with data.open("w", encoding="utf-8") as f:
            for i in range(n):
                p = papers[i % len(papers)]
                f.write(json.dumps({"id": f"r{i}", "title": p.title, "abstract": p.abstract}) + "\n")
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg", "build", str(data), "-o", str(Path(tmp) / "g.graphml"),
                               "-w", "2"], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(1)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"kg build of {n:,} papers (2 workers, GraphML written): {wall:.1f} s, "
          f"peak RSS of the largest process {peak:,.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=50_000)
    parser.add_argument("--build-papers", type=int, default=20_000)
    args = parser.parse_args()
    graph_memory(args.papers)
    build_memory(args.build_papers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
