"""Bulk-load files for big Neo4j graphs: CSVs for `neo4j-admin database import full`.

Loading millions of papers through Bolt transactions takes hours; the offline importer reads
CSV files with typed headers at disk speed. `write_neo4j_csv` writes, into one directory:

- `nodes_<Label>.csv` per label: `<keyprop>:ID(<Label>)` (the key property, in a per-label ID
  space so a Method and a Dataset may share a key), typed properties, `:LABEL`;
- `rels_<TYPE>_<Start>_<End>.csv` per relationship type and label pair that occurs (VARIANT_OF
  links Method->Method and Dataset->Dataset, each side needs its own ID space):
  `:START_ID(<Start>)`, `:END_ID(<End>)`, `:TYPE`, typed properties;
- `import.sh`, the exact `neo4j-admin database import full` command for these files, and
  `constraints.cypher`, the uniqueness constraints our Neo4j schema has on every key
  (the Community importer cannot create them; run it with cypher-shell after the import).

Encoding rules, chosen so that nothing is silently changed:

- Property types are inferred per column over all rows of one file: bool -> `boolean`, int ->
  `int` (`long` beyond 32 bits), float -> `double` (ints and floats together: `double`), str ->
  `string`, lists/tuples/sets -> `<type>[]` by the same rules on their items. Any other mix
  falls back to `string`, with containers written as JSON and booleans as `true`/`false`.
- Array items are joined with `;`, neo4j-admin's default array delimiter. The importer has no
  escape for it, so if any list item contains `;` the whole export uses the first of `|` and
  U+001F that no item contains (and `import.sh` passes it as `--array-delimiter`); if every
  candidate occurs, `ValueError`.
- CSV quoting is RFC 4180 (fields with a comma, quote, CR or LF quoted, quotes doubled, which
  is what the importer expects unless `--legacy-style-quoting`), UTF-8 (lone surrogates, which
  UTF-8 cannot hold, become U+FFFD), `\\n` line ends. Files are replaced atomically, all or none. A missing or None value is an empty
  field, which the importer stores as no property; so are empty strings and empty lists (CSV
  import cannot store empty arrays). When any value contains a line break, `import.sh` adds
  `--multiline-fields=true` (the importer is slower with it, so only then).
- Floats are written with `repr` (exact round trip); infinities and NaN in Java spelling.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import networkx as nx

from kg.atomic import AtomicFile
from kg.textsafe import utf8_text
from schema.graph import KEY_PROPERTY

__all__ = ["ARRAY_DELIMITERS", "IMPORT_SCRIPT", "CONSTRAINTS_FILE", "write_neo4j_csv"]

#: array delimiters tried in order; the first that no list item contains is used
ARRAY_DELIMITERS = (";", "|", "\u001f")
IMPORT_SCRIPT = "import.sh"
CONSTRAINTS_FILE = "constraints.cypher"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DATABASE = re.compile(r"[A-Za-z][A-Za-z0-9.-]{2,62}\Z")
_BAD_PROP_NAME = re.compile(r'[:,"\x00-\x1f]')
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_NUMERIC = {"int": 0, "long": 1, "double": 2}
_CONTAINERS = (list, tuple, set, frozenset)
_KEY_PROPERTY = {label.value: prop for label, prop in KEY_PROPERTY.items()}


def _kind(value: Any) -> str:
    """The Neo4j type one scalar value asks for ("list" / "other" for the rest)."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int" if _INT32_MIN <= value <= _INT32_MAX else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, _CONTAINERS):
        return "list"
    return "other"


def _scalar_type(kinds: set[str]) -> str:
    """One Neo4j type for a set of scalar kinds: widen numbers, otherwise fall back to string."""
    if kinds and kinds <= _NUMERIC.keys():
        return max(kinds, key=_NUMERIC.__getitem__)
    if len(kinds) == 1 and kinds <= {"boolean", "string"}:
        return next(iter(kinds))
    return "string"


