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

With a time limit per paper (``paper_timeout``), papers are extracted in batches of `TIMED_BATCH`
under SIGALRM (in this process and in each local worker); a batch that overruns is run again paper
by paper, and a paper that overruns alone is skipped and reported. A worker stuck where the alarm
cannot reach (C code) shows on a shared board of what each worker is on since when: the parent kills
it after `KILL_GRACE` more seconds, replaces the pool and submits the chunks again (the papers it was
stuck on one by one), so the run goes on with every other paper.

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
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from extractors.calibration import drop_below
from schema import Extraction, Paper

if TYPE_CHECKING:  # spaCy loads where a pipeline is built: workers, or this process for a small input
    from spacy.language import Language

__all__ = [
    "CHUNK", "ENGINES", "IN_PROCESS_MAX", "MAX_NEW_STRINGS", "MAX_RESTARTS", "EngineStats", "ExtractFn", "LostPaper", "PaperTimeout",
    "cached_nlp", "extract_chunk", "extract_parallel", "extract_timed", "workers_for",
]

log = logging.getLogger(__name__)

#: papers per chunk (the same chunking as `kg.build.extract_pairs`)
CHUNK = 256
#: an input of at most this many papers is extracted in this process whatever `workers` says: a
#: pool costs a spawned interpreter and a pipeline build per worker, which a small input does not
#: win back (the crossover measured by bench/worker_crossover.py; README "Big inputs")
IN_PROCESS_MAX = 2500
ENGINES = ("local", "dask")
#: how often a dead local worker pool is replaced before the run continues in this process
MAX_RESTARTS = 3
#: chunks in flight per worker: one being extracted, one queued, so no worker waits for the parent
WINDOW_PER_WORKER = 2
#: papers extracted under one time limit (`extract`'s own batch size, so batching is unchanged): a
#: batch that runs out of time is run again one paper at a time to find the slow paper
TIMED_BATCH = 64
#: a worker whose batch or paper overran its time limit by this much did not heed the alarm (stuck
#: in C code) and is killed by the parent
KILL_GRACE = 2.0
#: how often the parent looks at the workers' clocks while it waits for a chunk
_WATCH_EVERY = 0.25

#: per-chunk work: `(papers, nlp, min_confidence) -> one Extraction per paper, in order`
ExtractFn = Callable[[list[Paper], "Language", float], list[Extraction]]
#: what a worker makes of each Extraction when the caller asks for an ``output`` form
OutputFn = Callable[[Extraction], Any]


def workers_for(papers: int, workers: int, in_process_max: int = IN_PROCESS_MAX) -> int:
    """Processes to extract an input of `papers` papers with (1: this process, no pool): `workers`
    above `in_process_max`, else 1. `papers` need only be counted up to ``in_process_max + 1``."""
    return workers if papers > in_process_max else 1


def extract_chunk(papers: list[Paper], nlp: Language, min_confidence: float = 0.0) -> list[Extraction]:
    """The default chunk work: the pipeline, then the confidence cut (as `kg.build.extract_pairs`)."""
    from extractors import extract

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
        from extractors import build_nlp

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


class PaperTimeout(Exception):
    """A paper (or a batch of papers) ran past the per-paper time limit."""

    def __init__(self, seconds: float):
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


#: the running time limit in seconds (0: none); SIGALRM is ignored while it is 0
_ARMED = 0.0
_PREVIOUS_HANDLER: Any = None


