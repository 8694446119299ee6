"""The backend contract: one small interface that networkx and Neo4j both implement.

A backend stores the graph schema of DESIGN.md. Upserts are idempotent: a node is identified by
(label, key), a relationship by (start, type, end), and loading the same batch twice changes
nothing. The merge rules for properties live here (`merge_node_props`, `merge_rel_props`) so
the builder (duplicates inside one batch) and every backend merge the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from schema.graph import KEY_PROPERTY, GraphBatch, NodeLabel, NodeRecord, RelRecord, RelType

if TYPE_CHECKING:  # networkx is only needed for the type of `to_networkx`
    import networkx as nx


class BackendError(Exception):
    """Base class of the errors a backend reports to the user (printed as one line)."""


class QueryError(BackendError, ValueError):
    """A query that cannot run: bad syntax, a missing parameter or an unsupported construct."""


class NotFound(QueryError):
    """What a query names is not there: an unknown canned query, or an entity no node has (the CLI
    exits with its one "not found" code, like a missing graph file)."""


class QueryStopped(QueryError):
    """A query stopped by its time limit or by running out of memory (`kg query --timeout`)."""


class GraphFileError(BackendError, OSError):
    """A graph file that is missing, unreadable or corrupt; the message names the path."""


@dataclass(frozen=True)
class WriteStats:
    """What one upsert changed; a repeated upsert of the same batch reports only zeros."""

    nodes_created: int = 0
    nodes_updated: int = 0
    rels_created: int = 0
    rels_updated: int = 0
    #: relationships whose start or end node exists neither in the batch nor in the graph
    rels_skipped: int = 0
    #: removed by `remove_papers` (incremental rebuilds)
    nodes_removed: int = 0
    rels_removed: int = 0

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class QueryResult:
    """A table: `columns` in RETURN order and one list of plain Python values per row."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name (handy for JSON output and tests)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Counts:
    """Node counts by label and relationship counts by type."""

    nodes: dict[str, int] = field(default_factory=dict)
    rels: dict[str, int] = field(default_factory=dict)

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_rels(self) -> int:
        return sum(self.rels.values())


@dataclass(frozen=True)
class GraphVocabulary:
    """The node labels, relationship types and property keys a graph holds (`kg query` warnings)."""

    labels: AbstractSet[str] = frozenset()
    rel_types: AbstractSet[str] = frozenset()
    property_keys: AbstractSet[str] = frozenset()


@dataclass(frozen=True)
class EntitySummary:
    """What an entity node already in the graph tells cross-paper resolution (`AliasIndex.seed`)."""

    label: NodeLabel
    key: str
    name: str | None
    #: every spelling on the node: name, aliases and the keys merged into it
    forms: tuple[str, ...]
    #: papers linked to it, leaving out the papers of the current run
    papers: int


def entity_forms_of(props: Mapping[str, Any]) -> tuple[str, ...]:
    """The spellings an entity node's properties hold (name, aliases, merged keys)."""
    forms = [props.get("name"), *(props.get("aliases") or ()), *(props.get("merged_keys") or ())]
    return tuple(sorted({f for f in forms if isinstance(f, str) and f}))


def rekeyed_batch(label: NodeLabel, old: str, new: str, props: Mapping[str, Any],
                  rels: Iterable[tuple[RelType, bool, NodeLabel, str, Mapping[str, Any]]]) -> GraphBatch:
    """Node `old` and its relationships, moved to key `new` (`merge_entity` upserts this batch and
    deletes `old`, so the normal merge rules combine the two nodes).

    `rels` are (type, whether `old` is the start, the other end's label and key, properties);
    a relationship between the two nodes themselves is dropped (it would point at itself).
    """
    node_props = {k: v for k, v in props.items() if k != KEY_PROPERTY[label] and v is not None}
    node_props["merged_keys"] = sorted({*(node_props.get("merged_keys") or ()), old} - {new})
    moved: list[RelRecord] = []
    for type_, outgoing, other_label, other_key, rel_props in rels:
        if other_label == label and other_key in (old, new):
            continue
        ends = [(label, new), (other_label, other_key)]
        (sl, sk), (el, ek) = ends if outgoing else ends[::-1]
        moved.append(RelRecord(type=type_, start_label=sl, start_key=sk, end_label=el, end_key=ek,
                               props=dict(rel_props)))
    return GraphBatch(nodes=[NodeRecord(label=label, key=new, props=node_props)], rels=moved)


