"""One self-contained HTML page to explore a paper graph in a browser (`kg viz`).

The page inlines vis-network (vendored in `kg/viz_assets`, MIT or Apache-2.0), our small
explorer script and style sheet, and the graph data as JSON, so it works opened from disk with
no network: no CDN, no external fonts.

What is drawn: papers, methods, datasets, metrics and tasks, each label with its own colour
and shape (`LABEL_STYLES`), sized by degree. Result nodes are folded into the details of their
paper, metric, dataset and method instead of being drawn. Degree and hops are counted in this
folded graph: distinct neighbours, edges taken in either direction.

Focus: `focus` names an entity (name, key or alias, any case; or a paper id or title) and the
page shows the nodes within `depth` hops of it. From an entity, depth 1 is its papers (and
VARIANT_OF neighbours), 2 adds those papers' other entities, 3 their papers, and so on.

Large graphs: more than `max_nodes` candidate nodes are cut down deterministically. Without
focus, the most connected entities are kept (up to 60% of the budget, more when there are few
papers), each with at least one drawn paper (an entity that cannot get one within the budget is
left out, so no entity floats unconnected), and the rest goes to the papers linked to most kept
entities; with focus, the nearest nodes are kept first, the most connected among equally near
ones. The page says so in a banner.

Drawing: positions, node sizes and label font sizes are computed here, seeded, so the same graph
gives the same picture and the browser runs no physics: communities (Louvain) sit in discs of
their own (`kg.layout.community_layout`), and labels are chosen by degree in tiers of font size
so that no label box covers another (`kg.layout.place_labels`): the biggest tier is readable with
the whole graph in view (entities only, at most `OVERVIEW_LABELS`), the smaller ones appear as
the user zooms in.

Examples
--------
>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("Paper:p1", label="Paper", id="p1", title="ColBERT")
>>> G.add_node("Method:bert", label="Method", key="bert", name="BERT", aliases=[])
>>> _ = G.add_edge("Paper:p1", "Method:bert", key="USES", type="USES", confidence=0.9)
>>> sorted(n["name"] for n in explorer_data(G)["nodes"])
['BERT', 'ColBERT']
>>> select_view(G, focus="Bert").nodes
['Paper:p1', 'Method:bert']
"""

from __future__ import annotations

import difflib
import html
import json
import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from kg.atomic import AtomicFile
from kg.layout import Box, community_layout, place_labels, text_width
from kg.textsafe import xml_text
from schema.graph import NodeLabel, RelType

__all__ = ["LABEL_STYLES", "FocusNotFound", "View", "explorer_data", "render_html", "select_view", "write_html"]

ASSETS = Path(__file__).resolve().parent / "viz_assets"
VIS_JS = ASSETS / "vis-network.min.js"
EXPLORER_JS = ASSETS / "explorer.js"
EXPLORER_CSS = ASSETS / "explorer.css"
DEFAULT_TITLE = "Knowledge graph explorer"

#: colour, vis-network shape and legend glyph per drawn label (distinct in colour AND shape)
LABEL_STYLES: dict[str, dict[str, str]] = {
    NodeLabel.PAPER.value: {"color": "#8c96a5", "shape": "square", "glyph": "\u25a0"},
    NodeLabel.METHOD.value: {"color": "#1f77b4", "shape": "dot", "glyph": "\u25cf"},
    NodeLabel.DATASET.value: {"color": "#2ca02c", "shape": "diamond", "glyph": "\u25c6"},
    NodeLabel.METRIC.value: {"color": "#ff7f0e", "shape": "triangle", "glyph": "\u25b2"},
    NodeLabel.TASK.value: {"color": "#9467bd", "shape": "star", "glyph": "\u2605"},
}
_ORDER = {label: i for i, label in enumerate(LABEL_STYLES)}
_PAPER = NodeLabel.PAPER.value
_RESULT = NodeLabel.RESULT.value
_RESULT_ENDS = {RelType.OF_METRIC.value: "metric", RelType.ON_DATASET.value: "dataset",
                RelType.FOR_METHOD.value: "method"}
#: share of `max_nodes` that goes to entities when a graph without focus is cut down
ENTITY_SHARE = 0.6
MAX_ALIAS_EVIDENCE = 30


class FocusNotFound(ValueError):
    """The focus names no entity or paper of the graph (the message lists close matches)."""