def _on_alarm(signum: int, frame: Any) -> None:
    if _ARMED:
        raise PaperTimeout(_ARMED)
    if callable(_PREVIOUS_HANDLER):  # someone else's alarm
        _PREVIOUS_HANDLER(signum, frame)


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `PaperTimeout` in this thread's Python code after `seconds` (SIGALRM; a no-op without a
    limit, or off the main thread, where signals cannot be handled). Long regular-expression matches
    heed it too; code stuck in C is the parent's to kill (`KILL_GRACE`). The handler stays installed
    once set (a late alarm is then ignored, never the default action, which ends the process)."""
    global _ARMED, _PREVIOUS_HANDLER
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    if signal.getsignal(signal.SIGALRM) is not _on_alarm:
        _PREVIOUS_HANDLER = signal.signal(signal.SIGALRM, _on_alarm)
    _ARMED = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _ARMED = 0.0
        signal.setitimer(signal.ITIMER_REAL, 0)


#: ``beat(position, papers)``: a worker tells the parent which papers it starts on (0 papers: done)
Beat = Callable[[int, int], None]


def _no_beat(position: int, papers: int) -> None:
    return None


def extract_timed(papers: list[Paper], nlp: Language, min_confidence: float, extract_fn: ExtractFn,
                  seconds: float, start: int = 0, beat: Beat = _no_beat) -> tuple[list[Extraction | None], list[int]]:
    """`extract_fn` over `papers` in batches of `TIMED_BATCH`, each under a time limit of `seconds`;
    a batch that overruns is run again paper by paper, each under the limit. Returns one Extraction
    per paper (None for a paper that overran) and the offsets of those papers. `start` is the
    input position of papers[0], passed to `beat` before each batch and each lone paper."""
    out: list[Extraction | None] = []
    late: list[int] = []
    for at in range(0, len(papers), TIMED_BATCH):
        batch = papers[at : at + TIMED_BATCH]
        beat(start + at, len(batch))
        try:
            with _time_limit(seconds):
                done = extract_fn(batch, nlp, min_confidence)
            out.extend(done)  # (outside the limit: an alarm after the work must not count it twice)
            continue
        except PaperTimeout:
            pass
        for offset, paper in enumerate(batch, start=at):
            beat(start + offset, 1)
            try:
                with _time_limit(seconds):
                    done = extract_fn([paper], nlp, min_confidence)
            except PaperTimeout:
                out.append(None)
                late.append(offset)
            else:
                out.extend(done)
    beat(start + len(papers), 0)
    return out, late


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
    #: workers the parent had killed when the chunk was submitted (`_Runner.kills`)
    gen: int = 0

    def describe(self) -> str:
        first, last = self.papers[0].id, self.papers[-1].id
        ids = first if len(self.papers) == 1 else f"{first} .. {last}"
        return f"papers {self.start + 1}-{self.start + len(self.papers)} (ids {ids})"


class _Result(Protocol):
    def result(self) -> Any: ...


# ---------------------------------------------------------------- worker side (picklable, top level)

#: in a local pool worker with a time limit: the shared board and this worker's slot on it
_BOARD: tuple[Any, int] | None = None
#: fields of a worker's slot on the board: pid, input position of the papers being extracted, how
#: many (0: idle), and when it started (`time.monotonic`, one clock for every process on Linux)
_SLOT = 4


#: prctl(2) option: the signal this process gets when the thread that started it ends
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """End this worker when the parent process ends, however it ends (a SIGKILLed `kg extract` must
    leave no workers behind). Linux: the kernel sends SIGKILL (prctl PR_SET_PDEATHSIG; the pool
    starts its workers from the thread that submits, which lives as long as the run), even to a
    worker busy in C code. Elsewhere, a daemon thread polls the parent's pid."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:  # the parent was gone before we could ask
        os._exit(1)
    if armed:
        return

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=poll, name="kg-parent-watch", daemon=True).start()


