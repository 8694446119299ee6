"""Input records: one `Paper` per title+abstract, one `ReadIssue` per skipped record."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Paper(BaseModel):
    """A paper as read from any input format; `id` is stable across runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    abstract: str
    year: int | None = None
    authors: tuple[str, ...] = ()
    venue: str | None = None
    url: str | None = None
    source: str | None = None


class ReadIssue(BaseModel):
    """A record that was skipped (or accepted with a warning), with where and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    line: int | None = None
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"