@dataclass(frozen=True)
class View:
    """Which nodes of the graph the page shows, and why.

    Attributes
    ----------
    nodes : list
        Node ids of the graph to draw, ordered by label then id.
    total : int
        Candidate nodes before the `max_nodes` cut (the whole folded graph, or the focus
        neighbourhood).
    focus : list
        Node ids the focus resolved to (empty without focus).
    banner : str or None
        The notice shown when nodes were left out.
    """

    nodes: list[Hashable]
    total: int
    focus: list[Hashable] = field(default_factory=list)
    banner: str | None = None

    @property
    def sampled(self) -> bool:
        """True when nodes were left out to stay under `max_nodes`."""
        return len(self.nodes) < self.total


@dataclass
class _Folded:
    """The graph without Result nodes, edges below the confidence floor dropped."""

    links: dict[tuple[Hashable, Hashable], list[dict[str, Any]]]
    nbrs: dict[Hashable, set[Hashable]]
    candidates: list[Hashable]


def _as_list(value: Any) -> list[str]:
    """A list attribute as a list, also when it is still JSON text (raw GraphML)."""
    if value is None:
        return []
    if isinstance(value, str):
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                return [value]
            return [str(v) for v in parsed] if isinstance(parsed, list) else [value]
        return [value]
    return [str(v) for v in value]


def _conf(d: dict[str, Any]) -> float | None:
    value = d.get("confidence")
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _label(G: nx.MultiDiGraph, node: Hashable) -> str:
    return str(G.nodes[node].get("label", ""))


def _name(G: nx.MultiDiGraph, node: Hashable) -> str:
    d = G.nodes[node]
    return str(d.get("name") or d.get("title") or d.get("key") or d.get("id") or node)


def _fold(G: nx.MultiDiGraph, min_confidence: float) -> _Folded:
    """Drawable nodes and their links; an entity whose every edge is below the floor goes."""
    links: dict[tuple[Hashable, Hashable], list[dict[str, Any]]] = defaultdict(list)
    nbrs: dict[Hashable, set[Hashable]] = defaultdict(set)
    has_edges: set[Hashable] = set()
    for u, v, d in G.edges(data=True):
        if _label(G, u) not in _ORDER or _label(G, v) not in _ORDER:
            continue
        has_edges.update((u, v))
        conf = _conf(d)
        if conf is not None and conf < min_confidence:
            continue
        links[(u, v)].append({"type": d.get("type", ""), "conf": conf, "evidence": d.get("evidence"),
                              "role": d.get("role")})
        nbrs[u].add(v)
        nbrs[v].add(u)
    candidates = [n for n, d in G.nodes(data=True)
                  if d.get("label") in _ORDER and (d.get("label") == _PAPER or n in nbrs or n not in has_edges)]
    return _Folded(dict(links), dict(nbrs), candidates)


def _sort_key(G: nx.MultiDiGraph, node: Hashable) -> tuple[int, str]:
    return _ORDER.get(_label(G, node), len(_ORDER)), str(node)


def _match_focus(G: nx.MultiDiGraph, focus: str, candidates: Iterable[Hashable]) -> list[Hashable]:
    """Entities whose name, key or alias is `focus`, else papers whose id or title is (any case)."""
    wanted = focus.casefold().strip()
    entities, papers = [], []
    for node in candidates:
        d = G.nodes[node]
        if d.get("label") == _PAPER:
            if any(isinstance(f, str) and f.casefold() == wanted for f in (d.get("id"), d.get("title"))):
                papers.append(node)
        elif any(f.casefold() == wanted for f in [str(d.get("key", "")), str(d.get("name", "")),
                                                   *_as_list(d.get("aliases"))]):
            entities.append(node)
    return sorted(entities or papers, key=lambda n: _sort_key(G, n))


def _focus_error(G: nx.MultiDiGraph, focus: str, candidates: Iterable[Hashable]) -> FocusNotFound:
    forms: dict[str, str] = {}  # casefolded name, key or alias -> the entity's display name
    for node in sorted(candidates, key=lambda n: _sort_key(G, n)):
        d = G.nodes[node]
        if d.get("label") == _PAPER:
            continue
        for form in [str(d.get("name", "")), str(d.get("key", "")), *_as_list(d.get("aliases"))]:
            if form:
                forms.setdefault(form.casefold(), _name(G, node))
    close = difflib.get_close_matches(focus.casefold().strip(), list(forms), n=8, cutoff=0.6)
    names = list(dict.fromkeys(forms[c] for c in close))[:5]
    hint = f"; did you mean: {', '.join(names)}?" if names else \
        " (entity names, keys and aliases are matched in any case)"
    return FocusNotFound(f"focus {focus!r}: no entity or paper with that name{hint}")


