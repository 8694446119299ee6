"""The explorer page in a real headless Chromium: loads cleanly offline, draws, searches, clicks."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pytest

from kg.viz import write_html

pytestmark = pytest.mark.browser


def _distinct_colours(png: bytes) -> int:
    """How many different pixel colours a PNG screenshot has (1 for a blank canvas)."""
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")
    return len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0))


def _assert_clean(opened) -> None:
    assert opened.errors == []
    assert opened.remote_requests == []


@pytest.fixture(scope="session")
def sample_page(sample_graph: nx.MultiDiGraph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("viz") / "sample.html"
    write_html(sample_graph, path)
    return path


def _search(page, text: str) -> None:
    """Type `text` into the explorer's search box and press Enter, as a user does."""
    page.fill("#kg-search", text)
    page.press("#kg-search", "Enter")


@pytest.fixture
def sample_view(open_page, sample_page):
    """The sample's explorer in a fresh page, drawn and ready."""
    opened = open_page(sample_page)
    opened.wait_ready()
    return opened


def test_viz_browser_sample_loads_and_draws(sample_view):
    opened = sample_view
    page = opened.page
    canvas = page.locator("#kg-graph canvas")
    assert canvas.count() == 1
    assert _distinct_colours(canvas.screenshot()) > 20
    assert page.evaluate("kgData.nodes.length") == page.evaluate("kgNetwork.body.data.nodes.length") > 500
    assert not page.locator("#kg-banner").is_visible()
    _assert_clean(opened)


def test_viz_browser_search_selects_colbert(sample_view):
    opened = sample_view
    page = opened.page
    _search(page, "colbert")
    selected = page.evaluate("window.kgSelected")
    assert (selected["name"], selected["label"]) == ("ColBERT", "Method")
    assert page.evaluate("kgNetwork.getSelectedNodes()") == [selected["id"]]
    details = page.locator("#kg-details")
    assert details.locator("h2").inner_text() == "ColBERT"
    assert "Jina-ColBERT-v2" in details.inner_text()  # a linked paper's title
    _search(page, "no such thing at all")
    assert "No node matches" in page.locator("#kg-search-status").inner_text()
    _assert_clean(opened)


def test_viz_browser_click_shows_details(sample_view):
    opened = sample_view
    page = opened.page
    node = page.evaluate("kgData.nodes.filter(n => n.label !== 'Paper').sort((a, b) => b.degree - a.degree)[0]")
    page.evaluate(f"kgNetwork.focus({node['id']}, {{scale: 2, animation: false}})")
    pos = page.evaluate(f"kgNetwork.canvasToDOM(kgNetwork.getPositions([{node['id']}])[{node['id']}])")
    box = page.locator("#kg-graph").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    assert page.evaluate("window.kgSelected && window.kgSelected.id") == node["id"]
    details = page.locator("#kg-details")
    assert details.locator("h2").inner_text() == node["name"]
    assert f"{node['degree']} in the whole graph" in details.inner_text()
    size = page.evaluate(f"kgData.nodes.filter(n => n.community === {node['community']}).length")
    assert f"{node['community'] + 1} ({size} nodes drawn)" in details.inner_text()
    assert details.locator(".kg-evidence").count() > 0
    empty = page.evaluate("""() => {  // a point of the canvas with no node under it
        for (let y = 5; y < 800; y += 15) for (let x = 5; x < 900; x += 15)
            if (kgNetwork.getNodeAt({x, y}) === undefined) return {x, y};
    }""")
    page.mouse.click(box["x"] + empty["x"], box["y"] + empty["y"])  # clicking empty canvas clears the selection
    assert page.evaluate("window.kgSelected") is None
    _assert_clean(opened)


def test_viz_browser_filters_hide_labels_and_weak_entities(sample_view):
    opened = sample_view
    page = opened.page
    papers = page.evaluate("kgData.nodes.filter(n => n.label === 'Paper').length")
    page.locator("#kg-legend input[data-label='Paper']").uncheck()
    assert page.evaluate("kgNetwork.body.data.nodes.get({filter: n => n.hidden}).length") == papers
    page.locator("#kg-legend input[data-label='Paper']").check()
    page.locator("#kg-conf").fill("0.9")
    weak = page.evaluate("kgData.nodes.filter(n => n.conf !== null && n.conf < 0.9).map(n => n.id)")
    hidden = page.evaluate("kgNetwork.body.data.nodes.get({filter: n => n.hidden}).map(n => n.id)")
    assert sorted(hidden) == sorted(weak) and len(weak) > 0
    assert page.locator("#kg-conf-value").inner_text() == "0.90"
    _assert_clean(opened)


