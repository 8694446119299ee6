"""Regenerate the README images from the bundled sample, so they stay current.

    python docs/make_screenshots.py        # needs Debian's chromium (/usr/bin/chromium) and playwright

Writes docs/explorer.png (the `kg viz` page, focused on ViT) and docs/network.png (the co-usage
network plot of `kg report`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from kg.backends.networkx_backend import NetworkxBackend  # noqa: E402
from kg.build import SAMPLE_CORPUS, build_graph  # noqa: E402
from kg.report import save_plot  # noqa: E402
from kg.viz import write_html  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], store)
    G = store.to_networkx()
    save_plot("network", G, DOCS / "network.png")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "graph.html"
        write_html(G, page_path, focus="Vision Transformer", depth=2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(page_path.as_uri())
            page.wait_for_timeout(4000)  # let the layout settle
            page.screenshot(path=str(DOCS / "explorer.png"))
            browser.close()
    print(f"wrote {DOCS / 'explorer.png'} and {DOCS / 'network.png'}")


if __name__ == "__main__":
    main()