def _within(nbrs: dict[Hashable, set[Hashable]], start: list[Hashable], depth: int) -> dict[Hashable, int]:
    """Hop distance from `start` of every node at most `depth` hops away (breadth first)."""
    dist = {node: 0 for node in start}
    frontier = list(start)
    for hop in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for other in nbrs.get(node, ()):
                if other not in dist:
                    dist[other] = hop
                    nxt.append(other)
        frontier = nxt
    return dist


def _sample(G: nx.MultiDiGraph, folded: _Folded, max_nodes: int) -> list[Hashable]:
    """Most connected entities, each with a drawn neighbour, then the papers linked to most of them.

    Entities are taken by degree; one whose neighbours are not drawn yet brings the paper that
    links most of the top entities (so no entity floats alone in the picture), and an entity
    that cannot be linked within the budget is left out. The rest of the budget goes to papers
    linked to most kept entities; papers linked to none are left out (ties by degree, then id).
    """
    degree = {n: len(folded.nbrs.get(n, ())) for n in folded.candidates}
    papers = [n for n in folded.candidates if _label(G, n) == _PAPER]
    entities = sorted((n for n in folded.candidates if _label(G, n) != _PAPER and degree[n]),
                      key=lambda n: (-degree[n], *_sort_key(G, n)))
    budget = min(len(entities), max(int(max_nodes * ENTITY_SHARE), max_nodes - len(papers)))
    top = set(entities[:budget])
    reach = {p: len(folded.nbrs.get(p, set()) & top) for p in papers}
    kept: list[Hashable] = []
    chosen: set[Hashable] = set()
    for entity in entities:
        if len(kept) >= budget or len(chosen) >= max_nodes:
            break
        nbrs = folded.nbrs.get(entity, set())
        if nbrs & chosen:
            kept.append(entity)
            chosen.add(entity)
            continue
        linked = [p for p in nbrs if p in reach]
        if not linked or len(chosen) + 2 > max_nodes:
            continue
        paper = min(linked, key=lambda p: (-reach[p], -degree[p], str(p)))
        kept.append(entity)
        chosen.update((entity, paper))
    score = {p: len(folded.nbrs.get(p, set()) & chosen) for p in papers if p not in chosen}
    extra = sorted((p for p, s in score.items() if s), key=lambda p: (-score[p], -degree[p], str(p)))
    return [*chosen, *extra[:max_nodes - len(chosen)]]


def select_view(
    G: nx.MultiDiGraph, focus: str | None = None, depth: int = 1, max_nodes: int = 1500,
    min_confidence: float = 0.0,
) -> View:
    """Choose the nodes to draw: everything, a focus neighbourhood, and at most `max_nodes`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A saved paper graph (`kg.analysis.load_graph` or `backend.to_networkx()`).
    focus : str, optional
        Entity name, key or alias (any case), or a paper id or title.
    depth : int
        Hops around the focus (see the module notes); ignored without focus.
    max_nodes : int
        At most this many nodes are drawn.
    min_confidence : float
        Edges below this confidence are left out, and entities left with no edge.

    Returns
    -------
    View

    Raises
    ------
    FocusNotFound
        `focus` matches nothing; the message lists close matches.
    ValueError
        `depth` or `max_nodes` below 1.
    """
    return _select(G, _fold(G, min_confidence), focus, depth, max_nodes)


def _select(G: nx.MultiDiGraph, folded: _Folded, focus: str | None, depth: int, max_nodes: int) -> View:
    if depth < 1 or max_nodes < 1:
        raise ValueError(f"depth and max_nodes must be at least 1 (got depth={depth}, max_nodes={max_nodes})")
    if focus is None:
        total = len(folded.candidates)
        chosen = folded.candidates if total <= max_nodes else _sample(G, folded, max_nodes)
        banner = None if total <= max_nodes else \
            f"showing {max_nodes:,} of {total:,} nodes; use --focus or --max-nodes"
        return View(sorted(chosen, key=lambda n: _sort_key(G, n)), total, [], banner)
    start = _match_focus(G, focus, folded.candidates)
    if not start:
        raise _focus_error(G, focus, folded.candidates)
    dist = _within(folded.nbrs, start, depth)
    chosen = sorted(dist, key=lambda n: (dist[n], -len(folded.nbrs.get(n, ())), *_sort_key(G, n)))[:max_nodes]
    banner = None if len(dist) <= max_nodes else \
        f"showing {max_nodes:,} of {len(dist):,} nodes within {depth} hop(s) of {focus}; use --depth or --max-nodes"
    return View(sorted(chosen, key=lambda n: _sort_key(G, n)), len(dist), start, banner)


