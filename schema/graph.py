"""The graph schema shared by every backend: closed label/type vocabularies and batch records."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NodeLabel(StrEnum):
    PAPER = "Paper"
    METHOD = "Method"
    DATASET = "Dataset"
    METRIC = "Metric"
    TASK = "Task"
    RESULT = "Result"


class RelType(StrEnum):
    PROPOSES = "PROPOSES"
    USES = "USES"
    COMPARES_WITH = "COMPARES_WITH"
    EVALUATES_ON = "EVALUATES_ON"
    MEASURES = "MEASURES"
    ADDRESSES = "ADDRESSES"
    REPORTS = "REPORTS"
    OF_METRIC = "OF_METRIC"
    ON_DATASET = "ON_DATASET"
    FOR_METHOD = "FOR_METHOD"
    VARIANT_OF = "VARIANT_OF"


#: property that identifies a node of each label
KEY_PROPERTY: dict[NodeLabel, str] = {
    NodeLabel.PAPER: "id",
    NodeLabel.RESULT: "id",
    NodeLabel.METHOD: "key",
    NodeLabel.DATASET: "key",
    NodeLabel.METRIC: "key",
    NodeLabel.TASK: "key",
}

#: entity span label -> node label
ENTITY_NODE_LABEL: dict[str, NodeLabel] = {
    "METHOD": NodeLabel.METHOD,
    "DATASET": NodeLabel.DATASET,
    "METRIC": NodeLabel.METRIC,
    "TASK": NodeLabel.TASK,
}


def node_id(label: NodeLabel | str, key: str) -> str:
    """networkx node id: "<Label>:<key>"."""
    return f"{NodeLabel(label).value}:{key}"


class NodeRecord(BaseModel):
    """A node to upsert; `props` excludes the key property (added by the backend)."""

    model_config = ConfigDict(extra="forbid")

    label: NodeLabel
    key: str
    props: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        return node_id(self.label, self.key)


class RelRecord(BaseModel):
    """A relationship to upsert, identified by (start, type, end)."""

    model_config = ConfigDict(extra="forbid")

    type: RelType
    start_label: NodeLabel
    start_key: str
    end_label: NodeLabel
    end_key: str
    props: dict[str, Any] = Field(default_factory=dict)

    @property
    def start_id(self) -> str:
        return node_id(self.start_label, self.start_key)

    @property
    def end_id(self) -> str:
        return node_id(self.end_label, self.end_key)


class GraphBatch(BaseModel):
    """Nodes and relationships from one or more papers, ready for a backend."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeRecord] = Field(default_factory=list)
    rels: list[RelRecord] = Field(default_factory=list)
