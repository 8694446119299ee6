"""One self-contained HTML page of the analyses a researcher asks of a paper graph.

The page (`render_report`) has the most used methods and datasets (bar charts and tables), a
method x dataset heat map, the co-usage network of methods coloured by Louvain community, a
PageRank ranking, per-year trends (or a note when no paper has a year) and the leaderboards
found in the reported results. Plots are PNGs embedded as base64 data URIs and the CSS is
inline, so the file opens offline, from disk, and loads nothing else.

The numbers come from `kg.analysis`; this module only draws and lays out. Figures are made with
matplotlib's object API on the Agg canvas (no pyplot, so no GUI backend and no global state);
`save_plot` writes one of them as a PNG, e.g. for the README.

Examples
--------
>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("Paper:p1", label="Paper", title="BERT <base> & more")
>>> G.add_node("Method:bert", label="Method", name="BERT")
>>> _ = G.add_edge("Paper:p1", "Method:bert", type="USES")
>>> page = render_report(G, title="Demo")
>>> page.startswith("<!DOCTYPE html>"), 'id="methods"' in page
(True, True)
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from kg.atomic import AtomicFile
from kg.layout import community_layout, place_labels
from kg.textsafe import escape_controls, xml_text
from kg import analysis as an

__all__ = ["PLOTS", "ReportData", "collect", "plot_figure", "render_report", "save_plot", "summary_sentences",
           "write_report"]

#: names accepted by `plot_figure` and `save_plot`
PLOTS: tuple[str, ...] = ("methods", "datasets", "heatmap", "network", "trends")

#: co-usage network: at most this many methods are drawn (the ones in the most papers) and named
MAX_DRAWN_METHODS = 60
MAX_NAMED_METHODS = 20
#: leaderboards shown at most (the ones with the most rows)
MAX_BOARDS = 30
#: trends: one small panel per method, for the methods in the most dated papers
MAX_TREND_SERIES = 8
TREND_COLUMNS = 4
#: the summary names this many communities, each by this many of its methods
SUMMARY_COMMUNITIES = 3
SUMMARY_MEMBERS = 3
_LABEL_WIDTH = 40
_OTHER_COLOUR = "#bbbbbb"
_REL_ORDER = ("PROPOSES", "USES", "COMPARES_WITH", "EVALUATES_ON", "MEASURES", "ADDRESSES")


@dataclass
class ReportData:
    """Everything the report shows, computed once from the graph (see `collect`)."""

    top: int
    node_counts: dict[str, int]
    edge_counts: dict[str, int]
    methods: list[tuple[str, int]]
    datasets: list[tuple[str, int]]
    method_rels: dict[str, dict[str, int]]
    dataset_rels: dict[str, dict[str, int]]
    matrix: tuple[list[str], list[str], list[list[int]]]
    cousage: nx.Graph
    communities: list[set[str]]
    pagerank: list[tuple[str, float]]
    method_papers: dict[str, int]
    trends: dict[str, dict[int, int]]
    boards: list[tuple[str, str, list[dict]]]
    tasks: list[tuple[str, int]]
    years: list[int]


def _rel_counts(G: nx.MultiDiGraph, label: str, names: Iterable[str]) -> dict[str, dict[str, int]]:
    """name -> {relationship type: papers}, for the relationship types the label has."""
    wanted = set(names)
    types = {d.get("type") for p, v, d in G.edges(data=True)
             if G.nodes[v].get("label") == label and G.nodes[p].get("label") == "Paper"}
    out: dict[str, dict[str, int]] = {name: {} for name in wanted}
    for rel in [t for t in _REL_ORDER if t in types] + sorted(t for t in types if t not in _REL_ORDER and t):
        for name, n in an.top_entities(G, label, None, [rel]):
            if name in wanted:
                out[name][rel] = n
    return out


def collect(G: nx.MultiDiGraph, top: int = 15) -> ReportData:
    """Run every analysis of the report once (`top` bounds the rows of bars and tables).

    Examples
    --------
    >>> collect(nx.MultiDiGraph()).methods
    []
    """
    methods = an.top_methods(G, top)
    datasets = an.top_datasets(G, top)
    cousage = an.method_cousage_graph(G, min_papers=2)
    return ReportData(
        top=top,
        node_counts=dict(sorted(Counter(str(d.get("label", "?")) for _, d in G.nodes(data=True)).items())),
        edge_counts=dict(sorted(Counter(str(d.get("type", "?")) for *_, d in G.edges(data=True)).items())),
        methods=methods,
        datasets=datasets,
        method_rels=_rel_counts(G, "Method", (n for n, _ in methods)),
        dataset_rels=_rel_counts(G, "Dataset", (n for n, _ in datasets)),
        matrix=an.method_dataset_matrix(G, top_methods=top, top_datasets=min(top, 12)),
        cousage=cousage,
        communities=an.method_communities(cousage, seed=0),
        pagerank=an.method_pagerank(G, n=top),
        method_papers=dict(an.top_methods(G, None)),
        trends=an.yearly_trends(G, "Method", top=min(top, MAX_TREND_SERIES)),
        boards=an.leaderboards(G, min_results=2),
        tasks=an.top_entities(G, "Task", top),
        years=sorted({y for _, d in G.nodes(data=True) if d.get("label") == "Paper"
                      and (y := an.paper_year(d.get("year"))) is not None}),
    )


# --- figures ------------------------------------------------------------------------------------


def _mpl(text: Any, width: int = _LABEL_WIDTH) -> str:
    """Text safe for a matplotlib label: no mathtext from '$', long names shortened, controls and
    lone surrogates (which the font renderer rejects) shown as escapes."""
    text = escape_controls(str(text))
    if len(text) > width:
        text = text[: width - 1] + "\u2026"
    return text.replace("$", r"\$")


def _new_figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _bar_figure(rows: Sequence[tuple[str, int]], title: str, colour: str) -> Figure:
    fig, ax = _new_figure(7.5, 0.8 + 0.32 * max(len(rows), 1))
    names = [_mpl(name) for name, _ in rows]
    values = [n for _, n in rows]
    bars = ax.barh(range(len(rows)), values, color=colour)
    ax.set_yticks(range(len(rows)), names, fontsize=9)
    ax.invert_yaxis()
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_xlabel("papers")
    ax.set_title(title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.08)
    return fig


def _heatmap_figure(methods: list[str], datasets: list[str], counts: list[list[int]]) -> Figure:
    fig, ax = _new_figure(1.8 + 0.62 * len(datasets), 1.6 + 0.36 * len(methods))
    image = ax.imshow(counts, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(datasets)), [_mpl(d, 24) for d in datasets], rotation=45, ha="right", fontsize=9)
    ax.set_yticks(range(len(methods)), [_mpl(m, 32) for m in methods], fontsize=9)
    peak = max((v for row in counts for v in row), default=0)
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                        color="white" if value > peak / 2 else "black")
    fig.colorbar(image, ax=ax, label="papers", shrink=0.8)
    ax.set_title("Papers linking a method and a dataset")
    return fig


def _community_colours(communities: list[set[str]]) -> dict[str, str]:
    """Method -> colour of its community (the ten largest communities; grey for the rest)."""
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors
    return {name: "#%02x%02x%02x" % tuple(int(255 * c) for c in palette[i])
            for i, members in enumerate(communities[:10]) for name in members}


def _network_figure(H: nx.Graph, communities: list[set[str]], max_nodes: int = MAX_DRAWN_METHODS) -> Figure:
    keep = sorted(H.nodes, key=lambda n: (-H.nodes[n].get("papers", 0), n))[:max_nodes]
    sub = H.subgraph(keep).copy()
    sub.remove_nodes_from([n for n in list(sub) if sub.degree(n) == 0])
    # nodes and edges in sorted order (a subgraph view follows set order): the seeded layout repeats
    sub = nx.Graph(sorted((min(u, v), max(u, v), d) for u, v, d in sub.edges(data=True)))
    fig, ax = _new_figure(10, 9)
    ax.set_axis_off()
    if sub.number_of_nodes() == 0:
        return fig
    # each community in its own disc (kg.layout): the groups read as groups, not one hairball
    pos, _ = community_layout(sub, communities=communities, seed=0, spacing=1.0, gap=1.2)
    colours = _community_colours(communities)
    papers = {n: H.nodes[n].get("papers", 1) for n in sub}
    nx.draw_networkx_edges(sub, pos, ax=ax, alpha=0.3, edge_color="#777777",
                           width=[0.5 + 0.5 * d["weight"] for *_, d in sub.edges(data=True)])
    nx.draw_networkx_nodes(sub, pos, ax=ax, node_color=[colours.get(n, _OTHER_COLOUR) for n in sub],
                           node_size=[min(60 + 18 * papers[n], 900) for n in sub], linewidths=0.5,
                           edgecolors="white")
    handles = [Patch(color=colours[next(iter(members))],
                     label=_mpl(f"{i}: " + ", ".join(sorted(members, key=lambda n: (-papers.get(n, 0), n))[:3]), 60))
               for i, members in enumerate(communities[:10], 1) if members & set(sub)]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8, title="community",
                   frameon=False)
    ax.set_title("Methods used in the same papers (two or more), coloured by community")
    _label_top_nodes(fig, ax, pos, sorted(sub, key=lambda n: (-papers[n], n))[:MAX_NAMED_METHODS])
    return fig


def _label_top_nodes(fig: Figure, ax: Any, pos: dict[str, tuple[float, float]], ranked: list[str]) -> None:
    """Name the nodes in `ranked` (most important first), leaving out any whose label would
    cover one already placed; the layout is frozen first so the boxes stay where measured."""
    fig.canvas.draw()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    texts = {n: ax.text(*pos[n], _mpl(n, 28), fontsize=8, ha="center", va="center", zorder=5,
                        bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.6})
             for n in ranked}
    boxes = []
    for n in ranked:
        box = texts[n].get_window_extent(renderer).padded(2)
        boxes.append((n, (box.x0, box.y0, box.x1, box.y1)))
    kept = set(place_labels(boxes))
    for n, text in texts.items():
        if n not in kept:
            text.remove()


def _trends_figure(trends: dict[str, dict[int, int]]) -> Figure:
    """Small multiples: one panel per method (same axes), so no line hides another."""
    series = list(trends.items())[:MAX_TREND_SERIES]
    cols = min(TREND_COLUMNS, len(series))
    rows = -(-len(series) // cols)
    fig = Figure(figsize=(2.6 * cols + 0.6, 2.0 * rows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    for ax in axes.flat[len(series):]:
        ax.set_visible(False)
    for ax, (name, per_year) in zip(axes.flat, series):
        ax.plot(list(per_year), list(per_year.values()), marker="o", markersize=3, color="#4c72b0")
        ax.set_title(_mpl(name, 30), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    fig.supxlabel("year", fontsize=9)
    fig.supylabel("papers", fontsize=9)
    fig.suptitle(f"Papers per year for the {len(series)} methods in the most dated papers")
    return fig


def _figure(name: str, data: ReportData) -> Figure | None:
    """The named figure, or None when the graph has nothing to draw for it."""
    if name == "methods":
        return _bar_figure(data.methods, "Most used methods", "#4c72b0") if data.methods else None
    if name == "datasets":
        return _bar_figure(data.datasets, "Most used datasets", "#dd8452") if data.datasets else None
    if name == "heatmap":
        return _heatmap_figure(*data.matrix) if data.matrix[0] else None
    if name == "network":
        return _network_figure(data.cousage, data.communities) if data.cousage.number_of_edges() else None
    if name == "trends":
        return _trends_figure(data.trends) if data.trends else None
    raise ValueError(f"unknown plot {name!r} (available: {', '.join(PLOTS)})")


def plot_figure(name: str, G: nx.MultiDiGraph, top: int = 15) -> Figure | None:
    """One of the report's figures (`PLOTS`) as a matplotlib Figure, or None if nothing to draw.

    Raises
    ------
    ValueError
        `name` is not one of `PLOTS`.
    """
    if name not in PLOTS:
        raise ValueError(f"unknown plot {name!r} (available: {', '.join(PLOTS)})")
    return _figure(name, collect(G, top))


def save_plot(name: str, G: nx.MultiDiGraph, path: str | Path, top: int = 15, dpi: int = 120) -> Path:
    """Write one of the report's figures as a PNG file (for a README or a slide).

    Parameters
    ----------
    name : str
        One of `PLOTS`: "methods", "datasets", "heatmap", "network", "trends".
    G : networkx.MultiDiGraph
        The paper graph (``kg.analysis.load_graph("graph.graphml")``).
    path : str or Path
        PNG file to write.
    top : int
        Bars, heat map rows and ranked rows at most.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        Unknown `name`, or the graph has nothing to draw for it (e.g. "trends" when no paper
        has a year).
    """
    fig = plot_figure(name, G, top)
    if fig is None:
        raise ValueError(f"nothing to draw for plot {name!r} in this graph")
    path = Path(path)
    fig.savefig(path, format="png", dpi=dpi)
    return path


def _png_data_uri(fig: Figure, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;
max-width:1100px;padding:1rem 2rem 3rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #e3e3e3;padding-bottom:.2rem;margin-top:2.4rem}
h3{margin:1.4rem 0 .4rem;font-size:1.02rem}
.meta,.note{color:#555}.note{background:#f6f6f6;border-left:4px solid #ccc;padding:.5rem .8rem}
nav ul{columns:2;padding-left:1.2rem}img{max-width:100%;height:auto;display:block;margin:.8rem 0}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.grid>div{flex:1 1 420px}
#overview{font-size:1.05rem;background:#f4f8fc;border-left:4px solid #4c72b0;padding:.3rem 1rem;margin:.6rem 0}
#overview p{margin:.35rem 0}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.35em;vertical-align:middle}
"""

