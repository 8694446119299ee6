"""Shared fixtures: a hand-made set of extractions and networkx backends to load them into.

`tiny_extractions` covers every entity label and role, results with and without unit and
method, and VARIANT_OF relations (one to an entity of the same paper, one to a key no entity
of the paper has). Its graph, by hand:

- Paper 3; Method 6 (colbert, bert, bm25, jina-colbert-v2, resnet-50, resnet); Dataset 3
  (ms marco, beir, colbench); Metric 2; Task 2; Result 2.
- PROPOSES 3, USES 4, COMPARES_WITH 1, EVALUATES_ON 3, MEASURES 2, ADDRESSES 2, REPORTS 2,
  OF_METRIC 2, ON_DATASET 2, FOR_METHOD 1, VARIANT_OF 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

# pytest (prepend import mode) put tests/ first on sys.path to import this file; tests/kg and
# tests/extractors would then shadow the real `kg` and `extractors` packages as namespace
# packages. Put the project root in front of it.
_ROOT = str(Path(__file__).resolve().parent.parent)
if sys.path[0] != _ROOT:
    sys.path.insert(0, _ROOT)

import pytest  # noqa: E402

from schema import Entity, Extraction, Mention, Paper, Relation, ResultRecord  # noqa: E402


def _paper(pid: str, title: str, sentences: list[str], **meta) -> tuple[Paper, str]:
    return Paper(id=pid, title=title, abstract=" ".join(sentences), **meta), " ".join(sentences)


def _entity(
    abstract: str, sentences: list[str], label: str, name: str, key: str, role: str,
    confidence: float, text: str | None = None, aliases: tuple[str, ...] = (),
) -> Entity:
    """An entity whose mentions are every occurrence of its surface forms in the abstract."""
    text = text or name
    mentions = []
    for form in dict.fromkeys((text, *aliases, name)):
        for found in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", abstract):
            start = found.start()
            offset = 0
            sentence = 0
            for i, s in enumerate(sentences):
                if start < offset + len(s) + 1:
                    sentence = i
                    break
                offset += len(s) + 1
            mentions.append(Mention(field="abstract", start=start, end=start + len(form),
                                    text=form, sentence=sentence))
    mentions.sort(key=lambda m: m.start)
    return Entity(label=label, name=name, key=key, text=text, aliases=list(aliases), role=role,
                  confidence=confidence, mentions=mentions)


def _result(abstract: str, number: str, sentence: int, **kw) -> ResultRecord:
    start = abstract.index(number)
    return ResultRecord(start=start, end=start + len(number), text=number, sentence=sentence, **kw)


def make_tiny_extractions() -> list[tuple[Paper, Extraction]]:
    """Three papers with hand-checked extractions (see the module docstring for the graph)."""
    s1 = ["We present ColBERT, a late-interaction retriever built on BERT.",
          "On MS-MARCO ColBERT reaches an MRR@10 of 36.0% and beats BM25.",
          "This helps passage retrieval."]
    p1, a1 = _paper("p1", "ColBERT: Efficient Passage Search", s1, year=2020,
                    url="https://example.org/colbert", source="test")
    e1 = [
        _entity(a1, s1, "METHOD", "ColBERT", "colbert", "proposed", 0.95),
        _entity(a1, s1, "METHOD", "BERT", "bert", "used", 0.9),
        _entity(a1, s1, "METHOD", "BM25", "bm25", "compared", 0.8),
        _entity(a1, s1, "DATASET", "MS MARCO", "ms marco", "evaluated_on", 0.9,
                text="MS-MARCO", aliases=("MSMARCO",)),
        _entity(a1, s1, "METRIC", "MRR@10", "mrr@10", "reported", 0.85),
        _entity(a1, s1, "TASK", "passage retrieval", "passage retrieval", "mentioned", 0.7),
    ]
    r1 = _result(a1, "36.0%", 1, metric="mrr@10", value=36.0, unit="%", dataset="ms marco",
                 method="colbert")

    s2 = ["Jina-ColBERT-v2 extends ColBERT with BERT encoders.",
          "We release ColBench and report nDCG@10 of 0.521 on BEIR."]
    p2, a2 = _paper("p2", "Jina-ColBERT-v2", s2, year=2024, source="test")
    e2 = [
        _entity(a2, s2, "METHOD", "Jina-ColBERT-v2", "jina-colbert-v2", "proposed", 0.9),
        _entity(a2, s2, "METHOD", "ColBERT", "colbert", "used", 0.8),
        _entity(a2, s2, "METHOD", "BERT", "bert", "mentioned", 0.6),
        _entity(a2, s2, "DATASET", "ColBench", "colbench", "proposed", 0.75),
        _entity(a2, s2, "DATASET", "BEIR", "beir", "evaluated_on", 0.9),
        _entity(a2, s2, "METRIC", "nDCG@10", "ndcg@10", "reported", 0.85),
    ]
    r2 = _result(a2, "0.521", 1, metric="ndcg@10", value=0.521, dataset="beir")
    v2 = Relation(type="VARIANT_OF", source="jina-colbert-v2", target="colbert")

    s3 = ["We fine-tune ResNet-50 for image classification.", "We also try MS MARCO."]
    p3, a3 = _paper("p3", "A study of ResNet-50", s3)
    e3 = [
        _entity(a3, s3, "METHOD", "ResNet-50", "resnet-50", "used", 0.9),
        _entity(a3, s3, "TASK", "image classification", "image classification", "mentioned",
                0.7),
        _entity(a3, s3, "DATASET", "MS MARCO", "ms marco", "evaluated_on", 0.6),
    ]
    v3 = Relation(type="VARIANT_OF", source="resnet-50", target="resnet")

    return [
        (p1, Extraction(id="p1", title=p1.title, entities=e1, results=[r1], sentences=s1)),
        (p2, Extraction(id="p2", title=p2.title, entities=e2, results=[r2], relations=[v2],
                        sentences=s2)),
        (p3, Extraction(id="p3", title=p3.title, entities=e3, relations=[v3], sentences=s3)),
    ]


@pytest.fixture(scope="session")
def tiny_factory():
    """`make_tiny_extractions` itself, for module-scoped fixtures that build their own graphs."""
    return make_tiny_extractions


@pytest.fixture(scope="session")
def full_nlp():
    """The default pipeline (rules plus the shipped span classifier), built once per worker: a
    pipeline holds no state that changes what it extracts, and building one costs about a second."""
    from extractors import build_nlp

    return build_nlp()


@pytest.fixture(scope="session", autouse=True)
def shared_pipelines():
    """`kg` commands run in-process build the extraction pipeline on every call (about a second of
    CPU, some ninety times in the suite): here they share one per worker, thread and settings
    (arguments, KG_NO_MODEL, KG_SPAN_MODEL); a build that fails (missing or corrupt model) is not
    kept. Only `extractors.build_nlp`, which kg imports when it runs, is replaced: tests importing
    it themselves get the real one, and tests about building or recycling pipelines take the real
    one back from this fixture's value (tests/kg/test_engines.py)."""
    import threading

    import extractors
    from extractors.spanmodel import MODEL_ENV, NO_MODEL_ENV

    real = extractors.build_nlp
    built: dict[tuple, object] = {}

    def build_nlp(model: str | None = None, terms_path: str | None = None, use_model: bool | None = None,
                  model_path: str | None = None):
        key = (model, terms_path, use_model, model_path, os.environ.get(NO_MODEL_ENV), os.environ.get(MODEL_ENV),
               threading.get_ident())
        if key not in built:
            built[key] = real(model, terms_path, use_model, model_path)
        return built[key]

    extractors.build_nlp = build_nlp
    try:
        yield real
    finally:
        extractors.build_nlp = real


