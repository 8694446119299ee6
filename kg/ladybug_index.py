"""The query index: a LadybugDB database beside the graph file, so `kg query` speaks Neo4j's Cypher.

`kg build` writes it (`graph.graphml` -> `graph.lbdb/`) from the graph it just saved; `kg index`
writes it again; `kg query` rebuilds it itself when it is missing, older than the graph file or
written by another index format or LadybugDB version (one note on stderr), and refuses a corrupt one
with one line naming it and `kg index`. The graph file stays the source of truth: GraphML/GEXF/JSON
export, `kg.analysis.load_graph` and Neo4j are unchanged.

Layout: one node table per label and one relationship table per type (FROM/TO pairs as found in the
graph), every table with the same columns (the union of the properties of all nodes, or of all
relationships), so that `n.title` on a Method is null as in Neo4j instead of an error. Columns are
typed from the values (int, float, str, bool and lists of those). Queries run read-only, through
`kg.cypher_dialect.translate`, with values passed as LadybugDB parameters.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx

from kg.textsafe import utf8_text
from kg.backends.base import Counts, GraphFileError, QueryError, QueryResult, QueryStopped
from kg.cypher_dialect import translate
from kg.paths import format_suffix
from schema.graph import KEY_PROPERTY, NodeLabel, RelType

log = logging.getLogger(__name__)

__all__ = ["INDEX_FORMAT", "IndexStats", "LadybugIndex", "ensure_index", "index_path", "index_status",
           "load_into", "query_graph", "write_index"]

#: bump when the layout written here changes: an index of another format is rebuilt
INDEX_FORMAT = 1
DB_FILE = "graph.lbdb"
META_FILE = "kg-index.json"
#: rows per COPY statement while loading
BATCH = 50_000
#: empty tables that a label or relationship type the graph lacks is rewritten to (kg.cypher_dialect),
#: so that such a query finds nothing, as on Neo4j, instead of failing
NONE_LABEL = "_KgNone"
NONE_TYPE = "_KG_NONE"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NODE_INTERNAL = frozenset({"label", "__labels__"})
_REL_INTERNAL = frozenset({"type", "__labels__"})
_SCALAR_TYPES = {bool: "BOOLEAN", int: "INT64", float: "DOUBLE", str: "STRING"}
#: properties the builder writes (kg/builder.py), declared even when no element has them (the sample has
#: no years): reading one gives null as in Neo4j, not "no property"; types from the data win
_SCHEMA_NODE_PROPS = {"title": "STRING", "year": "INT64", "url": "STRING", "source": "STRING",
                      "content_hash": "STRING", "extractor": "STRING", "name": "STRING", "aliases": "STRING[]",
                      "alias_evidence": "STRING[]", "merged_keys": "STRING[]", "value": "DOUBLE", "unit": "STRING",
                      "text": "STRING", "relative": "BOOLEAN", "spread": "DOUBLE"}
_SCHEMA_REL_PROPS = {"confidence": "DOUBLE", "evidence": "STRING", "extractor": "STRING", "role": "STRING",
                     "papers": "STRING[]"}


class IndexFileError(GraphFileError):
    """A query index that cannot be used; the message names it and how to rebuild it."""


class _OutOfMemory(QueryStopped):
    """LadybugDB could not get the memory a query (or opening the index) needs."""


_NO_MEMORY = "query stopped: it ran out of memory; narrow it (LIMIT, fewer MATCH combinations) or raise --memory-limit"


@dataclass(frozen=True)
class IndexStats:
    """What `write_index` loaded and how long it took."""

    path: Path
    nodes: int
    rels: int
    seconds: float

    @property
    def rate(self) -> float:
        """Nodes plus relationships loaded per second."""
        return (self.nodes + self.rels) / self.seconds if self.seconds > 0 else float("inf")


def _ladybug():
    """The ladybug module, imported only when an index is used (it is not needed otherwise)."""
    import ladybug

    return ladybug


def index_path(graph: str | Path) -> Path:
    """Where the index of a graph file lives: `graph.graphml[.gz]` -> `graph.lbdb` beside it."""
    graph = Path(graph)
    name = graph.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    suffix = format_suffix(graph) or ""
    if suffix and name.lower().endswith(suffix):
        name = name[: -len(suffix)]
    return graph.with_name(f"{name or graph.name}.lbdb")


# -- schema ------------------------------------------------------------------------------------------

def _kind(value: Any) -> str | None:
    """LadybugDB type of one value, None for a null or an empty list (no information)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        kinds = {_kind(v) for v in value} - {None}
        if not kinds:
            return None
        return _merge_kinds(kinds, list_of=True)
    if isinstance(value, float) and not math.isfinite(value):
        return "DOUBLE"
    return _SCALAR_TYPES.get(type(value), "STRING")