@dataclass
class _Column:
    """The kinds of value one property column has seen in the planning pass."""

    kinds: set[str] = field(default_factory=set)
    item_kinds: set[str] = field(default_factory=set)

    @property
    def type(self) -> str:
        if self.kinds == {"list"}:
            if self.item_kinds & {"list", "other"}:
                return "string"
            return _scalar_type(self.item_kinds or {"string"}) + "[]"
        return _scalar_type(self.kinds)


@dataclass
class _Group:
    """One CSV file: fixed columns before and after the property columns."""

    file_name: str
    lead: list[str]
    trail: list[str] = field(default_factory=list)
    columns: dict[str, _Column] = field(default_factory=dict)
    #: (name, Neo4j type) per property column, fixed once planning is done
    typed: list[tuple[str, str]] = field(default_factory=list)

    def freeze(self) -> list[str]:
        """Fix the column order and types; return the header row."""
        self.typed = [(name, self.columns[name].type) for name in sorted(self.columns)]
        return [*self.lead, *(f"{name}:{t}" for name, t in self.typed), *self.trail]

    def row(self, lead: list[str], d: Mapping[str, Any], trail: list[str],
            delimiter: str) -> list[str]:
        cells = ["" if d.get(name) is None else _cell(d[name], t, delimiter)
                 for name, t in self.typed]
        return [*lead, *cells, *trail]


@dataclass
class _Plan:
    """What the writing pass needs: the files, their columns, delimiter and multiline flag."""

    nodes: dict[str, _Group] = field(default_factory=dict)
    rels: dict[tuple[str, str, str], _Group] = field(default_factory=dict)
    item_chars: set[str] = field(default_factory=set)
    multiline: bool = False

    def see_text(self, text: str) -> None:
        if "\n" in text or "\r" in text:
            self.multiline = True

    def see_props(self, group: _Group, props: Iterable[tuple[str, Any]], owner: tuple) -> None:
        """Record column kinds, line breaks and array delimiters seen; `owner` names the row."""
        columns = group.columns
        for name, value in props:
            column = columns.get(name)
            if column is None:
                if not name or _BAD_PROP_NAME.search(name):
                    raise ValueError(f"{_describe(owner)}: property name {name!r} cannot be a CSV header field")
                column = columns[name] = _Column()
            kind = _kind(value)
            column.kinds.add(kind)
            if kind == "string":
                self.see_text(value)
            elif kind == "list":
                for item in value:
                    item_kind = _kind(item)
                    column.item_kinds.add(item_kind)
                    if item_kind == "string":
                        self.see_text(item)
                        self.item_chars.update(c for c in ARRAY_DELIMITERS if c in item)

    def array_delimiter(self) -> str:
        for candidate in ARRAY_DELIMITERS:
            if candidate not in self.item_chars:
                return candidate
        raise ValueError(
            "list items contain every possible array delimiter "
            f"({', '.join(repr(c) for c in ARRAY_DELIMITERS)}); cannot write arrays losslessly"
        )


def _describe(owner: tuple) -> str:
    """"node 'x'" or "edge 'a' -> 'b'" for an error message."""
    return f"node {owner[0]!r}" if len(owner) == 1 else f"edge {owner[0]!r} -> {owner[1]!r}"


