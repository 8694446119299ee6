"""`kg query` speed on the LadybugDB index: start-up as a new process, per-query latency, load rate.

    python bench/query_latency.py                      # 10,000 and 100,000 papers
    python bench/query_latency.py --papers 2000        # quick check

The bundled sample (215 papers) is extracted once; its extractions are repeated with new paper ids up
to --papers (about 9 relationships per paper, entity nodes shared by thousands of papers, as BERT or
ImageNet are in a real corpus), built into a networkx graph as `kg build` builds it and saved as
GraphML. Then, per size, this prints:

- load: `write_index` (the index `kg build` writes), nodes + relationships per second (target >= 50,000/s)
- start-up: `kg query` as a new process on a key lookup, wall time, median of 5 (target < 1.5 s at
  100,000 papers), and `kg --version` (target < 0.5 s)
- latency: six typical queries in one open index, median of 5 runs each after a warm-up (target
  < 100 ms each at 100,000 papers)
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

QUERIES = {
    "key lookup": ("MATCH (m:Method {key: $method}) RETURN m.name", ("method",)),
    "2-hop pattern": ("MATCH (m:Method {key: $method})<-[:USES]-(p:Paper)-[:EVALUATES_ON]->(d:Dataset) "
                      "RETURN d.name, count(*) AS n ORDER BY n DESC LIMIT 10", ("method",)),
    "count all USES": ("MATCH (:Paper)-[r:USES]->(:Method) RETURN count(r) AS n", ()),
    "top-10 aggregate": ("MATCH (p:Paper)-[:USES]->(m:Method) RETURN m.name AS method, count(*) AS papers "
                         "ORDER BY papers DESC LIMIT 10", ()),
    "VARIANT_OF*1..3": ("MATCH (v:Method)-[:VARIANT_OF*1..3]->(m:Method {key: $variant}) RETURN DISTINCT v.name", ("variant",)),
    "3-hop results": ("MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:ON_DATASET]->(d:Dataset {key: $dataset}) "
                      "MATCH (r)-[:OF_METRIC]->(mt:Metric) RETURN mt.name, r.value, p.title "
                      "ORDER BY r.value DESC LIMIT 10", ("dataset",)),
}


def sample_pairs():
    from extractors import build_nlp
    from kg.build import SAMPLE_CORPUS, extract_pairs
    from kg.ingest import read_papers

    return list(extract_pairs(read_papers([SAMPLE_CORPUS]), build_nlp()))


def copies(pairs, n: int):
    """`n` (paper, extraction) pairs: the sample over and over, each copy with its own ids."""
    made, round_ = 0, 0
    while made < n:
        for paper, extraction in pairs:
            if made >= n:
                return
            pid = f"r{round_}-{paper.id}"
            yield paper.model_copy(update={"id": pid}), extraction.model_copy(update={"id": pid})
            made += 1
        round_ += 1


def build_graph_file(pairs, n: int, path: Path):
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.builder import build_batch

    store = NetworkxBackend()
    chunk = []
    for pair in copies(pairs, n):
        chunk.append(pair)
        if len(chunk) == 1000:
            store.upsert(build_batch(chunk))
            chunk = []
    if chunk:
        store.upsert(build_batch(chunk))
    store.save(path)
    return store.to_networkx()


def params_from(idx) -> dict[str, str]:
    """Realistic parameter values, from the loaded graph itself."""
    def first(cypher: str) -> str:
        return idx.query(cypher).rows[0][0]

    return {
        "method": first("MATCH (:Paper)-[:USES]->(m:Method) RETURN m.key, count(*) AS c ORDER BY c DESC LIMIT 1"),
        "variant": first("MATCH (:Method)-[:VARIANT_OF]->(m:Method) RETURN m.key, count(*) AS c ORDER BY c DESC LIMIT 1"),
        "dataset": first("MATCH (:Result)-[:ON_DATASET]->(d:Dataset) RETURN d.key, count(*) AS c "
                         "ORDER BY c DESC LIMIT 1"),
    }


def wall(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(pairs, n: int, tmp: Path) -> None:
    from kg.ladybug_index import LadybugIndex, index_path, write_index

    graph = tmp / f"g{n}.graphml"
    t = time.perf_counter()
    G = build_graph_file(pairs, n, graph)
    print(f"\n== {n:,} papers: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} relationships; "
          f"graph built and saved in {time.perf_counter() - t:.1f} s ({graph.stat().st_size / 2**20:,.0f} MiB GraphML)")
    stats = write_index(G, index_path(graph), source=graph)
    size = sum(f.stat().st_size for f in stats.path.iterdir()) / 2**20
    print(f"load: {stats.nodes + stats.rels:,} nodes+rels in {stats.seconds:.2f} s = {stats.rate:,.0f}/s "
          f"(target >= 50,000/s); index {size:,.0f} MiB on disk")
    del G
    kg = shutil.which("kg") or str(Path(sys.executable).with_name("kg"))
    with LadybugIndex(stats.path) as idx:
        params = params_from(idx)
        start = wall([kg, "query", "MATCH (m:Method {key: $k}) RETURN m.name", "-p", f"k={params['method']}",
                      "--graph", str(graph), "--format", "csv"])
        print(f"start-up: `kg query` key lookup as a new process {start * 1000:,.0f} ms (target < 1,500 ms); "
              f"`kg --version` {wall([kg, '--version']) * 1000:,.0f} ms (target < 500 ms)")
        for name, (cypher, used) in QUERIES.items():
            values = {k: params[k] for k in used}
            idx.query(cypher, values)  # warm-up
            times = []
            for _ in range(5):
                t = time.perf_counter()
                rows = idx.query(cypher, values).rows
                times.append(time.perf_counter() - t)
            print(f"  {name:18} {statistics.median(times) * 1000:8.1f} ms  ({len(rows)} rows)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    pairs = sample_pairs()
    with tempfile.TemporaryDirectory(prefix="kg-query-bench-") as tmp:
        for n in args.papers:
            bench(pairs, n, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
