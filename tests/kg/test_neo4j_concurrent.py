"""Two loads into one Neo4j database at the same time, on overlapping papers, against the real server:
both finish, and the graph is the one loading them one after the other gives."""

from __future__ import annotations

import threading

import pytest

from kg.backends.neo4j_backend import Neo4jBackend
from kg.build import SAMPLE_CORPUS, extract_pairs
from kg.builder import build_batch
from kg.ingest import read_papers
from schema import Paper

pytestmark = pytest.mark.neo4j
BATCH = 40


@pytest.fixture(scope="module")
def pairs(full_nlp):
    """The bundled sample twice over (430 papers, each copy with its own ids), extracted once: each
    load has 8 batches, both start on the 4 they share."""
    papers = list(read_papers([SAMPLE_CORPUS]))
    copies = [Paper(id=f"c{i}-{p.id}", title=p.title, abstract=p.abstract) for i in range(2) for p in papers]
    return list(extract_pairs(copies, full_nlp))


def batches(items: list, reverse: bool = False) -> list:
    chunks = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    return chunks[::-1] if reverse else chunks


def state(backend: Neo4jBackend) -> tuple:
    """What must not depend on how two loads interleave: every node and relationship by key, and the
    properties that are unions (evidence, merged keys, supporting papers), so no update is lost."""
    G = backend.to_networkx()
    nodes = {n: (d.get("alias_evidence"), d.get("merged_keys")) for n, d in G.nodes(data=True)}
    rels = {(u, v, k): d.get("papers") for u, v, k, d in G.edges(keys=True, data=True)}
    return backend.counts(), nodes, rels


def test_two_concurrent_loads_of_overlapping_papers_equal_a_sequential_load(neo4j_backend, neo4j_settings, pairs):
    third = len(pairs) // 3
    first, second = pairs[:2 * third], pairs[third:]  # the middle third is in both
    for chunk in [*batches(first), *batches(second)]:
        neo4j_backend.upsert(build_batch(chunk))
    sequential = state(neo4j_backend)
    assert sequential[0].nodes["Paper"] == len(pairs)

    neo4j_backend.clear()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def load(items: list, reverse: bool) -> None:
        try:
            with Neo4jBackend(**neo4j_settings) as backend:
                start.wait()
                for chunk in batches(items, reverse):  # both start on the shared middle third
                    backend.upsert(build_batch(chunk))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(first, True)), threading.Thread(target=load, args=(second, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert state(neo4j_backend) == sequential