def _identifier(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ValueError(f"{where}: {what} {value!r} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def _node_identity(n: Any, d: Mapping[str, Any]) -> tuple[str, str, str]:
    """(label, key property, key) of a node; the key falls back to the "<Label>:<key>" node id."""
    label = d.get("label")
    key_prop = _KEY_PROPERTY.get(label) if isinstance(label, str) else None
    if key_prop is None:
        raise ValueError(f"node {n!r}: label {label!r} is not in the graph schema")
    key = d.get(key_prop)
    if key is None or key == "":
        prefix = f"{label}:"
        if not (isinstance(n, str) and n.startswith(prefix) and len(n) > len(prefix)):
            raise ValueError(f"node {n!r}: no {key_prop!r} property to use as its id")
        key = n[len(prefix):]
    return label, key_prop, str(key)


def _props(d: Mapping[str, Any], skip: tuple[str, ...]) -> Iterable[tuple[str, Any]]:
    """Exportable properties: no dunder, internal or None values."""
    return ((k, v) for k, v in d.items()
            if v is not None and k not in skip and not k.startswith("__"))


def _plan(G: nx.MultiDiGraph) -> _Plan:
    """First pass: one group per label and per (type, start label, end label), column types."""
    plan = _Plan()
    for n, d in G.nodes(data=True):
        label, key_prop, key = _node_identity(n, d)
        plan.see_text(key)
        group = plan.nodes.get(label)
        if group is None:
            group = plan.nodes[label] = _Group(
                f"nodes_{label}.csv", [f"{key_prop}:ID({label})"], [":LABEL"])
        plan.see_props(group, _props(d, ("label", key_prop)), (n,))
    for u, v, k, d in G.edges(keys=True, data=True):
        rel_type = d.get("type", k)
        start, end = _node_identity(u, G.nodes[u])[0], _node_identity(v, G.nodes[v])[0]
        group = plan.rels.get((rel_type, start, end))
        if group is None:
            _identifier(rel_type, "relationship type", _describe((u, v)))
            group = plan.rels[(rel_type, start, end)] = _Group(
                f"rels_{rel_type}_{start}_{end}.csv",
                [f":START_ID({start})", f":END_ID({end})", ":TYPE"],
            )
        plan.see_props(group, _props(d, ("type",)), (u, v))
    return plan


_NEEDS_QUOTES = re.compile('[,"\r\n]')


class _CsvWriter:
    """RFC 4180 rows: a field is quoted when it holds a comma, quote, CR or LF (the csv module
    leaves a lone CR unquoted when the line terminator is LF, which breaks the row for readers);
    lone surrogates, which UTF-8 cannot hold, become U+FFFD."""

    def __init__(self, f: IO[str]):
        self._f = f

    def writerow(self, cells: Iterable[str]) -> None:
        fields = []
        for cell in cells:
            cell = utf8_text(cell)
            if _NEEDS_QUOTES.search(cell):
                cell = '"' + cell.replace('"', '""') + '"'
            fields.append(cell)
        self._f.write(",".join(fields) + "\n")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return list(value) if isinstance(value, _CONTAINERS) else [value]


def _json_default(value: Any) -> Any:
    return sorted(value, key=str) if isinstance(value, (set, frozenset)) else str(value)


def _cell(value: Any, neo4j_type: str, delimiter: str) -> str:
    """The CSV text of one value in a column of the given Neo4j type."""
    if neo4j_type.endswith("[]"):
        return delimiter.join(_scalar_text(item) for item in _as_list(value))
    if neo4j_type == "string" and isinstance(value, (*_CONTAINERS, dict)):
        return json.dumps(value if isinstance(value, (list, tuple, dict)) else _as_list(value),
                          ensure_ascii=False, default=_json_default)
    return _scalar_text(value)


def _delimiter_arg(delimiter: str) -> str:
    return f'"{delimiter}"' if delimiter.isprintable() else f'"U+{ord(delimiter):04X}"'


def _import_script(plan: _Plan, database: str, delimiter: str) -> str:
    """A POSIX sh script running neo4j-admin on the files next to it (the folder may move)."""
    args = [f'--nodes={label}="$DIR/{g.file_name}"' for label, g in sorted(plan.nodes.items())]
    args += [f'--relationships={key[0]}="$DIR/{g.file_name}"'
             for key, g in sorted(plan.rels.items())]
    args.append(f"--array-delimiter={_delimiter_arg(delimiter)}")
    if plan.multiline:
        args.append("--multiline-fields=true")
    args.append("--overwrite-destination")
    lines = [
        "#!/bin/sh",
        "# Bulk-load the CSV files in this folder into a Neo4j 5 database (written by",
        "# `kg export --format neo4j-csv`). Stop the database first: --overwrite-destination",
        "# replaces its store. NEO4J_ADMIN overrides the neo4j-admin binary; extra arguments are",
        "# passed on. Afterwards start Neo4j (CREATE DATABASE for a new name) and run",
        f"#   cypher-shell -d {database} -f {CONSTRAINTS_FILE}",
        "set -eu",
        'DIR=$(cd "$(dirname "$0")" && pwd)',
        f'"${{NEO4J_ADMIN:-neo4j-admin}}" database import full {database} \\',
        *(f"  {arg} \\" for arg in args),
        '  "$@"',
    ]
    return "\n".join(lines) + "\n"


def _constraints(plan: _Plan) -> str:
    lines = []
    for label, group in sorted(plan.nodes.items()):
        key_prop = group.lead[0].split(":", 1)[0]
        lines.append(f"CREATE CONSTRAINT {label.lower()}_{key_prop}_unique IF NOT EXISTS "
                     f"FOR (n:{label}) REQUIRE n.{key_prop} IS UNIQUE;")
    return "\n".join(lines) + "\n"


def write_neo4j_csv(
    G: nx.MultiDiGraph, directory: str | Path, database: str = "neo4j"
) -> dict[str, Path]:
    """Write G as neo4j-admin import CSVs plus `import.sh` and `constraints.cypher`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph in our schema (`backend.to_networkx()`): node attribute `label` and the
        label's key property (`key` or `id`), edge attribute `type` (or the edge key).
    directory : str or Path
        Created if missing; files of the same names are replaced, other files are left alone.
    database : str
        Database name used in `import.sh` and `constraints.cypher`'s comment.

    Returns
    -------
    dict of str to Path
        File name -> path for every file written, in the order node files, relationship
        files, `import.sh`, `constraints.cypher`.

    Raises
    ------
    ValueError
        A node without a schema label or id, a label, type or property name that cannot be
        written, or list items that contain every candidate array delimiter. Raised before
        any file is written.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("Method:bert", label="Method", key="bert", aliases=["BERT-base", "bert"])
    >>> G.add_node("Paper:p1", label="Paper", id="p1", year=2019)
    >>> _ = G.add_edge("Paper:p1", "Method:bert", key="USES", type="USES", confidence=0.9)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_neo4j_csv(G, tmp)
    ...     print(files["nodes_Method.csv"].read_text(), end="")
    key:ID(Method),aliases:string[],:LABEL
    bert,BERT-base;bert,Method
    """
    if not _DATABASE.match(database):
        raise ValueError(f"database name {database!r} is not a valid Neo4j database name")
    plan = _plan(G)
    delimiter = plan.array_delimiter()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    with ExitStack() as stack:  # every file replaced atomically, and only if all were written
        writers = {}
        for group in [*plan.nodes.values(), *plan.rels.values()]:
            path = directory / group.file_name
            writers[group.file_name] = _CsvWriter(stack.enter_context(AtomicFile(path, "w", newline="")))
            writers[group.file_name].writerow(group.freeze())
            written[group.file_name] = path
        for n, d in G.nodes(data=True):
            label, _, key = _node_identity(n, d)
            group = plan.nodes[label]
            writers[group.file_name].writerow(group.row([key], d, [label], delimiter))
        for u, v, k, d in G.edges(keys=True, data=True):
            rel_type = d.get("type", k)
            start, _, start_key = _node_identity(u, G.nodes[u])
            end, _, end_key = _node_identity(v, G.nodes[v])
            group = plan.rels[(rel_type, start, end)]
            writers[group.file_name].writerow(
                group.row([start_key, end_key, rel_type], d, [], delimiter))
        for name, text in ((IMPORT_SCRIPT, _import_script(plan, database, delimiter)),
                           (CONSTRAINTS_FILE, _constraints(plan))):
            path = directory / name
            stack.enter_context(AtomicFile(path, "w")).write(text)
            written[name] = path
    written[IMPORT_SCRIPT].chmod(0o755)
    return written
