"""Where the browser tests find Chromium, and why they cannot run (used by the fixtures in
tests/browser/conftest.py and by the suite header in tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def missing() -> str | None:
    """Why the browser tests are skipped here, or None when Debian's chromium and playwright are both present."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright)"
    return None