def _init_worker(model: str | None, parent: int | None = None, board: Any = None, seats: Any = None,
                 server: int | None = None, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
    """Pool initializer: die with the parent; Ctrl-C is the parent's to handle; take a slot on the
    parent's `board` (with a time limit); build the pipeline once, up front (frozen: this process
    exists only to run it).

    A worker forked from the forkserver (`server`, its pid) first takes the environment and folder
    the parent has now (a spawned one would start with them; the server has the ones of its own
    start), then the server's pipeline if it was built for what this worker would build."""
    global _FREEZE_PIPELINES, _BOARD
    if server is not None:
        _die_with_parent(server)
        _leave_forkserver()
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        _adopt_preloaded(model)
    elif parent is not None:
        _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if board is not None and seats is not None:
        with seats.get_lock():
            slot, seats.value = seats.value, seats.value + 1
        if (slot + 1) * _SLOT <= len(board):
            board[slot * _SLOT] = os.getpid()
            _BOARD = (board, slot)
    _FREEZE_PIPELINES = True
    cached_nlp(model)


# -- the forkserver local workers are forked from --------------------------------------------------
#
# A spawned worker is a fresh interpreter that imports spaCy and builds the pipeline: ~1.7 s of CPU
# per worker, again for every replacement after a death or a time-limit kill. Where the platform has
# it, the pool instead asks multiprocessing's forkserver (one clean, single-threaded process started
# with the first pool and kept while this process lives) to fork each worker; the server imported
# `_PRELOAD_MODULE` when it started, which builds the default pipeline there, so a worker starts
# with it in pages it shares with the server, in milliseconds.
#
# Dying with the parent: a worker's own parent is the server, so PR_SET_PDEATHSIG (`_die_with_parent`)
# follows the server, and the server must end with this process. It does by design once its
# "alive" pipe reaches EOF, but every forked child gets a copy of that pipe's write end, which
# would keep the server (and so the workers) alive after a SIGKILL of this process: each worker
# closes its copy (`_leave_forkserver`), so the pipe is held here only.

#: imported by the forkserver when it starts (it calls `preload_pipeline`)
_PRELOAD_MODULE = "kg._pool_preload"
#: in the forkserver and in workers forked from it before they adopt it: (what it was built for, pipeline)
_PRELOADED: tuple[tuple[Any, ...], Language] | None = None
#: whether this worker runs the forkserver's pipeline (tested: workers do not build their own)
_FROM_SERVER = False


def _pipeline_key(model: str | None) -> tuple[Any, ...]:
    """What `build_nlp(model)` builds, besides the package itself: the spaCy model, whether the
    span classifier is on, and which span-model file (path, size, mtime) it would load."""
    from extractors.spanmodel import DEFAULT_MODEL, MODEL_ENV, model_enabled

    path = Path(os.environ.get(MODEL_ENV) or DEFAULT_MODEL).resolve()
    try:
        stat = path.stat()
        file: tuple[int, int] | None = (stat.st_size, stat.st_mtime_ns)
    except OSError:
        file = None
    return (model, model_enabled(), str(path), file)


def preload_pipeline() -> None:
    """In the forkserver: build the default pipeline once for every worker forked later. Any
    failure (a corrupt model file) leaves nothing preloaded: each worker then builds its own and
    reports the error as a spawned one would."""
    global _PRELOADED
    try:
        from extractors import build_nlp

        _PRELOADED = (_pipeline_key(None), build_nlp(None))
    except Exception:  # noqa: BLE001 - the worker's own build reports it
        _PRELOADED = None
    gc.collect()
    gc.freeze()  # shared with every worker: keep the collector from touching (and copying) its pages


def _adopt_preloaded(model: str | None) -> None:
    """Use the server's pipeline if it is what this worker would build now, else forget it (and
    the span models the server loaded: the file may have changed since)."""
    global _PRELOADED, _FROM_SERVER
    preloaded, _PRELOADED = _PRELOADED, None
    _FROM_SERVER = False
    if preloaded is None:
        return
    key, nlp = preloaded
    if key == _pipeline_key(model):
        _NLP_CACHE[(model, threading.get_ident())] = (nlp, len(nlp.vocab.strings))
        _FROM_SERVER = True
    else:
        from extractors import spanmodel

        spanmodel._MODELS.clear()


def _leave_forkserver() -> None:
    """Close this worker's copy of the forkserver's "alive" pipe (see above)."""
    from multiprocessing import forkserver

    fd = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
        forkserver._forkserver._forkserver_alive_fd = None


def _pool_context() -> tuple[Any, int | None]:
    """The multiprocessing context for a local pool, and the forkserver's pid when it is one."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        forkserver.set_forkserver_preload([_PRELOAD_MODULE])  # for a server started from here on
        try:
            forkserver.ensure_running()
        except OSError as exc:
            log.info("no forkserver (%s): workers are spawned", exc)
        else:
            server = getattr(forkserver._forkserver, "_forkserver_pid", None)
            if server:
                return multiprocessing.get_context("forkserver"), server
    return multiprocessing.get_context("spawn"), None


def _beat(position: int, papers: int) -> None:
    """Tell the parent which papers this worker starts on (see `_SLOT`)."""
    if _BOARD is None:
        return
    board, slot = _BOARD
    at = slot * _SLOT
    board[at + 3] = 0.0  # not started while the rest changes (the parent may read it meanwhile)
    board[at + 1], board[at + 2] = position, papers
    if papers:
        board[at + 3] = time.monotonic()


def _run_chunk(model: str | None, min_confidence: float, extract_fn: ExtractFn, output: OutputFn | None,
               raw_papers: list[dict[str, Any]], start: int = 0,
               seconds: float | None = None) -> tuple[list[str], list[Any], list[int]]:
    """Worker task: plain dicts in; out the papers' ids, one JSON text per extraction (no Doc crosses
    processes) or with `output` its ``output(extraction)``, and the offsets of papers that ran past
    the time limit of `seconds` (their value is None)."""
    # rebuilt by pydantic-core: cheaper than pickling Paper objects (a Python __getstate__/__setstate__ each)
    papers = [Paper.model_validate(raw) for raw in raw_papers]
    nlp = cached_nlp(model)
    if seconds:
        extractions, late = extract_timed(papers, nlp, min_confidence, extract_fn, seconds, start, _beat)
    else:
        extractions, late = extract_fn(papers, nlp, min_confidence), []
    _recycle_if_grown(model)
    make = output if output is not None else Extraction.model_dump_json
    ids = [paper.id if e is None else e.id for paper, e in zip(papers, extractions)]
    if len(extractions) != len(papers):
        ids = [e.id for e in extractions if e is not None]  # misaligned: the parent's id check says so
    return ids, [None if e is None else make(e) for e in extractions], late


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
                 output: OutputFn | None = None, seconds: float | None = None,
                 on_lost: Callable[[LostPaper], None] | None = None):
        self.model, self.min_confidence, self.extract_fn, self.output = model, min_confidence, extract_fn, output
        self._given_nlp, self.progress, self.on_error, self.stats = nlp, progress, on_error, stats
        self.seconds, self.on_lost = seconds, on_lost
        #: positions (0-based) of papers already reported lost, never run again
        self.lost_at: set[int] = set()
        #: set by a local pool: looks at the workers while the parent waits, and submits again
        self.watch: Callable[[], None] | None = None
        self.resubmit: Callable[[_Chunk], _Result] | None = None
        #: workers killed for overrunning the time limit, and what each was on: start -> papers
        self.kills = 0
        self.hung: dict[int, int] = {}

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
        return (self.model, self.min_confidence, self.extract_fn, self.output, [p.__dict__ for p in chunk.papers],
                chunk.start, self.seconds)

    def lose(self, position: int, paper: Paper, reason: str) -> None:
        """Skip and report one paper (0-based `position`)."""
        self.lost_at.add(position)
        lost = LostPaper(position + 1, paper.id, reason)
        self.stats.lost.append(lost)
        if self.on_lost is not None:
            self.on_lost(lost)
        else:
            self.on_error(str(lost))

    def late(self, chunk: _Chunk, offsets: Iterable[int]) -> None:
        for offset in offsets:
            self.lose(chunk.start + offset, chunk.papers[offset], f"took longer than {self.seconds:g} s")

    def finish(self, chunk: _Chunk, extractions: list[Extraction | None]) -> list[Any]:
        """Extractions made in this process, in the caller's ``output`` form when one was asked for
        (a record that form cannot hold, e.g. a lone surrogate for JSON, skips its paper)."""
        if self.output is None:
            return extractions
        out: list[Any] = []
        for offset, extraction in enumerate(extractions):
            value = None
            if extraction is not None:
                try:
                    value = self.output(extraction)
                except Exception as exc:  # noqa: BLE001 - the paper is reported and skipped, the run goes on
                    self.lose(chunk.start + offset, chunk.papers[offset], f"cannot write its record ({_reason(exc)})")
            out.append(value)
        return out

    def emit(self, chunk: _Chunk, extractions: list[Any]) -> Iterator[tuple[Paper, Any]]:
        self.stats.chunks += 1
        for paper, extraction in zip(chunk.papers, extractions):
            if extraction is not None:
                yield paper, extraction
        if self.progress is not None:
            self.progress(len(chunk.papers))

    def extract_here(self, chunk: _Chunk) -> list[Extraction | None]:
        """The chunk's extractions made in this process, under the time limit when there is one."""
        if not self.seconds:
            return _check(chunk, self.extract_fn(chunk.papers, self.nlp, self.min_confidence))
        extractions, late = extract_timed(chunk.papers, self.nlp, self.min_confidence, self.extract_fn,
                                          self.seconds, chunk.start)
        _check_ids(chunk, [p.id if e is None else e.id for p, e in zip(chunk.papers, extractions)])
        self.late(chunk, late)
        return extractions

    def in_process(self, chunk: _Chunk) -> list[Any]:
        """Extract a chunk here; if it raises, isolate the bad papers so they cost only themselves."""
        try:
            extractions = self.extract_here(chunk)
        except Exception as exc:  # noqa: BLE001 - narrowed down paper by paper below
            extractions = self.one_by_one(chunk, _reason(exc))
        finally:
            self.recycle()
        return self.finish(chunk, extractions)

    def one_by_one(self, chunk: _Chunk, reason: str) -> list[Extraction | None]:
        """Each paper of a failed chunk alone; a paper that fails again is skipped and reported."""
        if len(chunk.papers) > 1:
            self.on_error(f"{chunk.describe()}: extraction failed in this process ({reason}); "
                          "trying them one by one")
        out: list[Extraction | None] = []
        for offset, paper in enumerate(chunk.papers):
            position = chunk.start + offset
            extraction = None
            if position in self.lost_at:  # already reported (it ran out of time): not run again
                out.append(None)
                continue
            try:
                with _time_limit(self.seconds):
                    found = self.extract_fn([paper], self.nlp, self.min_confidence)
                (extraction,) = _check(_Chunk(position, [paper]), found)
            except PaperTimeout as exc:
                self.lose(position, paper, str(exc))
            except Exception as exc:  # noqa: BLE001 - the paper is reported and skipped, the run goes on
                self.lose(position, paper, f"extraction failed twice ({_reason(exc)})")
            out.append(extraction)
        return out

    def retry(self, chunk: _Chunk, reason: str) -> list[Any]:
        """The one retry of a chunk whose worker raised or died: here, in this process."""
        self.stats.retried_chunks += 1
        self.on_error(f"{chunk.describe()}: extraction failed in a worker ({reason}); retrying in this process")
        return self.in_process(chunk)

    def wait(self, pending: _Result) -> Any:
        """A chunk's result; with a local pool under a time limit, watching the workers meanwhile."""
        if self.watch is None:
            return pending.result()
        while True:
            try:
                return pending.result(timeout=_WATCH_EVERY)  # type: ignore[call-arg]
            except TimeoutError:
                self.watch()

    def collect(self, chunk: _Chunk, pending: _Result) -> list[Any]:
        """A worker's JSON texts validated back into records, or the retry if the worker failed."""
        try:
            ids, values, late = self.wait(pending)
            _check_ids(chunk, ids)
        except Exception as exc:  # noqa: BLE001 - includes BrokenProcessPool and Dask's KilledWorker
            if isinstance(exc, BrokenProcessPool) and self.resubmit is not None and (
                    chunk.gen < self.kills or self._hung_in(chunk)):
                return self.again(chunk)  # a worker we killed for its time: not this chunk's fault
            return self.retry(chunk, _reason(exc))
        self.late(chunk, late)
        if self.output is not None:
            return values
        return [None if text is None else Extraction.model_validate_json(text) for text in values]

    def _hung_in(self, chunk: _Chunk) -> dict[int, int]:
        end = chunk.start + len(chunk.papers)
        return {start: n for start, n in self.hung.items() if chunk.start <= start < end}

    def again(self, chunk: _Chunk) -> list[Any]:
        """Submit a chunk again after a worker was killed: a paper the killed worker was stuck on
        alone is lost; a batch it was stuck on goes paper by paper; the rest as it was."""
        hung = self._hung_in(chunk)
        for start in hung:
            del self.hung[start]
        alone: set[int] = set()
        for start, n in hung.items():
            if n == 1:
                self.lose(start, chunk.papers[start - chunk.start], f"took longer than {self.seconds:g} s")
            else:
                alone.update(range(start, start + n))
        pieces: list[_Chunk] = []
        for offset, paper in enumerate(chunk.papers):
            position = chunk.start + offset
            if position in self.lost_at:
                continue
            last = pieces[-1] if pieces else None
            if (last is None or position in alone or last.start + len(last.papers) != position
                    or last.start in alone):
                pieces.append(_Chunk(position, [paper]))
            else:
                last.papers.append(paper)
        assert self.resubmit is not None
        submitted = [(piece, self.resubmit(piece)) for piece in pieces]
        values: dict[int, Any] = {}
        for piece, pending in submitted:
            for offset, value in enumerate(self.collect(piece, pending)):
                values[piece.start + offset] = value
        return [values.get(chunk.start + offset) for offset in range(len(chunk.papers))]

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

    def result(self, timeout: float | None = None) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class _LocalPool:
    """A process pool (forkserver or spawn, `_pool_context`) whose workers hold one pipeline each; replaced if it dies.

    With a time limit, each worker posts on a shared board which papers it is on since when; the
    parent, while it waits, kills a worker that overran the limit by `KILL_GRACE` (it did not heed
    its own alarm), and the pool is replaced (not counted against `MAX_RESTARTS`).
    """

    def __init__(self, runner: _Runner, workers: int):
        self.runner, self.workers = runner, workers
        self.board: Any = None
        self._kills_seen = 0
        self.executor: ProcessPoolExecutor | None = self._start()
        if runner.seconds:
            runner.watch, runner.resubmit = self.watch, self.submit

    def _start(self) -> ProcessPoolExecutor:
        context, server = _pool_context()
        board = seats = None
        if self.runner.seconds:
            self.board = board = context.Array("d", _SLOT * self.workers, lock=False)
            seats = context.Value("i", 0)
        initargs = (self.runner.model, os.getpid(), board, seats, server,
                    dict(os.environ) if server else None, os.getcwd() if server else None)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                   initializer=_init_worker, initargs=initargs)

    def watch(self) -> None:
        """Kill a worker that has been on the same papers for longer than the limit plus `KILL_GRACE`."""
        board, runner = self.board, self.runner
        if board is None or runner.seconds is None:
            return
        now = time.monotonic()
        for at in range(0, len(board), _SLOT):
            pid, position, papers, started = board[at : at + _SLOT]
            if not (pid and papers and started) or now - started <= runner.seconds + KILL_GRACE:
                continue
            board[at + 3] = 0.0
            runner.hung[int(position)] = int(papers)
            runner.kills += 1
            runner.on_error(f"a worker spent over {runner.seconds + KILL_GRACE:g} s on papers {int(position) + 1}-"
                            f"{int(position + papers)} without heeding its time limit: killed")
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass  # it finished or died meanwhile

    def submit(self, chunk: _Chunk) -> _Result:
        chunk.gen = self.runner.kills
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
        if self.runner.kills > self._kills_seen:  # we killed a worker for its time: not a failure
            self._kills_seen = self.runner.kills
            self.executor = self._start()
            return
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
    window: int | None = None, output: OutputFn | None = None, paper_timeout: float | None = None,
    on_lost: Callable[[LostPaper], None] | None = None,
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
    paper_timeout : float, optional
        Seconds a paper may take (None: no limit). Papers run in batches of `TIMED_BATCH` under
        the limit, a batch that overruns paper by paper; a paper that overruns is skipped and
        reported ("took longer than N s"). Enforced by SIGALRM in this process's main thread and in
        local workers, where a worker that does not heed it within `KILL_GRACE` is killed and
        replaced; not on Dask (tasks run in worker threads).
    on_lost : callable, optional
        Called with each `LostPaper` as it is skipped (default: ``on_error(str(lost))``).

    Returns
    -------
    iterator of (Paper, Extraction)

    Raises
    ------
    ValueError
        An unknown engine, or workers, chunk_size or window below 1, or a paper_timeout not above 0
        (raised at the call, not on the first ``next``).

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
    if paper_timeout is not None and not paper_timeout > 0:
        raise ValueError(f"paper_timeout must be above 0, got {paper_timeout}")
    if engine == "dask" and importlib.util.find_spec("distributed") is None:
        raise ValueError("engine 'dask' needs dask.distributed: pip install 'papers-kg[dask]'")
    if nlp is None and model is not None:
        cached_nlp(model)  # fail now with ModelNotFound, not inside every worker
    runner = _Runner(model, min_confidence, extract_fn, nlp, progress,
                     on_error or (lambda message: log.warning("%s", message)), stats or EngineStats(), output,
                     paper_timeout, on_lost)
    chunks = _chunks(papers, chunk_size)
    if engine == "dask":
        return _run_dask(runner, chunks, workers, scheduler, window)
    return _run_local(runner, chunks, workers, window)
