"""The backend contract: one small interface that networkx and Neo4j both implement.

A backend stores the graph schema of DESIGN.md. Upserts are idempotent: a node is identified by
(label, key), a relationship by (start, type, end), and loading the same batch twice changes
nothing. The merge rules for properties live here (`merge_node_props`, `merge_rel_props`) so
the builder (duplicates inside one batch) and every backend merge the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from schema.graph import GraphBatch

if TYPE_CHECKING:  # networkx is only needed for the type of `to_networkx`
    import networkx as nx


class BackendError(Exception):
    """Base class of the errors a backend reports to the user (printed as one line)."""


class QueryError(BackendError, ValueError):
    """A query that cannot run: bad syntax, a missing parameter or an unsupported construct."""


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

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Run a read-only Cypher query; values go in `params`, never into the text."""
        ...

    def counts(self) -> Counts:
        """Count nodes by label and relationships by type."""
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