@pytest.fixture(scope="session")
def sample_head():
    """`sample_head(folder, n)`: the first n papers of the bundled sample as folder/papers.txt (a
    title line, then an abstract line), for tests that need a small real input."""
    from kg.build import SAMPLE_CORPUS

    def write(folder: Path, n: int) -> Path:
        path = folder / "papers.txt"
        lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()[:2 * n]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def built_once(tmp_path_factory):
    """`built_once(name, make)`: a folder that `make(folder)` fills once per run, shared by the
    xdist workers (the first to ask builds it under a lock; the others wait, then read it). Read
    it, or copy it before changing anything."""
    try:
        import fcntl
    except ImportError:  # no flock: each process builds its own
        fcntl = None
    root = tmp_path_factory.getbasetemp()
    if fcntl is not None and os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base folder, the workers' folders are in it

    def get(name: str, make) -> Path:
        folder = root / f"once-{name}"
        with open(root / f"once-{name}.lock", "w") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / ".built").exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                make(folder)
                (folder / ".built").touch()
        return folder

    return get


@pytest.fixture(scope="session")
def sample_graph():
    """The graph of the bundled sample corpus (215 papers), built once per worker. Shared: read it,
    or change a `.copy()`."""
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.build import SAMPLE_CORPUS, build_graph

    backend = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], backend)
    return backend.to_networkx()


