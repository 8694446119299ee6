"""Loading speed of the Neo4j backend, and the time of every canned query on the loaded graph.

    python bench/neo4j_load.py                 # 50,000 papers into a fresh test server
    python bench/neo4j_load.py --papers 5000   # quick check
    python bench/neo4j_load.py --uri bolt://localhost:7687 --password ...   # your own (emptied!) database

The bundled sample (215 papers) is extracted once; its extractions are then repeated with new
paper ids up to --papers, so the load sees ~14 relationships per paper and entity nodes that
thousands of papers share (as BERT or ImageNet are in a real corpus). Batches of
`Neo4jBackend.batch_papers` go through `build_batch` and `upsert` as `kg build` sends them. Extraction is not timed here
(see extract_throughput.py). Without --uri the test server of tests/neo4j is started (Java 17 +
Maven needed) in a temporary folder and stopped at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))



def sample_pairs():
    from extractors import build_nlp
    from kg.build import SAMPLE_CORPUS, extract_pairs
    from kg.ingest import read_papers

    return list(extract_pairs(read_papers([SAMPLE_CORPUS]), build_nlp()))


def copies(pairs, n: int):
    """`n` (paper, extraction) pairs: the sample over and over, each copy with its own ids."""
    made = 0
    round_ = 0
    while made < n:
        for paper, extraction in pairs:
            if made >= n:
                return
            pid = f"r{round_}-{paper.id}"
            yield (paper.model_copy(update={"id": pid}), extraction.model_copy(update={"id": pid}))
            made += 1
        round_ += 1


def query_params(backend) -> dict[str, dict]:
    """Realistic parameters for each canned query, taken from the loaded graph itself."""
    def top(label: str, rel: str) -> str:
        rows = backend.query(f"MATCH (:Paper)-[:{rel}]->(n:{label}) RETURN n.name AS name, count(*) AS c "
                             "ORDER BY c DESC, name LIMIT 2").rows
        return [r[0] for r in rows]

    methods, datasets = top("Method", "USES"), top("Dataset", "EVALUATES_ON")
    metric = top("Metric", "MEASURES")[0]
    task = top("Task", "ADDRESSES")[0]
    return {
        "papers_on_dataset": {"dataset": datasets[0]}, "top_methods": {}, "top_datasets": {},
        "datasets_of_method": {"method": methods[0]}, "leaderboard": {"dataset": datasets[0]},
        "methods_proposed": {}, "variants_of": {"method": methods[0]}, "co_used_methods": {"method": methods[0]},
        "tasks_with_dataset": {"dataset": datasets[0]}, "papers_metric_above": {"metric": metric, "threshold": 50},
        "shortest_connection": {"source": methods[0], "target": methods[1]}, "methods_for_task": {"task": task},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=50_000)
    parser.add_argument("--uri")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password")
    parser.add_argument("--batch", type=int, help="papers per upsert (default: the backend's batch_papers)")
    args = parser.parse_args()

    from kg.backends.neo4j_backend import Neo4jBackend
    from kg.builder import build_batch
    from kg.named_queries import NAMED_QUERIES, run_named

    server = None
    if args.uri is None:
        sys.path.insert(0, str(ROOT / "tests" / "neo4j"))
        import launcher

        server = launcher.start(Path(tempfile.mkdtemp(prefix="kg-bench-neo4j-")), password="bench-password")
        args.uri, args.password = server.uri, "bench-password"
    try:
        pairs = sample_pairs()
        with Neo4jBackend(uri=args.uri, user=args.user, password=args.password) as backend:
            backend.clear()
            batch_papers = args.batch or backend.batch_papers
            # as `kg build` loads: batches of `batch_papers`, the next one built while the server writes
            chunk: list = []
            load = build = 0.0
            nodes = rels = 0

            def send(chunk: list) -> None:  # as `kg build` does it: build a batch, upsert it
                nonlocal load, build, nodes, rels
                t0 = time.perf_counter()
                batch = build_batch(chunk)
                t1 = time.perf_counter()
                stats = backend.upsert(batch)
                load += time.perf_counter() - t1
                build += t1 - t0
                nodes += stats.nodes_created + stats.nodes_updated
                rels += stats.rels_created + stats.rels_updated

            for pair in copies(pairs, args.papers):
                chunk.append(pair)
                if len(chunk) == batch_papers:
                    send(chunk)
                    chunk = []
            if chunk:
                send(chunk)
            wall = load + build
            counts = backend.counts()
            print(f"loaded {args.papers:,} papers in batches of {batch_papers}: {counts.total_nodes:,} nodes, "
                  f"{counts.total_rels:,} relationships in the database")
            print(f"{'':27}{'Neo4jBackend.upsert':>20}{'+ build_batch':>14}")
            print(f"  {'time (s)':<25}{load:>20.1f}{wall:>14.1f}")
            for what, n in (("nodes written/s", nodes), ("relationships written/s", rels), ("papers/s", args.papers)):
                print(f"  {what:<25}{n / load:>20,.0f}{n / wall:>14,.0f}")
            print(f"peak memory of this process (ru_maxrss): "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

            again = time.perf_counter()
            stats = backend.upsert(build_batch(list(copies(pairs, min(args.papers, 2_000)))))
            print(f"re-loading 2,000 papers already there: {time.perf_counter() - again:.1f} s, "
                  f"created {stats.nodes_created + stats.rels_created} (idempotent: expect 0)")

            print("\ncanned queries (kg query --backend neo4j --named NAME), second of two runs:")
            for name, params in query_params(backend).items():
                assert name in NAMED_QUERIES
                run_named(backend, name, params)
                t0 = time.perf_counter()
                result = run_named(backend, name, params)
                print(f"  {name:<22} {1000 * (time.perf_counter() - t0):8.1f} ms  {len(result.rows):>6} rows")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