_SECTIONS = (
    ("summary", "Graph summary"),
    ("methods", "Most used methods"),
    ("datasets", "Most used datasets"),
    ("heatmap", "Methods \u00d7 datasets"),
    ("network", "Co-usage network and communities"),
    ("pagerank", "Central methods (PageRank)"),
    ("trends", "Trends per year"),
    ("leaderboards", "Leaderboards"),
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()) -> str:
    num = set(numeric)
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if i in num else f"<td>{_e(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(fig: Figure | None, alt: str) -> str:
    return "" if fig is None else f'<img src="{_png_data_uri(fig)}" alt="{_e(alt)}">'


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _top_section(label: str, rows: list[tuple[str, int]], rels: dict[str, dict[str, int]],
                 fig: Figure | None) -> str:
    if not rows:
        return _note(f"No {label.lower()}s in this graph.")
    types = [t for t in _REL_ORDER if any(t in r for r in rels.values())]
    types += sorted({t for r in rels.values() for t in r} - set(types))
    table = _table(["#", label, "papers", *[t.lower().replace("_", " ") for t in types]],
                   [[i, name, n, *[rels.get(name, {}).get(t, 0) for t in types]]
                    for i, (name, n) in enumerate(rows, 1)],
                   numeric=[0, 2, *range(3, 3 + len(types))])
    return (f'<div class="grid"><div>{_img(fig, f"most used {label.lower()}s")}</div><div>{table}</div></div>'
            f'<p class="meta">Papers linked to the {label.lower()} by any relationship; the other columns '
            "split them by relationship (a paper may have several).</p>")


