"""Parallel extraction: the same pipeline over local worker processes or a Dask cluster.

Why not ``nlp.pipe(n_process=N)``: spaCy ships whole Docs back to the parent, which made our cheap
rule-based pipeline about 10x slower than one process (DESIGN.md). Here each worker builds its
pipeline once, receives a chunk of papers as plain dicts and sends back one JSON text per
`Extraction` (about 4 kB, far cheaper to pickle than a Doc or nested dicts); the parent validates
each text back into an `Extraction` (pydantic-core parses JSON directly) and yields the pairs in
input order. A caller that only writes the records out (`kg extract`) passes ``output``: the
workers then turn each record into its final form (a JSON line) themselves, and the parent only
checks ids and writes, so on a 2-core machine the parent does not eat into the workers' CPU.

Memory stays constant for any input size: the input is read lazily, at most ``window`` chunks are
in flight, and a pipeline whose vocabulary grew by `MAX_NEW_STRINGS` (spaCy keeps every string it
has seen) is rebuilt. A chunk whose worker raised or died is retried once in this process; if it
fails again, its papers are tried one by one and only those that still fail are skipped and
reported (`on_error`, `EngineStats.lost`), and the run goes on. A worker pool that died is
restarted (at most `MAX_RESTARTS` times, then the rest of the run stays in this process).

The Dask engine runs the same chunk function as futures on a ``dask.distributed`` cluster
(``Client(address)``, or a `LocalCluster` of ``workers`` processes); scheduling, data transfer and
worker failures are Dask's, only the number of chunks in flight is bounded here. Start Dask workers
with one thread each (``dask worker ADDRESS --nworkers N --nthreads 1``): the pipeline is Python
under the GIL, so more threads in one process add memory (a pipeline each), not speed.
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Protocol

from spacy.language import Language

from extractors import build_nlp, extract
from extractors.calibration import drop_below
from schema import Extraction, Paper

__all__ = [
    "CHUNK", "ENGINES", "MAX_NEW_STRINGS", "MAX_RESTARTS", "EngineStats", "ExtractFn", "LostPaper", "cached_nlp",
    "extract_chunk", "extract_parallel",
]

log = logging.getLogger(__name__)

#: papers per chunk (the same chunking as `kg.build.extract_pairs`)
CHUNK = 256
ENGINES = ("local", "dask")
#: how often a dead local worker pool is replaced before the run continues in this process
MAX_RESTARTS = 3
#: chunks in flight per worker: one being extracted, one queued, so no worker waits for the parent
WINDOW_PER_WORKER = 2

#: per-chunk work: `(papers, nlp, min_confidence) -> one Extraction per paper, in order`
ExtractFn = Callable[[list[Paper], Language, float], list[Extraction]]
#: what a worker makes of each Extraction when the caller asks for an ``output`` form
OutputFn = Callable[[Extraction], Any]


def extract_chunk(papers: list[Paper], nlp: Language, min_confidence: float = 0.0) -> list[Extraction]:
    """The default chunk work: the pipeline, then the confidence cut (as `kg.build.extract_pairs`)."""
    return [drop_below(extraction, min_confidence) for extraction in extract(papers, nlp=nlp)]


#: new strings a pipeline's vocabulary may gain before it is rebuilt. spaCy keeps every token string
#: it has seen (with its lexeme and tokenizer-cache entry, a few hundred bytes each); on millions of
#: real abstracts that grows without bound, so a pipeline we built is replaced past this (~100 MB).
MAX_NEW_STRINGS = 200_000

#: (model, thread) -> (pipeline, vocabulary size when built). Per thread because a Dask worker may
#: run several tasks at once in threads, and a pipeline is not documented as thread-safe.
_NLP_CACHE: dict[tuple[str | None, int], tuple[Language, int]] = {}

#: set in local pool workers (processes of their own): each pipeline built is then moved out of the
#: cyclic collector's sight (`gc.freeze`), which otherwise rescans its vocab and name lists for nothing
_FREEZE_PIPELINES = False


def cached_nlp(model: str | None = None) -> Language:
    """This thread's pipeline for `model`, built on first use (once per worker process)."""
    key = (model, threading.get_ident())
    cached = _NLP_CACHE.get(key)
    if cached is None:
        nlp = build_nlp(model)
        cached = _NLP_CACHE[key] = (nlp, len(nlp.vocab.strings))
        if _FREEZE_PIPELINES:
            gc.collect()  # nothing left over from the build gets frozen with the pipeline
            gc.freeze()
    return cached[0]


