"""Answer common questions about a paper graph in plain Python (fast at any graph size).

These work on the networkx layout of the schema (`load_graph` or `backend.to_networkx()`).
Counting here is over distinct papers and visits each edge once, where the equivalent Cypher
on grand-cypher is much slower (DESIGN.md); tests check both give the same answers.

Examples
--------
>>> from kg.backends.networkx_backend import NetworkxBackend
>>> from kg.builder import build_batch
>>> from schema import Entity, Extraction, Paper
>>> bert = Entity(label="METHOD", name="BERT", key="bert", text="BERT", role="used",
...               confidence=0.9)
>>> backend = NetworkxBackend()
>>> _ = backend.upsert(build_batch([(Paper(id="p1", title="T", abstract="A"),
...                                  Extraction(id="p1", title="T", entities=[bert]))]))
>>> top_methods(backend.to_networkx())
[('BERT', 1)]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from schema.graph import NodeLabel, RelType

__all__ = [
    "cooccurrence", "entity_neighbors", "find_entities", "load_graph", "papers_of",
    "results_for", "top_datasets", "top_entities", "top_methods",
]

_PAPER = NodeLabel.PAPER.value


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph saved by the networkx backend (.graphml or .json, optionally .gz).

    Raises
    ------
    kg.backends.GraphFileError
        The file is missing or not a readable graph.
    """
    from kg.backends.networkx_backend import read_graph_file

    return read_graph_file(path)


def _display(G: nx.MultiDiGraph, node: Any) -> str:
    d = G.nodes[node]
    return str(d.get("name") or d.get("title") or d.get("key") or d.get("id") or node)


def _papers_by_entity(
    G: nx.MultiDiGraph, label: str, rel_types: Iterable[str] | None = None
) -> dict[Any, set[Any]]:
    """Entity node -> the papers linked to it (by any of `rel_types`, default all)."""
    types = {str(t) for t in rel_types} if rel_types is not None else None
    out: dict[Any, set[Any]] = defaultdict(set)
    for paper, node, d in G.edges(data=True):
        if (types is None or d.get("type") in types) and G.nodes[node].get("label") == label \
                and G.nodes[paper].get("label") == _PAPER:
            out[node].add(paper)
    return out


def top_entities(
    G: nx.MultiDiGraph,
    label: str = "Method",
    n: int | None = 10,
    rel_types: Iterable[str] | None = None,
) -> list[tuple[str, int]]:
    """The entities of a label linked to the most papers.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph.
    label : str
        Node label: "Method", "Dataset", "Metric" or "Task".
    n : int or None
        How many to return (None: all).
    rel_types : iterable of str, optional
        Only count these relationship types (e.g. ["USES"]); default: any Paper -> entity edge.

    Returns
    -------
    list of (name, paper_count)
        Most papers first, ties by name.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Paper:p1", label="Paper")
    >>> G.add_node("Method:bert", label="Method", name="BERT")
    >>> G.add_edge("Paper:p1", "Method:bert", key="USES", type="USES")
    'USES'
    >>> top_entities(G, "Method")
    [('BERT', 1)]
    """
    counts = [(_display(G, node), len(papers))
              for node, papers in _papers_by_entity(G, label, rel_types).items()]
    counts.sort(key=lambda item: (-item[1], item[0]))
    return counts if n is None else counts[:n]


def top_methods(
    G: nx.MultiDiGraph, n: int | None = 10, rel_types: Iterable[str] | None = None
) -> list[tuple[str, int]]:
    """`top_entities` for methods; `rel_types=["USES"]` answers "most used"."""
    return top_entities(G, NodeLabel.METHOD.value, n, rel_types)


def top_datasets(
    G: nx.MultiDiGraph, n: int | None = 10, rel_types: Iterable[str] | None = None
) -> list[tuple[str, int]]:
    """`top_entities` for datasets (papers that evaluate on or propose them)."""
    return top_entities(G, NodeLabel.DATASET.value, n, rel_types)


def cooccurrence(
    G: nx.MultiDiGraph, a: str = "Method", b: str = "Dataset", min_papers: int = 1
) -> list[tuple[str, str, int]]:
    """Pairs of entities (label `a`, label `b`) that appear in the same papers.

    Returns
    -------
    list of (a_name, b_name, n_papers)
        Pairs found in at least `min_papers` papers, most papers first, then by names.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Paper:p1", label="Paper")
    >>> G.add_node("Method:bert", label="Method", name="BERT")
    >>> G.add_node("Dataset:squad", label="Dataset", name="SQuAD")
    >>> _ = G.add_edge("Paper:p1", "Method:bert", key="USES", type="USES")
    >>> _ = G.add_edge("Paper:p1", "Dataset:squad", key="EVALUATES_ON", type="EVALUATES_ON")
    >>> cooccurrence(G)
    [('BERT', 'SQuAD', 1)]
    """
    by_paper: dict[Any, dict[str, set[Any]]] = defaultdict(lambda: {a: set(), b: set()})
    for label in {a, b}:
        for node, papers in _papers_by_entity(G, label).items():
            for paper in papers:
                by_paper[paper][label].add(node)
    pairs: Counter[tuple[Any, Any]] = Counter()
    for groups in by_paper.values():
        pairs.update((x, y) for x in groups[a] for y in groups[b] if x != y)
    out = [(_display(G, x), _display(G, y), k) for (x, y), k in pairs.items() if k >= min_papers]
    out.sort(key=lambda item: (-item[2], item[0], item[1]))
    return out


