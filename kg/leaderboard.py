"""Leaderboards: the results reported across papers for one dataset, ranked per metric.

Reads the graph only (Paper -REPORTS-> Result -OF_METRIC-> Metric, -ON_DATASET-> Dataset,
-FOR_METHOD-> Method), so it works on any graph `kg build` wrote. Datasets and metrics are
matched by name, key or alias, case-insensitively; a dataset's variants (ImageNet-1K and
ILSVRC-2012 are VARIANT_OF ImageNet) count as the dataset, and each row names the one reported.

Only absolute scores are ranked: a delta ("improves accuracy by 2.4%", "+1.9 points", "3x
faster") says how much better a method is than some baseline, not how good it is, so it cannot
be compared across papers (`include_relative=True` lists those too, marked). The extractor marks
them (`relative` on the Result node); graphs built before that property existed are judged from
the number's text and evidence (`is_relative`). Values are ranked within one metric and unit
(0.78 and 78% are not compared). `kg query --named leaderboard` returns the same rows in the same
order (`rank_results` is its networkx path; its Cypher sorts the same way).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

import networkx as nx

# the extractor's own tests for a relative number, so graphs built before `relative` was stored
# are judged the way new extractions are

__all__ = ["LeaderboardError", "LeaderboardRow", "leaderboard", "rank_results", "is_lower_better", "is_relative",
           "find_nodes", "LOWER_IS_BETTER_CYPHER"]

#: metric names that say smaller is better (errors, losses, distances, costs)
LOWER_IS_BETTER = re.compile(
    r"error|loss|perplexity|\bppl\b|fid\b|fr[eé]chet|\bwer\b|\bcer\b|\bter\b|latency|\bmae\b|\bmse\b|\brmse\b"
    r"|\bbpp\b|\bbpd\b|\bbits?\b|bits per|bits-per|distance|bd-?rate|miss rate|\beer\b|inference time"
    r"|training time|run ?time|memory|model size|\bflops?\b|\bmacs\b|\bparam(eter)?s\b",
    re.IGNORECASE,
)
#: LOWER_IS_BETTER as a Cypher `=~` pattern (a Java regex matched against the whole string)
LOWER_IS_BETTER_CYPHER = f"(?is).*(?:{LOWER_IS_BETTER.pattern}).*"


class LeaderboardError(ValueError):
    """A dataset or metric the graph does not have; the message lists close matches."""


@dataclass(frozen=True)
class LeaderboardRow:
    """One ranked result: `rank` within its metric and unit (ties share a rank); `dataset` is the
    one the paper reported (a variant of the asked one, perhaps), `text` the number as written,
    `relative` marks a delta."""

    rank: int
    metric: str
    value: float
    unit: str | None
    method: str | None
    paper_id: str
    paper_title: str
    evidence: str
    dataset: str = ""
    text: str = ""
    relative: bool = False
    lower_is_better: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_lower_better(metric: str, aliases: Iterable[str] = ()) -> bool:
    """Whether smaller values of a metric are better, from its names ("WER", "top-5 error").

    Examples
    --------
    >>> is_lower_better("top-5 error"), is_lower_better("FID"), is_lower_better("top-1 accuracy")
    (True, True, False)
    """
    return any(LOWER_IS_BETTER.search(name) for name in (metric, *aliases) if name)


def is_relative(text: str, unit: str | None, evidence: str = "") -> bool:
    """Whether a reported number is a delta against a baseline rather than a score.

    Examples
    --------
    >>> is_relative("+1.9", None), is_relative("2.4%", "%", "surpassing EfficientNet by 2.4% with")
    (True, True)
    >>> is_relative("82.5%", "%", "achieves up to 82.5% accuracy on ImageNet")
    False
    """
    text = (text or "").strip()
    if text[:1] in ("+", "-", "\u2212") or unit == "points":
        return True
    at = evidence.find(text) if text else -1
    if at < 0:
        return False
    # the extractor's own patterns; imported here: that module loads spaCy, which queries never need
    from extractors.components.results import DELTA_AFTER_RE, DELTA_BEFORE_RE

    return bool(DELTA_BEFORE_RE.search(evidence[max(0, at - 30):at])
                or DELTA_AFTER_RE.match(evidence[at + len(text):at + len(text) + 30]))


def find_nodes(G: nx.MultiDiGraph, label: str, name: str) -> list[str]:
    """Nodes of one label whose name, key or an alias matches `name` (see `kg.analysis.find_entities`)."""
    from kg.analysis import find_entities  # kg.analysis imports this module

    return find_entities(G, name, label)


def _close_matches(G: nx.MultiDiGraph, label: str, name: str, among: Iterable[str] | None = None) -> list[str]:
    """Display names of the nodes whose spelling is close to `name` (difflib), for an error message."""
    names: dict[str, str] = {}
    nodes = among if among is not None else (n for n, d in G.nodes(data=True) if d.get("label") == label)
    for n in nodes:
        d = G.nodes[n]
        for form in (d.get("name"), *(d.get("aliases") or [])):
            if form:
                names.setdefault(form.casefold(), d.get("name") or form)
    hits = difflib.get_close_matches(name.casefold(), list(names), n=8, cutoff=0.5)
    return list(dict.fromkeys(names[h] for h in hits))[:5]


def _with_variants(G: nx.MultiDiGraph, nodes: list[str]) -> list[str]:
    """The nodes and everything VARIANT_OF them, transitively (ImageNet -> ImageNet-1K, ...)."""
    seen = list(dict.fromkeys(nodes))
    todo = list(seen)
    while todo:
        node = todo.pop()
        for child, _, data in G.in_edges(node, data=True):
            if data.get("type") == "VARIANT_OF" and child not in seen:
                seen.append(child)
                todo.append(child)
    return seen


def _target(G: nx.MultiDiGraph, node: str, rel: str) -> str | None:
    return next((v for _, v, d in G.out_edges(node, data=True) if d.get("type") == rel), None)


def leaderboard(
    G: nx.MultiDiGraph,
    dataset: str,
    metric: str | None = None,
    lower_is_better: bool | None = None,
    *,
    include_variants: bool = True,
    include_relative: bool = False,
) -> list[LeaderboardRow]:
    """Rank the results reported on a dataset, per metric, best first.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph built by `kg build` (``kg.analysis.load_graph`` reads a saved one).
    dataset : str
        Name, key or alias of a Dataset node, any case ("imagenet", "MS-MARCO").
    metric : str, optional
        Keep one metric (name, key or alias); default: every metric reported on the dataset.
    lower_is_better : bool, optional
        Ranking direction for every metric; default: decided per metric from its names
        (errors, losses, perplexity, FID, WER, CER, latency, MAE, (R)MSE, bpp, bits, ... are
        lower-is-better, everything else higher-is-better).
    include_variants : bool
        Also count results on the dataset's variants (ImageNet-1K for ImageNet).
    include_relative : bool
        Also list deltas ("by 2.4%", "+1.9 points"), ranked among themselves, `relative=True`.

    Returns
    -------
    list of LeaderboardRow
        Grouped per metric (by name) and unit; within a group best first, ties share a rank.

    Raises
    ------
    LeaderboardError
        The dataset (or metric) is not in the graph; the message lists close matches.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Paper:p1", label="Paper", title="T")
    >>> G.add_node("Dataset:d", label="Dataset", name="ImageNet", key="imagenet")
    >>> G.add_node("Metric:m", label="Metric", name="top-1 accuracy", key="top 1 accuracy")
    >>> G.add_node("Result:r", label="Result", value=80.1, unit="%", text="80.1%")
    >>> G.add_edges_from([("Paper:p1", "Result:r", {"type": "REPORTS", "evidence": "It gets 80.1%."}),
    ...                   ("Result:r", "Metric:m", {"type": "OF_METRIC"}),
    ...                   ("Result:r", "Dataset:d", {"type": "ON_DATASET"})])
    [0, 0, 0]
    >>> [(r.rank, r.metric, r.value) for r in leaderboard(G, "imagenet")]
    [(1, 'top-1 accuracy', 80.1)]
    """
    targets = find_nodes(G, "Dataset", dataset)
    if not targets:
        close = _close_matches(G, "Dataset", dataset)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise LeaderboardError(f"no dataset {dataset!r} in the graph{hint}")
    if include_variants:
        targets = _with_variants(G, targets)
    metric_nodes: set[str] | None = None
    if metric is not None:
        metric_nodes = set(find_nodes(G, "Metric", metric))
        reported = {m for _, m in _candidates(G, targets)}
        if not metric_nodes & reported:
            close = _close_matches(G, "Metric", metric, reported)
            names = close or sorted({G.nodes[m].get("name", m) for m in reported})[:8]
            hint = f"; {'close matches' if close else 'reported'}: {', '.join(names)}" if names else ""
            raise LeaderboardError(f"no results for metric {metric!r} on {dataset!r}{hint}")
    return rank_results(G, targets, metric_nodes, lower_is_better, include_relative=include_relative)


def _candidates(G: nx.MultiDiGraph, targets: list[str]) -> list[tuple[str, str]]:
    """(result node, metric node) of the results on the target datasets."""
    candidates: list[tuple[str, str]] = []
    for d_node in targets:
        for result, _, data in G.in_edges(d_node, data=True):
            if data.get("type") != "ON_DATASET" or G.nodes[result].get("label") != "Result":
                continue
            m_node = _target(G, result, "OF_METRIC")
            if m_node is not None:
                candidates.append((result, m_node))
    return candidates


def rank_results(
    G: nx.MultiDiGraph,
    targets: list[str],
    metric_nodes: set[str] | None = None,
    lower_is_better: bool | None = None,
    *,
    include_relative: bool = False,
) -> list[LeaderboardRow]:
    """Rank the results on the dataset nodes `targets` (variants already added): `leaderboard`
    after the names are resolved, and the networkx path of the named query `leaderboard`.

    Groups are ordered by metric name (case-insensitive), scores before deltas, unit, metric key;
    rows within a group best first, then by paper id, method and dataset name.
    """
    target_set = set(targets)

    candidates = _candidates(G, targets)
    if metric_nodes is not None:
        candidates = [(r, m) for r, m in candidates if m in metric_nodes]

    groups: dict[tuple[str, str, bool], list[LeaderboardRow]] = defaultdict(list)  # (metric node, unit, delta)
    seen: set[tuple] = set()
    for result, m_node in dict.fromkeys(candidates):
        rdata, mdata = G.nodes[result], G.nodes[m_node]
        paper, evidence = next(((u, d.get("evidence") or "") for u, _, d in G.in_edges(result, data=True)
                                if d.get("type") == "REPORTS"), (None, ""))
        if paper is None:
            continue
        unit, text = rdata.get("unit"), rdata.get("text") or ""
        relative = rdata.get("relative")
        if not isinstance(relative, bool):  # a graph built before results were marked
            relative = is_relative(text, unit, evidence)
        if relative and not include_relative:
            continue
        method = _target(G, result, "FOR_METHOD")
        d_node = next(v for _, v, d in G.out_edges(result, data=True)
                      if d.get("type") == "ON_DATASET" and v in target_set)
        row = LeaderboardRow(
            rank=0, metric=mdata.get("name") or m_node, value=float(rdata["value"]), unit=unit,
            method=G.nodes[method].get("name") if method else None,
            paper_id=G.nodes[paper].get("id") or paper.split(":", 1)[-1],
            paper_title=G.nodes[paper].get("title") or "", evidence=evidence,
            dataset=G.nodes[d_node].get("name") or d_node, text=text, relative=relative,
        )
        ident = (m_node, row.value, row.unit, row.method, row.paper_id, row.dataset)
        if ident not in seen:
            seen.add(ident)
            groups[(m_node, unit or "", relative)].append(row)

    rows: list[LeaderboardRow] = []
    # name, scores first, unit, metric key (as the named query's Cypher sorts)
    order = sorted(groups, key=lambda g: (groups[g][0].metric.casefold(), g[2], g[1], G.nodes[g[0]].get("key") or g[0]))
    for key in order:
        members = groups[key]
        lower = lower_is_better
        if lower is None:
            lower = is_lower_better(members[0].metric, G.nodes[key[0]].get("aliases") or ())
        members.sort(key=lambda r: (r.value if lower else -r.value, r.paper_id, r.method or "", r.dataset))
        rank, previous = 0, None
        for i, row in enumerate(members, 1):
            if row.value != previous:
                rank, previous = i, row.value
            rows.append(replace(row, rank=rank, lower_is_better=lower))
    return rows
