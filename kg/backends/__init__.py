"""Graph backends behind one interface (`GraphBackend`); pick one with `get_backend(name)`.

Implementations are imported lazily, so `import kg.backends` stays cheap and a backend's
optional dependency (the neo4j driver) is only needed when that backend is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kg.backends.base import (
    BackendError,
    Counts,
    GraphBackend,
    GraphFileError,
    QueryError,
    QueryResult,
    WriteStats,
)

__all__ = [
    "BACKENDS", "BackendError", "Counts", "GraphBackend", "GraphFileError", "QueryError",
    "QueryResult", "WriteStats", "get_backend",
]

#: backend name -> "module:class"
BACKENDS: dict[str, str] = {
    "networkx": "kg.backends.networkx_backend:NetworkxBackend",
    "neo4j": "kg.backends.neo4j_backend:Neo4jBackend",
}


def get_backend(name: str = "networkx", **opts: Any) -> GraphBackend:
    """Create the backend called `name` with its options (e.g. `path=` for networkx).

    Raises
    ------
    ValueError
        For a name that is not in `BACKENDS`.
    """
    target = BACKENDS.get(name.lower())
    if target is None:
        raise ValueError(f"unknown backend {name!r} (available: {', '.join(sorted(BACKENDS))})")
    module, cls = target.split(":")
    return getattr(import_module(module), cls)(**opts)
