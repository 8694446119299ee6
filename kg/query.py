"""Read-only Cypher over a networkx graph, through grand-cypher 1.2.

What the embedded engine runs (found by experiment, see tests/kg/test_query.py): one or more
MATCH clauses, WHERE (=, <>, <, >, IN [...], STARTS WITH, CONTAINS, IS NULL, AND/OR/NOT,
EXISTS {...}), RETURN [DISTINCT] with aliases, COUNT/SUM/AVG/MIN/MAX/COLLECT grouped by the
other returned values, ORDER BY (aliases and aggregates too), SKIP, LIMIT, label and type
alternatives (`:USES|PROPOSES`), variable-length paths (`-[:USES*1..2]->`), and the functions
id, type, size, toLower, toUpper, trim, coalesce. Every parallel edge is its own match.

Not supported (a `QueryError` names them): writes, OPTIONAL MATCH, WITH, UNWIND, CALL, UNION,
CASE, comma-separated patterns (use a second MATCH), COUNT(*), COUNT(DISTINCT x), RETURN *,
RETURN DISTINCT with an aggregation. `kg.cypher_params` adapts the rest of portable Cypher:
`$params`, single-quoted strings, lower-case `count(`, comments.

grand-cypher 1.2 drops every row of a query whose WHERE pins both ends of an edge on a
MultiDiGraph keyed by anything but 0; queries run on a view that fixes this (`_EngineGraph`).

Aggregations visit every matching edge (about 4 s for 40k edges); `kg.analysis` has fast
Python equivalents of the aggregating examples below, tested to give the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import networkx as nx
from grandcypher import GrandCypher
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from networkx.classes.reportviews import OutMultiEdgeView

from kg.backends.base import QueryError, QueryResult
from kg.cypher_params import Prepared, line_col, prepare_for_grand_cypher, split_segments
from kg.query_text import with_columns_as_written

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

_RETURN_END = re.compile(r"(?<![\w.])(?:ORDER\s+BY|SKIP|LIMIT)(?!\w)", re.I)
_RETURN_START = re.compile(r"(?<![\w.])RETURN(?:\s+DISTINCT)?(?!\w)", re.I)
_ALIAS = re.compile(r"\s+AS\s+(\w+)\s*$", re.I)
_AGGREGATE_ITEM = re.compile(r"^(COUNT|SUM|AVG|MIN|MAX|COLLECT)\s*\(", re.I)
_EMPTY_AGGREGATE = {"COUNT": 0, "SUM": 0, "COLLECT": []}


def _top_level_return_items(text: str) -> list[str]:
    """The RETURN items of the outer query, as written (one string per column)."""
    masked = "".join(
        seg.text if seg.kind == "code" else seg.text[0] + "_" * (len(seg.text) - 2) + seg.text[-1]
        for seg in split_segments(text)
    )
    start = None
    depth = 0
    for i, ch in enumerate(masked):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and (m := _RETURN_START.match(masked, i)):
            start = m.end()
    if start is None:
        return []
    end_m = _RETURN_END.search(masked, start)
    end = end_m.start() if end_m else len(masked)
    items, depth, item_start = [], 0, start
    for i in range(start, end):
        ch = masked[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[item_start:i])
            item_start = i + 1
    items.append(text[item_start:end])
    return [" ".join(item.split()) for item in items if item.strip()]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _plain(value: Any) -> Any:
    """Plain Python for a grand-cypher value: node/edge dicts without dunder attributes."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, str):
        return str(value)  # lark Tokens are str subclasses
    return value