def find_entities(G: nx.MultiDiGraph, name_or_key: str, label: str | None = None) -> list[Any]:
    """Entity nodes whose key, name or alias equals `name_or_key` (case-insensitive)."""
    wanted = name_or_key.casefold().strip()
    found = []
    for node, d in G.nodes(data=True):
        kind = d.get("label")
        if kind in (_PAPER, NodeLabel.RESULT.value) or (label and kind != label):
            continue
        forms = [d.get("key"), d.get("name"), *(d.get("aliases") or [])]
        if any(isinstance(f, str) and f.casefold() == wanted for f in forms):
            found.append(node)
    return sorted(found)


def papers_of(G: nx.MultiDiGraph, name_or_key: str, label: str | None = None) -> list[dict]:
    """Papers linked to an entity, with the relationship (PROPOSES, USES, ...).

    Returns
    -------
    list of dict
        {"id", "title", "year", "rel", "entity", "label", "confidence", "evidence"}, ordered
        by paper id then relationship.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Paper:p1", label="Paper", id="p1", title="T")
    >>> G.add_node("Method:bert", label="Method", key="bert", name="BERT")
    >>> _ = G.add_edge("Paper:p1", "Method:bert", key="USES", type="USES", confidence=0.9)
    >>> [(p["id"], p["rel"]) for p in papers_of(G, "bert")]
    [('p1', 'USES')]
    """
    rows = []
    for node in find_entities(G, name_or_key, label):
        for paper, _, d in G.in_edges(node, data=True):
            p = G.nodes[paper]
            if p.get("label") != _PAPER:
                continue
            rows.append({
                "id": p.get("id", paper), "title": p.get("title"), "year": p.get("year"),
                "rel": d.get("type"), "entity": _display(G, node),
                "label": G.nodes[node].get("label"), "confidence": d.get("confidence"),
                "evidence": d.get("evidence"),
            })
    rows.sort(key=lambda r: (str(r["id"]), str(r["rel"]), str(r["entity"])))
    return rows


def entity_neighbors(
    G: nx.MultiDiGraph, name_or_key: str, label: str | None = None, n: int | None = 10
) -> list[tuple[str, str, int]]:
    """Other entities that share papers with an entity: (label, name, shared papers)."""
    papers = {p for node in find_entities(G, name_or_key, label)
              for p, _ in G.in_edges(node) if G.nodes[p].get("label") == _PAPER}
    targets = set(find_entities(G, name_or_key, label))
    shared: Counter[Any] = Counter()
    for paper in papers:
        linked = {v for _, v in G.out_edges(paper)}
        shared.update(v for v in linked
                      if v not in targets and G.nodes[v].get("label") != NodeLabel.RESULT.value)
    out = [(G.nodes[v].get("label", ""), _display(G, v), k) for v, k in shared.items()]
    out.sort(key=lambda item: (-item[2], item[0], item[1]))
    return out if n is None else out[:n]


def results_for(
    G: nx.MultiDiGraph,
    dataset: str | None = None,
    metric: str | None = None,
    method: str | None = None,
) -> list[dict]:
    """Reported numbers, optionally filtered by dataset, metric and method (name, key or alias).

    Returns
    -------
    list of dict
        {"paper", "title", "metric", "value", "unit", "dataset", "method", "text"}, ordered by
        metric, then value (highest first).
    """
    wanted = {
        RelType.ON_DATASET.value: set(find_entities(G, dataset, "Dataset")) if dataset else None,
        RelType.OF_METRIC.value: set(find_entities(G, metric, "Metric")) if metric else None,
        RelType.FOR_METHOD.value: set(find_entities(G, method, "Method")) if method else None,
    }
    rows = []
    for node, d in G.nodes(data=True):
        if d.get("label") != NodeLabel.RESULT.value:
            continue
        links = {e.get("type"): v for _, v, e in G.out_edges(node, data=True)}
        if any(nodes is not None and links.get(t) not in nodes for t, nodes in wanted.items()):
            continue
        papers = [p for p, _, e in G.in_edges(node, data=True)
                  if e.get("type") == RelType.REPORTS.value]
        paper = G.nodes[papers[0]] if papers else {}

        def name(rel: str, links: dict = links) -> str | None:
            return _display(G, links[rel]) if rel in links else None

        rows.append({
            "paper": paper.get("id"), "title": paper.get("title"),
            "metric": name(RelType.OF_METRIC.value), "value": d.get("value"),
            "unit": d.get("unit"), "dataset": name(RelType.ON_DATASET.value),
            "method": name(RelType.FOR_METHOD.value), "text": d.get("text"),
        })
    rows.sort(key=lambda r: (str(r["metric"]), -(r["value"] or 0), str(r["paper"])))
    return rows