def summary_sentences(data: ReportData) -> list[str]:
    """The report's opening lines: papers and years, the top method, dataset and task, and the
    biggest communities of methods used together.

    Examples
    --------
    >>> summary_sentences(collect(nx.MultiDiGraph()))
    ['0 papers, no publication years.', 'No method, dataset or task found.']
    """
    papers = data.node_counts.get("Paper", 0)
    years = data.years
    when = (f"from {years[0]}" if years[0] == years[-1] else f"from {years[0]} to {years[-1]}") if years \
        else "no publication years"
    lines = [f"{papers:,} paper{'s' if papers != 1 else ''}, {when}."]
    tops = [f"{kind} {name} ({n:,} paper{'s' if n != 1 else ''})"
            for kind, rows in (("method", data.methods), ("dataset", data.datasets), ("task", data.tasks))
            if rows for name, n in rows[:1]]
    lines.append("Most used: " + "; ".join(tops) + "." if tops else "No method, dataset or task found.")
    if data.communities:
        H = data.cousage
        groups = []
        for members in data.communities[:SUMMARY_COMMUNITIES]:
            ordered = sorted(members, key=lambda n: (-H.nodes[n].get("papers", 0), n))
            groups.append(f"{', '.join(ordered[:SUMMARY_MEMBERS])}{', ...' if len(ordered) > SUMMARY_MEMBERS else ''}"
                          f" ({len(members)} methods)")
        lines.append("Biggest communities of methods used together: " + "; ".join(groups) + ".")
    return lines


