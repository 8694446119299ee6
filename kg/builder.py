"""Turn (Paper, Extraction) pairs into one backend-neutral `GraphBatch` (pure: no I/O).

The edge a paper gets to an entity follows from the entity's label and role (`edge_type`);
every edge carries `confidence`, `evidence` (the sentence of the first mention) and
`extractor`. Results become their own nodes with a deterministic id, so re-loading a paper
updates the same Result instead of adding a copy. Output order follows input order, and
duplicates inside the batch are merged with the backends' own merge rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from extractors.lexicon import rules_fingerprint
from kg import __version__
from kg.backends.base import merge_node_props, merge_rel_props
from schema.extraction import Entity, Extraction, ResultRecord
from schema.graph import ENTITY_NODE_LABEL, GraphBatch, NodeLabel, NodeRecord, RelRecord, RelType
from schema.paper import Paper

#: written on every relationship, so a graph says which rules produced it
EXTRACTOR = "kg-rules/" + ".".join(__version__.split(".")[:2])

_METHOD_ROLE_EDGE: dict[str, RelType] = {
    "proposed": RelType.PROPOSES,
    "used": RelType.USES,
    "compared": RelType.COMPARES_WITH,
}


def edge_type(label: str, role: str) -> RelType:
    """The Paper -> entity relationship for an entity label (METHOD, ...) and role."""
    if label == "METHOD":
        return _METHOD_ROLE_EDGE.get(role, RelType.USES)
    if label == "DATASET":
        return RelType.PROPOSES if role == "proposed" else RelType.EVALUATES_ON
    if label == "METRIC":
        return RelType.MEASURES
    if label == "TASK":
        return RelType.ADDRESSES
    raise ValueError(f"unknown entity label {label!r}")


def result_id(paper_id: str, result: ResultRecord) -> str:
    """Deterministic Result id: the paper plus where the number sits in the text."""
    return f"{paper_id}#{result.field}:{result.start}-{result.end}"


def content_hash(paper: Paper) -> str:
    """Hash of everything in a paper that the graph depends on (incremental rebuilds compare it)."""
    data = [paper.title, paper.abstract, paper.year, list(paper.authors), paper.venue, paper.url, paper.source]
    return hashlib.sha1(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def extractor_version() -> str:
    """The extraction rules a paper was processed with: package version + hash of the rule data."""
    return f"{EXTRACTOR}+{rules_fingerprint()}"


def paper_props(paper: Paper) -> dict[str, Any]:
    """Paper node properties (the key property `id` is added by the backend), with the content hash
    and extractor version an incremental build uses to skip unchanged papers."""
    props = {"title": paper.title, "year": paper.year, "url": paper.url, "source": paper.source,
             "content_hash": content_hash(paper), "extractor": extractor_version()}
    return {k: v for k, v in props.items() if v is not None}


def entity_props(entity: Entity, paper_id: str | None = None, merged_keys: Iterable[str] = ()) -> dict[str, Any]:
    """Entity node properties: name, every other surface form as sorted `aliases`, and evidence.

    `alias_evidence` lists "<surface form> @ <paper id>" for the forms this paper wrote, and
    `merged_keys` the keys cross-paper resolution folded into this one, so a wrong merge can be
    seen (`kg aliases`) and undone with an override file.
    """
    forms = {entity.text, *entity.aliases} - {entity.name}
    props: dict[str, Any] = {"name": entity.name, "aliases": sorted(f for f in forms if f)}
    if paper_id is not None:
        props["alias_evidence"] = sorted({f"{m.text} @ {paper_id}" for m in entity.mentions} or {f"{entity.text} @ {paper_id}"})
    merged = sorted(set(merged_keys) - {entity.key})
    if merged:
        props["merged_keys"] = merged
    return props


def _sentence(extraction: Extraction, index: int | None) -> str:
    if index is None or not 0 <= index < len(extraction.sentences):
        return ""
    return extraction.sentences[index]


def _evidence(extraction: Extraction, entity: Entity) -> str:
    return _sentence(extraction, entity.mentions[0].sentence if entity.mentions else None)


class _BatchCollector:
    """Collects nodes and relationships in first-seen order, merging repeats."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[NodeLabel, str], NodeRecord] = {}
        self.rels: dict[tuple[str, RelType, str], RelRecord] = {}

    def node(self, label: NodeLabel, key: str, props: dict[str, Any]) -> None:
        props = {k: v for k, v in props.items() if v is not None}
        found = self.nodes.get((label, key))
        if found is None:
            self.nodes[(label, key)] = NodeRecord(label=label, key=key, props=props)
        else:
            found.props = merge_node_props(found.props, props, key=key)

    def has_node(self, label: NodeLabel, key: str) -> bool:
        return (label, key) in self.nodes

    def rel(
        self,
        type_: RelType,
        start: tuple[NodeLabel, str],
        end: tuple[NodeLabel, str],
        props: dict[str, Any],
    ) -> None:
        rel = RelRecord(
            type=type_, start_label=start[0], start_key=start[1],
            end_label=end[0], end_key=end[1], props=props,
        )
        ident = (rel.start_id, type_, rel.end_id)
        found = self.rels.get(ident)
        if found is None:
            self.rels[ident] = rel
        else:
            found.props = merge_rel_props(found.props, props)

    def batch(self) -> GraphBatch:
        return GraphBatch(nodes=list(self.nodes.values()), rels=list(self.rels.values()))


