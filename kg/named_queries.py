"""Canned research queries that give the same table on the networkx and the Neo4j backend.

Each `NamedQuery` carries its Cypher (what Neo4j and the embedded LadybugDB index run, values only
as `$params`) and a Python twin for a networkx graph in memory (`run_named` on a NetworkxBackend),
which walks only the edges that matter. Every ORDER BY covers all
returned columns (nulls last ascending, first descending, as in Neo4j), so both paths return the
same list; tests/kg/test_named_queries.py checks the parity against a real server.

Entity parameters are names as users type them ("ms-marco", "BERT"); `run_named` resolves them
to the list of matching entity keys with the matching of `kg.analysis.find_entities`.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import networkx as nx

from extractors.normalize import normalize_key
from kg.backends.base import GraphBackend, NotFound, QueryError, QueryResult
from kg.leaderboard import LOWER_IS_BETTER_CYPHER
from schema.graph import NodeLabel, RelType, node_id

__all__ = ["NAMED_QUERIES", "NamedQuery", "Param", "entity_matches", "run_named"]

_PAPER, _METHOD, _DATASET = NodeLabel.PAPER.value, NodeLabel.METHOD.value, NodeLabel.DATASET.value
_METRIC, _TASK, _RESULT = NodeLabel.METRIC.value, NodeLabel.TASK.value, NodeLabel.RESULT.value
#: entity parameter kind -> the label its names are looked up in
_ENTITY_KINDS = {"method": NodeLabel.METHOD, "dataset": NodeLabel.DATASET, "metric": NodeLabel.METRIC,
                 "task": NodeLabel.TASK}
_MENTIONS = {RelType.PROPOSES.value, RelType.USES.value, RelType.COMPARES_WITH.value}  # paper -> method
_BUILDS_ON = {RelType.PROPOSES.value, RelType.USES.value}
_PATH_TYPES = ("PROPOSES", "USES", "COMPARES_WITH", "EVALUATES_ON", "MEASURES", "ADDRESSES", "VARIANT_OF")
_MAX_PATH_HOPS = 8


@dataclass(frozen=True)
class Param:
    """A query parameter; `kind` drives coercion (int, float) and entity-name resolution."""

    name: str
    kind: str  # "text" | "int" | "float" | "method" | "dataset" | "metric" | "task"
    help: str
    default: Any = None  # None = required


@dataclass(frozen=True)
class NamedQuery:
    """One canned query: Cypher for Neo4j and a Python function giving the same rows on networkx."""

    name: str
    description: str
    cypher: str
    params: tuple[Param, ...]
    networkx: Callable[[nx.MultiDiGraph, dict[str, Any]], QueryResult]
    #: fixed parameters of the Cypher (not user input; still passed as $params)
    constants: Mapping[str, Any] = field(default_factory=dict)
    #: whether `kg query --named` runs the Cypher on the embedded LadybugDB index; False where the
    #: dialect layer refuses it (unbounded VARIANT_OF*0.., list comprehensions): the Python path runs
    embedded: bool = True


# -- entity names -> keys --------------------------------------------------------------------------

#: the same entity forms are normalized again on every lookup (and twice for two-method queries)
_normalized = lru_cache(maxsize=1 << 16)(normalize_key)


def entity_matches(text: str, key: Any, name: Any, aliases: Iterable[Any] | None) -> bool:
    """Whether a typed name denotes an entity: `find_entities`' rule (key, name or an alias equal
    ignoring case, or equal after `normalize_key`), usable on rows fetched from any backend."""
    wanted = {text.casefold().strip(), _normalized(text)}
    forms = [f for f in (key, name, *(aliases or ())) if isinstance(f, str) and f]
    return any(f.casefold() in wanted or _normalized(f) in wanted for f in forms)


def _candidates(backend: GraphBackend, label: NodeLabel) -> list[tuple[Any, Any, Any]]:
    """(key, name, aliases) of every entity of a label: from the nodes, or one Cypher query."""
    from kg.backends.networkx_backend import NetworkxBackend

    if isinstance(backend, NetworkxBackend):
        return [(d.get("key"), d.get("name"), d.get("aliases"))
                for _, d in backend.to_networkx().nodes(data=True) if d.get("label") == label.value]
    result = backend.query(f"MATCH (n:{label.value}) RETURN n.key AS key, n.name AS name, n.aliases AS aliases")
    return [tuple(row) for row in result.rows]


def _resolve(text: str, kind: str, candidates: list[tuple[Any, Any, Any]]) -> list[str]:
    """Sorted keys of the entities `text` names, or a QueryError suggesting close names."""
    keys = sorted({key for key, name, aliases in candidates if entity_matches(text, key, name, aliases)})
    if keys:
        return keys
    names = {str(n).casefold(): str(n) for key, name, _ in candidates for n in (key, name) if n}
    close = difflib.get_close_matches(text.casefold(), sorted(names), n=3)
    hint = f" (did you mean {', '.join(repr(names[c]) for c in close)}?)" if close else ""
    raise NotFound(f"no {kind} matches {text!r}{hint}")


# -- the networkx paths ----------------------------------------------------------------------------

def _label(G: nx.MultiDiGraph, node: Any) -> Any:
    return G.nodes[node].get("label")


def _nodes(G: nx.MultiDiGraph, label: str, keys: Iterable[str]) -> list[str]:
    return [n for n in (node_id(label, k) for k in keys) if n in G]


def _sort_key(row: Iterable[Any], desc: Iterable[int] = ()) -> tuple:
    """Neo4j's ORDER BY on Python values: nulls last ascending and first descending; `desc` holds
    the (numeric) columns sorted descending."""
    key = []
    for i, v in enumerate(row):
        if i in desc:
            key.append((0, 0) if v is None else (1, -v))
        else:
            key.append((1, "") if v is None else (0, v))
    return tuple(key)


def _ordered(columns: list[str], rows: Iterable[list[Any]], order: list[int], desc: tuple[int, ...] = (),
             limit: int | None = None) -> QueryResult:
    """Rows sorted by the columns `order` (indexes), `desc` ones descending, then cut at `limit`."""
    positions = [order.index(i) for i in desc]
    out = sorted(rows, key=lambda r: _sort_key([r[i] for i in order], positions))
    return QueryResult(columns=columns, rows=out if limit is None else out[:limit])


def _papers_linked(G: nx.MultiDiGraph, nodes: Iterable[Any], types: set[str]) -> set[Any]:
    """Papers with a relationship of `types` to any of `nodes`."""
    return {u for n in nodes for u, _, t in G.in_edges(n, data="type")
            if t in types and _label(G, u) == _PAPER}


def _count_linked(G: nx.MultiDiGraph, papers: Iterable[Any], types: set[str], label: str,
                  skip: Iterable[Any] = ()) -> dict[Any, set[Any]]:
    """Entity (of `label`, not in `skip`) -> the papers of `papers` linked to it by `types`."""
    skip, out = set(skip), defaultdict(set)
    for p in papers:
        for _, v, t in G.out_edges(p, data="type"):
            if t in types and v not in skip and _label(G, v) == label:
                out[v].add(p)
    return out


def _counted(G: nx.MultiDiGraph, column: str, papers: Mapping[Any, set[Any]], limit: int | None = None) -> QueryResult:
    rows = [[G.nodes[n].get("name"), G.nodes[n].get("key"), len(ps)] for n, ps in papers.items()]
    return _ordered([column, "key", "papers"], rows, [2, 0, 1], desc=(2,), limit=limit)


def _top(label: str, column: str, types: set[str]) -> Callable[[nx.MultiDiGraph, dict[str, Any]], QueryResult]:
    def run(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
        papers: dict[Any, set[Any]] = defaultdict(set)
        for u, v, t in G.edges(data="type"):
            if t in types and _label(G, v) == label and _label(G, u) == _PAPER:
                papers[v].add(u)
        return _counted(G, column, papers, params["limit"])
    return run


def _papers_on_dataset(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    papers = set()
    for d in _nodes(G, _DATASET, params["dataset"]):
        for u, _, t in G.in_edges(d, data="type"):
            if t == RelType.EVALUATES_ON and _label(G, u) == _PAPER:
                papers.add(u)
            elif t == RelType.ON_DATASET and _label(G, u) == _RESULT:
                papers |= _papers_linked(G, [u], {RelType.REPORTS.value})
    rows = [[G.nodes[p].get(k) for k in ("id", "title", "year")] for p in papers]
    rows.sort(key=lambda r: (r[2] is None, *_sort_key([r[2], r[0], r[1]], [0])))  # undated papers last
    return QueryResult(columns=["id", "title", "year"], rows=rows)


def _datasets_of_method(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    papers = _papers_linked(G, _nodes(G, _METHOD, params["method"]), _BUILDS_ON)
    return _counted(G, "dataset", _count_linked(G, papers, {RelType.EVALUATES_ON.value}, _DATASET))


def _leaderboard(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    """`kg leaderboard`'s rows (kg.leaderboard.rank_results): variants count, deltas are left out."""
    from kg.leaderboard import _with_variants, rank_results

    targets = _with_variants(G, _nodes(G, _DATASET, params["dataset"]))
    rows = [[r.dataset, r.metric, r.value, r.unit, r.method, r.paper_title] for r in rank_results(G, targets)]
    return QueryResult(columns=["dataset", "metric", "value", "unit", "method", "paper"], rows=rows)


