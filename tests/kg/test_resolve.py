"""Cross-paper entity resolution end to end: real extraction, the alias index, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.backends.networkx_backend import NetworkxBackend
from kg.build import build_graph
from kg.resolve import AliasIndex, Overrides, OverridesError, Resolver

PAPERS = [
    {"id": "a", "title": "Ranking with widgets",
     "abstract": "We use a frobnicated widget network (FWN) for passage ranking on MS MARCO."},
    {"id": "b", "title": "A study of ranking",
     "abstract": "The frobnicated widget network is slow on long passages, so we prune it."},
    {"id": "c", "title": "Fast ranking", "abstract": "FWN is fast when the index fits in memory."},
    {"id": "d", "title": "Sampling graphs",
     "abstract": "We introduce quantum graph search (QGS) for molecule design."},
    {"id": "e", "title": "Guided sampling",
     "abstract": "We study query-guided sampling (QGS) for retrieval."},
    {"id": "f", "title": "A survey", "abstract": "QGS is popular in recent work on sampling."},
]


def write_papers(path: Path, papers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    return path


def build(tmp_path: Path, papers: list[dict], overrides: Overrides | None = None, nlp=None):
    store = NetworkxBackend()
    build_graph([write_papers(tmp_path / "papers.jsonl", papers)], store, nlp=nlp, overrides=overrides)
    return store.to_networkx()


def method_of(G, paper_id: str, text: str) -> str:
    """The Method node a paper links to whose evidence has this surface form."""
    for _, node, data in G.out_edges(f"Paper:{paper_id}", data=True):
        ev = G.nodes[node].get("alias_evidence") or []
        if G.nodes[node]["label"] == "Method" and f"{text} @ {paper_id}" in ev:
            return node
    raise AssertionError(f"no method {text!r} in paper {paper_id}: {list(G.successors(f'Paper:{paper_id}'))}")


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


def test_resolve_acronym_defined_once_merges_across_papers(tmp_path, nlp):
    G = build(tmp_path, PAPERS, nlp=nlp)
    a = method_of(G, "a", "FWN")
    assert method_of(G, "b", "frobnicated widget network") == a
    assert method_of(G, "c", "FWN") == a
    node = G.nodes[a]
    assert node["name"] == "frobnicated widget network"
    assert {"FWN @ a", "FWN @ c", "frobnicated widget network @ b"} <= set(node["alias_evidence"])


def test_resolve_ambiguous_acronym_is_not_merged(tmp_path, nlp):
    G = build(tmp_path, PAPERS, nlp=nlp)
    d, e, f = method_of(G, "d", "QGS"), method_of(G, "e", "QGS"), method_of(G, "f", "QGS")
    assert len({d, e, f}) == 3
    assert G.nodes[d]["name"] == "quantum graph search" and G.nodes[e]["name"] == "query-guided sampling"


def test_resolve_result_does_not_depend_on_paper_order(tmp_path, nlp):
    forward = build(tmp_path, PAPERS, nlp=nlp)
    backward = build(tmp_path, PAPERS[::-1], nlp=nlp)
    names = lambda G: {n: G.nodes[n].get("name") for n in G if G.nodes[n]["label"] == "Method"}  # noqa: E731
    assert names(forward) == names(backward)


def test_resolve_override_split_and_merge(tmp_path, nlp):
    rules = tmp_path / "kg-overrides.toml"
    rules.write_text('[[split]]\nlabel = "METHOD"\nnames = ["FWN", "frobnicated widget network"]\n\n'
                     '[[merge]]\nlabel = "METHOD"\nnames = ["quantum graph search", "QGS"]\n', encoding="utf-8")
    G = build(tmp_path, PAPERS, Overrides.load(rules), nlp=nlp)
    assert method_of(G, "a", "FWN") != method_of(G, "a", "frobnicated widget network")
    assert method_of(G, "a", "FWN") == method_of(G, "c", "FWN")
    assert method_of(G, "f", "QGS") == method_of(G, "d", "QGS")
    assert G.nodes[method_of(G, "f", "QGS")]["name"] == "quantum graph search"


@pytest.mark.parametrize(
    "text,message",
    [("[[merge]]\nlabel = 'METHOD'\nnames = ['one']\n", "at least two"),
     ("[[merge]]\nlabel = 'GADGET'\nnames = ['a', 'b']\n", "label must be one of"),
     ("[[merge]\n", "not valid TOML"),
     ("[[join]]\nlabel = 'METHOD'\n", "unknown section")],
)
def test_resolve_bad_override_file_is_one_line_error(tmp_path, text, message):
    path = tmp_path / "o.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OverridesError, match=message) as info:
        Overrides.load(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_resolve_index_cluster_canonical_is_most_used_key():
    from schema import Entity, Extraction, Mention

    def ex(pid, key, name, *forms):
        mentions = [Mention(field="abstract", start=0, end=len(f), text=f, sentence=0) for f in (name, *forms)]
        return Extraction(id=pid, title="t", entities=[Entity(label="METHOD", name=name, key=key, text=name,
                                                              aliases=list(forms), confidence=0.9, mentions=mentions)])

    index = AliasIndex()
    for e in (ex("1", "inr", "implicit neural representations", "INR"), ex("2", "implicit neural representation",
              "implicit neural representation", "INRs"), ex("3", "implicit neural representation", "implicit neural representation")):
        index.add(e)
    resolver = Resolver(index)
    assert resolver.key_for("METHOD", "inr")[0] == "implicit neural representation"
    assert resolver.key_for("METHOD", "implicit neural representation")[0] == "implicit neural representation"


def test_resolve_cli_aliases_and_overrides(tmp_path):
    from kg.cli import app

    runner = CliRunner(env={"COLUMNS": "200"})
    papers = write_papers(tmp_path / "p.jsonl", PAPERS)
    graph = tmp_path / "g.graphml"
    assert runner.invoke(app, ["build", str(papers), "--out", str(graph)]).exit_code == 0
    result = runner.invoke(app, ["aliases", "FWN", "--graph", str(graph), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    assert entry["name"] == "frobnicated widget network"
    assert entry["forms"]["FWN"] == ["a", "c"]
    missing = runner.invoke(app, ["aliases", "nothing-like-this", "--graph", str(graph)])
    assert missing.exit_code == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[[merge]\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(papers), "--out", str(graph), "--overrides", str(bad)])
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_resolve_build_report_counts_merges_and_ambiguity(tmp_path, nlp):
    store = NetworkxBackend()
    report = build_graph([write_papers(tmp_path / "p.jsonl", PAPERS)], store, nlp=nlp)
    assert report.merged_keys >= 1  # paper c's bare "FWN" folded into the long form
    assert ("METHOD", "qgs") in report.aliases.ambiguous()


def test_resolve_learned_matcher_vocabulary_stays_bounded_with_the_same_matches(nlp):
    from extractors.learned import LearnedNameMatcher
    from schema import Extraction, Paper

    forms = {("METHOD", "frobnicated widget network"): {"frobnicated widget network"}}
    papers = [Paper(id=f"p{i}", title=f"Pruning study {i}",
                    abstract=f"We prune the Frobnicated Widget Network on qz{i}wordx with vk{i}termy and "
                             f"lm{i}namez features.")
              for i in range(400)]
    given = len(nlp.vocab.strings)
    bounded = LearnedNameMatcher(nlp, forms, max_new_strings=200)
    unbounded = LearnedNameMatcher(nlp, forms, max_new_strings=10**9)
    start = len(bounded.nlp.vocab.strings)
    for paper in papers:
        empty = Extraction(id=paper.id, title=paper.title)
        found = bounded.add_mentions(paper, empty)
        assert found == unbounded.add_mentions(paper, empty)
        assert [(e.key, e.name, [m.text for m in e.mentions]) for e in found.entities] == [
            ("frobnicated widget network", "Frobnicated Widget Network", ["Frobnicated Widget Network"])]
        assert len(bounded.nlp.vocab.strings) <= start + 200 + 20  # one paper's new words past the limit
    assert bounded.rebuilds >= 5 and unbounded.rebuilds == 0
    assert len(unbounded.nlp.vocab.strings) > start + 1000  # what the bound saves
    assert len(nlp.vocab.strings) == given  # the pipeline it was given does not grow at all