def _add_paper(out: _BatchCollector, paper: Paper, extraction: Extraction,
               merged: Mapping[tuple[str, str], Iterable[str]] | None = None) -> None:
    paper_ref = (NodeLabel.PAPER, paper.id)
    out.node(*paper_ref, paper_props(paper))
    # (span label, key) -> (confidence, evidence) of the paper's entities
    seen: dict[tuple[str, str], tuple[float, str]] = {}
    for entity in extraction.entities:
        label = ENTITY_NODE_LABEL[entity.label]
        evidence = _evidence(extraction, entity)
        seen.setdefault((entity.label, entity.key), (entity.confidence, evidence))
        out.node(label, entity.key, entity_props(entity, paper.id, (merged or {}).get((entity.label, entity.key), ())))
        out.rel(
            edge_type(entity.label, entity.role), paper_ref, (label, entity.key),
            {"confidence": entity.confidence, "evidence": evidence,
             "extractor": EXTRACTOR, "role": entity.role},
        )

    def ensure(span_label: str, key: str, name: str | None = None) -> tuple[NodeLabel, str]:
        """Reference an entity node, creating a bare one if the paper lacks it.

        Its name is `name` when the extractor gave one, else the key (a placeholder that
        gives way to a real name later, see `merge_node_props`).
        """
        label = ENTITY_NODE_LABEL[span_label]
        if not out.has_node(label, key):
            out.node(label, key, {"name": name or key, "aliases": []})
        return label, key

    for result in extraction.results:
        rid = result_id(paper.id, result)
        result_ref = (NodeLabel.RESULT, rid)
        out.node(*result_ref, {"value": result.value, "unit": result.unit, "text": result.text,
                               "relative": result.relative, "spread": result.spread})
        confidence, _ = seen.get(("METRIC", result.metric), (1.0, ""))
        props = {"confidence": confidence, "evidence": _sentence(extraction, result.sentence),
                 "extractor": EXTRACTOR}
        out.rel(RelType.REPORTS, paper_ref, result_ref, props)
        out.rel(RelType.OF_METRIC, result_ref, ensure("METRIC", result.metric), props)
        if result.dataset:
            out.rel(RelType.ON_DATASET, result_ref, ensure("DATASET", result.dataset), props)
        if result.method:
            out.rel(RelType.FOR_METHOD, result_ref, ensure("METHOD", result.method), props)

    for relation in extraction.relations:
        source = ensure(relation.label, relation.source)
        target = ensure(relation.label, relation.target, getattr(relation, "target_name", None))
        confidence, evidence = seen.get((relation.label, relation.source), (1.0, ""))
        out.rel(RelType(relation.type), source, target,
                {"confidence": confidence, "evidence": evidence, "extractor": EXTRACTOR, "papers": [paper.id]})


def build_batch(items: Iterable[tuple[Paper, Extraction] | tuple[Paper, Extraction, Mapping]]) -> GraphBatch:
    """Build the nodes and relationships for some papers and their extractions.

    Parameters
    ----------
    items : iterable of (Paper, Extraction) or (Paper, Extraction, merged)
        Each extraction belongs to the paper beside it (`extraction.id == paper.id`); `merged`
        (from `kg.resolve.Resolver.apply`) maps (label, key) to the keys folded into it.

    Returns
    -------
    GraphBatch
        Nodes (Paper, entities, Results) and relationships in first-seen order, each once.

    Examples
    --------
    >>> from schema import Paper, Extraction
    >>> paper = Paper(id="p1", title="T", abstract="A")
    >>> batch = build_batch([(paper, Extraction(id="p1", title="T"))])
    >>> [n.id for n in batch.nodes]
    ['Paper:p1']
    """
    out = _BatchCollector()
    for paper, extraction, *rest in items:
        if extraction.id != paper.id:
            raise ValueError(f"extraction {extraction.id!r} does not belong to paper {paper.id!r}")
        _add_paper(out, paper, extraction, rest[0] if rest else None)
    return out.batch()
