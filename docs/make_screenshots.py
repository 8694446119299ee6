"""Regenerate the README images from the bundled sample, so they stay current.

    python docs/make_screenshots.py        # needs Debian's chromium (/usr/bin/chromium) and playwright

Writes docs/explorer.png (the `kg viz` overview of the whole sample: communities apart, the hubs
named) and docs/network.png (the co-usage network plot of `kg report`). Both are deterministic:
the layouts are seeded and computed in Python.
"""

from __future__ import annotations

import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from kg.backends.networkx_backend import NetworkxBackend  # noqa: E402
from kg.build import SAMPLE_CORPUS, build_graph  # noqa: E402
from kg.report import save_plot  # noqa: E402
from kg.viz import write_html  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def shrink_png(path: Path, colours: int = 256) -> None:
    """Rewrite a PNG as an 8-bit palette PNG (the most frequent colours; every other pixel gets
    its nearest one): screenshots and plots have few colours, so the file gets several times
    smaller and looks the same."""
    from matplotlib.image import imread

    rgb = (imread(path)[:, :, :3] * 255).round().astype(np.uint8)
    flat = rgb.reshape(-1, 3)
    unique, inverse, counts = np.unique(flat, axis=0, return_inverse=True, return_counts=True)
    palette = unique[np.argsort(-counts, kind="stable")[:colours]].astype(np.int32)
    nearest = np.empty(len(unique), dtype=np.uint8)
    for start in range(0, len(unique), 4096):
        chunk = unique[start:start + 4096].astype(np.int32)
        nearest[start:start + 4096] = ((chunk[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    index = nearest[inverse.reshape(-1)].reshape(rgb.shape[:2])
    rows = b"".join(b"\0" + row.tobytes() for row in index)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    height, width = index.shape
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
                     + chunk(b"PLTE", palette.astype(np.uint8).tobytes()) + chunk(b"IDAT", zlib.compress(rows, 9))
                     + chunk(b"IEND", b""))


def main() -> None:
    from playwright.sync_api import sync_playwright

    store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], store)
    G = store.to_networkx()
    save_plot("network", G, DOCS / "network.png", dpi=90)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "graph.html"
        write_html(G, page_path, title="Bundled sample: knowledge graph")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(page_path.as_uri())
            page.wait_for_function("window.kgReady === true")
            page.wait_for_timeout(500)
            page.screenshot(path=str(DOCS / "explorer.png"))
            browser.close()
    for name in ("explorer.png", "network.png"):
        shrink_png(DOCS / name)
    print(f"wrote {DOCS / 'explorer.png'} and {DOCS / 'network.png'}")


if __name__ == "__main__":
    main()