@pytest.fixture
def tiny_extractions() -> list[tuple[Paper, Extraction]]:
    """(Paper, Extraction) pairs covering every label, role, results and VARIANT_OF."""
    return make_tiny_extractions()


@pytest.fixture
def tiny_graph_file(tmp_path: Path, tiny_extractions) -> Path:
    """tmp_path/graph.graphml holding the tiny extractions (what `kg query --graph` reads)."""
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.builder import build_batch

    path = tmp_path / "graph.graphml"
    with NetworkxBackend(path) as store:
        store.upsert(build_batch(tiny_extractions))
    return path


@pytest.fixture
def nx_backend(tmp_path: Path):
    """An empty networkx backend tied to tmp_path/graph.graphml (saved on close)."""
    from kg.backends.networkx_backend import NetworkxBackend

    backend = NetworkxBackend(tmp_path / "graph.graphml")
    yield backend
    backend.close()


@pytest.fixture
def tiny_backend(nx_backend, tiny_extractions):
    """The networkx backend with `tiny_extractions` loaded."""
    from kg.builder import build_batch

    nx_backend.upsert(build_batch(tiny_extractions))
    return nx_backend


@pytest.fixture
def command_app():
    """Build a Typer app holding one kg command module's commands (`register`), called by name as under `kg`."""
    import typer

    def make(register):
        app = typer.Typer()

        @app.callback()
        def main() -> None:  # a group, so commands are invoked by name
            pass

        register(app)
        return app

    return make


# -- running the suite: over the cores, one Neo4j server and one browser per run ----------------------
#
# With pytest-xdist (the [test] extra) the suite runs in worker processes with `--dist loadgroup`:
# every test using the shared Neo4j server is in group "neo4j" (one worker, one server, one
# database), every test using the browser in group "browser" (one worker, one Chromium), and the
# tests that start and kill servers of their own in group "neo4j-own" (one such JVM at a time).
# The biggest groups are sent out first, the other tests one by one to whichever worker is free.
# `-n 0`, `-p no:xdist` or no xdist installed: everything runs in one process, in file order.
#
# The workers find each test's group (from the fixtures it uses) and write it to a file the
# scheduler reads: pytest 9.2 no longer lets xdist add the group to a test's node id, its own way.

#: fixture a test uses -> the xdist group it runs in
GROUPS = {"neo4j_server": "neo4j", "browser": "browser"}
#: default number of workers: more buys nothing, the Neo4j group runs in one of them anyway
MAX_WORKERS = 4
#: node id -> group, filled by pytest_collection_modifyitems (one process) or from the workers' file
_groups: dict[str, str] = {}


def _neo4j_missing() -> str | None:
    sys.path.insert(0, str(Path(__file__).parent / "neo4j"))
    import launcher

    return launcher.missing_tools()


def _browser_missing() -> str | None:
    sys.path.insert(0, str(Path(__file__).parent / "browser"))
    import chromium

    return chromium.missing()


