"""Cross-paper resolution never overrides what a paper says (issue 14): a paper's own acronym
definition wins, bare acronyms join a meaning only on agreeing evidence, common phrases are not
spread, plural variants merge and versions link, and an incremental build equals a fresh one."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from extractors import extract
from extractors.components.abbreviations import abbreviation_pairs
from extractors.normalize import clean_name, normalize_key
from kg.aliases import alias_entries
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import build_graph
from kg.cli import app
from kg.resolve import Overrides
from schema import Paper


@pytest.fixture(scope="module")
def nlp(full_nlp):
    """The default pipeline, shared by the session (tests/conftest.py)."""
    return full_nlp


def write(path: Path, papers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    return path


def build(tmp_path: Path, papers: list[dict], nlp, overrides: Overrides | None = None) -> nx.MultiDiGraph:
    store = NetworkxBackend()
    build_graph([write(tmp_path / "papers.jsonl", papers)], store, nlp=nlp, overrides=overrides)
    return store.to_networkx()


def linked(G: nx.MultiDiGraph, paper_id: str) -> dict[str, dict]:
    """Entity nodes a paper links to, by node id."""
    return {v: G.nodes[v] for v in G.successors(f"Paper:{paper_id}") if G.nodes[v]["label"] != "Result"}


def names(G: nx.MultiDiGraph, paper_id: str) -> set[str]:
    return {d["name"].lower() for d in linked(G, paper_id).values()}


def entities(nlp, title: str, abstract: str) -> list:
    (ex,) = extract([Paper(id="p", title=title, abstract=abstract)], nlp=nlp)
    return ex.entities


# ------------------------------------------------------------------ 1. the paper's own definition wins

@pytest.mark.parametrize(("title", "abstract", "wrong"), [
    ("Theories of international relations",
     "This article reviews how international relations (IR) scholarship explained alliance formation. "
     "Realist theories of IR are compared on 60 treaties.", "information retrieval"),
    ("Migration in Europe", "We describe migrant trajectories (MT) across European cities. MT differ by origin.",
     "machine translation"),
    ("Binaries", "We report imaging of 25 Very Low Mass (VLM) binaries. VLM binaries are tight.",
     "vision-language model"),
    ("Dust", "We present infrared (IR) imaging of 40 galaxies. The IR luminosity traces star formation.",
     "information retrieval"),
    ("Protein arrays", 'We introduce "Design in Tiles" (DiT), a layout for protein microarrays. DiT reduces bias.',
     "diffusion transformer"),
])
def test_own_definition_wins_over_the_lists_meaning_of_the_acronym(nlp, title, abstract, wrong):
    found = entities(nlp, title, abstract)
    assert wrong not in {e.name.lower() for e in found}
    assert all(wrong not in a.lower() for e in found for a in e.aliases)


def test_long_form_in_quotes_is_named_without_them(nlp):
    found = entities(nlp, "Protein arrays",
                     'We introduce "Design in Tiles" (DiT), a layout for protein microarrays. DiT reduces bias.')
    assert [e.name for e in found if "DiT" in e.aliases] == ["Design in Tiles"]


def test_definition_without_a_space_is_found(nlp):
    doc = nlp.make_doc("We compare single-linkage(SL) clustering with k-means on cells, and Zn(CN)2 is unchanged.")
    pairs = [(doc[a:b].text, doc[c:d].text) for a, b, c, d in abbreviation_pairs(doc)]
    assert pairs == [("single-linkage", "SL")]
    assert "Zn(CN)2" in [t.text for t in doc]  # a formula stays one token


EMD = [
    {"id": "phys", "title": "Solar wind turbulence",
     "abstract": "We apply Empirical Mode Decomposition (EMD) to magnetic field data. EMD separates the signal "
                 "into intrinsic mode functions."},
    {"id": "ml", "title": "Point cloud completion",
     "abstract": "We train a completion network with the Earth Mover's Distance (EMD) as loss and report EMD on "
                 "ShapeNet."},
]


def test_one_acronym_with_two_definitions_gives_two_entities(tmp_path, nlp):
    G = build(tmp_path, EMD, nlp)
    phys, ml = linked(G, "phys"), linked(G, "ml")
    (p,) = [n for n, d in phys.items() if "EMD" in d.get("aliases", [])]
    (m,) = [n for n, d in ml.items() if "EMD" in d.get("aliases", [])]
    assert p != m
    assert G.nodes[p]["name"] == "Empirical Mode Decomposition" and "Earth" in G.nodes[m]["name"]


IS = [
    {"id": "optics", "title": "X-ray detectors",
     "abstract": "We characterise the image sensitivity (IS) of scintillator detectors. The IS depends on "
                 "thickness."},
    {"id": "gan-eval", "title": "Evaluating generators",
     "abstract": "We compare the Inception Score (IS) of twelve image generators on ImageNet."},
    {"id": "gan", "title": "Training GANs",
     "abstract": "We train a GAN with spectral normalisation on CIFAR-10 and obtain IS = 8.52 and FID = 14.3."},
]


def test_bare_acronym_with_several_meanings_stays_apart_with_the_reason_in_aliases(tmp_path, nlp):
    G = build(tmp_path, IS, nlp)
    assert "image sensitivity" in names(G, "optics")
    assert "image sensitivity" not in names(G, "gan")
    (entry,) = [e for e in alias_entries(G, "IS") if "gan" in {p for ps in e.forms.values() for p in ps}]
    assert entry.key == "is" and "several things" in entry.unresolved
    assert "image sensitivity" in entry.unresolved and "Inception Score" in entry.unresolved


QGS = [
    {"id": "d", "title": "Sampling graphs", "abstract": "We introduce quantum graph search (QGS) for molecule design."},
    {"id": "e", "title": "Guided sampling", "abstract": "We study query-guided sampling (QGS) for retrieval."},
    {"id": "g", "title": "Faster sampling",
     "abstract": "QGS speeds up guided sampling of query results in large databases."},
]


def test_bare_acronym_joins_the_meaning_its_context_supports(tmp_path, nlp):
    G = build(tmp_path, QGS, nlp)
    (e,) = [n for n, d in linked(G, "e").items() if d["name"] == "query-guided sampling"]
    assert e in linked(G, "g")


# ------------------------------------------------------------------ 2. common phrases stay where they were written

COMMON = [
    {"id": "survey", "title": "Policy preferences in words",
     "abstract": "Respondents explained their preferences in natural language (NL). We code 3,000 NL answers and "
                 "use ground truth (GT) labels from coders; the GT agrees with NL answers."},
    {"id": "plain", "title": "Political speech",
     "abstract": "Members of parliament use natural language on social media; we compare ground truth statements "
                 "with fact-checks."},
]


def test_common_phrases_are_not_spread_to_other_papers(tmp_path, nlp):
    G = build(tmp_path, COMMON, nlp)
    assert not {"natural language", "ground truth"} & names(G, "plain")


@pytest.mark.parametrize(("raw", "clean"), [
    ('"Design in Tiles', "Design in Tiles"), ("\\textit{DiT}", "DiT"), ("ResNet)", "ResNet"),
    ("$\\alpha$-Net", "alpha-Net"), ("Mask R-CNN (ours)", "Mask R-CNN (ours)"),
])
def test_names_carry_no_stray_quotes_brackets_or_latex(raw, clean):
    assert clean_name(raw) == clean


# ------------------------------------------------------------------ 3. variants

def test_plural_variants_merge_and_numbered_ones_stay_apart():
    assert normalize_key("ResNets") == normalize_key("ResNet")
    assert normalize_key("U-Nets") == normalize_key("U-Net")
    assert normalize_key("ResNet-50") != normalize_key("ResNet-101")
    assert normalize_key("NeurIPS") == "neurips" and normalize_key("DARTS") == "darts"


VERSIONS = [
    {"id": "v1", "title": "Real-time detection",
     "abstract": "We train YOLOv8 and compare it with YOLO on COCO. Mask R-CNN and R-CNN are slower."},
    {"id": "v2", "title": "Backbones", "abstract": "We compare U-Nets and ResNets; a U-Net with a ResNet encoder wins."},
]


def test_versions_are_linked_not_merged(tmp_path, nlp):
    G = build(tmp_path, VERSIONS, nlp)
    variant_of = {(u, v) for u, v, d in G.edges(data=True) if d.get("type") == "VARIANT_OF"}
    assert ("Method:yolov8", "Method:yolo") in variant_of
    assert {"Method:maskrcnn", "Method:rcnn"} <= set(linked(G, "v1"))
    assert {"Method:unet", "Method:resnet"} <= set(linked(G, "v2")) and "Method:resnets" not in G


def test_split_override_splits_every_occurrence(tmp_path, nlp):
    papers = [
        {"id": "s1", "title": "Sequence models", "abstract": "We use a state space model (SSM) for long sequences."},
        {"id": "s2", "title": "More sequence models", "abstract": "SSM layers and the state space model are compared on LRA."},
        {"id": "s3", "title": "Fast layers", "abstract": "SSM layers are fast on long sequences."},
    ]
    rules = Overrides()
    rules.add_split("METHOD", ["SSM", "state space model"])
    G = build(tmp_path, papers, nlp, rules)
    for pid in ("s1", "s2"):
        assert {"Method:ssm", "Method:state space model"} <= set(linked(G, pid))
    assert "Method:ssm" in linked(G, "s3") and "Method:state space model" not in linked(G, "s3")
    assert G.nodes["Method:ssm"]["name"] == "SSM"


# ------------------------------------------------------------------ 4. incremental = fresh, with resolution in play

FWN = [
    {"id": "a", "title": "Ranking with widgets",
     "abstract": "We use a frobnicated widget network (FWN) for passage ranking on MS MARCO."},
    {"id": "b", "title": "A study of ranking",
     "abstract": "The frobnicated widget network is slow on long passages, so we prune it."},
    {"id": "c", "title": "Fast ranking", "abstract": "FWN is fast when the index fits in memory."},
]


def shape(path: Path) -> tuple[set, set]:
    G = nx.read_graphml(path)
    return set(G.nodes), {(u, v, d.get("type")) for u, v, d in G.edges(data=True)}


@pytest.mark.parametrize(("first", "second"), [
    (FWN, FWN[1:]),  # the paper that defines the acronym goes
    (FWN[1:], FWN),  # it arrives
    (FWN, [{**FWN[0], "abstract": "We rank passages on MS MARCO."}, *FWN[1:]]),  # it changes
])
def test_incremental_build_equals_a_fresh_build_when_a_definition_comes_or_goes(tmp_path, first, second):
    runner = CliRunner()
    graph, fresh = tmp_path / "g.graphml", tmp_path / "fresh.graphml"
    assert runner.invoke(app, ["build", str(write(tmp_path / "v1.jsonl", first)), "-o", str(graph)]).exit_code == 0
    v2 = write(tmp_path / "v2.jsonl", second)
    result = runner.invoke(app, ["build", str(v2), "-o", str(graph), "--incremental"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["build", str(v2), "-o", str(fresh)]).exit_code == 0
    assert shape(graph) == shape(fresh)
    assert (tmp_path / "g.graphml.extractions.jsonl").exists()


def test_incremental_after_append_still_equals_a_fresh_build(tmp_path):
    """The extraction file keeps the papers of every run that loaded into the graph (--append)."""
    runner = CliRunner()
    graph, fresh = tmp_path / "g.graphml", tmp_path / "fresh.graphml"
    assert runner.invoke(app, ["build", str(write(tmp_path / "a.jsonl", FWN[:1])), "-o", str(graph)]).exit_code == 0
    assert runner.invoke(app, ["build", str(write(tmp_path / "b.jsonl", FWN[1:])), "-o", str(graph),
                               "--append"]).exit_code == 0
    v2 = write(tmp_path / "v2.jsonl", FWN[1:])  # the definition goes
    assert runner.invoke(app, ["build", str(v2), "-o", str(graph), "--incremental"]).exit_code == 0
    assert runner.invoke(app, ["build", str(v2), "-o", str(fresh)]).exit_code == 0
    assert shape(graph) == shape(fresh)
