"""Papers in, graph out: stream files through the readers, the extractor and a backend.

The CLI's `kg build` and `kg extract` are thin wrappers around `build_graph` and
`extract_files`; both are usable from Python with the same results.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic_core import PydanticSerializationError

from extractors.calibration import drop_below
from kg.backends.base import EntitySummary, GraphBackend, WriteStats
from kg.builder import build_batch, content_hash, extractor_version
from kg.extraction_cache import ExtractionCache, spill_lines, write_cache
from kg.ingest import ReadSummary, read_papers
from kg.ingest.filters import PaperFilter
from kg.resolve import AliasIndex, Overrides, Resolver
from kg.textsafe import deep, utf8_text
from schema import Extraction, Paper, ReadIssue
from schema.graph import ENTITY_NODE_LABEL, NodeLabel

if TYPE_CHECKING:  # spaCy loads only where a pipeline runs (a parent of worker processes needs none)
    from spacy.language import Language

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_CORPUS = DATA_DIR / "papers_sample.txt"
DEV_GOLD = DATA_DIR / "dev_gold.jsonl"
DEFAULT_GRAPH = Path("graph.graphml")
CHUNK = 256
#: node label -> entity span label (what `kg.resolve` keys by)
SPAN_LABEL: dict[NodeLabel, str] = {node: span for span, node in ENTITY_NODE_LABEL.items()}
#: longest title + abstract extracted (characters); a longer paper is skipped and reported. Real
#: abstracts stay below 10,000 (the longest in the bundled corpora: 2,417); `--max-chars 0`: no cap
MAX_CHARS = 100_000
#: seconds one paper may take in extraction (`--paper-timeout`); real papers take milliseconds
PAPER_TIMEOUT = 60.0

#: exit codes shared by the CLI commands
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


@dataclass
class RunReport:
    """What a run read, skipped and wrote."""

    summary: ReadSummary = field(default_factory=ReadSummary)
    extracted: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    #: cross-paper alias evidence gathered by `build_graph`
    aliases: AliasIndex | None = None
    #: entity keys that cross-paper resolution folded into another key (summed over papers)
    merged_keys: int = 0
    #: incremental builds: papers skipped as unchanged, re-extracted as changed, removed as gone
    unchanged: int = 0
    changed: int = 0
    removed: int = 0
    #: incremental builds from an input not read completely: papers missing from it, kept
    kept: int = 0
    #: processes extraction ran in (1: this process; `kg.engines.workers_for` chose for a small input)
    workers: int = 0

    def kept_message(self) -> str | None:
        """The one line explaining `kept` (None when no paper was kept that way)."""
        if not self.kept:
            return None
        return (f"kept {self.kept} paper(s) that are not in the input: it was not read completely "
                f"({self.summary.incompleteness()}); rerun with --prune to remove them anyway")

    @property
    def exit_code(self) -> int:
        """0 all good, 3 some records or files skipped, 1 nothing could be read (filters that
        leave nothing are not a failure)."""
        if self.summary.read == 0 and not self.summary.filtered:
            return EXIT_FAILED
        if self.summary.skipped or self.summary.failed_files:
            return EXIT_PARTIAL
        return EXIT_OK


def _chunks(papers: Iterable[Paper], size: int) -> Iterator[list[Paper]]:
    chunk: list[Paper] = []
    for paper in papers:
        chunk.append(paper)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def extract_pairs(
    papers: Iterable[Paper], nlp: Language, progress: Callable[[int], None] | None = None,
    min_confidence: float = 0.0,
) -> Iterator[tuple[Paper, Extraction]]:
    """(paper, extraction) pairs in input order, calling `progress(n)` after each chunk.

    Entities with a confidence below `min_confidence` are dropped with the results and
    relations that need them (`extractors.calibration.drop_below`).
    """
    from extractors import extract

    for chunk in _chunks(papers, CHUNK):
        for paper, extraction in zip(chunk, extract(chunk, nlp=nlp)):
            yield paper, drop_below(extraction, min_confidence)
        if progress is not None:
            progress(len(chunk))


#: what `kg extract` leaves out of each line (the evidence text is rebuilt from the papers)
_LINE_EXCLUDE = frozenset({"sentences"})


def extraction_line(extraction: Extraction) -> str:
    """One line of `kg extract`'s output: the extraction contract without the evidence sentences,
    as compact JSON from pydantic's own serialiser (about 2x faster than json.dumps of a model_dump).
    Controls are escaped by JSON; lone surrogates become U+FFFD (`kg.textsafe.utf8_text`).

    Top level so that engine workers can make the lines themselves (`extract_parallel(output=...)`).
    """
    try:
        return extraction.model_dump_json(exclude=_LINE_EXCLUDE)
    except PydanticSerializationError:  # a lone surrogate, which UTF-8 (and so JSON Lines) cannot hold
        data = deep(extraction.model_dump(mode="json", exclude=_LINE_EXCLUDE), utf8_text)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Engine:
    """Where extraction runs: in this process, in `workers` local processes, or on a Dask cluster;
    and how much work one paper may cost: `max_chars` characters (None or 0: any), `paper_timeout`
    seconds (None: no limit; see `kg.engines.extract_parallel`)."""

    workers: int | None = 1
    engine: str = "local"
    scheduler: str | None = None
    model: str | None = None
    max_chars: int | None = MAX_CHARS
    paper_timeout: float | None = PAPER_TIMEOUT
    #: an input of at most this many papers runs in this process (None: `kg.engines.IN_PROCESS_MAX`)
    in_process_max: int | None = None

    def pairs(self, papers: Iterable[Paper], nlp: Language | None, progress: Callable[[int], None] | None,
              min_confidence: float, report: RunReport,
              on_issue: Callable[[ReadIssue], None] | None,
              output: Callable[[Extraction], Any] | None = None) -> Iterator[tuple[Paper, Any]]:
        """(paper, extraction) pairs in input order; a paper that cannot be extracted is skipped
        and reported like a bad record (file, line, reason; counted in the summary).

        With `output` (a picklable top-level function), pairs carry `output(extraction)` instead,
        made where the extraction was made (in the workers).

        Every input goes through `kg.engines.extract_parallel`, so each paper is isolated the same
        way whatever the input size: up to `in_process_max` papers run here on `nlp` (a pool does
        not pay for itself there; `report.workers` says which was chosen); anything bigger in
        worker processes, whose pipelines are rebuilt when spaCy's string store has grown, so memory
        stays bounded on any input size.
        """
        from extractors import build_nlp
        from kg import engines
        from kg.engines import LostPaper, extract_parallel, workers_for

        summary = report.summary
        where: dict[str, tuple[str, int] | None] = {}  # papers in flight -> (file, line)

        def skip(paper_id: str, reason: str) -> None:
            file, line = where.pop(paper_id, None) or ("<extraction>", None)
            issue = ReadIssue(file=file, line=line, reason=f"{reason} (paper {paper_id} skipped)")
            summary.add_issue(issue)
            if on_issue is not None:
                on_issue(issue)

        def admitted(papers: Iterable[Paper]) -> Iterator[Paper]:
            for paper in papers:
                where[paper.id] = summary.at
                size = len(paper.title) + len(paper.abstract)
                if self.max_chars and size > self.max_chars:
                    skip(paper.id, f"text too long ({size:,} characters of title and abstract; "
                                   f"the limit is {self.max_chars:,}, --max-chars)")
                    if progress is not None:
                        progress(1)
                    continue
                yield paper

        def tell(message: str) -> None:  # retries and worker restarts: shown, not counted
            if on_issue is not None:
                on_issue(ReadIssue(file="<extraction>", reason=message, skipped=False))

        def lost(paper: LostPaper) -> None:
            skip(paper.id, paper.reason)

        papers = admitted(papers)
        limit = engines.IN_PROCESS_MAX if self.in_process_max is None else self.in_process_max
        head = list(islice(papers, limit + 1))
        report.workers = workers_for(len(head), self.workers or os.cpu_count() or 1, limit)  # None: all cores
        small = report.workers == 1
        for paper, value in extract_parallel(
                chain(head, papers), workers=1 if small else self.workers, model=self.model,
                nlp=(nlp or build_nlp(self.model)) if small else None, min_confidence=min_confidence,
                progress=progress, engine="local" if small else self.engine, scheduler=self.scheduler,
                on_error=tell, on_lost=lost, output=output, paper_timeout=self.paper_timeout):
            where.pop(paper.id, None)
            yield paper, value


def extract_files(
    inputs: Iterable[str | Path], out: IO[str], fmt: str | None = None, nlp: Language | None = None,
    on_issue: Callable[[ReadIssue], None] | None = None, progress: Callable[[int], None] | None = None,
    min_confidence: float = 0.0, filters: PaperFilter | None = None, engine: Engine | None = None,
) -> RunReport:
    """Write one extraction-contract JSON object per paper to `out` (in input order, whatever the engine).

    Entities with a (calibrated) confidence below `min_confidence` are left out.
    """
    report = RunReport()
    engine = engine or Engine()
    papers = read_papers(inputs, fmt=fmt, summary=report.summary, on_issue=on_issue, filters=filters)
    for _, line in engine.pairs(papers, nlp, progress, min_confidence, report, on_issue, output=extraction_line):
        out.write(line + "\n")
        report.extracted += 1
    return report


def build_graph(
    inputs: Iterable[str | Path], backend: GraphBackend, fmt: str | None = None, nlp: Language | None = None,
    on_issue: Callable[[ReadIssue], None] | None = None, progress: Callable[[int], None] | None = None,
    overrides: Overrides | None = None, min_confidence: float = 0.0, incremental: bool = False,
    filters: PaperFilter | None = None, engine: Engine | None = None, prune: bool = False,
    cache: Path | None = None, phase: Phase | None = None,
) -> RunReport:
    """Extract every paper, resolve entities across papers, and upsert into `backend`.

    `progress(n)` counts papers through extraction; the phases after it (which take seconds on
    thousands of papers) are announced by `phase(description, total)`, which may return a
    function the phase then calls with the amount of work done (papers resolved and loaded).

    With `cache` (a file, `kg.extraction_cache`), the extractions of the graph's papers are kept
    there, and an incremental build resolves the unchanged papers again from it instead of keeping
    their old entities, so it gives exactly the graph a fresh build of the snapshot gives (without
    a cache, unchanged papers keep what an earlier resolution gave them).

    With `incremental`, `backend` already holds a graph built from an earlier snapshot and the
    inputs are the new snapshot: papers whose content hash and extractor version are unchanged are
    not extracted again; changed papers lose their old relationships before they are reloaded;
    papers missing from the new snapshot are removed with every relationship whose evidence is gone
    (`GraphBackend.remove_papers`). They are removed only when the input was read completely
    (`ReadSummary.complete`: no failed or truncated file, no skipped record, no limit reached),
    or with `prune`; otherwise they are kept and counted in `RunReport.kept`, since a paper in an
    unreadable part of the input would look exactly like one that left it.

    Two passes: extraction streams to a temporary spill file while the `AliasIndex` learns which
    forms name which entity across the whole run; then the spill is read back, keys are resolved
    (with the user's `overrides`), and chunks of papers are upserted. Memory stays bounded by the
    index (one entry per distinct defined form), not by the number of papers. Entities with a
    (calibrated) confidence below `min_confidence` are dropped right after extraction, so they
    do not teach the index, and again after learned forms are added, so none reaches the graph.
    """
    from extractors import build_nlp
    from extractors.learned import LearnedNameMatcher

    report = RunReport()
    engine = engine or Engine()
    nlp = nlp or build_nlp(engine.model)  # also finds learned names in the second pass
    papers = read_papers(inputs, fmt=fmt, summary=report.summary, on_issue=on_issue, filters=filters)
    known = backend.paper_versions() if incremental else {}
    # the old cache matters when the graph already holds papers (--incremental, --append)
    old_cache = (ExtractionCache(cache, min_confidence)
                 if cache is not None and (known or (not incremental and backend.paper_versions())) else None)
    seen: set[str] = set()
    changed: list[str] = []
    reused: list[str] = []  # unchanged papers resolved again from the cache
    if incremental:
        papers = _new_or_changed(papers, known, seen, changed, report, progress,
                                 old_cache if old_cache is not None and old_cache.exists else None, reused)
    index = AliasIndex()
    run_ids: set[str] = set()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spill:
        for paper, extraction in engine.pairs(papers, nlp, progress, min_confidence, report, on_issue):
            index.add(extraction)
            run_ids.add(paper.id)
            spill.write(json.dumps([paper.model_dump(mode="json"), extraction.model_dump(mode="json")]) + "\n")
        for paper_id in reused:
            line = old_cache.line(paper_id)
            index.add(Extraction.model_validate(json.loads(line)[1]))
            run_ids.add(paper_id)
            spill.write(line)
        spill.seek(0)
        advance = _start(phase, f"resolving names across {len(run_ids):,} papers", len(run_ids))
        # a changed paper whose new version failed extraction keeps its old version (reported above)
        replaced = [pid for pid in changed if pid in run_ids] + reused
        if replaced:
            report.stats = report.stats + backend.remove_papers(replaced)
        existing = [] if incremental else backend.entity_summary(run_ids)
        for node in existing:
            index.seed(SPAN_LABEL[node.label], node.key, node.forms, node.papers, node.name)
        resolver = Resolver(index, overrides)
        report.stats = report.stats + _fold_existing(backend, resolver, existing, report)
        forms = index.learned_forms()
        learned = LearnedNameMatcher(nlp, forms, {lk: index.display_name(*lk) or lk[1] for lk in forms})
        pending: list[tuple[Paper, Extraction, dict]] = []
        size = getattr(backend, "batch_papers", CHUNK)  # a server loads bigger transactions faster
        for line in spill:
            raw_paper, raw_extraction = json.loads(line)
            paper = Paper.model_validate(raw_paper)
            resolved, merged = resolver.apply(Extraction.model_validate(raw_extraction))
            report.merged_keys += sum(len(old) for old in merged.values())
            found = drop_below(learned.add_mentions(paper, resolved), min_confidence)  # learned ones too
            pending.append((paper, found, merged))
            if len(pending) >= size:
                report.stats = report.stats + backend.upsert(build_batch(pending))
                report.extracted += len(pending)
                advance(len(pending))
                pending = []
        if pending:
            report.stats = report.stats + backend.upsert(build_batch(pending))
            report.extracted += len(pending)
            advance(len(pending))
        report.extracted -= len(reused)  # loaded again, not extracted
        if incremental:
            _remove_gone(backend, known, seen, prune, report)
        if cache is not None:
            _start(phase, f"writing the extraction cache {cache.name}", None)
            keep = set(backend.paper_versions()) - run_ids
            write_cache(cache, spill_lines(spill), old_cache, sorted(keep), min_confidence)
    if old_cache is not None:
        old_cache.close()
    if incremental:
        report.changed = len(changed)
    report.aliases = index
    return report


#: `build_graph(phase=...)`: called with a description and a total (or None) as each phase after
#: extraction starts; may return a function taking the work done since its last call
Phase = Callable[[str, "int | None"], "Callable[[int], None] | None"]


def _start(phase: Phase | None, description: str, total: int | None) -> Callable[[int], None]:
    """Announce a phase; the function to report its progress with (one that does nothing if none)."""
    advance = phase(description, total) if phase is not None else None
    return advance or (lambda n: None)


def _remove_gone(backend: GraphBackend, known: dict[str, tuple], seen: set[str], prune: bool,
                 report: RunReport) -> None:
    """Incremental builds: remove the papers the new snapshot no longer has, when it was read completely."""
    gone = sorted(set(known) - seen)
    if gone and report.summary.read:  # an unreadable snapshot must not wipe the graph
        if report.summary.complete or prune:
            report.stats = report.stats + backend.remove_papers(gone)
            report.removed = len(gone)
        else:
            report.kept = len(gone)


def _fold_existing(backend: GraphBackend, resolver: Resolver, existing: Iterable[EntitySummary],
                   report: RunReport) -> WriteStats:
    """Merge entity nodes already in the graph whose key now resolves elsewhere (this run brought
    the definition that links them), so a paper never links to two nodes of one entity."""
    stats = WriteStats()
    for node in existing:
        target, _ = resolver.key_for(SPAN_LABEL[node.label], node.key)
        if target != node.key:
            stats = stats + backend.merge_entity(node.label, node.key, target)
            report.merged_keys += 1
    return stats


def _new_or_changed(papers: Iterable[Paper], known: dict[str, tuple], seen: set[str], changed: list[str],
                    report: RunReport, progress: Callable[[int], None] | None,
                    cache: ExtractionCache | None = None, reused: list[str] | None = None) -> Iterator[Paper]:
    """The papers an incremental build must extract; records what it saw and skipped. With a
    `cache`, unchanged papers it holds go to `reused`; unchanged ones it lacks are extracted again
    (as changed), so that every paper is resolved against the new snapshot."""
    version = extractor_version()
    for paper in papers:
        seen.add(paper.id)
        before = known.get(paper.id)
        if before == (content_hash(paper), version):
            report.unchanged += 1
            if cache is not None and reused is not None:
                if not cache.has(paper):
                    report.unchanged -= 1
                    changed.append(paper.id)
                    yield paper
                    continue
                reused.append(paper.id)
            if progress is not None:
                progress(1)
            continue
        if before is not None:
            changed.append(paper.id)
        yield paper
