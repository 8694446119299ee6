"""Read-only Cypher over a networkx graph, on LadybugDB (the engine behind `kg query`).

`run_cypher` loads the graph into a throw-away in-memory LadybugDB (kg/ladybug_index.py) and runs the
query through the Neo4j dialect layer (kg/cypher_dialect.py): the Cypher that Neo4j runs, with the
same rows, or a one-line `QueryError` naming what the embedded engine cannot run. `kg query` does not
come here: it opens the index kept beside the graph file, so no graph is parsed or loaded per query.

`EXAMPLE_QUERIES` are portable Cypher, run the same way on Neo4j.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from kg.backends.base import QueryError, QueryResult

__all__ = ["EXAMPLE_QUERIES", "QueryError", "run_cypher", "run_example"]

#: name -> (query, what it answers, example parameters); portable to Neo4j as written
EXAMPLE_QUERIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "papers_on_dataset": (
        "MATCH (p:Paper)-[:EVALUATES_ON]->(d:Dataset) WHERE d.name = $dataset "
        "RETURN p.title ORDER BY p.title",
        "Papers that evaluate on a dataset (by its display name).",
        {"dataset": "MS MARCO"},
    ),
    "top_methods": (
        "MATCH (p:Paper)-[:USES]->(m:Method) "
        "RETURN m.name, COUNT(p) AS papers ORDER BY papers DESC, m.name LIMIT $limit",
        "Methods most often used: number of papers per method, most used first. "
        "Fast path: kg.analysis.top_methods(G, rel_types=['USES']).",
        {"limit": 10},
    ),
    "datasets_of_method": (
        "MATCH (m:Method)<-[:USES|PROPOSES]-(p:Paper)-[:EVALUATES_ON]->(d:Dataset) "
        "WHERE m.name = $method RETURN DISTINCT d.name ORDER BY d.name",
        "Datasets a method was evaluated on (2 hops: papers that use or propose the method, "
        "then the datasets those papers evaluate on).",
        {"method": "BERT"},
    ),
    "results_on_dataset": (
        "MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:ON_DATASET]->(d:Dataset) "
        "MATCH (r)-[:OF_METRIC]->(m:Metric) WHERE d.name = $dataset "
        "RETURN m.name, r.value, r.unit, p.title ORDER BY m.name, r.value DESC",
        "Metrics reported on a dataset with their values, units and papers.",
        {"dataset": "MS MARCO"},
    ),
}

def run_cypher(
    G: nx.MultiDiGraph, cypher: str, params: Mapping[str, Any] | None = None
) -> QueryResult:
    """Run a read-only Cypher query with `$params` on a graph in the schema's layout.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Nodes carry a `label` attribute and edges a `type` (the schema's layout).
    cypher : str
        The query; values belong in `params`, never in the text.
    params : mapping, optional
        `$name` values (str, int, float, bool, None or lists of those).

    Returns
    -------
    QueryResult
        Columns in RETURN order, rows of plain Python values (nodes and relationships as
        property dicts).

    Raises
    ------
    QueryError
        Unparsable query, missing parameter, a write, or a construct the embedded engine cannot run
        faithfully (see kg/cypher_dialect.py).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Method:bert", label="Method", key="bert", name="BERT")
    >>> run_cypher(G, "MATCH (m:Method) WHERE m.name = $n RETURN m.key", {"n": "BERT"}).rows
    [['bert']]
    """
    from kg.ladybug_index import query_graph

    return query_graph(G, cypher, params)


def run_example(G: nx.MultiDiGraph, name: str, **params: Any) -> QueryResult:
    """Run one of `EXAMPLE_QUERIES` by name; missing parameters take the example's values."""
    if name not in EXAMPLE_QUERIES:
        raise QueryError(f"unknown example {name!r} (choose one of {', '.join(EXAMPLE_QUERIES)})")
    cypher, _, defaults = EXAMPLE_QUERIES[name]
    return run_cypher(G, cypher, {**defaults, **params})