def _summary(G: nx.MultiDiGraph, data: ReportData) -> str:
    years = data.years
    when = f"Publication years {years[0]}\u2013{years[-1]}." if years else "No paper has a publication year."
    return ('<div class="grid"><div>'
            + _table(["node label", "nodes"], data.node_counts.items(), numeric=[1])
            + "</div><div>"
            + _table(["relationship", "edges"], data.edge_counts.items(), numeric=[1])
            + f"</div></div><p class=\"meta\">{_e(when)}</p>")


def _heatmap(data: ReportData) -> str:
    methods, datasets, _ = data.matrix
    if not methods:
        return _note("No paper links both a method and a dataset.")
    return (_img(_figure("heatmap", data), "method by dataset heat map")
            + f'<p class="meta">Cells count the papers linking the method and the dataset. Columns: the '
            f"{len(datasets)} datasets in the most papers; rows: the {len(methods)} methods in the most of "
            "those papers.</p>")


def _network(data: ReportData) -> str:
    H = data.cousage
    if H.number_of_edges() == 0:
        return _note("No two methods are used together in two or more papers.")
    colours = _community_colours(data.communities)
    rows = []
    for i, members in enumerate(data.communities, 1):
        ordered = sorted(members, key=lambda n: (-H.nodes[n].get("papers", 0), n))
        shown = ", ".join(ordered[:12]) + (f", \u2026 (+{len(ordered) - 12})" if len(ordered) > 12 else "")
        colour = colours.get(ordered[0], _OTHER_COLOUR)
        rows.append(f'<tr><td class="num"><span class="swatch" style="background:{colour}"></span>{i}</td>'
                    f'<td class="num">{len(members)}</td><td>{_e(shown)}</td></tr>')
    drawn = min(H.number_of_nodes(), MAX_DRAWN_METHODS)
    return (_img(_figure("network", data), "co-usage network of methods")
            + f'<p class="meta">{H.number_of_nodes()} methods share two or more papers with another '
            f"({H.number_of_edges()} links; the {drawn} in the most papers are drawn, and of the "
            f"{min(drawn, MAX_NAMED_METHODS)} largest each is named unless its label would cover a larger "
            "one's). Node size: papers; edge width: shared papers. Communities: Louvain (networkx, seed 0) "
            "on the weighted co-usage graph, each drawn in its own area.</p>"
            '<table><thead><tr><th>community</th><th>methods</th><th>members (most papers first)</th></tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _pagerank(data: ReportData) -> str:
    if not data.pagerank:
        return _note("No two methods are used in the same paper.")
    table = _table(["#", "method", "PageRank", "papers"],
                   [[i, name, f"{score:.4f}", data.method_papers.get(name, 0)]
                    for i, (name, score) in enumerate(data.pagerank, 1)], numeric=[0, 2, 3])
    return (table + '<p class="meta">PageRank (damping 0.85) on the co-usage graph of methods, edges weighted '
            "by shared papers: a method ranks high when it is used with many methods that are themselves "
            "central, not only when it is in many papers.</p>")


def _trends(data: ReportData) -> str:
    if not data.trends:
        return _note("Per-year trends need publication years, and no paper in this graph has one "
                     "(give papers a year, or a date, in JSONL or CSV input).")
    years = list(next(iter(data.trends.values())))
    table = _table(["method", *map(str, years)], [[name, *per_year.values()] for name, per_year in data.trends.items()],
                   numeric=range(1, len(years) + 1))
    return _img(_figure("trends", data), "papers per year") + table


def _value(row: dict) -> str:
    if row.get("text"):
        return str(row["text"])
    unit = row.get("unit") or ""
    return f"{row['value']:g}{unit}" if unit in ("%", "x") else f"{row['value']:g} {unit}".strip()


def _leaderboards(data: ReportData) -> str:
    if not data.boards:
        return _note("No dataset has two or more comparable results reported for the same metric.")
    parts = []
    for dataset, metric, rows in data.boards[:MAX_BOARDS]:
        unit = f" ({rows[0]['unit']})" if rows[0].get("unit") else ""
        direction = "lower is better" if rows[0].get("lower_is_better") else "higher is better"
        shown = rows[: data.top]
        parts.append(f"<h3>{_e(dataset)} \u2014 {_e(metric)}{_e(unit)}: {_e(direction)}</h3>")
        parts.append(_table(["rank", "value", "method", "dataset reported", "paper"],
                            [[r["rank"], _value(r), r.get("method") or "", r.get("dataset") or "",
                              r.get("paper_title") or r.get("paper_id") or ""] for r in shown], numeric=[0, 1]))
        if len(rows) > len(shown):
            parts.append(f'<p class="meta">\u2026 and {len(rows) - len(shown)} more.</p>')
    more = len(data.boards) - MAX_BOARDS
    tail = (f'<p class="meta">{more} smaller leaderboard(s) not shown (<code>kg leaderboard</code> lists any).</p>'
            if more > 0 else "")
    return ('<p class="meta">Absolute scores only (deltas such as "by 2.4%" are left out); a dataset\'s variants '
            "count as the dataset; each metric and unit ranked on its own.</p>" + "".join(parts) + tail)


def render_report(G: nx.MultiDiGraph, title: str = "Knowledge graph report", top: int = 15) -> str:
    """The report as one self-contained HTML page (plots embedded; no external resources).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The paper graph (``kg.analysis.load_graph(path)``).
    title : str
        Page title and heading.
    top : int
        Bars and table rows at most per section.

    Returns
    -------
    str
        The HTML page; every text that comes from the graph is escaped.
    """
    data = collect(G, top)
    body = {
        "summary": _summary(G, data),
        "methods": _top_section("Method", data.methods, data.method_rels, _figure("methods", data)),
        "datasets": _top_section("Dataset", data.datasets, data.dataset_rels, _figure("datasets", data)),
        "heatmap": _heatmap(data),
        "network": _network(data),
        "pagerank": _pagerank(data),
        "trends": _trends(data),
        "leaderboards": _leaderboards(data),
    }
    papers = data.node_counts.get("Paper", 0)
    overview = "".join(f"<p>{_e(line)}</p>" for line in summary_sentences(data))
    nav = "".join(f'<li><a href="#{key}">{_e(name)}</a></li>' for key, name in _SECTIONS)
    sections = "".join(f'<section id="{key}"><h2>{_e(name)}</h2>{body[key]}</section>' for key, name in _SECTIONS)
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{_e(title)}</title><style>{_CSS}</style></head><body>'
            f"<h1>{_e(title)}</h1><div id=\"overview\">{overview}</div>"
            f"<p class=\"meta\">{papers} papers, {G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges. Made by <code>kg report</code>.</p>"
            f"<nav><ul>{nav}</ul></nav>{sections}</body></html>\n")


def write_report(G: nx.MultiDiGraph, path: str | Path, title: str = "Knowledge graph report", top: int = 15) -> Path:
    """Write `render_report` to `path` (UTF-8) and return the path.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    path = Path(path)
    with AtomicFile(path, "w") as f:  # HTML holds what XML holds: no NUL, no lone surrogate
        f.write(xml_text(render_report(G, title, top)))
    return path