_OWN_CACHE = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """One cache for `kg eval`'s cross-validated predictions per run (kg/crossval.py), made before
    the xdist workers start so they share it, and removed at the end: nothing goes to ~/.cache."""
    if hasattr(config, "workerinput") or os.environ.get("KG_CACHE_DIR"):
        return
    folder = Path(tempfile.mkdtemp(prefix="kg-test-cache-"))
    os.environ["KG_CACHE_DIR"] = str(folder)
    config.stash[_OWN_CACHE] = folder


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Without `-n`, run over the cores (`-n auto`, see below) with `--dist loadgroup`."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    if hasattr(config, "workerinput"):
        # a worker starts with COLUMNS=80 in its environment; rich's consoles made at import time
        # would keep that width for good: give the worker the terminal settings of the run instead
        for name, value in config.workerinput.get("kg_terminal", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        return
    opt = config.option
    if opt.numprocesses is None and not opt.collectonly and not config.getoption("usepdb", False):
        opt.numprocesses = "auto"
    if opt.numprocesses and opt.dist == "no":
        opt.dist = "loadgroup"  # the groups keep one server and one browser per run
    if opt.dist == "loadgroup":
        config.stash[_GROUPS_FILE] = Path(tempfile.mkdtemp(prefix="kg-test-groups-")) / "groups.json"


_GROUPS_FILE = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker more than cores, since the Neo4j and browser groups spend much of their
    time waiting on servers, processes and pages (2 cores: 3 workers, 3m25 instead of 3m57); at most
    MAX_WORKERS. PYTEST_XDIST_AUTO_NUM_WORKERS wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores + 1))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Tell each worker where to write the groups it finds, and the run's terminal settings."""
    node.workerinput["kg_terminal"] = {name: os.environ.get(name) for name in ("COLUMNS", "LINES")}
    path = node.config.stash.get(_GROUPS_FILE, None)
    if path is not None:
        node.workerinput["kg_groups"] = str(path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's loadgroup scheduling, with each test's group taken from the workers' file."""
    path = config.stash.get(_GROUPS_FILE, None)
    if config.option.dist != "loadgroup" or path is None:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class GroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)  # "test@group" where xdist could name it
            if scope == nodeid:
                if not _groups and path.exists():  # every worker wrote it before reporting its collection
                    _groups.update(json.loads(path.read_text(encoding="utf-8")))
                scope = _groups.get(nodeid, nodeid)
            return scope

    return GroupScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_CACHE, None)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)
        os.environ.pop("KG_CACHE_DIR", None)
    path = config.stash.get(_GROUPS_FILE, None)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


