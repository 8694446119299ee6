"""kg.engines: parallel extraction (local processes, Dask) equals the single-process run.

The worker-side helpers below are top-level functions so the workers can import them;
they stand in for a paper that breaks extraction or kills its worker process (no test-only switch
exists in the production code).
"""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
import os
import weakref
from collections.abc import Iterator

import pytest

from pathlib import Path

from extractors import build_nlp
from extractors.spanmodel import DEFAULT_MODEL as SPAN_MODEL
from extractors.spanmodel import MODEL_ENV, NO_MODEL_ENV
from kg import engines
from kg.build import SAMPLE_CORPUS, extract_pairs, extraction_line
from kg.engines import EngineStats, LostPaper, extract_chunk, extract_parallel
from kg.ingest import read_papers
from schema import Extraction, Paper

N_PAPERS = 60
POISON = "poison-paper"  # extraction raises on it, wherever it runs
LETHAL = "lethal-paper"  # kills the worker process that meets it; fine in the parent


def _server_pipeline_extract(papers: list[Paper], nlp, min_confidence: float) -> list[Extraction]:
    """`extract_chunk` with the pipeline the forkserver built; raises in a worker that built its own."""
    if multiprocessing.parent_process() is not None and not engines._FROM_SERVER:
        raise RuntimeError("this worker built its own pipeline")
    return extract_chunk(papers, nlp, min_confidence)


def _failing_extract(papers: list[Paper], nlp, min_confidence: float) -> list[Extraction]:
    """`extract_chunk`, except on the poison paper (always) and the lethal one (in a worker)."""
    ids = {p.id for p in papers}
    if POISON in ids:
        raise ValueError(f"cannot parse paper {POISON}")
    if LETHAL in ids and multiprocessing.parent_process() is not None:
        os._exit(1)  # think of the OOM killer
    return extract_chunk(papers, nlp, min_confidence)


@pytest.fixture(autouse=True)
def empty_pipeline_cache(monkeypatch):
    """No pipeline cached in `kg.engines` by an earlier test."""
    monkeypatch.setattr(engines, "_NLP_CACHE", {})


@pytest.fixture
def fresh_pipelines(shared_pipelines, monkeypatch):
    """For the tests about building and recycling pipelines: the real `build_nlp`, not the session's
    shared pipelines (tests/conftest.py; one that has seen every string of the sample would never
    grow, so never be recycled)."""
    import extractors

    monkeypatch.setattr(extractors, "build_nlp", shared_pipelines)


@pytest.fixture(scope="module")
def sample_papers() -> list[Paper]:
    return list(itertools.islice(read_papers([SAMPLE_CORPUS]), N_PAPERS))


@pytest.fixture(scope="module")
def expected(sample_papers) -> list[tuple[str, dict]]:
    """The single-process reference, through today's `kg.build.extract_pairs`."""
    return [(p.id, e.model_dump()) for p, e in extract_pairs(sample_papers, build_nlp())]


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster


def _reversed_extract(papers: list[Paper], nlp, min_confidence: float) -> list[Extraction]:
    """A chunk function that returns its records out of order (a bug the engine must catch)."""
    return list(reversed(extract_chunk(papers, nlp, min_confidence)))


def _broken(papers: list[Paper], at: dict[int, str]) -> list[Paper]:
    """`papers` with a bad paper (id from `at`) inserted at each 1-based position."""
    out = list(papers)
    for position, pid in sorted(at.items()):
        out.insert(position - 1, Paper(id=pid, title="Broken", abstract="Nothing to see."))
    return out


def _dumps(pairs) -> list[tuple[str, dict]]:
    return [(p.id, e.model_dump()) for p, e in pairs]


def test_engines_one_worker_equals_extract_pairs(sample_papers, expected):
    stats = EngineStats()
    got = _dumps(extract_parallel(sample_papers, workers=1, chunk_size=16, stats=stats))
    assert got == expected
    assert stats.chunks == 4 and stats.retried_chunks == 0 and stats.lost == []


def test_engines_grown_pipeline_is_rebuilt_with_same_output(sample_papers, expected, monkeypatch, fresh_pipelines):
    monkeypatch.setattr(engines, "MAX_NEW_STRINGS", 0)  # any new string: rebuild after every chunk
    before = engines.cached_nlp(None)
    got = _dumps(extract_parallel(sample_papers, workers=1, chunk_size=30))
    assert got == expected
    assert engines.cached_nlp(None) is not before