@runtime_checkable
class GraphBackend(Protocol):
    """What the CLI, export and tests rely on; nothing else about a backend is public."""

    def upsert(self, batch: GraphBatch) -> WriteStats:
        """Merge the batch's nodes, then its relationships (idempotent)."""
        ...

    def paper_versions(self) -> dict[str, tuple[str | None, str | None]]:
        """{paper id: (content_hash, extractor)} of the papers loaded so far."""
        ...

    def remove_papers(self, paper_ids: Iterable[str]) -> WriteStats:
        """Remove papers and everything only they gave evidence for (incremental rebuilds)."""
        ...

    def entity_summary(self, exclude_papers: Iterable[str] = ()) -> list[EntitySummary]:
        """Every entity node with its spellings and paper count (`exclude_papers` not counted)."""
        ...

    def merge_entity(self, label: NodeLabel, old: str, new: str) -> WriteStats:
        """Fold entity node `old` into `new` (created if missing): its relationships and properties
        merge with the usual rules, `old` joins `merged_keys`, and node `old` is deleted."""
        ...

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Run a read-only Cypher query; values go in `params`, never into the text."""
        ...

    def counts(self) -> Counts:
        """Count nodes by label and relationships by type."""
        ...

    def vocabulary(self) -> GraphVocabulary:
        """The labels, relationship types and property keys present, for warnings on misspelt names."""
        ...

    def to_networkx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph in the schema's layout (used by export)."""
        ...

    def close(self) -> None:
        """Release resources (and, for file-backed graphs, write pending changes)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


#: at most this many example papers are kept per surface form in `alias_evidence`
MAX_EVIDENCE_PER_FORM = 5
#: list properties merged as sorted unions
_UNION_LISTS = ("merged_keys", "papers")


def merge_evidence(a: Iterable[str], b: Iterable[str], cap: int = MAX_EVIDENCE_PER_FORM) -> list[str]:
    """Union of "<form> @ <paper>" items, keeping the first `cap` papers (sorted) per form."""
    per_form: dict[str, list[str]] = {}
    for item in sorted(set(a) | set(b)):
        form = item.rsplit(" @ ", 1)[0]
        kept = per_form.setdefault(form, [])
        if len(kept) < cap:
            kept.append(item)
    return sorted(i for items in per_form.values() for i in items)


def merge_node_props(
    existing: Mapping[str, Any], new: Mapping[str, Any], key: str | None = None
) -> dict[str, Any]:
    """Merge node properties so that re-loading the same data is a no-op.

    Every property keeps its existing non-empty value; `new` only fills properties that are
    missing or empty (first writer wins, None values are dropped). Two exceptions:
    `aliases` become the sorted union of both sides plus any other real `name` (no surface
    form is lost), minus the kept name; and a placeholder name equal to the node's `key` (a
    node created only because a result or relation referred to it) gives way to a real name.
    """
    merged = {k: v for k, v in existing.items() if v is not None}
    for k, v in new.items():
        if k in ("aliases", "alias_evidence", *_UNION_LISTS) or v is None:
            continue
        if _is_empty(merged.get(k)):
            merged[k] = v
    new_name = new.get("name")
    if key is not None and merged.get("name") == key and new_name and new_name != key:
        merged["name"] = new_name
    if "aliases" in existing or "aliases" in new:
        aliases = set(existing.get("aliases") or ()) | set(new.get("aliases") or ())
        for side in (existing, new):
            name = side.get("name")
            if name and name != key:
                aliases.add(name)
        aliases.discard(merged.get("name"))
        merged["aliases"] = sorted(aliases)
    if "alias_evidence" in existing or "alias_evidence" in new:
        merged["alias_evidence"] = merge_evidence(existing.get("alias_evidence") or (), new.get("alias_evidence") or ())
    for name in _UNION_LISTS:
        if name in existing or name in new:
            merged[name] = sorted(set(existing.get(name) or ()) | set(new.get(name) or ()))
    return merged


def merge_rel_props(existing: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Merge relationship properties: `confidence` is the maximum, others keep the first value."""
    merged = merge_node_props(existing, new)
    confidences = [p["confidence"] for p in (existing, new) if p.get("confidence") is not None]
    if confidences:
        merged["confidence"] = max(confidences)
    return merged
