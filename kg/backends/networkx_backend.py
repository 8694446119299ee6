"""The embedded backend: a networkx MultiDiGraph in memory, saved to a GraphML or JSON file.

Layout (DESIGN.md): node id "<Label>:<key>", node attributes = properties + key property +
`label`; edges keyed by their relationship type, attributes = properties + `type`. Nodes and
edges also carry a `__labels__` set ({label} / {type}), where the former embedded engine
(grand-cypher) looked for labels; it is never written to files and is restored on load. Cypher on
this graph runs on LadybugDB (`kg.query.run_cypher`).

The saved file IS the export (kg/export.py), so a `.graphml` graph opens in Gephi or Cytoscape.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import networkx as nx

from kg.backends.base import (
    Counts,
    EntitySummary,
    GraphFileError,
    GraphVocabulary,
    QueryResult,
    WriteStats,
    entity_forms_of,
    merge_node_props,
    merge_rel_props,
    rekeyed_batch,
)
from kg.export import format_of, read_graph, write_graph
from kg.query import run_cypher
from schema.graph import ENTITY_NODE_LABEL, KEY_PROPERTY, GraphBatch, NodeLabel, RelType, node_id

#: schema properties that hold text: in a graph from another tool, numbers there are read as text
_NODE_TEXT = ("label", "key", "id", "name", "title")
_EDGE_TEXT = ("type",)

#: attributes the backend manages itself (not properties of the schema)
_NODE_INTERNAL = ("label", "__labels__")
_ENTITY_LABELS = frozenset(label.value for label in ENTITY_NODE_LABEL.values())
_EDGE_INTERNAL = ("type", "__labels__")

#: properties whose few distinct values repeat on many elements: `upsert` keeps one object each
_REPEATED = frozenset({"confidence", "extractor", "role", "source", "unit"})
#: one float object per distinct confidence (calibrated scores have three decimals); bounded
_FLOATS: dict[float, float] = {}
_MAX_FLOATS = 4096


def _share_repeated(props: dict[str, Any]) -> dict[str, Any]:
    """`props` with the values of `_REPEATED` properties shared (interned strings, one float per value).

    A value read from the spill file is a new object per element; at 150,000 papers the same
    "used", extractor version or confidence was stored hundreds of thousands of times.
    """
    for name in _REPEATED.intersection(props):
        value = props[name]
        if type(value) is str:
            props[name] = sys.intern(value)
        elif type(value) is float and 0.0 < value <= 1.0:  # not -0.0 for 0.0, nor NaN
            shared = _FLOATS.get(value)
            if shared is not None:
                props[name] = shared
            elif len(_FLOATS) < _MAX_FLOATS:
                _FLOATS[value] = value
    return props


def _as_text(d: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = d.get(name)
        if value is not None and not isinstance(value, str):
            d[name] = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


def restore_labels(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Give every node and edge a `__labels__` set (in place; see the module docstring).

    Elements with the same label share one set (a set costs ~200 bytes, times millions of
    edges); nothing modifies these sets in place (`upsert` assigns new ones). A graph written by
    another tool may hold numbers where our schema has text (`label`, `name`, `type`...): those
    become strings, so every command treats them like any other name.
    """
    shared: dict[Any, set] = {}
    for _, d in G.nodes(data=True):
        _as_text(d, _NODE_TEXT)
        if "label" in d:
            label = d["label"]
            d["__labels__"] = shared.setdefault(label, {label}) if isinstance(label, str) else {label}
    for *_, d in G.edges(data=True):
        _as_text(d, _EDGE_TEXT)
        if "type" in d:
            type_ = d["type"]
            d["__labels__"] = shared.setdefault(type_, {type_}) if isinstance(type_, str) else {type_}
    return G


def read_graph_file(path: str | Path) -> nx.MultiDiGraph:
    """Read a saved graph (.graphml or .json, optionally .gz) ready for querying.

    Raises
    ------
    GraphFileError
        The file is missing, unreadable or not a graph file; the message names the path.
    """
    path = Path(path)
    if not path.is_file():
        reason = "is a directory" if path.is_dir() else "no such file"
        raise GraphFileError(f"{path}: cannot read graph: {reason}")
    try:
        fmt = format_of(path)
        G = read_graph(path, fmt)
    except Exception as exc:  # any parser error means the same thing to the user
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise GraphFileError(f"{path}: cannot read graph: {reason}") from exc
    return restore_labels(G)


class _LazyNames(AbstractSet[str]):
    """A set of names gathered from an iterator of name groups only as far as a question needs."""

    def __init__(self, groups: Iterator[Iterable[Any]], hidden: tuple[str, ...] = ()) -> None:
        self._groups = groups
        self._seen: set[str] = set()
        self._hidden = hidden

    def __contains__(self, name: object) -> bool:
        if name in self._hidden:
            return False
        if name in self._seen:
            return True
        for group in self._groups:
            self._seen.update(group)
            if name in self._seen:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        for group in self._groups:
            self._seen.update(group)
        return (str(name) for name in self._seen if name not in self._hidden)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _props(attrs: Mapping[str, Any], internal: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k not in internal}