def _merge_kinds(kinds: set[str], list_of: bool = False) -> str:
    lists = {k for k in kinds if k.endswith("[]")}
    if lists and lists != kinds:
        return "STRING"  # lists and scalars under one name: text
    if lists:
        return _merge_kinds({k[:-2] for k in lists}) + "[]"
    if len(kinds) == 1:
        kind = next(iter(kinds))
    elif kinds <= {"INT64", "DOUBLE"}:
        kind = "DOUBLE"
    else:
        kind = "STRING"
    return kind + "[]" if list_of else kind


def _column_types(items: Iterable[Mapping[str, Any]], internal: frozenset[str]) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for attrs in items:
        for name, value in attrs.items():
            if name in internal or name.startswith("__"):
                continue
            kinds = seen.setdefault(name, set())
            kind = _kind(value)
            if kind is not None:
                kinds.add(kind)
    return {name: _merge_kinds(kinds) if kinds else "STRING" for name, kinds in sorted(seen.items())}


def _convert(value: Any, kind: str) -> Any:
    """A Python value shaped for a column of `kind` (numbers widened, mixed values as text)."""
    if value is None:
        return None
    if kind.endswith("[]"):
        if not isinstance(value, (list, tuple)):
            return None
        return [_convert(v, kind[:-2]) for v in value]
    if kind == "DOUBLE":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if kind == "STRING":  # lone surrogates (another tool's JSON may hold them) become U+FFFD, as in every output
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, tuple, dict)) else str(value)
        return utf8_text(value)
    return value


def _quote(name: str) -> str:
    return f"`{name.replace('`', '')}`"


def _node_label(attrs: Mapping[str, Any]) -> str | None:
    label = attrs.get("label")
    return label if isinstance(label, str) and _NAME.match(label) else None


def _node_pk(label: str) -> str:
    try:
        return KEY_PROPERTY[NodeLabel(label)]
    except ValueError:
        return "key"


# -- loading -----------------------------------------------------------------------------------------

_ARROW_SCALARS = {"STRING": "string", "INT64": "int64", "DOUBLE": "float64", "BOOLEAN": "bool_"}


def _arrow_type(pa: Any, kind: str) -> Any:
    if kind.endswith("[]"):
        return pa.list_(_arrow_type(pa, kind[:-2]))
    return getattr(pa, _ARROW_SCALARS[kind])()


def _copy(conn: Any, table: str, columns: list[tuple[str, str]], rows: list[list[Any]], options: str = "",
          spill: Path | None = None) -> None:
    """Bulk-load rows (lists in column order): COPY FROM a Parquet file written to `spill` when
    pyarrow is installed (about ten times faster), else COPY FROM an UNWIND of a parameter."""
    if spill is not None and not re.search(r"['\\]", spill.as_posix()):  # the path goes into the statement
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            pass
        else:
            arrays = [pa.array(list(values), type=_arrow_type(pa, kind))
                      for values, (_, kind) in zip(zip(*rows), columns)]
            file = spill / f"{table}-{len(list(spill.iterdir()))}.parquet"
            pq.write_table(pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(columns))]), file)
            conn.execute(f"COPY {_quote(table)} FROM '{file.as_posix()}'{options}")
            file.unlink()
            return
    names = [f"c{i}" for i in range(len(columns))]
    select = ", ".join(f"CAST(r.{n} AS {kind})" for n, (_, kind) in zip(names, columns))
    statement = f"COPY {_quote(table)} FROM (UNWIND $rows AS r RETURN {select}){options}"
    for start in range(0, len(rows), BATCH):
        chunk = [dict(zip(names, row)) for row in rows[start:start + BATCH]]
        conn.execute(statement, {"rows": chunk})