def _alias_evidence(G: nx.MultiDiGraph, items: list[str]) -> list[str]:
    """'form @ paper_id' with the paper's title instead of its id when the paper is known."""
    out = []
    for item in items[:MAX_ALIAS_EVIDENCE]:
        form, sep, pid = item.rpartition(" @ ")
        paper = f"{_PAPER}:{pid}"
        if sep and paper in G and G.nodes[paper].get("title"):
            item = f"{form} in \u201c{G.nodes[paper]['title']}\u201d"
        out.append(item)
    return out


def _node_record(G: nx.MultiDiGraph, node: Hashable, index: int, folded: _Folded, focus: set[Hashable]) -> dict:
    d = G.nodes[node]
    label = str(d.get("label"))
    confs = [r["conf"] for other in folded.nbrs.get(node, ())
             for pair in ((node, other), (other, node)) for r in folded.links.get(pair, ())
             if r["conf"] is not None]
    record = {
        "id": index, "label": label, "name": _name(G, node),
        "key": str(d.get("id") if label == _PAPER else d.get("key", node)),
        "aliases": _as_list(d.get("aliases")),
        "alias_evidence": _alias_evidence(G, _as_list(d.get("alias_evidence"))),
        "degree": len(folded.nbrs.get(node, ())),
        "conf": None if label == _PAPER or not confs else max(confs),
        "focus": node in focus,
    }
    for extra in ("year", "url", "venue"):
        if d.get(extra) not in (None, ""):
            record[extra] = d[extra]
    return record


def _results(G: nx.MultiDiGraph, index: dict[Hashable, int], min_confidence: float,
             evidence: dict[str, int]) -> list[dict]:
    """Results of the drawn papers, each tied to the drawn nodes it concerns."""
    out = []
    for result, d in G.nodes(data=True):
        if d.get("label") != _RESULT:
            continue
        papers = [(p, e) for p, _, e in G.in_edges(result, data=True)
                  if e.get("type") == RelType.REPORTS.value and p in index]
        if not papers:
            continue
        paper, edge = papers[0]
        conf = _conf(edge)
        if conf is not None and conf < min_confidence:
            continue
        record = {"text": str(d.get("text") or d.get("value")), "value": d.get("value"), "unit": d.get("unit"),
                  "paper": index[paper], "conf": conf, "on": [index[paper]],
                  "evidence": evidence.setdefault(str(edge.get("evidence") or ""), len(evidence))}
        for _, target, e in G.out_edges(result, data=True):
            role = _RESULT_ENDS.get(e.get("type", ""))
            if role:
                record[role] = _name(G, target)
                if target in index:
                    record["on"].append(index[target])
        out.append(record)
    out.sort(key=lambda r: (r["paper"], r["text"]))
    return out


def explorer_data(
    G: nx.MultiDiGraph, focus: str | None = None, depth: int = 1, max_nodes: int = 1500,
    min_confidence: float = 0.0, title: str = DEFAULT_TITLE,
) -> dict[str, Any]:
    """The JSON the page embeds: styles, nodes, links (with evidence), folded results.

    Node ids are positions in `nodes`; a link is one (source, target) pair with all its
    relationships (`rels`: type, conf, role, evidence index into `evidence`). Parameters and
    errors are those of `select_view`.
    """
    return _build(G, focus, depth, max_nodes, min_confidence, title)[0]


#: node radius range on the canvas (vis-network units), by degree on a log scale
NODE_SIZE = (8.0, 40.0)
#: labels: the overview is fitted to about this canvas (px) and its labels are about this size
FIT_AREA = (900.0, 760.0)
OVERVIEW_FONT = 13.0
#: smallest label font (canvas units), and how much smaller each next tier of labels is
BASE_FONT = 14.0
TIER_STEP = 2.5
#: a paper's label is its title cut to this many characters
PAPER_LABEL_CHARS = 40
#: at most this many labels readable in the overview (the most connected entities that fit)
OVERVIEW_LABELS = 40


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _label_text(record: dict[str, Any]) -> str:
    return _short(record["name"], PAPER_LABEL_CHARS) if record["label"] == _PAPER else record["name"]


