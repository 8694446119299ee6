"""Defaults for `kg` options from a config file: `kg.toml` in the current folder, else the
`[tool.kg]` table of `./pyproject.toml`.

Keys: `graph` (the graph file every command reads and `kg build` writes), `backend`, `workers`,
`neo4j_uri`, `neo4j_user`, `neo4j_database`. The Neo4j password is never read from a file (only
from `--password` or NEO4J_PASSWORD). Precedence, highest first: an option on the command line,
its environment variable (KG_GRAPH, KG_BACKEND, KG_WORKERS, NEO4J_URI, NEO4J_USER,
NEO4J_DATABASE), the config file, the built-in default. The CLI hands the values to click as
its `default_map`, which sits exactly there in click's order.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILE = Path("kg.toml")
PYPROJECT = Path("pyproject.toml")

#: config key -> (expected type, the option parameter it sets, the environment variable that wins over it)
KEYS: dict[str, tuple[type, str, str]] = {
    "graph": (str, "graph", "KG_GRAPH"),
    "backend": (str, "backend", "KG_BACKEND"),
    "workers": (int, "workers", "KG_WORKERS"),
    "neo4j_uri": (str, "uri", "NEO4J_URI"),
    "neo4j_user": (str, "user", "NEO4J_USER"),
    "neo4j_database": (str, "database", "NEO4J_DATABASE"),
}
BACKENDS = ("networkx", "neo4j")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file (and line when known)."""


@dataclass(frozen=True)
class Config:
    """The settings found (`values`, keyed like `KEYS`) and the file they came from (None: no file)."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def default_map(self, commands: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """click's `default_map`: per command name, the option values this file sets.

        `graph` sets `--graph` on the commands that read a graph and `--out` on `kg build` (the
        file it writes); other commands' `--out` (HTML pages, a model file) is left alone.
        """
        result: dict[str, dict[str, Any]] = {}
        for name in commands:
            params = {KEYS[key][1]: value for key, value in self.values.items()}
            if name == "build" and "graph" in params:
                params["out_path"] = params.pop("graph")
            result[name] = params
        return result


def _line_of(exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's "(at line 3, column 7)" as "line 3" (the message without it)."""
    lineno = getattr(exc, "lineno", None)
    message = getattr(exc, "msg", None) or str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        lineno = lineno or int(match.group(1))
        message = message[: match.start()]
    return f"line {lineno}: {message}" if lineno else message


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_line_of(exc)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _check(path: Path, table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The known keys with values of the right type; anything else is a ConfigError."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = (" (the password is read only from --password or NEO4J_PASSWORD)" if "password" in key
                    else f" (did you mean {close[0]}?)" if close else "")
            raise ConfigError(f"{path}: {where}unknown key {key!r}{hint}; expected one of {', '.join(KEYS)}")
        kind = KEYS[key][0]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{path}: {where}{key} = {value!r}: expected {'a whole number' if kind is int else 'a string'}")
        if key == "backend" and value not in BACKENDS:
            raise ConfigError(f"{path}: {where}backend = {value!r}: expected {' or '.join(BACKENDS)}")
        if key == "workers" and value < 1:
            raise ConfigError(f"{path}: {where}workers = {value}: expected 1 or more")
        values[key] = value
    return values


def load_config(folder: Path | None = None) -> Config:
    """The settings of `kg.toml` in `folder` (default: the current folder), else of the
    `[tool.kg]` table of its pyproject.toml; an empty Config when neither has any.

    Raises
    ------
    ConfigError
        For a file that is not TOML (naming its line), an unknown key or a value of the wrong type.
    """
    base = folder or Path()
    path = base / CONFIG_FILE
    if path.is_file():
        return Config(path, _check(path, _read(path), ""))
    path = base / PYPROJECT
    if path.is_file():
        table = _read(path).get("tool", {}).get("kg")
        if table is None:
            return Config()
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.kg] must be a table")
        return Config(path, _check(path, table, "[tool.kg] "))
    return Config()