def _group_of(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    marked = item.get_closest_marker("xdist_group")
    if marked and marked.args:  # a test's own group (tests/test_readme.py: the blocks running kg eval)
        return str(marked.args[0])
    for fixture, group in GROUPS.items():
        if fixture in names:
            return group
    if item.get_closest_marker("neo4j"):  # starts servers of its own
        return "neo4j-own"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test in its group: xdist_group marks, and the workers' file for the scheduler."""
    for item in items:
        group = _group_of(item)
        if group:
            _groups[item.nodeid] = group
            if not item.get_closest_marker("xdist_group"):
                item.add_marker(pytest.mark.xdist_group(group))
    target = getattr(config, "workerinput", {}).get("kg_groups")
    if target:  # every worker collects the same tests: the last write wins, whole (os.replace)
        tmp = Path(f"{target}.{os.getpid()}")
        tmp.write_text(json.dumps(_groups), encoding="utf-8")
        os.replace(tmp, target)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say what runs, where, and what is skipped and why."""
    workers = getattr(config.option, "numprocesses", None) or 0
    where = (f"{workers} worker(s) (pytest-xdist, --dist {config.option.dist}): the Neo4j tests share one "
             "worker and server, the browser tests one worker and Chromium" if workers
             else "one process (no pytest-xdist workers)")
    neo4j, browser = _neo4j_missing(), _browser_missing()
    return [
        "papers-kg suite: unit and CLI tests; "
        + (f"Neo4j tests SKIPPED ({neo4j})" if neo4j else "Neo4j tests on a real server (tests/neo4j)")
        + "; " + (f"browser tests SKIPPED ({browser})" if browser else "browser tests in headless Chromium"),
        f"running in {where}",
    ]


class _Phases:
    """Per group: outcomes, wall time from its first start to its last end, the workers it ran in."""

    def __init__(self) -> None:
        self.outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.span: dict[str, list[float]] = {}
        self.workers: dict[str, set[str]] = defaultdict(set)
        self.setup: dict[str, float] = defaultdict(float)

    def add(self, report: pytest.TestReport) -> None:
        nodeid, _, suffix = report.nodeid.rpartition("@")
        group = suffix if nodeid and "]" not in suffix else _groups.get(report.nodeid, "unit")
        span = self.span.setdefault(group, [report.start, report.stop])
        span[0], span[1] = min(span[0], report.start), max(span[1], report.stop)
        node = getattr(report, "node", None)
        if node is not None:
            self.workers[group].add(node.gateway.id)
        if report.when == "setup":
            self.setup[group] = max(self.setup[group], report.duration)
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[group][report.outcome] += 1

    def lines(self) -> list[str]:
        out = []
        for group, (start, stop) in sorted(self.span.items(), key=lambda kv: kv[1][0]):
            counts = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes[group].items()))
            where = f" in {'/'.join(sorted(self.workers[group]))}" if self.workers[group] else ""
            out.append(f"{group:10} {counts or 'nothing ran'}: {stop - start:6.1f} s{where} "
                       f"(longest setup {self.setup[group]:.1f} s)")
        return out


_phases = _Phases()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _phases.add(report)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Wall time per group (unit, neo4j, neo4j-own, browser): where the run's time went."""
    if hasattr(config, "workerinput") or not _phases.span:
        return
    terminalreporter.write_sep("-", "time per group, from its first test's start to its last test's end")
    for line in _phases.lines():
        terminalreporter.write_line(line)


# -- a real Neo4j server (tests marked `neo4j`) ----------------------------------------------------

NEO4J_PASSWORD = "kg-test-password"


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """A real Neo4j Community 5.26 server for the whole session (tests/neo4j/launcher.py): one per
    run, since every test using it runs in one xdist worker (group "neo4j"); stopped at the end
    whatever the tests did (and the Java process dies with the worker if that is killed).

    Skipped, with the reason, when Java or Maven are missing; `.ci/run` installs them.
    """
    reason = _neo4j_missing()
    if reason:
        pytest.skip(f"Neo4j tests need Java 17+ and Maven: {reason}")
    import launcher

    server = launcher.start(tmp_path_factory.mktemp("neo4j"), password=NEO4J_PASSWORD, jvm_options=launcher.SHORT_RUN)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def neo4j_settings(neo4j_server, monkeypatch) -> dict[str, str]:
    """Connection settings of the session server, also set as NEO4J_* variables (for the CLI)."""
    conf = {"uri": neo4j_server.uri, "user": "neo4j", "password": NEO4J_PASSWORD}
    for name, value in conf.items():
        monkeypatch.setenv(f"NEO4J_{name.upper()}", value)
    monkeypatch.delenv("NEO4J_DATABASE", raising=False)
    return conf


@pytest.fixture
def neo4j_backend(neo4j_settings):
    """A Neo4j backend on an emptied database."""
    from kg.backends.neo4j_backend import Neo4jBackend

    backend = Neo4jBackend(**neo4j_settings)
    backend.clear()
    yield backend
    backend.close()


def snapshot(G) -> tuple[dict, dict]:
    """Everything a graph holds, comparable with ==: {node: attrs}, {(u, v, key): attrs}."""
    def clean(d):
        return {k: v for k, v in d.items() if k != "__labels__"}
    return ({n: clean(d) for n, d in G.nodes(data=True)},
            {(u, v, k): clean(d) for u, v, k, d in G.edges(keys=True, data=True)})


@pytest.fixture
def graph_snapshot():
    """`snapshot(G)`: a graph's nodes and edges with their attributes, for equality checks."""
    return snapshot