def label_box(x: float, y: float, size: float, text: str, font: float) -> Box:
    """The box a label takes under its node, with a little margin: vis-network draws a label
    centred below the shape, its top half a font size plus 4 under the shape's bottom."""
    width = text_width(text, font) + 4
    top = y + size + 0.5 * font + 2
    return (x - width / 2, top, x + width / 2, top + font + 4)


def _label_tiers(extent: tuple[float, float]) -> list[float]:
    """Label font sizes, largest first: the first is readable when the whole graph is fitted,
    each next one (TIER_STEP smaller, down to BASE_FONT) when zoomed in that much further."""
    scale = min(1.0, FIT_AREA[0] / max(extent[0], 1.0), FIT_AREA[1] / max(extent[1], 1.0))
    font = max(BASE_FONT, OVERVIEW_FONT / scale)
    tiers = [font]
    while font > BASE_FONT:
        font = max(BASE_FONT, font / TIER_STEP)
        tiers.append(font)
    return [round(f, 1) for f in tiers]  # as written in the page, so boxes are measured as drawn


def _draw_nodes(records: list[dict[str, Any]], links: list[dict[str, Any]], seed: int = 0) -> None:
    """Add x, y, size, font (0: no label) and community to each node record, in place.

    Positions: `kg.layout.community_layout` (Louvain communities, seeded). Labels: the focus
    first, then by degree, in tiers of font size; a label is kept only when its box overlaps no
    label kept before.
    """
    graph = nx.Graph()
    graph.add_nodes_from(r["id"] for r in records)
    graph.add_edges_from((link["from"], link["to"]) for link in links)
    pos, communities = community_layout(graph, seed=seed)
    community = {n: i for i, c in enumerate(communities) for n in c}
    values = [r["degree"] + 1 for r in records]
    low, high = min(values, default=1), max(values, default=1)
    for r, value in zip(records, values):
        share = 0.5 if high <= low else math.log(value / low) / math.log(high / low)
        r["x"], r["y"] = pos[r["id"]]
        r["size"] = round(NODE_SIZE[0] + share * (NODE_SIZE[1] - NODE_SIZE[0]), 1)
        r["font"] = 0
        r["community"] = community.get(r["id"], -1)
    if not records:
        return
    xs = [r["x"] for r in records]
    ys = [r["y"] for r in records]
    extent = (max(xs) - min(xs) + 2 * NODE_SIZE[1], max(ys) - min(ys) + 2 * NODE_SIZE[1])
    order = sorted(records, key=lambda r: (not r["focus"], -r["degree"], _ORDER.get(r["label"], 9), r["id"]))
    boxes: list[Box] = []
    for tier, font in enumerate(_label_tiers(extent)):
        # the overview names entities only: paper titles are long and come when zooming in
        candidates = [(r["id"], label_box(r["x"], r["y"], r["size"], _label_text(r), font))
                      for r in order if not r["font"] and (tier or r["focus"] or r["label"] != _PAPER)]
        kept = place_labels(candidates, boxes)
        kept = set(kept[:OVERVIEW_LABELS] if tier == 0 else kept)
        for key, box in candidates:
            if key in kept:
                records[key]["font"] = font
                boxes.append(box)


