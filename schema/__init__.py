"""Pydantic records that cross stage boundaries (the leaf package: no spaCy, networkx or neo4j)."""

from schema.extraction import Entity, Extraction, Mention, Relation, ResultRecord
from schema.graph import KEY_PROPERTY, GraphBatch, NodeLabel, NodeRecord, RelRecord, RelType, node_id
from schema.paper import Paper, ReadIssue

__all__ = [
    "Entity", "Extraction", "Mention", "Relation", "ResultRecord",
    "KEY_PROPERTY", "GraphBatch", "NodeLabel", "NodeRecord", "RelRecord", "RelType", "node_id",
    "Paper", "ReadIssue",
]
