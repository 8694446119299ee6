"""What each entity node was merged from: its surface forms, the papers that wrote them, and the
keys cross-paper resolution folded into it (`kg aliases`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from extractors.normalize import normalize_key
from kg.analysis import find_entities

ENTITY_LABELS = ("Method", "Dataset", "Metric", "Task")


@dataclass
class AliasEntry:
    """One entity node's merge evidence."""

    label: str
    key: str
    name: str
    forms: dict[str, list[str]] = field(default_factory=dict)  # surface form -> example paper ids
    merged_keys: list[str] = field(default_factory=list)
    papers: int = 0
    #: why this node was not joined to an entity other papers define with its spelling (or None)
    unresolved: str | None = None

    def to_dict(self) -> dict:
        return {"label": self.label, "key": self.key, "name": self.name, "forms": self.forms,
                "merged_keys": self.merged_keys, "papers": self.papers, "unresolved": self.unresolved}


def alias_entries(G: nx.MultiDiGraph, name: str | None = None, label: str | None = None,
                  merged_only: bool = False) -> list[AliasEntry]:
    """Merge evidence of entity nodes, most-mentioned first.

    Parameters
    ----------
    name
        Keep the entities whose key, name or any alias normalises like this (e.g. "ViT").
    label
        Keep one label: Method, Dataset, Metric or Task (case-insensitive; METHOD works too).
    merged_only
        Keep only nodes that carry more than one surface form or merged keys.
    """
    wanted_label = label.capitalize() if label else None
    wanted = set(find_entities(G, name, wanted_label)) if name else None
    defined = _defined_forms(G)
    out = []
    for node, data in G.nodes(data=True):
        node_label = data.get("label")
        if node_label not in ENTITY_LABELS or (wanted_label and node_label != wanted_label):
            continue
        if wanted is not None and node not in wanted:
            continue
        forms: dict[str, list[str]] = defaultdict(list)
        for item in data.get("alias_evidence") or []:
            form, _, paper = item.rpartition(" @ ")
            forms[form].append(paper)
        merged = list(data.get("merged_keys") or [])
        if merged_only and len(forms) < 2 and not merged:
            continue
        papers = len({u for u, _, d in G.in_edges(node, data=True) if G.nodes[u].get("label") == "Paper"})
        key = data.get("key", node)
        entry = AliasEntry(node_label, key, data.get("name", ""), dict(forms), merged, papers)
        if " " not in entry.name and sum(c.isupper() for c in entry.name) >= 2:  # an acronym
            entry.unresolved = _unresolved(node, key, defined)
        out.append(entry)
    out.sort(key=lambda e: (-e.papers, e.label, e.name.lower()))
    return out


def _defined_forms(G: nx.MultiDiGraph) -> dict[str, list[tuple[str, str]]]:
    """Normalised alias -> [(node, "name (label)")] of the entity nodes that carry it as an alias."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for node, data in G.nodes(data=True):
        if data.get("label") in ENTITY_LABELS:
            for alias in data.get("aliases") or ():
                out[normalize_key(alias)].append((node, f"{data.get('name')} ({data['label'].lower()})"))
    return out


def _unresolved(node: str, key: str, defined: dict[str, list[tuple[str, str]]]) -> str | None:
    """Why a node keyed by a bare acronym stayed apart from the nodes other papers define it as."""
    others = sorted({desc for other, desc in defined.get(key, ()) if other != node})
    if not others:
        return None
    if len(others) == 1:
        return (f"not joined to {others[0]}: the acronym means other things in the corpus, or its papers "
                "share nothing with the papers that define it")
    return f"not joined: other papers define it as several things ({', '.join(others)})"