def _build(G: nx.MultiDiGraph, focus: str | None, depth: int, max_nodes: int, min_confidence: float,
           title: str) -> tuple[dict[str, Any], View]:
    folded = _fold(G, min_confidence)
    view = _select(G, folded, focus, depth, max_nodes)
    index = {node: i for i, node in enumerate(view.nodes)}
    focus_set = set(view.focus)
    evidence: dict[str, int] = {}
    links = []
    for (u, v), rels in sorted(folded.links.items(), key=lambda item: (index.get(item[0][0], -1),
                                                                     index.get(item[0][1], -1))):
        if u in index and v in index:
            links.append({"from": index[u], "to": index[v], "rels": [
                {"type": r["type"], "conf": r["conf"], "role": r["role"],
                 "evidence": evidence.setdefault(str(r["evidence"] or ""), len(evidence))} for r in rels]})
    nodes = [_node_record(G, node, i, folded, focus_set) for i, node in enumerate(view.nodes)]
    _draw_nodes(nodes, links)
    results = _results(G, index, min_confidence, evidence)
    focus_names = ", ".join(_name(G, n) for n in view.focus)
    subtitle = (f"{len(nodes):,} nodes, {len(links):,} links"
                + (f" within {depth} hop(s) of {focus_names}" if view.focus else ""))
    return {
        "title": title, "subtitle": subtitle, "banner": view.banner, "total": view.total,
        "min_confidence": min_confidence, "styles": LABEL_STYLES, "paper_label_chars": PAPER_LABEL_CHARS,
        "nodes": nodes, "links": links,
        "results": results, "evidence": list(evidence),
    }, view


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline(path: Path, closer: str = "</script") -> str:
    """An asset's text, refused if it could end its element early or open an HTML comment."""
    text = path.read_text(encoding="utf-8")
    if closer in text.lower() or "<!--" in text:
        raise ValueError(f"{path}: contains {closer!r} or '<!--' and cannot be inlined")
    return text


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@title@@</title>
<style>@@css@@</style>
</head>
<body>
<aside id="kg-side">
  <h1 id="kg-title">@@title@@</h1>
  <p id="kg-subtitle"></p>
  <p id="kg-banner" role="status"@@banner_hidden@@>@@banner@@</p>
  <form id="kg-search-form" autocomplete="off">
    <input id="kg-search" type="search" list="kg-names" placeholder="Find a method, dataset, paper..."
           aria-label="Find a node by name or alias">
    <button type="submit">Find</button>
    <datalist id="kg-names"></datalist>
  </form>
  <p id="kg-search-status" role="status"></p>
  <fieldset id="kg-legend"><legend>Show</legend></fieldset>
  <label id="kg-conf-label">Min. confidence <output id="kg-conf-value"></output>
    <input id="kg-conf" type="range" step="0.01" max="1"></label>
  <section id="kg-details"><p class="kg-hint">Click a node or search to see its details.</p></section>
</aside>
<main id="kg-main"><div id="kg-graph"></div><p id="kg-loading">Laying out the graph...</p></main>
<script type="application/json" id="kg-data">@@data@@</script>
<script>@@vis@@</script>
<script>@@app@@</script>
</body>
</html>
"""


def render_html(
    G: nx.MultiDiGraph, focus: str | None = None, depth: int = 1, max_nodes: int = 1500,
    min_confidence: float = 0.0, title: str = DEFAULT_TITLE,
) -> str:
    """A self-contained interactive page for the graph (works offline, opened from disk).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A saved paper graph (`kg.analysis.load_graph` or `backend.to_networkx()`).
    focus : str, optional
        Show only the neighbourhood of this entity (name, key or alias, any case) or paper.
    depth : int
        Hops around the focus: 1 = the entity's papers, 2 = also their other entities, ...
    max_nodes : int
        Draw at most this many nodes (a banner says when some were left out).
    min_confidence : float
        Leave out edges below this confidence and entities left with no edge; the page's
        slider starts here.
    title : str
        Page title.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    FocusNotFound
        `focus` matches nothing (a ValueError whose message lists close matches).
    """
    return _page(explorer_data(G, focus, depth, max_nodes, min_confidence, title))


def _page(data: dict[str, Any]) -> str:
    title = data["title"]
    parts = {
        "title": html.escape(title),
        "css": _inline(EXPLORER_CSS, "</style"),
        "banner": html.escape(data["banner"] or ""),
        "banner_hidden": "" if data["banner"] else " hidden",
        "data": _script_json(data),
        "vis": _inline(VIS_JS),
        "app": _inline(EXPLORER_JS),
    }
    return re.sub(r"@@(\w+)@@", lambda m: parts[m.group(1)], _PAGE)


def write_html(
    G: nx.MultiDiGraph, path: str | Path, focus: str | None = None, depth: int = 1, max_nodes: int = 1500,
    min_confidence: float = 0.0, title: str = DEFAULT_TITLE,
) -> View:
    """Write `render_html(...)` to `path` (UTF-8) and return the view it drew.

    Raises
    ------
    FocusNotFound
        As `render_html`; nothing is written then.
    """
    data, view = _build(G, focus, depth, max_nodes, min_confidence, title)
    with AtomicFile(path, "w") as f:  # HTML holds what XML holds: no NUL, no lone surrogate
        f.write(xml_text(_page(data)))
    return view
