"""The extractions behind a graph file, kept beside it so `kg build --incremental` can resolve again.

Cross-paper resolution of one paper depends on every other paper (who defines an acronym, which
long forms are learned), so when a snapshot adds, changes or drops papers, the unchanged papers
must be resolved again, against the new corpus, to give what a fresh build gives. Their
extractions, not their resolved entities, are what that needs; re-extracting them would defeat
the incremental build. So every networkx build writes each paper's extraction (before
resolution) to `<graph file>.extractions.jsonl` as `[paper, extraction]` lines, after a header
naming the extractor version and confidence cut, and an incremental build reads back the unchanged papers from
there (by file offset: the file is never held in memory).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from kg.atomic import atomic_output
from kg.builder import content_hash, extractor_version
from schema import Paper


def cache_path(graph: Path) -> Path:
    """Where the extractions of the graph file `graph` are kept."""
    return graph.with_name(graph.name + ".extractions.jsonl")


class ExtractionCache:
    """Read access to a cache file: which papers it holds (id -> content hash, offset) and their lines."""

    def __init__(self, path: Path, min_confidence: float = 0.0) -> None:
        self.path = path
        self.entries: dict[str, tuple[str, int]] = {}
        self._file: IO[bytes] | None = None
        try:
            handle = path.open("rb")
        except OSError:
            return
        header = handle.readline()
        try:
            valid = json.loads(header) == _header(min_confidence)
        except (ValueError, AttributeError):
            valid = False
        if not valid:  # another extractor version or confidence cut: nothing in it can be reused
            handle.close()
            return
        self._file = handle
        while True:
            offset = handle.tell()
            line = handle.readline()
            if not line:
                break
            try:
                raw_paper = json.loads(line)[0]
                self.entries[raw_paper["id"]] = (content_hash(Paper.model_validate(raw_paper)), offset)
            except (ValueError, KeyError, IndexError, TypeError):
                continue  # a damaged line: that paper is extracted again

    @property
    def exists(self) -> bool:
        return self._file is not None

    def has(self, paper: Paper) -> bool:
        """Whether the cache holds this very version of the paper."""
        entry = self.entries.get(paper.id)
        return entry is not None and entry[0] == content_hash(paper)

    def line(self, paper_id: str) -> str:
        """The cached `[paper, extraction]` JSON line of a paper (with its newline)."""
        assert self._file is not None
        self._file.seek(self.entries[paper_id][1])
        return self._file.readline().decode("utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _header(min_confidence: float) -> dict:
    return {"extractor": extractor_version(), "min_confidence": min_confidence}


def write_cache(path: Path, lines: Iterable[str], old: ExtractionCache | None, keep: Iterable[str],
                min_confidence: float = 0.0) -> None:
    """Write the cache of a graph: this run's lines, plus the old cache's lines of papers the graph
    still holds that this run did not read (`keep`: an --append run, or papers an incomplete input kept)."""
    with atomic_output(path) as out:
        out.write(json.dumps(_header(min_confidence)) + "\n")
        for line in lines:
            out.write(line if line.endswith("\n") else line + "\n")
        if old is not None and old.exists:
            for paper_id in keep:
                if paper_id in old.entries:
                    out.write(old.line(paper_id))


def spill_lines(spill: IO[str]) -> Iterator[str]:
    """The lines of a spill file from its start."""
    spill.seek(0)
    yield from spill