def graph_vocabulary(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    """The labels, relationship types and property keys G holds (kept in the index's metadata for
    `kg query`'s warnings about names the graph lacks)."""
    labels, types, keys = set(), set(), set()
    for _, d in G.nodes(data=True):
        if isinstance(d.get("label"), str):
            labels.add(d["label"])
        keys.update(k for k, v in d.items() if k not in _NODE_INTERNAL and not k.startswith("__") and v is not None)
    for *_, d in G.edges(data=True):
        if isinstance(d.get("type"), str):
            types.add(d["type"])
        keys.update(k for k, v in d.items() if k not in _REL_INTERNAL and not k.startswith("__") and v is not None)
    return {"labels": sorted(labels), "rel_types": sorted(types), "property_keys": sorted(keys)}


def index_vocabulary(index: str | Path) -> Any:
    """`GraphVocabulary` of an index, from its metadata (empty sets when the metadata has none)."""
    from kg.backends.base import GraphVocabulary

    try:
        meta = json.loads((Path(index) / META_FILE).read_text(encoding="utf-8"))
        names = meta.get("vocabulary") or {}
    except (OSError, ValueError, AttributeError):
        names = {}
    return GraphVocabulary(labels=frozenset(names.get("labels", ())), rel_types=frozenset(names.get("rel_types", ())),
                           property_keys=frozenset(names.get("property_keys", ())))


def load_into(conn: Any, G: nx.MultiDiGraph, spill: Path | None = None) -> tuple[int, int, dict[str, list[str]]]:
    """Create the tables and load every node and relationship of G; returns (nodes, relationships,
    tables), tables being the labels, types and property names queries can bind (`translate`).

    `spill` is a scratch folder for the Parquet files of the bulk load (None: load through parameters).
    """
    node_types = {**_SCHEMA_NODE_PROPS, **_column_types((d for _, d in G.nodes(data=True)), _NODE_INTERNAL)}
    rel_types = {**_SCHEMA_REL_PROPS, **_column_types((d for *_, d in G.edges(data=True)), _REL_INTERNAL)}
    labels: dict[str, list[tuple[Any, dict]]] = {label.value: [] for label in NodeLabel}
    for n, d in G.nodes(data=True):
        label = _node_label(d)
        if label is not None:
            labels.setdefault(label, []).append((n, d))
    pk_of: dict[Any, tuple[str, str]] = {}
    for label, nodes in labels.items():
        pk = _node_pk(label)
        node_types.setdefault(pk, "STRING")
        if node_types[pk] != "STRING":
            node_types[pk] = "STRING"
    columns = list(node_types.items())
    labels[NONE_LABEL] = []
    for label, nodes in labels.items():
        pk = _node_pk(label)
        ordered = [(pk, "STRING")] + [c for c in columns if c[0] != pk]
        defs = ", ".join(f"{_quote(name)} {kind}" for name, kind in ordered)
        conn.execute(f"CREATE NODE TABLE {_quote(label)}({defs}, PRIMARY KEY({_quote(pk)}))")
        rows, seen = [], set()
        for n, d in nodes:
            key = d.get(pk)
            key = utf8_text(str(key) if key is not None else str(n).split(":", 1)[-1])
            if key in seen:
                continue
            seen.add(key)
            pk_of[n] = (label, key)
            rows.append([key] + [_convert(d.get(name), kind) for name, kind in ordered[1:]])
        if rows:
            _copy(conn, label, ordered, rows, spill=spill)
    by_type: dict[str, dict[tuple[str, str], list[list[Any]]]] = {t.value: {} for t in RelType}
    rel_columns = list(rel_types.items())
    for u, v, key, d in G.edges(keys=True, data=True):
        type_ = d.get("type", key)
        if not isinstance(type_, str) or not _NAME.match(type_) or u not in pk_of or v not in pk_of:
            continue
        (sl, sk), (el, ek) = pk_of[u], pk_of[v]
        row = [sk, ek] + [_convert(d.get(name), kind) for name, kind in rel_columns]
        by_type.setdefault(type_, {}).setdefault((sl, el), []).append(row)
    n_rels = 0
    by_type[NONE_TYPE] = {}
    for type_, pairs in by_type.items():
        ends = sorted(pairs) or [(NONE_LABEL, NONE_LABEL)]
        defs = ", ".join([f"FROM {_quote(a)} TO {_quote(b)}" for a, b in ends]
                         + [f"{_quote(name)} {kind}" for name, kind in rel_columns])
        conn.execute(f"CREATE REL TABLE {_quote(type_)}({defs})")
        for (a, b), rows in pairs.items():
            options = f" (from='{a}', to='{b}')" if len(ends) > 1 else ""
            _copy(conn, type_, [("_from", "STRING"), ("_to", "STRING"), *rel_columns], rows, options, spill)
            n_rels += len(rows)
    tables = {"labels": sorted(set(labels) - {NONE_LABEL}), "rel_types": sorted(set(by_type) - {NONE_TYPE}),
              "properties": sorted(set(node_types) | set(rel_types))}
    return len(pk_of), n_rels, tables


def _source_signature(graph: Path) -> dict[str, Any]:
    st = graph.stat()
    return {"source": graph.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def write_index(G: nx.MultiDiGraph, target: str | Path, source: str | Path | None = None) -> IndexStats:
    """Write the index of G at `target` (a folder), replacing any index there only once complete.

    `source` is the graph file G was read from or saved to: `kg query` rebuilds the index when that
    file changes afterwards.
    """
    lb = _ladybug()
    target = Path(target)
    started = time.perf_counter()
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        db = lb.Database(str(tmp / DB_FILE))
        conn = lb.Connection(db)
        try:
            spill = tmp / "spill"
            spill.mkdir()
            nodes, rels, tables = load_into(conn, G, spill)
            shutil.rmtree(spill)
        finally:
            conn.close()
            db.close()
        meta = {"format": INDEX_FORMAT, "ladybug": lb.Database.get_version(), "nodes": nodes, "rels": rels,
                "vocabulary": graph_vocabulary(G), "tables": tables,
                **(_source_signature(Path(source)) if source is not None else {})}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        old = target.with_name(f"{target.name}.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return IndexStats(target, nodes, rels, time.perf_counter() - started)


def _rebuild_hint(index: Path, graph: Path | None) -> str:
    where = f" --graph {graph}" if graph is not None else ""
    return f"rebuild it with `kg index{where}` (or `kg build`)"


def index_status(graph: str | Path, index: str | Path | None = None) -> str | None:
    """None when the index of `graph` is up to date, else why it must be (re)built."""
    graph = Path(graph)
    index = Path(index) if index is not None else index_path(graph)
    if not (index / DB_FILE).exists():
        return f"{index} does not exist"
    try:
        meta = json.loads((index / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{index} has no readable {META_FILE}"
    if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
        return f"{index} was written by another version of kg (index format {meta.get('format') if isinstance(meta, dict) else '?'})"
    if meta.get("ladybug") != _ladybug().Database.get_version():
        return f"{index} was written by LadybugDB {meta.get('ladybug')}"
    signature = _source_signature(graph)
    if any(meta.get(k) != v for k, v in signature.items()):
        return f"{index} is older than {graph}"
    return None


def ensure_index(graph: str | Path, note: Callable[[str], None] | None = None) -> Path:
    """The up-to-date index of a graph file, (re)built from the file first when needed.

    Raises
    ------
    GraphFileError
        The graph file cannot be read, or the index cannot be written (the message says which).
    """
    from kg.backends.networkx_backend import read_graph_file

    graph = Path(graph)
    index = index_path(graph)
    reason = index_status(graph, index)
    if reason is None:
        log.debug("query index %s is up to date with %s", index, graph)
        return index
    log.info("rebuilding the query index %s: %s", index, reason)
    if note is not None and index.exists():  # a missing index is built quietly (a graph saved by the library)
        note(f"{reason}; rebuilding the query index from {graph}")
    G = read_graph_file(graph)
    try:
        write_index(G, index, source=graph)
    except OSError as exc:
        raise IndexFileError(f"{index}: cannot write the query index: {exc.strerror or exc}") from exc
    except RuntimeError as exc:
        raise IndexFileError(f"{index}: cannot write the query index: {_first_line(exc)}") from exc
    return index


# -- querying ----------------------------------------------------------------------------------------

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split()) if text else type(exc).__name__


def _plain(value: Any) -> Any:
    """LadybugDB values as the other backends return them: nodes and relationships as property dicts
    with their `label` / `type`, paths as lists of nodes, dates as ISO text."""
    if isinstance(value, dict):
        if "_LABEL" in value and "_ID" in value:
            props = {k: _plain(v) for k, v in value.items() if not k.startswith("_") and v is not None}
            props["type" if "_SRC" in value else "label"] = value["_LABEL"]
            return props
        if "_NODES" in value and "_RELS" in value:
            return [_plain(n) for n in value["_NODES"]]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):  # sum() of integers is a 128-bit integer, returned as Decimal
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


_MISSING_TABLE = re.compile(r"Table (\S+) does not exist")
_MISSING_PROPERTY = re.compile(r"Cannot find property (\S+) for (\S+?)\.?$")
_MISSING_FUNCTION = re.compile(r"function (\S+) does not exist", re.I)


def _query_error(exc: BaseException, timeout: float | None) -> QueryError:
    """One line for a LadybugDB failure."""
    line = _first_line(exc)
    if "Interrupted" in line:
        return QueryStopped(f"query stopped: it ran longer than the {timeout or 0:g} s timeout; narrow it (LIMIT, a "
                            "bounded path length such as *1..3) or raise --timeout")
    if "Buffer manager exception" in line or "allocate" in line.lower():
        return _OutOfMemory(_NO_MEMORY)
    if m := _MISSING_TABLE.search(line):
        return QueryError(f"no label or relationship type {m.group(1)} in the graph")
    if m := _MISSING_PROPERTY.search(line):
        return QueryError(f"no property {m.group(1)} on {m.group(2)} anywhere in the graph")
    if m := _MISSING_FUNCTION.search(line):
        return QueryError(f"function {m.group(1).lower()}() is not available on the embedded engine "
                          "(LadybugDB); use --backend neo4j for it")
    if line.startswith("Parser exception"):
        return QueryError(f"cannot parse query: {line.removeprefix('Parser exception: ')}")
    for prefix in ("Binder exception: ", "Runtime exception: ", "Catalog exception: "):
        line = line.removeprefix(prefix)
    return QueryError(f"the embedded engine cannot run this query: {line}")


_PARAM = re.compile(r"\$(\w+)")
_CONTAINS = re.compile(r"(?<![\w.$`])CONTAINS(?!\w)", re.I)


def _masked_text(text: str) -> str:
    from kg.cypher_params import _masked

    return _masked(text)


def _used_params(text: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters the query uses; a missing one is an error (LadybugDB would read null)."""
    from kg.cypher_params import _masked

    params = dict(params or {})
    used: dict[str, Any] = {}
    for name in _PARAM.findall(_masked(text)):
        if name not in params:
            raise QueryError(f"missing parameter ${name}")
        value = params[name]
        if isinstance(value, float) and not math.isfinite(value):
            raise QueryError(f"parameter ${name}: {value} cannot be used in a query")
        used[name] = list(value) if isinstance(value, tuple) else value
    return used


def run_on(conn: Any, cypher: str, params: Mapping[str, Any] | None = None,
           timeout: float | None = None, tables: Mapping[str, Any] | None = None) -> QueryResult:
    """Translate and run one read-only query on an open connection (`tables`: what `load_into`
    created, so that names the graph lacks find nothing as on Neo4j)."""
    translated = translate(cypher, tables)
    values = _used_params(translated.text, params)
    for name, value in values.items():
        if isinstance(value, (list, tuple)) and any(v is None for v in value):
            raise QueryError(f"parameter ${name} is a list holding null: IN and comparisons with it give null on "
                             "Neo4j but true or false on the embedded engine; leave the null out")
    if "" in values.values() and _CONTAINS.search(_masked_text(translated.text)):
        empty = next(name for name, v in values.items() if v == "")
        raise QueryError(f"parameter ${empty} is an empty string and the query uses CONTAINS: '' is contained in "
                         "every string on Neo4j but in none on the embedded engine; leave the condition out")
    try:
        result = conn.execute(translated.text, values)
        columns = result.get_column_names()
        rows = [[_plain(v) for v in row] for row in result.get_all()]
    except RuntimeError as exc:
        raise _query_error(exc, timeout) from None
    names = translated.columns if translated.columns and len(translated.columns) == len(columns) else columns
    return QueryResult(columns=list(names), rows=rows)


def _pow2_at_least(n: int) -> int:
    return 1 << max(26, (max(n, 1) - 1).bit_length())


class LadybugIndex:
    """A read-only connection to a query index; implements the query side of `GraphBackend`."""

    def __init__(self, index: str | Path, graph: str | Path | None = None, memory: int | None = None):
        self.path = Path(index)
        self.graph = Path(graph) if graph is not None else None
        db_file = self.path / DB_FILE
        if not db_file.is_file():
            raise IndexFileError(f"{self.path}: no query index there; {_rebuild_hint(self.path, self.graph)}")
        lb = _ladybug()
        size = db_file.stat().st_size
        pool = max(64 << 20, min(memory // 3, 8 << 30)) if memory else 1 << 30
        try:
            self._db = lb.Database(str(db_file), read_only=True, buffer_pool_size=pool,
                                   max_db_size=_pow2_at_least(2 * size))
            self._conn = lb.Connection(self._db)
            meta = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
            self._tables = meta.get("tables") if isinstance(meta, dict) else None
        except (OSError, ValueError):
            self._tables = None
        except RuntimeError as exc:
            if "Buffer manager exception" in str(exc):  # mmap refused under the --memory-limit cap
                raise _OutOfMemory(_NO_MEMORY) from None
            raise IndexFileError(f"{self.path}: the query index is corrupt or unreadable ({_first_line(exc)}); "
                                 f"{_rebuild_hint(self.path, self.graph)}") from None

    def query(self, cypher: str, params: Mapping[str, Any] | None = None,
              timeout: float | None = None) -> QueryResult:
        """Run a read-only Neo4j-dialect query (see `kg.cypher_dialect`)."""
        if timeout:
            self._conn.set_query_timeout(int(timeout * 1000))
        return run_on(self._conn, cypher, params, timeout, self._tables)

    def counts(self) -> Counts:
        """Nodes by label and relationships by type."""
        nodes = {label: 0 for label in NodeLabel}
        rels = {type_: 0 for type_ in RelType}
        for row in self._conn.execute("CALL show_tables() RETURN name, type").get_all():
            name, kind = row
            if name in (NONE_LABEL, NONE_TYPE):
                continue
            if kind == "NODE":
                nodes[name] = self._conn.execute(f"MATCH (n:{_quote(name)}) RETURN count(*)").get_all()[0][0]
            elif kind == "REL":
                rels[name] = self._conn.execute(f"MATCH ()-[r:{_quote(name)}]->() RETURN count(*)").get_all()[0][0]
        return Counts(nodes={str(k): v for k, v in nodes.items()}, rels={str(k): v for k, v in rels.items()})

    def close(self) -> None:
        """Release the database (safe to call twice)."""
        conn, db = getattr(self, "_conn", None), getattr(self, "_db", None)
        if conn is not None:
            conn.close()
            self._conn = None
        if db is not None:
            db.close()
            self._db = None

    def __enter__(self) -> LadybugIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def query_index(index: str | Path, graph: str | Path | None, cypher: str, params: Mapping[str, Any] | None,
                timeout: float | None = None, memory: int | None = None) -> QueryResult:
    """Open the index, run one query, close it (what `kg query` runs in its bounded child process;
    running out of memory becomes the MemoryError `kg.bounded` reports with the limit)."""
    try:
        with LadybugIndex(index, graph, memory) as idx:
            return idx.query(cypher, params, timeout)
    except _OutOfMemory:
        raise MemoryError from None


def query_graph(G: nx.MultiDiGraph, cypher: str, params: Mapping[str, Any] | None = None) -> QueryResult:
    """Run a query on an in-memory graph through a throw-away in-memory LadybugDB (tests, small graphs)."""
    lb = _ladybug()
    db = lb.Database(":memory:")
    conn = lb.Connection(db)
    try:
        *_, tables = load_into(conn, G)
        return run_on(conn, cypher, params, tables=tables)
    finally:
        conn.close()
        db.close()