def _recycle_if_grown(model: str | None) -> None:
    """Drop the cached pipeline once its vocabulary grew by `MAX_NEW_STRINGS`; the next use rebuilds it."""
    key = (model, threading.get_ident())
    cached = _NLP_CACHE.get(key)
    if cached is not None and len(cached[0].vocab.strings) > cached[1] + MAX_NEW_STRINGS:
        del _NLP_CACHE[key]
        if _FREEZE_PIPELINES:
            gc.unfreeze()  # a frozen pipeline is never collected
        gc.collect()  # the old Vocab sits in reference cycles; free it before the new one is built


@dataclass(frozen=True)
class LostPaper:
    """A paper that could not be extracted: 1-based position in the input, id, and why."""

    position: int
    id: str
    reason: str

    def __str__(self) -> str:
        return f"paper {self.position} (id {self.id}) skipped: {self.reason}"


@dataclass
class EngineStats:
    """What a parallel run did besides the normal work; filled in while the pairs stream."""

    chunks: int = 0
    #: chunks whose worker raised or died, re-run in this process
    retried_chunks: int = 0
    #: local worker pools replaced after a worker process died
    pool_restarts: int = 0
    lost: list[LostPaper] = field(default_factory=list)


@dataclass
class _Chunk:
    start: int  # 0-based position of the first paper in the input
    papers: list[Paper]

    def describe(self) -> str:
        first, last = self.papers[0].id, self.papers[-1].id
        ids = first if len(self.papers) == 1 else f"{first} .. {last}"
        return f"papers {self.start + 1}-{self.start + len(self.papers)} (ids {ids})"


class _Result(Protocol):
    def result(self) -> Any: ...


# ---------------------------------------------------------------- worker side (picklable, top level)

def _init_worker(model: str | None) -> None:
    """Pool initializer: Ctrl-C is the parent's to handle; build the pipeline once, up front (frozen:
    this process exists only to run it)."""
    global _FREEZE_PIPELINES
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _FREEZE_PIPELINES = True
    cached_nlp(model)


def _run_chunk(model: str | None, min_confidence: float, extract_fn: ExtractFn, output: OutputFn | None,
               raw_papers: list[dict[str, Any]]) -> list[str] | tuple[list[str], list[Any]]:
    """Worker task: plain dicts in, one JSON text per extraction out (no Doc crosses processes);
    with `output`, the extractions' ids and their `output(extraction)`, as two lists."""
    # rebuilt by pydantic-core: cheaper than pickling Paper objects (a Python __getstate__/__setstate__ each)
    papers = [Paper.model_validate(raw) for raw in raw_papers]
    extractions = extract_fn(papers, cached_nlp(model), min_confidence)
    _recycle_if_grown(model)
    if output is not None:
        return [extraction.id for extraction in extractions], [output(extraction) for extraction in extractions]
    return [extraction.model_dump_json() for extraction in extractions]


# ---------------------------------------------------------------- parent side

def _chunks(papers: Iterable[Paper], size: int) -> Iterator[_Chunk]:
    """Lazy chunks with their input positions; never holds more than one chunk."""
    start, chunk = 0, []
    for paper in papers:
        chunk.append(paper)
        if len(chunk) >= size:
            yield _Chunk(start, chunk)
            start, chunk = start + len(chunk), []
    if chunk:
        yield _Chunk(start, chunk)


_PAPER_ID = attrgetter("id")