def _methods_proposed(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    rows = {(G.nodes[u].get("title"), G.nodes[v].get("name")) for u, v, t in G.edges(data="type")
            if t == RelType.PROPOSES and _label(G, u) == _PAPER and _label(G, v) == _METHOD}
    return _ordered(["paper", "method"], [list(r) for r in rows], [0, 1], limit=params["limit"])


def _variants_of(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    """Breadth-first over VARIANT_OF edges backwards: the shortest chain is the minimal path length."""
    targets = set(_nodes(G, _METHOD, params["method"]))
    hops: dict[Any, int] = {}
    seen, frontier = set(targets), set(targets)
    for depth in range(1, 4):
        frontier = {u for n in frontier for u, _, t in G.in_edges(n, data="type") if t == RelType.VARIANT_OF} - seen
        seen |= frontier
        hops.update((u, depth) for u in frontier if _label(G, u) == _METHOD)
    rows = [[G.nodes[v].get("name"), G.nodes[v].get("key"), h] for v, h in hops.items()]
    return _ordered(["variant", "key", "hops"], rows, [2, 0, 1])


def _co_used_methods(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    methods = _nodes(G, _METHOD, params["method"])
    shared = _count_linked(G, _papers_linked(G, methods, _MENTIONS), _MENTIONS, _METHOD, skip=methods)
    return _counted(G, "method", shared, params["limit"])


def _tasks_with_dataset(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    papers = _papers_linked(G, _nodes(G, _DATASET, params["dataset"]), {RelType.EVALUATES_ON.value})
    return _counted(G, "task", _count_linked(G, papers, {RelType.ADDRESSES.value}, _TASK))


def _methods_for_task(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    papers = _papers_linked(G, _nodes(G, _TASK, params["task"]), {RelType.ADDRESSES.value})
    return _counted(G, "method", _count_linked(G, papers, _BUILDS_ON, _METHOD))


def _papers_metric_above(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    best: dict[Any, float] = {}
    for mt in _nodes(G, _METRIC, params["metric"]):
        for r, _, t in G.in_edges(mt, data="type"):
            value = G.nodes[r].get("value")
            if t != RelType.OF_METRIC or _label(G, r) != _RESULT or value is None or not value > params["threshold"]:
                continue
            for p in _papers_linked(G, [r], {RelType.REPORTS.value}):
                best[p] = max(best.get(p, value), value)
    rows = [[G.nodes[p].get("id"), G.nodes[p].get("title"), v] for p, v in best.items()]
    return _ordered(["id", "title", "best"], rows, [2, 0, 1], desc=(2,))


def _display_name(d: Mapping[str, Any]) -> Any:
    """`coalesce(n.name, n.title, n.id, n.key)`."""
    return next((d[k] for k in ("name", "title", "id", "key") if d.get(k) is not None), None)


def _shortest_connection(G: nx.MultiDiGraph, params: dict[str, Any]) -> QueryResult:
    """All shortest paths over the paper-entity relationships, direction ignored, for the closest
    (source, target) pairs; a BFS per source finds the pairs, then only their paths are listed."""
    H = nx.Graph()
    H.add_edges_from((u, v) for u, v, t in G.edges(data="type") if t in _PATH_TYPES)
    sources = [n for n in _nodes(G, _METHOD, params["source"]) if n in H]
    targets = [n for n in _nodes(G, _METHOD, params["target"]) if n in H]
    pairs: list[tuple[int, Any, Any]] = []
    for s in sources:
        dist = nx.single_source_shortest_path_length(H, s, cutoff=_MAX_PATH_HOPS)
        pairs += [(dist[t], s, t) for t in targets if t != s and t in dist]
    if not pairs:
        return QueryResult(columns=["hops", "path"], rows=[])
    best = min(p[0] for p in pairs)
    found = {tuple(_display_name(G.nodes[n]) for n in path)
             for hops, s, t in pairs if hops == best for path in nx.all_shortest_paths(H, s, t)}
    return _ordered(["hops", "path"], [[best, list(p)] for p in found], [1], limit=params["limit"])


# -- the catalogue ---------------------------------------------------------------------------------

def _count_cypher(match: str, column: str, limit: bool = False) -> str:
    """`match` binds p (papers) and e (the counted entities): count distinct papers per entity."""
    return (f"{match} RETURN e.name AS {column}, e.key AS key, count(DISTINCT p) AS papers "
            f"ORDER BY papers DESC, {column}, key" + (" LIMIT $limit" if limit else ""))


_LIMIT = Param("limit", "int", "maximum number of rows", 10)

_QUERIES = [
    NamedQuery(
        "papers_on_dataset", "Papers that evaluate on a dataset or report a result on it (newest first).",
        "MATCH (p:Paper) WHERE EXISTS { MATCH (p)-[:EVALUATES_ON]->(d:Dataset) WHERE d.key IN $dataset } "
        "OR EXISTS { MATCH (p)-[:REPORTS]->(:Result)-[:ON_DATASET]->(d:Dataset) WHERE d.key IN $dataset } "
        "RETURN p.id AS id, p.title AS title, p.year AS year ORDER BY year IS NULL, year DESC, id, title",
        (Param("dataset", "dataset", "dataset name, key or alias"),), _papers_on_dataset),
    NamedQuery(
        "top_methods", "Methods by the number of papers that propose, use or compare with them.",
        _count_cypher("MATCH (p:Paper)-[:PROPOSES|USES|COMPARES_WITH]->(e:Method)", "method", limit=True),
        (_LIMIT,), _top(_METHOD, "method", _MENTIONS)),
    NamedQuery(
        "top_datasets", "Datasets by the number of papers that evaluate on or propose them.",
        _count_cypher("MATCH (p:Paper)-[:EVALUATES_ON|PROPOSES]->(e:Dataset)", "dataset", limit=True),
        (_LIMIT,), _top(_DATASET, "dataset", {RelType.EVALUATES_ON.value, RelType.PROPOSES.value})),
    NamedQuery(
        "datasets_of_method", "Datasets evaluated on by papers that use or propose a method, with paper counts.",
        _count_cypher("MATCH (m:Method)<-[:USES|PROPOSES]-(p:Paper)-[:EVALUATES_ON]->(e:Dataset) "
                      "WHERE m.key IN $method", "dataset"),
        (Param("method", "method", "method name, key or alias"),), _datasets_of_method),
    NamedQuery(
        "leaderboard", "Scores reported on a dataset or its variants, ranked per metric as `kg leaderboard` "
        "ranks them (best first; deltas such as 'by 2.1 BLEU' left out): metric, value, unit, method, paper.",
        "MATCH (t:Dataset) WHERE t.key IN $dataset "
        "MATCH (d:Dataset)-[:VARIANT_OF*0..]->(t) WITH DISTINCT d "
        "MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:ON_DATASET]->(d) MATCH (r)-[:OF_METRIC]->(mt:Metric) "
        "WHERE NOT coalesce(r.relative, false) "
        "OPTIONAL MATCH (r)-[:FOR_METHOD]->(m:Method) "
        "WITH DISTINCT d.name AS dataset, mt.name AS metric, r.value AS value, r.unit AS unit, m.name AS method, "
        "p.title AS paper, p.id AS paper_id, mt.key AS metric_key, "
        "any(n IN [mt.name] + coalesce(mt.aliases, []) WHERE n =~ $lower_is_better) AS lower "
        "RETURN dataset, metric, value, unit, method, paper "
        "ORDER BY toLower(metric), coalesce(unit, ''), metric_key, "
        "CASE WHEN lower THEN value ELSE -value END, paper_id, coalesce(method, ''), dataset",
        (Param("dataset", "dataset", "dataset name, key or alias"),), _leaderboard,
        {"lower_is_better": LOWER_IS_BETTER_CYPHER}, embedded=False),
    NamedQuery(
        "methods_proposed", "Which paper proposes which method, one row per (paper title, method name).",
        "MATCH (p:Paper)-[:PROPOSES]->(m:Method) RETURN DISTINCT p.title AS paper, m.name AS method "
        "ORDER BY paper, method LIMIT $limit",
        (Param("limit", "int", "maximum number of rows", 1000),), _methods_proposed),
    NamedQuery(
        "variants_of", "Methods that are variants of a method (VARIANT_OF chains of up to 3 hops).",
        "MATCH path = (v:Method)-[:VARIANT_OF*1..3]->(m:Method) WHERE m.key IN $method AND NOT v.key IN $method "
        "RETURN v.name AS variant, v.key AS key, min(length(path)) AS hops ORDER BY hops, variant, key",
        (Param("method", "method", "method name, key or alias"),), _variants_of),
    NamedQuery(
        "co_used_methods", "Other methods that appear in the same papers as a method, by shared papers.",
        _count_cypher("MATCH (m:Method)<-[:PROPOSES|USES|COMPARES_WITH]-(p:Paper)"
                      "-[:PROPOSES|USES|COMPARES_WITH]->(e:Method) WHERE m.key IN $method AND NOT e.key IN $method",
                      "method", limit=True),
        (Param("method", "method", "method name, key or alias"), Param("limit", "int", "maximum number of rows", 20)),
        _co_used_methods),
    NamedQuery(
        "tasks_with_dataset", "Tasks addressed by papers that evaluate on a dataset, with paper counts.",
        _count_cypher("MATCH (d:Dataset)<-[:EVALUATES_ON]-(p:Paper)-[:ADDRESSES]->(e:Task) "
                      "WHERE d.key IN $dataset", "task"),
        (Param("dataset", "dataset", "dataset name, key or alias"),), _tasks_with_dataset),
    NamedQuery(
        "papers_metric_above", "Papers reporting a value above a threshold for a metric, with their best value.",
        "MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:OF_METRIC]->(mt:Metric) "
        "WHERE mt.key IN $metric AND r.value > $threshold "
        "RETURN p.id AS id, p.title AS title, max(r.value) AS best ORDER BY best DESC, id, title",
        (Param("metric", "metric", "metric name, key or alias"),
         Param("threshold", "float", "only values strictly above this number")), _papers_metric_above),
    NamedQuery(
        "shortest_connection", "Shortest chains of papers and entities linking two methods (up to 8 hops).",
        "MATCH (s:Method), (t:Method) WHERE s.key IN $source AND t.key IN $target AND s <> t "
        f"MATCH path = allShortestPaths((s)-[:{'|'.join(_PATH_TYPES)}*..{_MAX_PATH_HOPS}]-(t)) "
        "WITH DISTINCT length(path) AS hops, [n IN nodes(path) | coalesce(n.name, n.title, n.id, n.key)] AS names "
        "WITH min(hops) AS best, collect({hops: hops, names: names}) AS found "
        "UNWIND found AS f WITH f WHERE f.hops = best "
        "RETURN f.hops AS hops, f.names AS path ORDER BY path LIMIT $limit",
        (Param("source", "method", "method to start from"), Param("target", "method", "method to reach"), _LIMIT),
        _shortest_connection, embedded=False),
    NamedQuery(
        "methods_for_task", "Methods used or proposed by papers addressing a task, with paper counts.",
        _count_cypher("MATCH (t:Task)<-[:ADDRESSES]-(p:Paper)-[:USES|PROPOSES]->(e:Method) "
                      "WHERE t.key IN $task", "method"),
        (Param("task", "task", "task name, key or alias"),), _methods_for_task),
]

NAMED_QUERIES: dict[str, NamedQuery] = {q.name: q for q in _QUERIES}


# -- running ---------------------------------------------------------------------------------------

def _coerce(q: NamedQuery, p: Param, value: Any) -> Any:
    """int/float kinds from CLI strings or JSON numbers (ints are counts, so >= 0); names as text."""
    if p.kind not in ("int", "float"):
        if isinstance(value, (list, dict, bool)):
            raise QueryError(f"query {q.name}: --param {p.name} must be a {p.kind} name, not {value!r}")
        return str(int(value) if isinstance(value, float) and value.is_integer() else value)
    bad = QueryError(f"query {q.name}: --param {p.name} must be {'an integer' if p.kind == 'int' else 'a number'}, "
                     f"not {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise bad
    try:
        if p.kind == "float":
            number: float = float(value)
            if not math.isfinite(number):
                raise bad
            return number
        if isinstance(value, float) and not value.is_integer():
            raise bad
        count = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise bad from None
    if count < 0:
        raise QueryError(f"query {q.name}: --param {p.name} must not be negative, not {count}")
    return count


def run_named(backend: GraphBackend, name: str, params: Mapping[str, Any] | None = None,
              timeout: float | None = None) -> QueryResult:
    """Run a named query: check and coerce the parameters, resolve entity names to keys, then use
    the Python path on the networkx backend and the Cypher on any other (with the server-side
    `timeout` in seconds, when given).

    Raises
    ------
    QueryError
        Unknown query or parameter, a missing or malformed value, or a name no entity has.
    """
    from kg.backends.networkx_backend import NetworkxBackend

    q = NAMED_QUERIES.get(name)
    if q is None:
        raise NotFound(f"unknown named query {name!r}; available: {', '.join(sorted(NAMED_QUERIES))}")
    given = dict(params or {})
    known = {p.name for p in q.params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise QueryError(f"query {q.name} has no parameter {unknown[0]!r}; "
                         f"its parameters: {', '.join(p.name for p in q.params)}")
    values: dict[str, Any] = {}
    candidates: dict[NodeLabel, list[tuple[Any, Any, Any]]] = {}
    for p in q.params:
        value = given.get(p.name)
        if value is None:
            value = p.default
        if value is None:
            raise QueryError(f"query {q.name} needs --param {p.name}=... ({p.help})")
        value = _coerce(q, p, value)
        if p.kind in _ENTITY_KINDS:
            label = _ENTITY_KINDS[p.kind]
            if label not in candidates:
                candidates[label] = _candidates(backend, label)
            value = _resolve(value, p.kind, candidates[label])
        values[p.name] = value
    if isinstance(backend, NetworkxBackend):
        return q.networkx(backend.to_networkx(), values)
    if timeout:
        return backend.query(q.cypher, {**values, **q.constants}, timeout=timeout)  # type: ignore[call-arg]
    return backend.query(q.cypher, {**values, **q.constants})
