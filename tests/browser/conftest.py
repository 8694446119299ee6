"""Fixtures for tests that drive Debian's headless Chromium through Playwright.

The tests are skipped, with the reason, when /usr/bin/chromium or the playwright package is
missing. Pages are opened from disk (file://) and every console error, page error and request
that leaves the disk is recorded, so a test can assert the page works offline and cleanly.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import CHROMIUM, CHROMIUM_ARGS, missing  # noqa: E402

READY_TIMEOUT_MS = 180_000


@dataclass
class OpenedPage:
    """A page and what went wrong while it ran."""

    page: Any
    errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)

    def wait_ready(self, timeout_ms: int = READY_TIMEOUT_MS) -> None:
        """Wait until the explorer has laid out the graph and switched physics off."""
        self.page.wait_for_function("window.kgReady === true", timeout=timeout_ms)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's package) driven by Playwright, one per run: every test using it
    runs in one xdist worker (group "browser", tests/conftest.py)."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    from playwright import sync_api
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser) -> Iterator[Any]:
    """`open_page(path)` opens a file in a fresh 1280x800 page and records errors and remote requests."""
    contexts = []

    def _open(path: Path) -> OpenedPage:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page)
        page.on("console", lambda msg: opened.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: opened.errors.append(f"page error: {exc}"))
        page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "blob:", "about:"))
                else opened.remote_requests.append(req.url))
        page.goto(path.resolve().as_uri())
        return opened

    yield _open
    for context in contexts:
        context.close()


def make_synthetic_graph(n_papers: int, seed: int = 13) -> nx.MultiDiGraph:
    """A seeded random graph with the saved graph's schema and a few very popular entities.

    Entity popularity is skewed (index = pool size * u**2.5), like real corpora where a few
    methods and datasets are used by thousands of papers; every fifth paper reports a result.
    """
    rng = random.Random(seed)
    pools = {"Method": (3000, "USES", "used", 2, 6), "Dataset": (600, "EVALUATES_ON", "evaluated_on", 1, 2),
             "Metric": (120, "MEASURES", "reported", 1, 2), "Task": (500, "ADDRESSES", "mentioned", 1, 2)}
    G = nx.MultiDiGraph()
    for label, (size, *_rest) in pools.items():
        for i in range(size):
            key = f"{label.lower()} {i}"
            G.add_node(f"{label}:{key}", label=label, key=key, name=f"{label}-{i}", aliases=[f"{label[:2]}{i}"],
                       alias_evidence=[])
    for p in range(n_papers):
        paper = f"Paper:s{p}"
        G.add_node(paper, label="Paper", id=f"s{p}", title=f"Synthetic paper {p} on things", year=2000 + p % 25)
        picked: dict[str, list[str]] = {}
        for label, (size, rel, role, low, high) in pools.items():
            picks = {int(size * rng.random() ** 2.5) for _ in range(rng.randint(low, high))}
            picked[label] = [f"{label}:{label.lower()} {i}" for i in sorted(picks)]
            for node in picked[label]:
                G.add_edge(paper, node, key=rel, type=rel, role=role, confidence=round(rng.uniform(0.4, 1.0), 3),
                           evidence=f"In paper {p} we use {G.nodes[node]['name']}.", extractor="synthetic")
        if p % 5 == 0:
            result = f"Result:s{p}#abstract:0-4"
            G.add_node(result, label="Result", id=f"s{p}#abstract:0-4", value=90.0, unit="%", text="90.0%")
            G.add_edge(paper, result, key="REPORTS", type="REPORTS", confidence=0.9, evidence="We reach 90.0%.")
            G.add_edge(result, picked["Metric"][0], key="OF_METRIC", type="OF_METRIC", confidence=0.9)
            G.add_edge(result, picked["Dataset"][0], key="ON_DATASET", type="ON_DATASET", confidence=0.9)
    for i in range(1, 200):
        G.add_edge(f"Method:method {i * 7}", f"Method:method {i}", key="VARIANT_OF", type="VARIANT_OF", confidence=0.8)
    return G


@pytest.fixture(scope="session")
def synthetic_graph_10k() -> nx.MultiDiGraph:
    """`make_synthetic_graph(10_000)`."""
    return make_synthetic_graph(10_000)


@pytest.fixture(scope="session")
def synthetic_graph_5k() -> nx.MultiDiGraph:
    """`make_synthetic_graph(5_000)`."""
    return make_synthetic_graph(5_000)