def _check_ids(chunk: _Chunk, got: list[str]) -> None:
    """One extraction per paper, same ids, same order: anything else would misalign the pairs."""
    want = list(map(_PAPER_ID, chunk.papers))
    if got != want:
        raise RuntimeError(f"extraction returned {len(got)} record(s) for {len(want)} paper(s) or out of order")


def _check(chunk: _Chunk, extractions: list[Extraction]) -> list[Extraction]:
    _check_ids(chunk, [e.id for e in extractions])
    return extractions


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _Runner:
    """Shared parent logic: in-process extraction, the in-process retry, progress and reporting."""

    def __init__(self, model: str | None, min_confidence: float, extract_fn: ExtractFn, nlp: Language | None,
                 progress: Callable[[int], None] | None, on_error: Callable[[str], None], stats: EngineStats,
                 output: OutputFn | None = None):
        self.model, self.min_confidence, self.extract_fn, self.output = model, min_confidence, extract_fn, output
        self._given_nlp, self.progress, self.on_error, self.stats = nlp, progress, on_error, stats

    @property
    def nlp(self) -> Language:
        """The caller's pipeline, else ours (built on first use: a pool's parent needs it only to retry)."""
        return self._given_nlp if self._given_nlp is not None else cached_nlp(self.model)

    def recycle(self) -> None:
        if self._given_nlp is None:  # the caller's pipeline is theirs to manage
            _recycle_if_grown(self.model)

    def task(self, chunk: _Chunk) -> tuple[Any, ...]:
        # a validated Paper's `__dict__` is its fields as plain data: pickled as it is, with no
        # `model_dump` copy per paper in this process (whose CPU the workers share)
        return (self.model, self.min_confidence, self.extract_fn, self.output, [p.__dict__ for p in chunk.papers])

    def finish(self, extractions: list[Extraction | None]) -> list[Any]:
        """Extractions made in this process, in the caller's ``output`` form when one was asked for."""
        if self.output is None:
            return extractions
        return [None if e is None else self.output(e) for e in extractions]

    def emit(self, chunk: _Chunk, extractions: list[Any]) -> Iterator[tuple[Paper, Any]]:
        self.stats.chunks += 1
        for paper, extraction in zip(chunk.papers, extractions):
            if extraction is not None:
                yield paper, extraction
        if self.progress is not None:
            self.progress(len(chunk.papers))

    def in_process(self, chunk: _Chunk) -> list[Any]:
        """Extract a chunk here; if it raises, isolate the bad papers so they cost only themselves."""
        try:
            return self.finish(_check(chunk, self.extract_fn(chunk.papers, self.nlp, self.min_confidence)))
        except Exception as exc:  # noqa: BLE001 - narrowed down paper by paper below
            return self.finish(self.one_by_one(chunk, _reason(exc)))
        finally:
            self.recycle()

    def one_by_one(self, chunk: _Chunk, reason: str) -> list[Extraction | None]:
        """Each paper of a failed chunk alone; a paper that fails again is skipped and reported."""
        if len(chunk.papers) > 1:
            self.on_error(f"{chunk.describe()}: extraction failed in this process ({reason}); "
                          "trying them one by one")
        out: list[Extraction | None] = []
        for offset, paper in enumerate(chunk.papers):
            try:
                (extraction,) = _check(_Chunk(chunk.start + offset, [paper]),
                                       self.extract_fn([paper], self.nlp, self.min_confidence))
            except Exception as exc:  # noqa: BLE001 - the paper is reported and skipped, the run goes on
                lost = LostPaper(chunk.start + offset + 1, paper.id, f"extraction failed twice ({_reason(exc)})")
                self.stats.lost.append(lost)
                self.on_error(str(lost))
                extraction = None
            out.append(extraction)
        return out

    def retry(self, chunk: _Chunk, reason: str) -> list[Any]:
        """The one retry of a chunk whose worker raised or died: here, in this process."""
        self.stats.retried_chunks += 1
        self.on_error(f"{chunk.describe()}: extraction failed in a worker ({reason}); retrying in this process")
        return self.in_process(chunk)

    def collect(self, chunk: _Chunk, pending: _Result) -> list[Any]:
        """A worker's JSON texts validated back into records, or the retry if the worker failed."""
        try:
            items = pending.result()
            if self.output is not None:
                ids, values = items
                _check_ids(chunk, ids)
                return values
            return list(_check(chunk, [Extraction.model_validate_json(text) for text in items]))
        except Exception as exc:  # noqa: BLE001 - includes BrokenProcessPool and Dask's KilledWorker
            return self.retry(chunk, _reason(exc))

    def ordered(self, chunks: Iterator[_Chunk], submit: Callable[[_Chunk], _Result],
                window: int) -> Iterator[tuple[Paper, Any]]:
        """Keep at most `window` chunks in flight; yield them in submission (= input) order."""
        in_flight: deque[tuple[_Chunk, _Result]] = deque()
        for chunk in chunks:
            in_flight.append((chunk, submit(chunk)))
            if len(in_flight) >= window:
                chunk, pending = in_flight.popleft()
                yield from self.emit(chunk, self.collect(chunk, pending))
        while in_flight:
            chunk, pending = in_flight.popleft()
            yield from self.emit(chunk, self.collect(chunk, pending))


