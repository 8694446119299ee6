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

import re
import sys
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


# -- a real Neo4j server (tests marked `neo4j`) ----------------------------------------------------

NEO4J_PASSWORD = "kg-test-password"


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """A real Neo4j Community 5.26 server for the whole session (tests/neo4j/launcher.py).

    Skipped, with the reason, when Java or Maven are missing; `.ci/run` installs them.
    """
    sys.path.insert(0, str(Path(__file__).parent / "neo4j"))
    import launcher

    reason = launcher.missing_tools()
    if reason:
        pytest.skip(f"Neo4j tests need Java 17+ and Maven: {reason}")
    server = launcher.start(tmp_path_factory.mktemp("neo4j"), password=NEO4J_PASSWORD)
    yield server
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
