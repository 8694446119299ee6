"""The explorer page: self-contained, the right data and styles, focus, sampling, escaping, CLI."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from kg.commands.viz import register
from kg.viz import ASSETS, EXPLORER_CSS, EXPLORER_JS, LABEL_STYLES, VIS_JS, FocusNotFound, explorer_data, \
    render_html, select_view, write_html

ROOT = Path(__file__).resolve().parents[2]


def _embedded(page: str) -> dict:
    """The JSON data block of a page, parsed."""
    found = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert found, "no data block"
    return json.loads(found.group(1))


def _names(data: dict) -> set[str]:
    return {n["name"] for n in data["nodes"]}


@pytest.fixture
def tiny_graph(tiny_backend) -> nx.MultiDiGraph:
    return tiny_backend.to_networkx()


def _star_graph() -> nx.MultiDiGraph:
    """Papers p0..p5 and methods m0..m5; m_i is used by papers p0..p_i (degree i + 1)."""
    G = nx.MultiDiGraph()
    for i in range(6):
        G.add_node(f"Paper:p{i}", label="Paper", id=f"p{i}", title=f"Paper {i}")
        G.add_node(f"Method:m{i}", label="Method", key=f"m{i}", name=f"M{i}", aliases=[])
    for i in range(6):
        for j in range(i + 1):
            G.add_edge(f"Paper:p{j}", f"Method:m{i}", key="USES", type="USES", confidence=0.9, evidence=f"s{j}")
    return G


# --- the page ---------------------------------------------------------------------------


def test_viz_page_is_self_contained(tiny_graph):
    page = render_html(tiny_graph)
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page, re.I)
    assert VIS_JS.read_text(encoding="utf-8") in page
    assert EXPLORER_JS.read_text(encoding="utf-8") in page
    assert EXPLORER_CSS.read_text(encoding="utf-8") in page
    assert page.count("</script>") == 3  # data, vis-network, ours


def test_viz_styles_are_distinct_per_label():
    assert list(LABEL_STYLES) == ["Paper", "Method", "Dataset", "Metric", "Task"]
    assert len({s["color"] for s in LABEL_STYLES.values()}) == 5
    assert len({s["shape"] for s in LABEL_STYLES.values()}) == 5


def test_viz_nodes_links_and_folded_results(tiny_graph):
    data = _embedded(render_html(tiny_graph))
    assert data["styles"] == LABEL_STYLES
    labels = {n["name"]: n["label"] for n in data["nodes"]}
    assert labels["ColBERT"] == "Method" and labels["MS MARCO"] == "Dataset" and labels["MRR@10"] == "Metric"
    assert labels["passage retrieval"] == "Task" and labels["ColBERT: Efficient Passage Search"] == "Paper"
    assert "Result" not in labels.values() and len(data["nodes"]) == 3 + 6 + 3 + 2 + 2
    by_name = {n["name"]: n for n in data["nodes"]}
    marco = by_name["MS MARCO"]
    assert (marco["key"], marco["aliases"], marco["degree"], marco["conf"]) == (
        "ms marco", ["MS-MARCO", "MSMARCO"], 2, 0.9)
    assert marco["alias_evidence"] == ["MS MARCO in \u201cA study of ResNet-50\u201d",
                                       "MS-MARCO in \u201cColBERT: Efficient Passage Search\u201d"]
    p1 = by_name["ColBERT: Efficient Passage Search"]
    assert (p1["key"], p1["year"], p1["url"], p1["conf"]) == ("p1", 2020, "https://example.org/colbert", None)
    link = next(link for link in data["links"]
                if (link["from"], link["to"]) == (p1["id"], by_name["ColBERT"]["id"]))
    assert [(r["type"], r["conf"], r["role"]) for r in link["rels"]] == [("PROPOSES", 0.95, "proposed")]
    assert data["evidence"][link["rels"][0]["evidence"]] == \
        "We present ColBERT, a late-interaction retriever built on BERT."
    result = next(r for r in data["results"] if r["text"] == "36.0%")
    assert (result["metric"], result["dataset"], result["method"]) == ("MRR@10", "MS MARCO", "ColBERT")
    assert set(result["on"]) == {p1["id"], by_name["MRR@10"]["id"], marco["id"], by_name["ColBERT"]["id"]}


def test_viz_paper_title_cannot_break_out_of_the_script(tiny_graph):
    hostile = "</script><script>alert(1)</script><!-- & </SCRIPT >"
    tiny_graph.nodes["Paper:p3"]["title"] = hostile
    page = render_html(tiny_graph, title="<b>mine</b>")
    assert page.count("</script>") == 3 and "</SCRIPT" not in page and "alert(1)</script>" not in page
    assert "<title>&lt;b&gt;mine&lt;/b&gt;</title>" in page
    data = _embedded(page)
    assert hostile in _names(data)
    assert data["title"] == "<b>mine</b>"


def test_viz_render_is_deterministic(tiny_graph):
    assert render_html(tiny_graph, max_nodes=5) == render_html(tiny_graph, max_nodes=5)


def test_viz_min_confidence_drops_weak_edges_and_their_entities(tiny_graph):
    data = explorer_data(tiny_graph, min_confidence=0.8)
    names = _names(data)
    assert {"passage retrieval", "ColBench", "image classification"}.isdisjoint(names)
    assert {"BERT", "MS MARCO", "A study of ResNet-50"} <= names
    assert next(n for n in data["nodes"] if n["name"] == "BERT")["degree"] == 1
    assert all(r["conf"] >= 0.8 for link in data["links"] for r in link["rels"])
    assert data["min_confidence"] == 0.8


# --- focus -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth, expected", [
    (1, {"ColBERT", "ColBERT: Efficient Passage Search", "Jina-ColBERT-v2"}),
    (2, {"ColBERT", "ColBERT: Efficient Passage Search", "Jina-ColBERT-v2", "BERT", "BM25", "MS MARCO",
         "MRR@10", "passage retrieval", "BEIR", "ColBench", "nDCG@10"}),
])
def test_viz_focus_neighbourhood(tiny_graph, depth, expected):
    # depth 1: ColBERT's papers p1 and p2 (p2's title is "Jina-ColBERT-v2") and its variant
    # Jina-ColBERT-v2; depth 2 adds the papers' other entities, never p3 or ResNet.
    data = explorer_data(tiny_graph, focus="colBERT", depth=depth)
    assert _names(data) == expected
    assert [n["name"] for n in data["nodes"] if n["focus"]] == ["ColBERT"]
    assert data["banner"] is None and "hop(s) of ColBERT" in data["subtitle"]


def test_viz_focus_depth_three_reaches_through_a_shared_dataset(tiny_graph):
    view = select_view(tiny_graph, focus="colbert", depth=3)
    assert "Paper:p3" in view.nodes and "Method:resnet-50" not in view.nodes
    assert "Method:resnet-50" in select_view(tiny_graph, focus="colbert", depth=4).nodes


def test_viz_focus_by_alias_and_paper_id(tiny_graph):
    assert select_view(tiny_graph, focus="msmarco").focus == ["Dataset:ms marco"]
    assert select_view(tiny_graph, focus="P3").focus == ["Paper:p3"]


def test_viz_unknown_focus_lists_close_matches(tiny_graph):
    with pytest.raises(FocusNotFound, match=r"focus 'colbrt'.*did you mean: ColBERT") as info:
        render_html(tiny_graph, focus="colbrt")
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    with pytest.raises(FocusNotFound, match="any case"):
        select_view(tiny_graph, focus="zzzzqqq")


def test_viz_focus_cut_keeps_the_nearest(tiny_graph):
    view = select_view(tiny_graph, focus="colbert", depth=2, max_nodes=3)
    # ColBERT itself, then its papers (6 neighbours each) before its variant (2)
    assert view.nodes == ["Paper:p1", "Paper:p2", "Method:colbert"]
    assert view.total == 12 and view.sampled  # the 11 names above: two nodes are called Jina-ColBERT-v2
    assert view.banner == "showing 3 of 12 nodes within 2 hop(s) of colbert; use --depth or --max-nodes"


# --- sampling ----------------------------------------------------------------------------


def test_viz_max_nodes_keeps_the_most_connected_entities():
    view = select_view(_star_graph(), max_nodes=5)
    # 3 entities (60% of 5): M5, M4, M3; then the papers linked to most of them, ties by degree
    assert set(view.nodes) == {"Method:m5", "Method:m4", "Method:m3", "Paper:p0", "Paper:p1"}
    assert (view.total, view.sampled) == (12, True)
    assert view.banner == "showing 5 of 12 nodes; use --focus or --max-nodes"
    data = _embedded(render_html(_star_graph(), max_nodes=5))
    assert data["banner"] == view.banner and data["total"] == 12
    assert "showing 5 of 12 nodes; use --focus or --max-nodes" in render_html(_star_graph(), max_nodes=5)


def test_viz_no_banner_when_everything_fits(tiny_graph):
    page = render_html(tiny_graph)
    assert _embedded(page)["banner"] is None
    assert '<p id="kg-banner" role="status" hidden></p>' in page


def test_viz_rejects_nonpositive_limits(tiny_graph):
    with pytest.raises(ValueError, match="at least 1"):
        select_view(tiny_graph, max_nodes=0)


def test_viz_write_html_returns_the_view(tiny_graph, tmp_path):
    view = write_html(tiny_graph, tmp_path / "g.html", focus="BEIR")
    assert view.focus == ["Dataset:beir"]
    assert set(view.nodes) == {"Dataset:beir", "Paper:p2"}
    assert _names(_embedded((tmp_path / "g.html").read_text(encoding="utf-8"))) == {"BEIR", "Jina-ColBERT-v2"}


def test_viz_assets_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["kg.viz_assets"]
    for path in (VIS_JS, EXPLORER_JS, EXPLORER_CSS, *ASSETS.glob("LICENSE*")):
        assert any(fnmatch.fnmatch(path.name, g) for g in globs), path
    assert len(list(ASSETS.glob("LICENSE*"))) == 2


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def app(command_app) -> typer.Typer:
    return command_app(register)


@pytest.fixture
def graph_file(tiny_backend, tmp_path) -> Path:
    return tiny_backend.save(tmp_path / "tiny.graphml")


def test_viz_cli_writes_the_page(app, graph_file, tmp_path):
    out = tmp_path / "out.html"
    result = CliRunner().invoke(app, ["viz", "--graph", str(graph_file), "--out", str(out),
                                      "--focus", "ColBERT", "--depth", "1"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (4 nodes)" in result.stdout
    data = _embedded(out.read_text(encoding="utf-8"))
    assert data["title"] == "tiny.graphml: knowledge graph" and len(data["nodes"]) == 4


def test_viz_cli_reports_sampling(app, graph_file, tmp_path):
    result = CliRunner().invoke(app, ["viz", "-g", str(graph_file), "-o", str(tmp_path / "o.html"),
                                      "--max-nodes", "5"])
    assert result.exit_code == 0, result.output
    assert "(5 of 16 nodes)" in result.stdout


def test_viz_cli_unknown_focus_is_one_line_not_found(app, graph_file, tmp_path):
    out = tmp_path / "out.html"
    result = CliRunner().invoke(app, ["viz", "--graph", str(graph_file), "--out", str(out), "--focus", "colbrt"])
    assert result.exit_code == 1  # "not found", as in every command
    assert "did you mean: ColBERT" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_viz_cli_missing_graph_exit_1_and_bad_option_exit_2(app, tmp_path):
    result = CliRunner().invoke(app, ["viz", "--graph", str(tmp_path / "none.graphml")])
    assert result.exit_code == 1 and "no such graph file" in result.output
    result = CliRunner().invoke(app, ["viz", "--graph", str(tmp_path / "none.graphml"), "--depth", "0"])
    assert result.exit_code == 2


# --- layout, labels, sampling without lone entities ---------------------------------------


def test_viz_layout_puts_two_disconnected_cliques_apart():
    from kg.layout import community_layout

    G = nx.disjoint_union(nx.complete_graph(6), nx.complete_graph(6))
    pos, communities = community_layout(G, seed=0)
    assert sorted(sorted(c) for c in communities) == [list(range(6)), list(range(6, 12))]

    def dist(a, b):
        return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5

    cliques = (range(6), range(6, 12))
    centres = [(sum(pos[n][0] for n in c) / 6, sum(pos[n][1] for n in c) / 6) for c in cliques]
    radii = [max(dist(pos[n], centre) for n in c) for c, centre in zip(cliques, centres)]
    assert dist(*centres) > sum(radii)  # the circles around each clique do not meet
    nearest = max(min(dist(pos[a], pos[b]) for b in c if b != a) for c in cliques for a in c)
    assert min(dist(pos[a], pos[b]) for a in cliques[0] for b in cliques[1]) > nearest
    assert community_layout(G, seed=0)[0] == pos  # seeded: the same picture every run


def test_viz_layout_sets_lone_nodes_in_a_grid_not_a_ring():
    from kg.layout import community_layout

    G = nx.complete_graph(5)
    G.add_nodes_from(range(100, 130))
    pos, _ = community_layout(G, seed=0)
    rows = {pos[n][1] for n in range(100, 130)}
    assert len(rows) <= 6 and min(rows) > max(pos[n][1] for n in range(5))  # a block of rows below the rest


def test_viz_place_labels_skips_overlapping_boxes():
    from kg.layout import boxes_overlap, place_labels

    boxes = [("hub", (0, 0, 100, 20)), ("under", (50, 10, 150, 30)), ("right", (100, 0, 160, 20)),
             ("far", (500, 500, 510, 510)), ("covers-far", (505, 505, 600, 600))]
    assert place_labels(boxes) == ["hub", "right", "far"]
    assert place_labels(boxes, placed=[(0, 0, 1000, 1000)]) == []
    assert not boxes_overlap((0, 0, 10, 10), (10, 0, 20, 10))  # touching is not overlapping


def test_viz_labels_of_the_sample_do_not_overlap(sample_data):
    from kg.layout import boxes_overlap
    from kg.viz import _label_text, label_box

    labelled = [n for n in sample_data["nodes"] if n["font"]]
    boxes = [label_box(n["x"], n["y"], n["size"], _label_text(n), n["font"]) for n in labelled]
    assert len(boxes) > 100
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if boxes_overlap(a, b)]
    biggest = max(n["font"] for n in labelled)
    overview = {n["name"] for n in labelled if n["font"] == biggest}
    assert "transformer" in overview and len(overview) <= 40
    assert all(n["label"] != "Paper" for n in labelled if n["font"] == biggest)  # titles come when zooming in


def test_viz_sample_has_positions_and_communities(sample_data):
    nodes = sample_data["nodes"]
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) and n["size"] >= 8 for n in nodes)
    assert len({n["community"] for n in nodes}) > 10
    assert len({(n["x"], n["y"]) for n in nodes}) == len(nodes)


@pytest.fixture(scope="module")
def sample_data() -> dict:
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.build import SAMPLE_CORPUS, build_graph

    store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], store)
    return explorer_data(store.to_networkx())


def _lonely(data: dict) -> list[str]:
    linked = {i for link in data["links"] for i in (link["from"], link["to"])}
    return [n["name"] for n in data["nodes"] if n["id"] not in linked]


def test_viz_sampled_view_has_no_lone_entities():
    # 40 entities used by one paper each and one hub used by all 40 papers: a 30-node view used to
    # keep 18 entities and 12 papers, leaving most entities with no drawn paper (a ring of dots)
    G = nx.MultiDiGraph()
    G.add_node("Method:hub", label="Method", key="hub", name="Hub", aliases=[])
    for i in range(40):
        G.add_node(f"Paper:p{i}", label="Paper", id=f"p{i}", title=f"P{i}")
        G.add_node(f"Task:t{i}", label="Task", key=f"t{i}", name=f"T{i}", aliases=[])
        G.add_edge(f"Paper:p{i}", "Method:hub", key="USES", type="USES", confidence=0.9)
        G.add_edge(f"Paper:p{i}", f"Task:t{i}", key="ADDRESSES", type="ADDRESSES", confidence=0.9)
    data = explorer_data(G, max_nodes=30)
    assert len(data["nodes"]) == 30 and _lonely(data) == []
    assert "Hub" in _names(data)


def test_viz_5000_papers_no_lone_entities():
    import importlib.util
    import sys

    name = "kg_tests_browser_conftest"  # the browser suite's seeded synthetic corpus, without the browser
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "browser" / "conftest.py")
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    data = explorer_data(module.make_synthetic_graph(5_000))
    assert len(data["nodes"]) == 1500 and _lonely(data) == []


# --- the command: default file names, --open ------------------------------------------------


def test_viz_cli_focus_does_not_overwrite_the_full_page(app, graph_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    full = CliRunner().invoke(app, ["viz", "--graph", str(graph_file)])
    focused = CliRunner().invoke(app, ["viz", "--graph", str(graph_file), "--focus", "MS MARCO", "--depth", "1"])
    assert full.exit_code == focused.exit_code == 0, full.output + focused.output
    assert "wrote graph.focus-ms-marco.html (3 nodes)" in focused.stdout
    assert len(_embedded((tmp_path / "graph.html").read_text(encoding="utf-8"))["nodes"]) == 16
    assert len(_embedded((tmp_path / "graph.focus-ms-marco.html").read_text(encoding="utf-8"))["nodes"]) == 3


def test_viz_cli_open_starts_the_browser(graph_file, tmp_path):
    import os
    import subprocess
    import sys

    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    out = tmp_path / "page.html"
    run = subprocess.run([sys.executable, "-m", "kg", "viz", "-g", str(graph_file), "-o", str(out), "--open"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert opened.read_text(encoding="utf-8") == out.resolve().as_uri()
    run = subprocess.run([sys.executable, "-m", "kg", "viz", "-g", str(graph_file), "-o", str(out)],
                         env={**env, "BROWSER": str(tmp_path / "never")}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "open it in a browser" in run.stdout  # without --open nothing is started


def test_viz_docstring_examples_run():
    import doctest

    import kg.commands.viz
    import kg.layout
    import kg.viz

    for module in (kg.viz, kg.layout, kg.commands.viz):
        failures, tried = doctest.testmod(module, verbose=False)
        assert tried > 0 and failures == 0, module.__name__


def test_viz_label_width_of_unmeasurable_characters():
    from kg.layout import text_width

    assert text_width("a\ud800b", 10) > text_width("ab", 10) + 9  # a lone surrogate counts as a wide character
    assert text_width("", 10) == 0


def test_viz_focus_node_is_always_named(tiny_graph):
    data = explorer_data(tiny_graph, focus="p3", depth=2)  # a paper: papers are not named in the overview...
    focus = next(n for n in data["nodes"] if n["focus"])
    assert focus["name"] == "A study of ResNet-50"
    assert focus["font"] == max(n["font"] for n in data["nodes"])  # ...except the one in focus


def test_viz_layout_is_the_same_under_any_hash_seed():
    import os
    import subprocess
    import sys

    script = ("import networkx as nx; from kg.layout import community_layout; "
              "G = nx.relabel_nodes(nx.connected_caveman_graph(6, 8), lambda n: f'node {n}'); "
              "print(sorted(community_layout(G, seed=0)[0].items()))")
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1 and "node 0" in runs.pop()


def test_viz_layout_keeps_many_small_communities_apart():
    from kg.layout import community_layout

    G = nx.disjoint_union_all([nx.complete_graph(3)] * 120)
    pos, communities = community_layout(G, seed=0)
    assert len(communities) == 120
    circles = []
    for c in communities:
        cx, cy = sum(pos[n][0] for n in c) / 3, sum(pos[n][1] for n in c) / 3
        circles.append((cx, cy, max(((pos[n][0] - cx) ** 2 + (pos[n][1] - cy) ** 2) ** 0.5 for n in c)))
    assert all(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 > a[2] + b[2]
               for i, a in enumerate(circles) for b in circles[i + 1:])
