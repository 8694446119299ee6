"""Positions and labels for drawing a graph: communities apart, labels that do not collide.

Shared by the explorer (`kg viz`, positions in vis-network canvas units) and the report's
co-usage plot (`kg report`, matplotlib): both want the same two things, a seeded layout in which
each community sits in its own disc, and labels for the most important nodes that never cover
one another.

`community_layout` finds communities with Louvain (networkx, seeded), lays out each community
with a seeded spring layout inside a disc whose area grows with its size, and packs the discs
largest first, each at the free spot nearest to the communities it shares edges with, no two
discs closer than a gap. Nodes with no edge are set in a compact grid below the rest, so they
never form the ring a force layout makes of them.

`place_labels` takes label boxes in priority order and keeps each one that overlaps none kept
before it (a greedy pass over a grid of cells, so thousands of boxes are cheap).
`text_width` measures text in DejaVu Sans (shipped with matplotlib), which is wider than the
Arial/Liberation Sans a browser canvas uses, so boxes measured with it hold the drawn text.

Examples
--------
>>> import networkx as nx
>>> G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
>>> pos, communities = community_layout(G, seed=0)
>>> sorted(sorted(c) for c in communities)
[[0, 1, 2, 3], [4, 5, 6, 7]]
>>> place_labels([("a", (0, 0, 10, 10)), ("b", (5, 5, 15, 15)), ("c", (20, 0, 30, 10))])
['a', 'c']
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np

__all__ = ["Box", "boxes_overlap", "community_layout", "place_labels", "text_width"]

#: (left, top, right, bottom); y grows downwards as on a canvas, or upwards: only overlap matters
Box = tuple[float, float, float, float]

#: a community with n nodes gets a disc of radius spacing * (sqrt(n) + DISC_MARGIN)
NODE_SPACING = 30.0
DISC_MARGIN = 0.67
#: free space between two discs, in the same units
DISC_GAP = 40.0
#: width at font size 100 of a character DejaVu Sans cannot measure (about a "W")
WIDE_CHAR = 100.0


@lru_cache(maxsize=1)
def _font():  # noqa: ANN202 - matplotlib's FT2Font
    import matplotlib
    from matplotlib.ft2font import FT2Font

    # the file matplotlib ships, opened directly: font_manager's font search costs half a second
    font = FT2Font(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"))
    font.set_size(100, 72)
    return font


@lru_cache(maxsize=4096)
def _char_width(char: str) -> float:
    """Advance width of one character at font size 100 (DejaVu Sans); a character the font
    has no glyph for (CJK, which the browser draws from another font about 1 em wide; a lone
    surrogate, shown as U+FFFD) counts as a wide one."""
    font = _font()
    if len(char) != 1 or font.get_char_index(ord(char)) == 0:
        return WIDE_CHAR
    try:
        font.set_text(char)
    except (TypeError, ValueError, RuntimeError):
        return WIDE_CHAR
    width = font.get_width_height()[0] / 64
    return width if width > 0 else WIDE_CHAR


def text_width(text: str, size: float) -> float:
    """Width of `text` at font size `size` (same units), in DejaVu Sans: a safe upper bound for
    the sans-serif fonts browsers draw canvas labels with.

    Examples
    --------
    >>> text_width("BERT", 10) < text_width("BERT base", 10)
    True
    """
    return sum(_char_width(c) for c in text) * size / 100


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when two boxes share some area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(candidates: Iterable[tuple[Hashable, Box]], placed: Sequence[Box] = (),
                 cell: float | None = None) -> list[Hashable]:
    """Keys of the candidates whose boxes overlap no box kept before them (nor `placed`).

    Candidates come in priority order (most important first): a label is skipped, never moved,
    when it would cover one already kept. `cell` is the grid size of the spatial index (default:
    the median box height times four).
    """
    items = list(candidates)
    if not items:
        return []
    if cell is None:
        heights = sorted(b[3] - b[1] for _, b in items)
        cell = max(heights[len(heights) // 2] * 4, 1e-9)
    grid: dict[tuple[int, int], list[Box]] = defaultdict(list)

    def cells(box: Box) -> Iterable[tuple[int, int]]:
        for i in range(math.floor(box[0] / cell), math.floor(box[2] / cell) + 1):
            for j in range(math.floor(box[1] / cell), math.floor(box[3] / cell) + 1):
                yield i, j

    def add(box: Box) -> None:
        for c in cells(box):
            grid[c].append(box)

    for box in placed:
        add(box)
    kept = []
    for key, box in items:
        if any(boxes_overlap(box, other) for c in cells(box) for other in grid.get(c, ())):
            continue
        kept.append(key)
        add(box)
    return kept


def _ordered_subgraph(H: nx.Graph, nodes: list[Hashable]) -> nx.Graph:
    """A copy of H on `nodes`, nodes in the order given and edges in H's order. A subgraph
    *view* of a small part iterates the nodes in set order, which changes with the hash seed,
    and seeded layouts then differ from run to run."""
    keep = set(nodes)
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from((u, v, d) for u, v, d in H.edges(nodes, data=True) if v in keep)
    return sub


def _unit_disc(pos: dict[Hashable, np.ndarray]) -> dict[Hashable, np.ndarray]:
    """Positions centred on their mean and scaled so the farthest is at distance 1."""
    if len(pos) == 1:
        return {n: np.zeros(2) for n in pos}
    centre = np.mean(list(pos.values()), axis=0)
    radius = max(float(np.linalg.norm(p - centre)) for p in pos.values()) or 1.0
    return {n: (p - centre) / radius for n, p in pos.items()}


def _pack(radii: np.ndarray, links: np.ndarray, gap: float, near: int = 24, turns: int = 16) -> np.ndarray:
    """Disc centres, no two discs closer than `gap`, placed one by one (largest first).

    Each disc goes to the free spot nearest to its target: the mean of the discs placed before
    it that it shares links with (weighted by links), else the middle. Free spots are tried
    touching the `near` placed discs closest to the target, at `turns` angles each; when all of
    them are taken it goes just outside everything placed. Vectorised: 500 communities take a
    few seconds (bench/viz_report.py).
    """
    k = len(radii)
    centres = np.zeros((k, 2))
    angles = 2 * np.pi * np.arange(turns) / turns
    dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for i in range(1, k):
        placed, placed_r = centres[:i], radii[:i]
        weights = links[i, :i]
        target = weights @ placed / weights.sum() if weights.sum() > 0 else np.zeros(2)
        to_target = np.linalg.norm(placed - target, axis=1)
        around = np.argsort(to_target, kind="stable")[:near]
        reach = placed_r[around] + radii[i] + gap
        candidates = (placed[around][:, None, :] + reach[:, None, None] * dirs[None, :, :]).reshape(-1, 2)
        dist = np.linalg.norm(candidates[:, None, :] - placed[None, :, :], axis=2)
        free = (dist >= placed_r[None, :] + radii[i] + gap - 1e-6).all(axis=1)
        if free.any():
            options = candidates[free]
            centres[i] = options[np.argmin(np.linalg.norm(options - target, axis=1))]
        else:  # boxed in: just outside the farthest disc from the target
            centres[i] = target + np.array([float((to_target + placed_r).max()) + radii[i] + gap, 0.0])
    return centres


def _grid(nodes: list[Hashable], top: float, left: float, width: float, step: float) -> dict[Hashable, np.ndarray]:
    """Nodes in rows `step` apart, starting at (left, top), at most `width` wide."""
    per_row = max(1, int(width // step) + 1)
    return {n: np.array([left + (i % per_row) * step, top + (i // per_row) * step]) for i, n in enumerate(nodes)}


def community_layout(
    G: nx.Graph, communities: list[set[Hashable]] | None = None, seed: int = 0,
    spacing: float = NODE_SPACING, gap: float = DISC_GAP, weight: str | None = None,
) -> tuple[dict[Hashable, tuple[float, float]], list[set[Hashable]]]:
    """Seeded positions with each community in its own disc, discs apart.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph to draw (a multigraph or directed graph is read as its simple
        undirected version). Node order does not matter: nodes are sorted by ``str`` first.
    communities : list of set, optional
        Communities to use (nodes of `G` in none of them become their own community);
        default: Louvain communities of `G` with `seed`.
    seed : int
        Seed of Louvain and of the spring layouts: same graph, same seed, same picture.
    spacing : float
        About the distance between neighbouring nodes (a disc of n nodes has radius
        ``spacing * (sqrt(n) + 0.67)``).
    gap : float
        Least free space between two discs.
    weight : str, optional
        Edge attribute used as weight by Louvain (None: unweighted).

    Returns
    -------
    (dict, list)
        node -> (x, y), and the communities (largest first, ties by smallest member), without
        the nodes that have no edge: those are set in a grid below the discs.
    """
    H = nx.Graph()
    H.add_nodes_from(sorted(G.nodes, key=str))
    H.add_edges_from(sorted(((u, v, {"weight": d.get(weight, 1) if weight else 1})
                             for u, v, d in G.edges(data=True) if u != v), key=lambda e: (str(e[0]), str(e[1]))))
    lonely = [n for n in H if H.degree(n) == 0]
    linked = _ordered_subgraph(H, [n for n in H if H.degree(n) > 0])
    if communities is None:
        found = nx.community.louvain_communities(linked, weight="weight", seed=seed) if len(linked) else []
    else:
        members = set(linked)
        found = [set(c) & members for c in communities]
        covered = set().union(*found) if found else set()
        found += [{n} for n in linked if n not in covered]
    found = sorted((c for c in found if c), key=lambda c: (-len(c), min(str(n) for n in c)))
    pos: dict[Hashable, np.ndarray] = {}
    if found:
        community_of = {n: i for i, c in enumerate(found) for n in c}
        radii = np.array([spacing * (math.sqrt(len(c)) + DISC_MARGIN) for c in found])
        inner = []
        for i, c in enumerate(found):
            sub = _ordered_subgraph(linked, sorted(c, key=str))
            local = nx.spring_layout(sub, seed=seed, iterations=50) if len(c) > 1 else {next(iter(c)): np.zeros(2)}
            inner.append({n: p * (radii[i] - spacing * DISC_MARGIN) for n, p in _unit_disc(local).items()})
        links = np.zeros((len(found), len(found)))
        for u, v, d in linked.edges(data=True):
            a, b = community_of[u], community_of[v]
            if a != b:
                links[a, b] += d["weight"]
                links[b, a] += d["weight"]
        centres = _pack(radii, links, gap)
        for i, local in enumerate(inner):
            for n, p in local.items():
                pos[n] = centres[i] + p
    if lonely:
        if pos:
            xy = np.array(list(pos.values()))
            left, right, bottom = float(xy[:, 0].min()), float(xy[:, 0].max()), float(xy[:, 1].max())
        else:
            left, right, bottom = 0.0, spacing * math.sqrt(len(lonely)), -gap
        width = max(right - left, spacing * math.sqrt(len(lonely)))  # a block, not one long row
        pos.update(_grid(lonely, bottom + gap + spacing, left, width, spacing))
    return {n: (round(float(p[0]), 2), round(float(p[1]), 2)) for n, p in pos.items()}, found
