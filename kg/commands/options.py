"""Options several commands share, spelled once so that every command names an idea the same way
(and reads the same environment variable and kg.toml key, see kg/config.py)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

#: the graph file a reading command opens (kg.toml `graph`, $KG_GRAPH)
GraphFile = Annotated[Path, typer.Option("--graph", "-g", envvar="KG_GRAPH", metavar="PATH", help="Saved graph file.")]


class QueryFormat(str, Enum):
    """The output format of every command that prints rows: `--format table|json|csv`."""

    table = "table"
    json = "json"
    csv = "csv"


OutputFormat = Annotated[QueryFormat, typer.Option("--format", help="table (for people), json or csv (for programs).")]