def test_engines_frozen_pipeline_is_freed_when_recycled(monkeypatch, fresh_pipelines):
    """Pool workers gc.freeze() their pipeline; recycling it must unfreeze, or the old one would leak."""
    monkeypatch.setattr(engines, "_NLP_CACHE", {})
    monkeypatch.setattr(engines, "_FREEZE_PIPELINES", True)
    monkeypatch.setattr(engines, "MAX_NEW_STRINGS", 0)
    try:
        old = weakref.ref(engines.cached_nlp(None))
        assert gc.get_freeze_count() > 0
        old().make_doc("a string this vocabulary has not seen: zqxwvy")
        engines._recycle_if_grown(None)
        assert old() is None and gc.get_freeze_count() == 0
        assert engines.cached_nlp(None) is not None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_engines_two_workers_equal_one_in_order_and_read_lazily(sample_papers, expected):
    pulled = 0

    def counting() -> Iterator[Paper]:
        nonlocal pulled
        for paper in sample_papers:
            pulled += 1
            yield paper

    done: list[int] = []
    pairs = extract_parallel(counting(), workers=2, chunk_size=8, window=2, progress=done.append)
    first = next(pairs)
    assert pulled <= 2 * 8  # window * chunk_size, not the whole input
    got = _dumps(itertools.chain([first], pairs))
    assert [pid for pid, _ in got] == [p.id for p in sample_papers]
    assert got == expected
    assert sum(done) == N_PAPERS and len(done) == 8


def test_engines_dask_equals_one_worker(sample_papers, expected, dask_cluster):
    pulled = 0

    def counting() -> Iterator[Paper]:
        nonlocal pulled
        for paper in sample_papers:
            pulled += 1
            yield paper

    pairs = extract_parallel(counting(), chunk_size=8, window=2, engine="dask",
                             scheduler=dask_cluster.scheduler_address)
    first = next(pairs)
    assert pulled <= 2 * 8
    assert _dumps(itertools.chain([first], pairs)) == expected


def test_engines_dask_local_cluster_when_no_scheduler(sample_papers, expected):
    pytest.importorskip("distributed")
    got = _dumps(extract_parallel(sample_papers[:20], workers=1, chunk_size=8, engine="dask"))
    assert got == expected[:20]


def test_engines_one_worker_skips_and_reports_failing_paper(sample_papers, expected):
    messages: list[str] = []
    stats = EngineStats()
    got = _dumps(extract_parallel(_broken(sample_papers, {21: POISON}), workers=1, chunk_size=8,
                                  extract_fn=_failing_extract, on_error=messages.append, stats=stats))
    assert got == expected  # everything but the poison paper, in order
    assert stats.lost == [LostPaper(21, POISON, f"extraction failed twice (ValueError: cannot parse paper {POISON})")]
    assert messages[0].startswith("papers 17-24 (ids ") and "ValueError" in messages[0]
    assert messages[1:] == [str(stats.lost[0])] and stats.retried_chunks == 0


def test_engines_pool_survives_failing_paper_and_dead_worker(sample_papers, expected):
    messages: list[str] = []
    stats = EngineStats()
    papers = _broken(sample_papers, {5: POISON, 45: LETHAL})
    got = _dumps(extract_parallel(papers, workers=2, chunk_size=8, window=2, extract_fn=_failing_extract,
                                  on_error=messages.append, stats=stats))
    # the poison paper is lost and reported; the lethal one is recovered by the retry in this process
    assert [pid for pid, _ in got] == [p.id for p in papers if p.id != POISON]
    assert [pair for pair in got if pair[0] != LETHAL] == expected
    assert [(x.position, x.id) for x in stats.lost] == [(5, POISON)] and str(stats.lost[0]) in messages
    assert any(m.startswith("papers 1-8 ") and "ValueError: cannot parse" in m for m in messages)
    assert any(m.startswith("papers 41-48 ") and "BrokenProcessPool" in m for m in messages)
    assert stats.pool_restarts == 1 and any("a worker process died; starting a new pool" in m for m in messages)
    assert all("\n" not in m for m in messages)


def test_engines_output_made_in_workers_equals_single_process_lines(sample_papers, expected):
    # kg extract's path: the workers make the JSON lines, the parent only checks ids and passes them on
    lines = [extraction_line(Extraction.model_validate(e)) for _, e in expected]
    messages: list[str] = []
    stats = EngineStats()
    papers = _broken(sample_papers, {5: POISON, 45: LETHAL})
    got = list(extract_parallel(papers, workers=2, chunk_size=8, window=2, extract_fn=_failing_extract,
                                on_error=messages.append, stats=stats, output=extraction_line))
    assert all(isinstance(line, str) for _, line in got)
    assert [p.id for p, _ in got] == [p.id for p in papers if p.id != POISON]
    assert [line for p, line in got if p.id != LETHAL] == lines  # retried chunks give lines too
    assert [(x.position, x.id) for x in stats.lost] == [(5, POISON)] and stats.pool_restarts == 1
    one = [line for _, line in extract_parallel(sample_papers, workers=1, chunk_size=16, output=extraction_line)]
    assert one == lines


