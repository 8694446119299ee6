"""Cost of `kg query`'s name warnings on the embedded backend at 100,000 papers.

    python bench/query_warnings.py [--papers 100000]

Builds a synthetic networkx graph in memory (N papers, 30,000 methods, 14 USES edges per paper,
as the schema stores them), then times `query_warnings` for a query whose names all exist (the
lazy vocabulary stops at the first node or edge with each name) and for one with a misspelt
property key (a whole pass over nodes and edges, for the suggestions). Prints seconds per case
and the peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import networkx as nx

from kg.backends.networkx_backend import NetworkxBackend
from kg.query_text import query_warnings

QUERIES = {
    "names all exist": "MATCH (p:Paper)-[:USES]->(m:Method) WHERE p.year > 2020 RETURN m.name, p.title",
    "one misspelt key": "MATCH (p:Paper)-[:USES]->(m:Method) WHERE p.yeer > 2020 RETURN m.name, p.title",
}


def synthetic(papers: int, methods: int = 30_000, per_paper: int = 14) -> nx.MultiDiGraph:
    """Papers that each USE `per_paper` random methods (seeded)."""
    rng = random.Random(0)
    G = nx.MultiDiGraph()
    for i in range(papers):
        G.add_node(f"Paper:p{i}", label="Paper", id=f"p{i}", title=f"t{i}", year=2000 + i % 25, __labels__={"Paper"})
    for j in range(methods):
        G.add_node(f"Method:m{j}", label="Method", key=f"m{j}", name=f"M{j}", aliases=[], __labels__={"Method"})
    for i in range(papers):
        for _ in range(per_paper):
            G.add_edge(f"Paper:p{i}", f"Method:m{rng.randrange(methods)}", key="USES", type="USES",
                       confidence=0.5, evidence="x")
    return G


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    args = parser.parse_args()
    G = synthetic(args.papers)
    store = NetworkxBackend(graph=G)
    print(f"{args.papers:,} papers, {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
    for case, cypher in QUERIES.items():
        start = time.perf_counter()
        warnings = query_warnings(cypher, store.vocabulary(), {})
        print(f"{case}: {time.perf_counter() - start:.3f} s, {len(warnings)} warning(s)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
