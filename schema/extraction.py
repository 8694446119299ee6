"""The extraction contract (DESIGN.md): what `kg extract` writes, one `Extraction` per paper."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EntityLabel = Literal["METHOD", "DATASET", "METRIC", "TASK"]
Role = Literal["proposed", "used", "compared", "evaluated_on", "reported", "mentioned"]
FieldName = Literal["title", "abstract"]

ENTITY_LABELS: tuple[str, ...] = ("METHOD", "DATASET", "METRIC", "TASK")
ROLES: tuple[str, ...] = ("proposed", "used", "compared", "evaluated_on", "reported", "mentioned")


class Mention(BaseModel):
    """One occurrence; offsets are character offsets into `field`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: FieldName
    start: int
    end: int
    text: str
    sentence: int = Field(description="index into Extraction.sentences")


class Entity(BaseModel):
    """One distinct thing per paper, with all its mentions."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")

    label: EntityLabel
    name: str
    key: str
    text: str
    aliases: list[str] = Field(default_factory=list)
    role: Role = "mentioned"
    confidence: float = Field(ge=0.0, le=1.0)
    mentions: list[Mention] = Field(default_factory=list)


class ResultRecord(BaseModel):
    """A number the paper reports for a metric (keys refer to entities of this paper).
    JSON keeps an infinite value as `Infinity` (as Python's json module does), not as null."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")

    metric: str
    value: float
    unit: str | None = None
    #: a gain over something else ("by 2.1 BLEU", "+1.9 points", "2x faster"), not a score to rank
    relative: bool = False
    #: the "± 0.15" written with the value, if any
    spread: float | None = None
    dataset: str | None = None
    method: str | None = None
    field: FieldName = "abstract"
    start: int
    end: int
    text: str = ""
    sentence: int = 0


class Relation(BaseModel):
    """An entity-to-entity relation found in the text (e.g. VARIANT_OF), by entity key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["VARIANT_OF"]
    source: str
    target: str
    label: EntityLabel = "METHOD"
    target_name: str | None = None


class Extraction(BaseModel):
    """Everything extracted from one paper. `sentences[i]` is the evidence text of sentence i."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    entities: list[Entity] = Field(default_factory=list)
    results: list[ResultRecord] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    sentences: list[str] = Field(default_factory=list)
