"""Options several commands share, spelled once so that every command names an idea the same way
(and reads the same environment variable and kg.toml key, see kg/config.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: the graph file a reading command opens (kg.toml `graph`, $KG_GRAPH)
GraphFile = Annotated[Path, typer.Option("--graph", "-g", envvar="KG_GRAPH", metavar="PATH", help="Saved graph file.")]
