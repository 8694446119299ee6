"""Every data file the code reads at run time is shipped as package data (wheels, not only editable installs)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_packaging_runtime_data_files_are_package_data():
    from extractors import calibration, lexicon, pipeline
    from kg import build

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    packages = set(config["tool"]["setuptools"]["packages"])
    needed = [lexicon.DEFAULT_TERMS, lexicon.DEFAULT_STOP, lexicon.DEFAULT_CUES, pipeline.CONFIG_PATH,
              build.SAMPLE_CORPUS, build.DEV_GOLD, calibration.DEFAULT_MODEL]
    for path in needed:
        path = Path(path).resolve()
        assert path.exists(), path
        rel = path.relative_to(ROOT)
        package = ".".join(rel.parts[:-1])
        assert package in packages, f"{package} is not listed in [tool.setuptools] packages"
        globs = package_data.get(package, [])
        assert any(fnmatch.fnmatch(rel.name, g) for g in globs), f"{rel} is not matched by package-data {globs}"
