"""Answer common questions about a paper graph in plain Python (fast at any graph size).

These work on the networkx layout of the schema (`load_graph` or `backend.to_networkx()`).
Counting here is over distinct papers and visits each edge once, where the equivalent Cypher
on a graph in memory would first load it into a query engine; tests check both give the same answers.

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

from extractors.normalize import normalize_key
from schema.graph import NodeLabel, RelType

__all__ = [
    "cooccurrence", "entity_neighbors", "find_entities", "leaderboards", "load_graph",
    "method_communities", "method_cousage_graph", "method_dataset_matrix", "method_pagerank",
    "paper_year", "papers_of", "results_for", "top_datasets", "top_entities", "top_methods", "yearly_trends",
]

_PAPER = NodeLabel.PAPER.value
_METHOD = NodeLabel.METHOD.value
_DATASET = NodeLabel.DATASET.value


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
    """Entity nodes whose key, name or alias matches `name_or_key`, ignoring case and the spelling
    differences keys ignore ("MS-MARCO" finds "MS MARCO"); the one lookup every command uses."""
    wanted = {name_or_key.casefold().strip(), normalize_key(name_or_key)}
    found = []
    for node, d in G.nodes(data=True):
        kind = d.get("label")
        if kind in (_PAPER, NodeLabel.RESULT.value) or (label and kind != label):
            continue
        forms = [f for f in (d.get("key"), d.get("name"), *(d.get("aliases") or [])) if isinstance(f, str) and f]
        if not wanted.isdisjoint({g for f in forms for g in (f.casefold(), normalize_key(f))}):
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


# --- researcher's analyses: matrices, co-usage, communities, centrality, trends, leaderboards --------


def method_dataset_matrix(
    G: nx.MultiDiGraph, top_methods: int = 15, top_datasets: int = 10
) -> tuple[list[str], list[str], list[list[int]]]:
    """How many papers link each method to each dataset (the data of a heat map).

    The columns are the `top_datasets` datasets with the most papers. The rows are the
    `top_methods` methods linked to the most papers *that also link one of those datasets*
    (ties by total papers, then name), so no row of the heat map is empty only because the
    method is popular in papers without a dataset.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph.
    top_methods, top_datasets : int
        Number of rows and columns at most.

    Returns
    -------
    methods : list of str
        Row names.
    datasets : list of str
        Column names, most papers first.
    counts : list of list of int
        ``counts[i][j]`` = papers linking ``methods[i]`` and ``datasets[j]`` (any relationship).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from(["Paper:p1", "Paper:p2"], label="Paper")
    >>> G.add_node("Method:bert", label="Method", name="BERT")
    >>> G.add_node("Dataset:squad", label="Dataset", name="SQuAD")
    >>> G.add_node("Dataset:glue", label="Dataset", name="GLUE")
    >>> _ = G.add_edges_from([("Paper:p1", "Method:bert", {"type": "USES"}),
    ...                       ("Paper:p2", "Method:bert", {"type": "USES"}),
    ...                       ("Paper:p1", "Dataset:squad", {"type": "EVALUATES_ON"}),
    ...                       ("Paper:p2", "Dataset:squad", {"type": "EVALUATES_ON"}),
    ...                       ("Paper:p2", "Dataset:glue", {"type": "EVALUATES_ON"})])
    >>> method_dataset_matrix(G)
    (['BERT'], ['SQuAD', 'GLUE'], [[2, 1]])
    """
    datasets = sorted(_papers_by_entity(G, _DATASET).items(),
                      key=lambda item: (-len(item[1]), _display(G, item[0])))[:top_datasets]
    with_dataset = set().union(*(papers for _, papers in datasets)) if datasets else set()
    rows = []
    for node, papers in _papers_by_entity(G, _METHOD).items():
        shared = papers & with_dataset
        if shared:
            rows.append((-len(shared), -len(papers), _display(G, node), papers))
    rows.sort(key=lambda r: r[:3])
    rows = rows[:top_methods]
    counts = [[len(papers & d_papers) for _, d_papers in datasets] for *_, papers in rows]
    return [r[2] for r in rows], [_display(G, d) for d, _ in datasets], counts


def _method_papers_by_name(G: nx.MultiDiGraph) -> dict[str, set[Any]]:
    """Method display name -> its papers (nodes sharing a display name are counted as one)."""
    out: dict[str, set[Any]] = defaultdict(set)
    for node, papers in _papers_by_entity(G, _METHOD).items():
        out[_display(G, node)] |= papers
    return out


def method_cousage_graph(G: nx.MultiDiGraph, min_papers: int = 2) -> nx.Graph:
    """Methods linked when the same papers propose, use or compare with both.

    This is the method side of the paper-method bipartite graph (a weighted projection).
    Nodes are method names with attribute ``papers`` (papers linked to the method); an edge's
    ``weight`` is the number of papers linking both methods. Only edges in at least
    `min_papers` papers are kept, and only methods with a kept edge. Nodes and edges are added
    in sorted order, so seeded algorithms (Louvain, layouts) give the same answer every run.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph.
    min_papers : int
        Keep co-usage seen in at least this many papers (2 drops one-off pairs).

    Returns
    -------
    networkx.Graph

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from(["Paper:p1", "Paper:p2"], label="Paper")
    >>> G.add_node("Method:a", label="Method", name="A")
    >>> G.add_node("Method:b", label="Method", name="B")
    >>> _ = G.add_edges_from([(p, m, {"type": "USES"}) for p in ("Paper:p1", "Paper:p2")
    ...                       for m in ("Method:a", "Method:b")])
    >>> H = method_cousage_graph(G)
    >>> list(H.edges(data="weight")), H.nodes["A"]["papers"]
    ([('A', 'B', 2)], 2)
    """
    by_name = _method_papers_by_name(G)
    by_paper: dict[Any, set[str]] = defaultdict(set)
    for name, papers in by_name.items():
        for paper in papers:
            by_paper[paper].add(name)
    pairs: Counter[tuple[str, str]] = Counter()
    for names in by_paper.values():
        ordered = sorted(names)
        pairs.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1:])
    kept = sorted((x, y, k) for (x, y), k in pairs.items() if k >= min_papers)
    H = nx.Graph()
    for name in sorted({n for x, y, _ in kept for n in (x, y)}):
        H.add_node(name, papers=len(by_name[name]))
    H.add_weighted_edges_from(kept)
    return H


def _as_cousage(G: nx.Graph, min_papers: int) -> nx.Graph:
    """A co-usage graph as is, or the co-usage graph of a paper graph."""
    is_paper_graph = G.is_directed() or any("label" in d for _, d in G.nodes(data=True))
    return method_cousage_graph(G, min_papers) if is_paper_graph else G


def method_communities(G: nx.Graph, seed: int = 0, min_papers: int = 2) -> list[set[str]]:
    """Groups of methods used together more than with the rest (Louvain, fixed seed).

    Parameters
    ----------
    G : networkx.MultiDiGraph or networkx.Graph
        A paper graph (its `method_cousage_graph` with `min_papers` is built) or a co-usage
        graph already built.
    seed : int
        Seed of the Louvain heuristic: the same graph and seed give the same communities.
    min_papers : int
        Passed to `method_cousage_graph` when `G` is a paper graph.

    Returns
    -------
    list of set of str
        Method names per community, largest community first (ties by their first name).

    Examples
    --------
    >>> H = nx.Graph([("A", "B"), ("B", "C"), ("A", "C"), ("X", "Y"), ("Y", "Z"), ("X", "Z"),
    ...               ("C", "X")])
    >>> [sorted(c) for c in method_communities(H)]
    [['A', 'B', 'C'], ['X', 'Y', 'Z']]
    """
    H = _as_cousage(G, min_papers)
    if H.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(H, weight="weight", seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def method_pagerank(
    G: nx.Graph, n: int | None = 20, min_papers: int = 1, alpha: float = 0.85
) -> list[tuple[str, float]]:
    """Methods ranked by PageRank on the weighted co-usage graph.

    Why the co-usage graph and not the paper-method bipartite graph: on the bipartite graph
    half the rank sits on papers and a method's score mostly repeats its paper count, which
    `top_methods` already gives. On the co-usage graph (methods only, edge weight = shared
    papers) a method ranks high when it is used alongside many methods that are themselves
    central: the hubs that connect sub-fields, not just the frequent names. `min_papers`
    defaults to 1 so that every co-usage counts.

    Parameters
    ----------
    G : networkx.MultiDiGraph or networkx.Graph
        A paper graph, or a co-usage graph from `method_cousage_graph`.
    n : int or None
        How many to return (None: all).
    min_papers : int
        Passed to `method_cousage_graph` when `G` is a paper graph.
    alpha : float
        Damping factor.

    Returns
    -------
    list of (name, score)
        Highest score first, ties by name; scores over all methods sum to 1.

    Examples
    --------
    >>> H = nx.Graph([("hub", "a"), ("hub", "b"), ("hub", "c")])
    >>> [name for name, _ in method_pagerank(H, n=2)]
    ['hub', 'a']
    """
    H = _as_cousage(G, min_papers)
    if H.number_of_nodes() == 0:
        return []
    scores = _pagerank(H, alpha)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked if n is None else ranked[:n]


def _pagerank(H: nx.Graph, alpha: float, tol: float = 1e-12, max_iter: int = 500) -> dict[Any, float]:
    """Weighted PageRank by power iteration (networkx's own needs scipy, not a dependency here).

    Uniform teleport; a node without edges spreads its rank over all nodes, as in networkx.
    """
    nodes = list(H)
    size = len(nodes)
    strength = {u: sum(d.get("weight", 1) for _, _, d in H.edges(u, data=True)) for u in nodes}
    rank = dict.fromkeys(nodes, 1.0 / size)
    for _ in range(max_iter):
        dangling = sum(rank[u] for u in nodes if not strength[u])
        base = (1.0 - alpha + alpha * dangling) / size
        new = dict.fromkeys(nodes, base)
        for u in nodes:
            if strength[u]:
                share = alpha * rank[u] / strength[u]
                for _, v, d in H.edges(u, data=True):
                    new[v] += share * d.get("weight", 1)
        delta = sum(abs(new[u] - rank[u]) for u in nodes)
        rank = new
        if delta < size * tol:
            break
    return rank


def paper_year(value: Any) -> int | None:
    """A paper's `year` attribute as a positive int, or None (missing, empty or not a number).

    Examples
    --------
    >>> paper_year(2021), paper_year("2019"), paper_year(None), paper_year("")
    (2021, 2019, None, None)
    """
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if year > 0 else None


def yearly_trends(G: nx.MultiDiGraph, label: str = "Method", top: int = 8) -> dict[str, dict[int, int]]:
    """Papers per year for the entities of a label most present in dated papers.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph; papers without a ``year`` are left out.
    label : str
        "Method", "Dataset", "Metric" or "Task".
    top : int
        How many entities: those with the most dated papers (ties by name).

    Returns
    -------
    dict of {name: {year: papers}}
        In rank order; every name has every year some dated paper has (0 when none of its
        papers are from that year), years ascending. Empty when no paper has a year.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Paper:p1", label="Paper", year=2020)
    >>> G.add_node("Paper:p2", label="Paper", year=2021)
    >>> G.add_node("Method:bert", label="Method", name="BERT")
    >>> _ = G.add_edge("Paper:p2", "Method:bert", type="USES")
    >>> yearly_trends(G)
    {'BERT': {2020: 0, 2021: 1}}
    """
    years = {p: y for p, d in G.nodes(data=True)
             if d.get("label") == _PAPER and (y := paper_year(d.get("year"))) is not None}
    if not years:
        return {}
    all_years = sorted(set(years.values()))
    dated: dict[str, set[Any]] = defaultdict(set)
    for node, papers in _papers_by_entity(G, label).items():
        dated[_display(G, node)] |= {p for p in papers if p in years}
    ranked = sorted((item for item in dated.items() if item[1]), key=lambda item: (-len(item[1]), item[0]))[:top]
    out = {}
    for name, papers in ranked:
        per_year = Counter(years[p] for p in papers)
        out[name] = {y: per_year.get(y, 0) for y in all_years}
    return out


def _dataset_roots(G: nx.MultiDiGraph) -> list[Any]:
    """Datasets that have results on them or on a variant, and are no variant of another one."""
    roots = set()
    for node, d in G.nodes(data=True):
        if d.get("label") != NodeLabel.RESULT.value:
            continue
        for _, dataset, e in G.out_edges(node, data=True):
            if e.get("type") != RelType.ON_DATASET.value:
                continue
            seen = {dataset}
            while True:
                parent = next((v for _, v, ev in G.out_edges(dataset, data=True)
                               if ev.get("type") == RelType.VARIANT_OF.value
                               and G.nodes[v].get("label") == _DATASET and v not in seen), None)
                if parent is None:
                    break
                seen.add(parent)
                dataset = parent
            roots.add(dataset)
    return sorted(roots)


def leaderboards(G: nx.MultiDiGraph, min_results: int = 2) -> list[tuple[str, str, list[dict]]]:
    """Every leaderboard in the graph: ranked results per dataset and metric (`kg.leaderboard`).

    A dataset's variants count as the dataset (ImageNet-1K results are on the ImageNet board,
    and each row names the dataset reported), deltas such as "by 2.4%" are left out, and each
    metric and unit is ranked on its own, best first (errors, losses, ... lower is better).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph.
    min_results : int
        Leave out boards with fewer rows (one result is no comparison).

    Returns
    -------
    list of (dataset, metric, rows)
        Boards with most rows first, then by dataset and metric name; ``rows`` are
        ``LeaderboardRow.to_dict()`` dicts (rank, value, unit, method, paper_id, paper_title,
        evidence, dataset, text, lower_is_better, ...), all with the same metric and unit.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Dataset:d", label="Dataset", name="ImageNet", key="imagenet")
    >>> G.add_node("Metric:m", label="Metric", name="top-1 accuracy", key="top 1 accuracy")
    >>> for i, value in enumerate([80.1, 82.0]):
    ...     G.add_node(f"Paper:p{i}", label="Paper", id=f"p{i}", title=f"T{i}")
    ...     G.add_node(f"Result:r{i}", label="Result", value=value, unit="%", text=f"{value}%")
    ...     _ = G.add_edges_from([(f"Paper:p{i}", f"Result:r{i}", {"type": "REPORTS"}),
    ...                           (f"Result:r{i}", "Metric:m", {"type": "OF_METRIC"}),
    ...                           (f"Result:r{i}", "Dataset:d", {"type": "ON_DATASET"})])
    >>> [(d, m, [r["value"] for r in rows]) for d, m, rows in leaderboards(G)]
    [('ImageNet', 'top-1 accuracy', [82.0, 80.1])]
    """
    from kg.leaderboard import leaderboard

    boards = []
    done: set[str] = set()
    for root in _dataset_roots(G):
        name = _display(G, root)
        if name.casefold() in done:
            continue
        done.add(name.casefold())
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for row in leaderboard(G, name):
            groups[(row.metric, row.unit or "")].append(row.to_dict())
        boards.extend((name, metric, rows) for (metric, _), rows in groups.items() if len(rows) >= min_results)
    boards.sort(key=lambda b: (-len(b[2]), b[0].casefold(), b[1].casefold(), str(b[2][0]["unit"])))
    return boards