def test_engines_output_still_checks_ids_and_order(sample_papers):
    messages: list[str] = []
    stats = EngineStats()
    got = list(extract_parallel(sample_papers[:16], workers=2, chunk_size=8, extract_fn=_reversed_extract,
                                on_error=messages.append, stats=stats, output=extraction_line))
    # every chunk comes back out of order, in the workers and again in this process: nothing is
    # paired with the wrong paper; single papers (the last resort) cannot be out of order
    assert [p.id for p, _ in got] == [p.id for p in sample_papers[:16]]
    assert all(json.loads(line)["id"] == p.id for p, line in got)
    assert stats.retried_chunks == 2 and stats.lost == []
    assert any("out of order" in m for m in messages)


def test_engines_single_chunk_runs_without_pool(sample_papers, expected):
    stats = EngineStats()
    papers = _broken(sample_papers[:10], {3: LETHAL})  # would kill a worker process, not this one
    got = _dumps(extract_parallel(papers, workers=2, chunk_size=16, extract_fn=_failing_extract, stats=stats))
    assert [pair for pair in got if pair[0] != LETHAL] == expected[:10]
    assert stats.pool_restarts == 0 and stats.retried_chunks == 0 and stats.chunks == 1


def test_engines_dask_failing_paper_is_reported_and_skipped(sample_papers, expected, dask_cluster):
    messages: list[str] = []
    stats = EngineStats()
    got = _dumps(extract_parallel(_broken(sample_papers, {21: POISON}), chunk_size=8, engine="dask",
                                  scheduler=dask_cluster.scheduler_address, extract_fn=_failing_extract,
                                  on_error=messages.append, stats=stats))
    assert got == expected
    assert [(x.position, x.id) for x in stats.lost] == [(21, POISON)]
    assert stats.retried_chunks == 1 and str(stats.lost[0]) in messages


def test_engines_dask_output_made_on_the_workers(sample_papers, expected, dask_cluster):
    lines = [extraction_line(Extraction.model_validate(e)) for _, e in expected]
    got = list(extract_parallel(sample_papers, chunk_size=8, engine="dask", scheduler=dask_cluster.scheduler_address,
                                output=extraction_line))
    assert [line for _, line in got] == lines


def test_engines_lost_paper_message_names_position_and_id():
    assert str(LostPaper(7, "p-7", "boom")) == "paper 7 (id p-7) skipped: boom"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "spark"}, "unknown engine 'spark' (choose one of: local, dask)"),
        ({"workers": 0}, "workers must be at least 1, got 0"),
        ({"chunk_size": 0}, "chunk_size must be at least 1, got 0"),
    ],
)
def test_engines_bad_arguments_raise_one_line_at_call(kwargs, message):
    with pytest.raises(ValueError) as info:
        extract_parallel(iter(()), **kwargs)  # raised at the call, before any iteration
    assert str(info.value) == message


forkserver_only = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                     reason="workers are spawned where there is no forkserver")


@forkserver_only
def test_engines_workers_start_with_the_pipeline_the_forkserver_built(sample_papers, expected):
    messages: list[str] = []
    got = _dumps(extract_parallel(sample_papers, workers=2, chunk_size=8, window=2,
                                  extract_fn=_server_pipeline_extract, on_error=messages.append))
    assert messages == [] and got == expected


@forkserver_only
def test_engines_forked_workers_take_the_environment_and_folder_the_parent_has_now(
        sample_papers, expected, tmp_path, monkeypatch):
    list(extract_parallel(sample_papers[:16], workers=2, chunk_size=8))  # the server is up, with the model on
    rules = [(p.id, e.model_dump()) for p, e in extract_pairs(sample_papers, build_nlp(use_model=False))]
    (tmp_path / "model.json").write_bytes(Path(SPAN_MODEL).read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(MODEL_ENV, "model.json")  # relative: found only from the parent's folder
    messages: list[str] = []
    with_model = _dumps(extract_parallel(sample_papers, workers=2, chunk_size=8, on_error=messages.append))
    monkeypatch.setenv(NO_MODEL_ENV, "1")  # what `--no-model` does
    without = _dumps(extract_parallel(sample_papers, workers=2, chunk_size=8, on_error=messages.append))
    assert messages == []
    assert with_model == expected and without == rules and without != with_model


def test_engines_a_preloaded_pipeline_is_adopted_only_when_built_for_the_same_settings(monkeypatch):
    from extractors import spanmodel

    preloaded = build_nlp()
    monkeypatch.setattr(engines, "_PRELOADED", (engines._pipeline_key(None), preloaded))
    engines._adopt_preloaded(None)
    assert engines.cached_nlp(None) is preloaded and engines._PRELOADED is None and engines._FROM_SERVER

    monkeypatch.setattr(engines, "_NLP_CACHE", {})
    monkeypatch.setattr(engines, "_PRELOADED", (engines._pipeline_key(None), preloaded))
    monkeypatch.setattr(spanmodel, "_MODELS", {"stale": object()})
    monkeypatch.setenv(NO_MODEL_ENV, "1")  # the parent runs without the model now
    engines._adopt_preloaded(None)
    assert spanmodel._MODELS == {} and not engines._FROM_SERVER
    assert "kg_classifier" not in engines.cached_nlp(None).pipe_names