class NetworkxBackend:
    """Graph backend over an in-memory networkx MultiDiGraph, optionally tied to a file.

    Parameters
    ----------
    path : str or Path, optional
        Graph file (.graphml or .json, optionally .gz). If it exists it is loaded; `close()`
        (or leaving the `with` block) writes pending changes back to it.

    Examples
    --------
    >>> from schema import GraphBatch, NodeRecord
    >>> with NetworkxBackend() as backend:
    ...     stats = backend.upsert(GraphBatch(nodes=[NodeRecord(label="Method", key="bert",
    ...                                                         props={"name": "BERT"})]))
    ...     backend.query("MATCH (m:Method) RETURN m.name").rows
    [['BERT']]
    """

    def __init__(self, path: str | Path | None = None, graph: nx.MultiDiGraph | None = None):
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            format_of(self.path)  # fail early on an extension we cannot save to
        #: one `__labels__` set per label or type, shared by the elements `upsert` writes (a set
        #: per element cost ~200 bytes, times millions of edges); never modified in place
        self._label_sets: dict[str, set[str]] = {}
        if graph is not None:
            self._graph = restore_labels(graph)
        elif self.path is not None and self.path.exists():
            self._graph = read_graph_file(self.path)
        else:
            self._graph = nx.MultiDiGraph()
        self._dirty = False

    @classmethod
    def load(cls, path: str | Path) -> NetworkxBackend:
        """Open an existing graph file; unlike the constructor, a missing file is an error."""
        return cls(path, graph=read_graph_file(path))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the graph (format from the extension); the file is replaced atomically."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save to: pass one or create the backend with a path")
        fmt = format_of(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_graph(self._graph, target, fmt)  # through a temporary file, then os.replace
        except OSError as exc:
            raise GraphFileError(f"{target}: cannot write graph: {exc.strerror or exc}") from exc
        if target == self.path:
            self._dirty = False
        return target

    def upsert(self, batch: GraphBatch) -> WriteStats:
        """Merge nodes, then relationships (see `merge_node_props` / `merge_rel_props`)."""
        G = self._graph
        created = updated = rels_created = rels_updated = skipped = 0
        labels = self._label_sets
        for node in batch.nodes:
            node_label = NodeLabel(node.label)
            label = node_label.value
            props = _share_repeated({k: v for k, v in node.props.items() if v is not None})
            props[KEY_PROPERTY[node_label]] = node.key
            nid = sys.intern(node.id)  # edges below refer to the same string object
            shared = labels.setdefault(label, {label})
            if nid in G:
                attrs = G.nodes[nid]
                merged = merge_node_props(_props(attrs, _NODE_INTERNAL), props, key=node.key)
                merged.update(label=label, __labels__=shared)
                if merged != attrs:
                    attrs.clear()
                    attrs.update(merged)
                    updated += 1
            else:
                G.add_node(nid, **props, label=label, __labels__=shared)
                created += 1
        for rel in batch.rels:
            type_ = RelType(rel.type).value
            u, v = sys.intern(rel.start_id), sys.intern(rel.end_id)  # not a new id string per edge
            if u not in G or v not in G:
                skipped += 1
                continue
            props = _share_repeated({k: v for k, v in rel.props.items() if v is not None})
            shared = labels.setdefault(type_, {type_})
            if G.has_edge(u, v, key=type_):
                attrs = G.edges[u, v, type_]
                merged = merge_rel_props(_props(attrs, _EDGE_INTERNAL), props)
                merged.update(type=type_, __labels__=shared)
                if merged != attrs:
                    attrs.clear()
                    attrs.update(merged)
                    rels_updated += 1
            else:
                G.add_edge(u, v, key=type_, **props, type=type_, __labels__=shared)
                rels_created += 1
        stats = WriteStats(created, updated, rels_created, rels_updated, skipped)
        if created or updated or rels_created or rels_updated:
            self._dirty = True
        return stats

    def paper_versions(self) -> dict[str, tuple[str | None, str | None]]:
        """{paper id: (content_hash, extractor)} of every Paper node, for incremental rebuilds."""
        return {d.get("id", str(n)): (d.get("content_hash"), d.get("extractor"))
                for n, d in self._graph.nodes(data=True) if d.get("label") == NodeLabel.PAPER.value}

    def remove_papers(self, paper_ids: Iterable[str]) -> WriteStats:
        """Take papers out with everything only they gave evidence for.

        Removes the Paper nodes, their Result nodes, their surface-form evidence on entities, their
        support of entity-to-entity relationships (a relationship nobody supports any more goes),
        and entity nodes left with no relationship at all.
        """
        G = self._graph
        ids = {pid for pid in paper_ids if node_id(NodeLabel.PAPER, pid) in G}
        if not ids:
            return WriteStats()
        touched: set[Any] = set()
        removed_nodes = removed_rels = 0
        for pid in ids:
            paper = node_id(NodeLabel.PAPER, pid)
            for _, target, key in list(G.out_edges(paper, keys=True)):
                touched.add(target)
                if G.nodes[target].get("label") == NodeLabel.RESULT.value:
                    touched.update(G.successors(target))
                    removed_rels += G.degree(target)
                    G.remove_node(target)
                    removed_nodes += 1
            removed_rels += G.degree(paper)
            G.remove_node(paper)
            removed_nodes += 1
        suffixes = tuple(f" @ {pid}" for pid in ids)
        for node in [n for n in touched if n in G]:
            attrs = G.nodes[node]
            if attrs.get("alias_evidence"):
                attrs["alias_evidence"] = [e for e in attrs["alias_evidence"] if not e.endswith(suffixes)]
        for u, v, key, attrs in list(G.edges(keys=True, data=True)):
            papers = attrs.get("papers")
            if papers and not ids.isdisjoint(papers):
                attrs["papers"] = [p for p in papers if p not in ids]
                if not attrs["papers"]:
                    G.remove_edge(u, v, key)
                    removed_rels += 1
                    touched.update((u, v))
        for node in [n for n in touched if n in G and G.degree(n) == 0]:
            G.remove_node(node)
            removed_nodes += 1
        self._dirty = True
        return WriteStats(nodes_removed=removed_nodes, rels_removed=removed_rels)

    def entity_summary(self, exclude_papers: Iterable[str] = ()) -> list[EntitySummary]:
        """Every entity node with its spellings and the number of papers (not excluded) linked to it."""
        G = self._graph
        skip = {node_id(NodeLabel.PAPER, pid) for pid in exclude_papers}
        out = []
        for n, d in G.nodes(data=True):
            label = d.get("label")
            if label not in _ENTITY_LABELS or "key" not in d:
                continue
            papers = {u for u in G.predecessors(n)
                      if u not in skip and G.nodes[u].get("label") == NodeLabel.PAPER.value}
            out.append(EntitySummary(NodeLabel(label), str(d["key"]), d.get("name"), entity_forms_of(d), len(papers)))
        return out

    def merge_entity(self, label: NodeLabel, old: str, new: str) -> WriteStats:
        """Fold entity node `old` into `new` (see `GraphBackend.merge_entity`)."""
        G = self._graph
        nid = node_id(label, old)
        if old == new or nid not in G:
            return WriteStats()

        def end(n: Any) -> tuple[NodeLabel, str]:
            other = NodeLabel(G.nodes[n]["label"])
            return other, str(G.nodes[n][KEY_PROPERTY[other]])

        rels = [(RelType(k), False, *end(u), _props(d, _EDGE_INTERNAL)) for u, _, k, d in G.in_edges(nid, keys=True, data=True)]
        rels += [(RelType(k), True, *end(v), _props(d, _EDGE_INTERNAL)) for _, v, k, d in G.out_edges(nid, keys=True, data=True)]
        batch = rekeyed_batch(label, old, new, _props(G.nodes[nid], _NODE_INTERNAL), rels)
        stats = self.upsert(batch)
        removed = G.degree(nid)
        G.remove_node(nid)
        self._dirty = True
        return stats + WriteStats(nodes_removed=1, rels_removed=removed)

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Run a read-only Cypher query on LadybugDB, loaded from this graph (see `kg.query.run_cypher`)."""
        return run_cypher(self._graph, cypher, params)

    def counts(self) -> Counts:
        """Counts for every schema label and type (0 when absent), plus any others found."""
        nodes = Counter({label.value: 0 for label in NodeLabel})
        nodes.update(d["label"] for _, d in self._graph.nodes(data=True) if "label" in d)
        rels = Counter({type_.value: 0 for type_ in RelType})
        rels.update(d["type"] for *_, d in self._graph.edges(data=True) if "type" in d)
        return Counts(nodes=dict(nodes), rels=dict(rels))

    def vocabulary(self) -> GraphVocabulary:
        """Labels, types and attribute names in use, read lazily: `name in` stops at the first node or
        edge that has it, so only a name the graph lacks costs a whole pass (1.1 s for all three at
        100,000 papers and 1.4 million edges)."""
        G = self._graph
        nodes = (d for _, d in G.nodes(data=True))
        edges = (d for *_, d in G.edges(data=True))
        return GraphVocabulary(
            labels=_LazyNames(d.get("__labels__") or ((d["label"],) if "label" in d else ()) for _, d in G.nodes(data=True)),
            rel_types=_LazyNames((d["type"],) if "type" in d else () for *_, d in G.edges(data=True)),
            property_keys=_LazyNames(itertools.chain(nodes, edges), hidden=("__labels__",)),
        )

    def to_networkx(self) -> nx.MultiDiGraph:
        """The live graph (not a copy, to spare memory): read it, don't modify it."""
        return self._graph

    def close(self) -> None:
        """Write pending changes to `path`, if the backend has one."""
        if self.path is not None and self._dirty:
            self.save()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