class _Done:
    """An already-finished result (the in-process fallback once the pool gave up)."""

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self.value, self.error = value, error

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class _LocalPool:
    """A spawn-context process pool whose workers build the pipeline once; replaced if it dies."""

    def __init__(self, runner: _Runner, workers: int):
        self.runner, self.workers = runner, workers
        self.executor: ProcessPoolExecutor | None = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.runner.model,))

    def submit(self, chunk: _Chunk) -> _Result:
        task = self.runner.task(chunk)
        if self.executor is not None:
            try:
                return self.executor.submit(_run_chunk, *task)
            except BrokenProcessPool:
                self._replace()
                if self.executor is not None:
                    return self.executor.submit(_run_chunk, *task)
        try:  # the pool gave up: this process does the work, still through the retry path on failure
            return _Done(_run_chunk(*task))
        except Exception as exc:  # noqa: BLE001 - handed to collect(), which retries paper by paper
            return _Done(error=exc)

    def _replace(self) -> None:
        assert self.executor is not None
        self.executor.shutdown(wait=False, cancel_futures=True)
        stats = self.runner.stats
        if stats.pool_restarts >= MAX_RESTARTS:
            self.executor = None
            self.runner.on_error(f"worker processes died {MAX_RESTARTS + 1} times; "
                                 "continuing in this process only")
            return
        stats.pool_restarts += 1
        self.runner.on_error("a worker process died; starting a new pool of "
                             f"{self.workers} worker(s) (restart {stats.pool_restarts} of {MAX_RESTARTS})")
        self.executor = self._start()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def _run_local(runner: _Runner, chunks: Iterator[_Chunk], workers: int,
               window: int | None) -> Iterator[tuple[Paper, Any]]:
    if workers > 1:  # a pool costs a pipeline build per worker: not worth it for a single chunk
        head = list(itertools.islice(chunks, 2))
        chunks = itertools.chain(head, chunks)
        workers = workers if len(head) > 1 else 1
    if workers == 1:
        for chunk in chunks:
            yield from runner.emit(chunk, runner.in_process(chunk))
        return
    pool = _LocalPool(runner, workers)
    try:
        yield from runner.ordered(chunks, pool.submit, window or WINDOW_PER_WORKER * workers)
    finally:
        pool.close()


def _run_dask(runner: _Runner, chunks: Iterator[_Chunk], workers: int, scheduler: str | None,
              window: int | None) -> Iterator[tuple[Paper, Any]]:
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler in (None, "", "local"):
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0"))  # any free port
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler))
        threads = sum(client.nthreads().values()) or workers

        def submit(chunk: _Chunk) -> _Result:
            return client.submit(_run_chunk, *runner.task(chunk), pure=False)

        # futures dropped with the generator are released, so Dask cancels what is left
        yield from runner.ordered(chunks, submit, window or WINDOW_PER_WORKER * threads)


