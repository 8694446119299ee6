"""File-name helpers shared by the readers and the graph writers."""

from __future__ import annotations

from pathlib import Path


def format_suffix(path: str | Path) -> str | None:
    """The extension that names a file's format, ignoring a trailing ``.gz``: "a.jsonl.gz" -> ".jsonl"."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else None