def test_viz_browser_focus_page_opens_on_the_entity(open_page, sample_graph, tmp_path):
    path = tmp_path / "focus.html"
    write_html(sample_graph, path, focus="ColBERT", depth=2)
    opened = open_page(path)
    opened.wait_ready()
    page = opened.page
    assert page.evaluate("window.kgSelected.name") == "ColBERT"
    assert page.locator("#kg-details h2").inner_text() == "ColBERT"
    assert "within 2 hop(s) of ColBERT" in page.locator("#kg-subtitle").inner_text()
    _assert_clean(opened)


def test_viz_browser_10k_papers_sampled_and_usable(open_page, synthetic_graph_10k, tmp_path):
    path = tmp_path / "big.html"
    view = write_html(synthetic_graph_10k, path)
    assert view.sampled and len(view.nodes) == 1500
    opened = open_page(path)
    opened.wait_ready()
    page = opened.page
    banner = page.locator("#kg-banner").inner_text()
    assert banner == f"showing 1,500 of {view.total:,} nodes; use --focus or --max-nodes"
    assert page.evaluate("kgNetwork.physics.options.enabled") is False
    assert _distinct_colours(page.locator("#kg-graph canvas").screenshot()) > 20
    _search(page, "Method-0")
    assert page.evaluate("window.kgSelected.name") == "Method-0"
    _assert_clean(opened)


def _label_boxes(page) -> list[tuple[int, float, float, float, float]]:
    """(node id, left, top, right, bottom) of every drawn label, as vis-network measured them
    with the canvas font (every label forced to draw with the whole graph in view)."""
    page.evaluate("kgNetwork.setOptions({nodes: {scaling: {label: {drawThreshold: -1000}}}}); "
                  "kgNetwork.fit(); kgNetwork.redraw()")
    page.wait_for_timeout(200)
    return [tuple(b) for b in page.evaluate("""() => Object.values(kgNetwork.body.nodes)
        .filter(n => n.options.label !== undefined)
        .map(n => { const s = n.labelModule.size;
                    return [n.id, s.left, s.top, s.left + s.width, s.top + s.height]; })""")]


def test_viz_browser_labels_never_overlap(sample_view):
    opened = sample_view
    boxes = _label_boxes(opened.page)
    overlapping = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
    assert len(boxes) > 100 and overlapping == []
    data = opened.page.evaluate("kgData.nodes")
    named = {n["name"] for n in data if n["font"] == max(m["font"] for m in data)}
    assert {"transformer", "convolutional neural network", "ImageNet"} <= named  # the hubs of the sample
    assert len(named) <= 40
    _assert_clean(opened)


def test_viz_browser_typo_suggests_close_names(sample_view):
    opened = sample_view
    page = opened.page
    _search(page, "BRET")
    status = page.locator("#kg-search-status")
    assert "Did you mean" in status.inner_text()
    assert "BERT" in status.locator("button").all_inner_texts()
    status.locator("button", has_text="BERT").first.click()
    assert page.evaluate("window.kgSelected.name") == "BERT"
    _search(page, "BERT")
    assert status.inner_text() == ""  # an exact match: no suggestion
    _assert_clean(opened)


def test_viz_browser_5k_papers_no_lonely_entities(open_page, synthetic_graph_5k, tmp_path):
    path = tmp_path / "5k.html"
    write_html(synthetic_graph_5k, path)
    opened = open_page(path)
    opened.wait_ready()
    page = opened.page
    lonely = page.evaluate("""() => { const linked = new Set();
        kgData.links.forEach(l => { linked.add(l.from); linked.add(l.to); });
        return kgData.nodes.filter(n => !linked.has(n.id)).length; }""")
    assert lonely == 0
    boxes = _label_boxes(page)
    assert not [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
    _assert_clean(opened)