def extract_parallel(
    papers: Iterable[Paper], workers: int | None = None, chunk_size: int = CHUNK, model: str | None = None,
    min_confidence: float = 0.0, progress: Callable[[int], None] | None = None, engine: str = "local",
    scheduler: str | None = None, *, on_error: Callable[[str], None] | None = None,
    stats: EngineStats | None = None, extract_fn: ExtractFn = extract_chunk, nlp: Language | None = None,
    window: int | None = None, output: OutputFn | None = None,
) -> Iterator[tuple[Paper, Any]]:
    """(paper, extraction) pairs in input order, extracted by `workers` processes or a Dask cluster.

    The output equals `kg.build.extract_pairs` for any number of workers and either engine.

    Parameters
    ----------
    papers : iterable of Paper
        Read lazily: at most ``window * chunk_size`` papers are in flight, whatever the input size.
    workers : int, optional
        Local worker processes (default: all cores); 1, or an input of a single chunk, runs in
        this process without a pool. For ``engine="dask"`` without a scheduler, the size of the
        `LocalCluster`.
    chunk_size : int
        Papers per task.
    model : str, optional
        An installed spaCy model to build on (default: blank English), built once per worker.
    min_confidence : float
        Entities below this calibrated confidence are dropped (`extractors.calibration.drop_below`).
    progress : callable, optional
        Called with the number of papers after each chunk is yielded.
    engine : {"local", "dask"}
        Worker processes on this machine, or ``dask.distributed``.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); None or ``"local"`` starts a `LocalCluster`.
    on_error : callable, optional
        Called with a one-line message when a chunk fails in a worker, a paper is skipped, or the
        pool restarts (default: a logging warning). The run goes on.
    stats : EngineStats, optional
        Filled in with chunk, retry, restart counts and the `LostPaper` list.
    extract_fn : callable
        The chunk work, a picklable top-level function (default `extract_chunk`).
    nlp : Language, optional
        A pipeline already built in this process, used when ``workers == 1`` and for retries. It is
        never rebuilt, so its vocabulary grows with the input: for millions of papers leave it out.
    window : int, optional
        Chunks in flight (default: 2 per worker or Dask thread).
    output : callable, optional
        A picklable top-level function applied to each Extraction where it is made (in the
        worker); the pairs then carry its result instead of the Extraction. Saves the parent
        validating every record back when it only writes them out.

    Returns
    -------
    iterator of (Paper, Extraction)

    Raises
    ------
    ValueError
        An unknown engine, or workers, chunk_size or window below 1 (raised at the call, not on
        the first ``next``).

    Examples
    --------
    >>> from schema import Paper
    >>> pairs = extract_parallel([Paper(id="p1", title="BERT", abstract="We fine-tune BERT.")], workers=1)
    >>> [(p.id, sorted(e.name for e in ex.entities)) for p, ex in pairs]
    [('p1', ['BERT'])]
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}' (choose one of: {', '.join(ENGINES)})")
    workers = (os.cpu_count() or 1) if workers is None else workers
    for name, value in (("workers", workers), ("chunk_size", chunk_size), ("window", window)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if engine == "dask" and importlib.util.find_spec("distributed") is None:
        raise ValueError("engine 'dask' needs dask.distributed: pip install 'papers-kg[dask]'")
    if nlp is None and model is not None:
        cached_nlp(model)  # fail now with ModelNotFound, not inside every worker
    runner = _Runner(model, min_confidence, extract_fn, nlp, progress,
                     on_error or (lambda message: log.warning("%s", message)), stats or EngineStats(), output)
    chunks = _chunks(papers, chunk_size)
    if engine == "dask":
        return _run_dask(runner, chunks, workers, scheduler, window)
    return _run_local(runner, chunks, workers, window)