def _to_result(raw: Mapping[Any, list[Any]], items: list[str]) -> QueryResult:
    """Columns in RETURN order (grand-cypher puts aggregates and functions elsewhere)."""
    keys = {_norm(str(k)): k for k in raw}
    plan: list[tuple[str, Any]] = []
    for item in items:
        alias = _ALIAS.search(item)
        column = alias.group(1) if alias else item
        plan.append((column, keys.get(_norm(column if alias else item))))
    used = {key for _, key in plan}
    leftover = [k for k in raw if k not in used]
    if not items:  # could not read the RETURN clause: keep grand-cypher's order
        plan = [(str(k), k) for k in raw]
    columns: list[str] = []
    values: list[list[Any]] = []
    for column, key in plan:
        if key is None and leftover:
            key = leftover.pop(0)
        columns.append(column)
        values.append(raw[key] if key is not None else [])
    n_rows = max((len(v) for v in values), default=0)
    if n_rows == 0 and items and all(_AGGREGATE_ITEM.match(_ALIAS.sub("", i)) for i in items):
        # Cypher returns one row for an aggregation over nothing (COUNT -> 0)
        row = [_EMPTY_AGGREGATE.get(_AGGREGATE_ITEM.match(i).group(1).upper()) for i in items]
        return QueryResult(columns=columns, rows=[row])
    rows = [[_plain(col[i]) if i < len(col) else None for col in values] for i in range(n_rows)]
    return QueryResult(columns=columns, rows=rows)


class _AnyKeyEdgeView(OutMultiEdgeView):
    """Edge view where `(u, v) in edges` means "some edge u -> v", whatever its key."""

    __slots__ = ()

    def __contains__(self, e: Any) -> bool:
        if len(e) == 2:
            return self._graph.has_edge(*e)
        return super().__contains__(e)


class _EngineGraph(nx.MultiDiGraph):
    """MultiDiGraph whose edge view works around a grand-cypher 1.2 bug.

    grand-cypher checks hinted matches with `(u, v) in host.edges`, which on a MultiDiGraph
    asks for the edge with key 0. Our edges are keyed by type, so every query whose WHERE pins
    both ends of an edge (p.id = ... AND m.key = ...) silently returned no rows.
    """

    @cached_property
    def edges(self) -> _AnyKeyEdgeView:  # type: ignore[override]
        return _AnyKeyEdgeView(self)


def _engine_view(G: nx.Graph) -> nx.Graph:
    """A read-only, zero-copy view of G for grand-cypher (see `_EngineGraph`)."""
    if isinstance(G, nx.MultiDiGraph):
        return nx.graphviews.generic_graph_view(G, _EngineGraph)
    return G


def _parse_error(exc: UnexpectedInput, cypher: str, prepared: Prepared) -> QueryError:
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        return QueryError("cannot parse query: it ends too early (is RETURN missing?)")
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None and isinstance(exc, UnexpectedToken):
        pos = exc.token.start_pos
    original = prepared.original_pos(pos or 0)
    near = re.match(r"\w+|\S", cypher[original:])
    token = near.group(0) if near else (exc.char if isinstance(exc, UnexpectedCharacters) else "")
    line, col = line_col(cypher, original)
    return QueryError(f"cannot parse query near {token!r} (line {line}, col {col})")


def run_cypher(
    G: nx.MultiDiGraph, cypher: str, params: Mapping[str, Any] | None = None
) -> QueryResult:
    """Run a read-only Cypher query with `$params` on a graph in the schema's layout.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Nodes and edges need `__labels__` sets (the networkx backend keeps them).
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
        Unparsable query, missing parameter, or a construct the embedded engine cannot run.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Method:bert", label="Method", key="bert", name="BERT", __labels__={"Method"})
    >>> run_cypher(G, "MATCH (m:Method) WHERE m.name = $n RETURN m.key", {"n": "BERT"}).rows
    [['bert']]
    """
    prepared = prepare_for_grand_cypher(cypher, params)
    try:
        raw = GrandCypher(_engine_view(G)).run(prepared.text)
    except UnexpectedInput as exc:
        raise _parse_error(exc, cypher, prepared) from exc
    except (NotImplementedError, TypeError, ValueError, KeyError, AttributeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise QueryError(f"the embedded engine cannot run this query: {reason}") from exc
    # grand-cypher names columns after the rendered text (COUNT(p), literals for $params)
    return with_columns_as_written(_to_result(raw, _top_level_return_items(prepared.text)), cypher)


def run_example(G: nx.MultiDiGraph, name: str, **params: Any) -> QueryResult:
    """Run one of `EXAMPLE_QUERIES` by name; missing parameters take the example's values."""
    if name not in EXAMPLE_QUERIES:
        raise QueryError(f"unknown example {name!r} (choose one of {', '.join(EXAMPLE_QUERIES)})")
    cypher, _, defaults = EXAMPLE_QUERIES[name]
    return run_cypher(G, cypher, {**defaults, **params})
