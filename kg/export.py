"""Write and read graphs as GraphML, GEXF or node-link JSON, losslessly for our schema.

GraphML and GEXF only hold scalars (str, int, float, bool), so `flatten_attrs` is the one place
that prepares attributes: dunder attributes (grand-cypher's `__labels__` sets) and None values
are dropped, lists/tuples/dicts become JSON strings. The names of JSON-encoded attributes are
recorded so `read_graph` turns them back into lists:

- GraphML: graph attributes `kg_json_node_attrs` / `kg_json_edge_attrs` (comma-separated).
  The file stays plain GraphML that `networkx.read_graphml`, Gephi and Cytoscape read.
- GEXF: the attribute title gets the suffix `" (json)"` (GEXF files carry no graph
  attributes). GEXF reserves `id`, `label`, `type`, `key`, ... so ours are written as
  `kg_<name>`, the edge key as `kg_edge_key` (read back as a string), and the GEXF display
  label is the node's name (or title, or id) and the edge's type.
- JSON (node-link): lists stay lists; the node identifier field is `node_id` because our
  Paper and Result nodes have an `id` property of their own.

All three accept a path (`.gz` compressed when the name ends with `.gz`) or a binary file.
GraphML is streamed (`kg.graphml`): no copy of the graph, no XML tree in memory.

Text the format cannot hold (`kg.textsafe`): in GraphML and GEXF every character XML 1.0 forbids
(C0 controls other than tab/CR/LF, U+FFFE, U+FFFF, lone surrogates) becomes U+FFFD, in node
ids, attribute names, values and list items alike; JSON keeps controls (escaped) and replaces
only lone surrogates. Everything else reads back exactly, tabs, CR and LF included.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import networkx as nx

from kg.atomic import AtomicFile
from kg.graphml import read_graphml, scalar_kind, type_name, write_graphml
from kg.paths import format_suffix
from kg.textsafe import deep, utf8_text, xml_text

__all__ = ["FORMATS", "flatten_attrs", "format_of", "read_graph", "write_graph"]

FORMATS = ("graphml", "gexf", "json")
_SUFFIXES = {".graphml": "graphml", ".xml": "graphml", ".gexf": "gexf", ".json": "json"}
_JSON_NODE_ATTRS = "kg_json_node_attrs"
_JSON_EDGE_ATTRS = "kg_json_edge_attrs"
_GEXF_JSON_SUFFIX = " (json)"
_GEXF_EDGE_KEY = "kg_edge_key"
_GEXF_RESERVED = frozenset(
    {"id", "label", "type", "key", "weight", "pid", "start", "end", "viz", "parents",
     "slices", "spells", "networkx_key"}
)
_NODE_LINK = {"name": "node_id", "edges": "edges", "nodes": "nodes"}
_SCALARS = (bool, int, float, str)

PathOrFile = str | Path | IO[bytes]


def format_of(path: str | Path) -> str:
    """The format named by a file's extension (`graph.graphml.gz` -> "graphml")."""
    fmt = _SUFFIXES.get(format_suffix(path) or "")
    if fmt is None:
        raise ValueError(
            f"{path}: cannot tell the graph format from the extension "
            f"(use .graphml, .gexf or .json, optionally .gz)"
        )
    return fmt


def flatten_attrs(
    attrs: Mapping[str, Any], json_keys: Iterable[str] = (), encode_lists: bool = True,
    text: Callable[[str], str] | None = None,
) -> tuple[dict[str, Any], set[str]]:
    """Make one attribute dict writable: drop dunder names and None, JSON-encode containers.

    Parameters
    ----------
    attrs : mapping
        Node, edge or graph attributes.
    json_keys : iterable of str
        Names that are JSON-encoded wherever they occur (so every value of such an attribute
        is decoded the same way, strings included).
    encode_lists : bool
        False keeps lists as lists (for JSON output); tuples still become lists, sets are
        sorted lists.
    text : callable, optional
        Applied to every string value, list items included, before encoding: the text policy
        of the output format (`kg.textsafe.xml_text` for GraphML and GEXF).

    Returns
    -------
    (dict, set)
        The flat attributes and the names that were JSON-encoded.

    Examples
    --------
    >>> flatten_attrs({"name": "BERT", "aliases": ["bert"], "year": None, "__labels__": {"M"}})
    ({'name': 'BERT', 'aliases': '["bert"]'}, {'aliases'})
    """
    json_keys = set(json_keys)
    flat: dict[str, Any] = {}
    encoded: set[str] = set()
    for name, value in attrs.items():
        if name.startswith("__") or value is None:
            continue
        if isinstance(value, (set, frozenset)):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        if text is not None:
            value = deep(value, text)
        if not encode_lists:
            flat[name] = value
        elif name in json_keys or not isinstance(value, _SCALARS):
            flat[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
            encoded.add(name)
        else:
            flat[name] = value
    return flat, encoded


def _container_names(items: Iterable[Mapping[str, Any]]) -> set[str]:
    """Attribute names that hold a container somewhere (these are encoded everywhere)."""
    return {
        name for attrs in items for name, value in attrs.items()
        if not name.startswith("__") and value is not None and not isinstance(value, _SCALARS)
    }


def _flat_graph(G: nx.Graph, encode_lists: bool = True,
                text: Callable[[str], str] | None = None) -> tuple[nx.MultiDiGraph, set, set]:
    """A flattened MultiDiGraph copy of G plus the JSON-encoded node and edge attribute names.

    Nodes, edges and attributes come out sorted, so the same graph always gives the same file,
    whichever order it was built in (a graph read back from Neo4j exports byte for byte like
    the networkx one). `text` is applied to string values and to string node ids and edge keys.
    """
    def ident(x: Any) -> Any:
        return text(x) if text is not None and isinstance(x, str) else x

    node_json = _container_names(d for _, d in G.nodes(data=True)) if encode_lists else set()
    edge_json = _container_names(d for *_, d in G.edges(data=True)) if encode_lists else set()
    graph_attrs, _ = flatten_attrs(G.graph, encode_lists=encode_lists, text=text)
    H = nx.MultiDiGraph(**graph_attrs)
    for n, d in sorted(G.nodes(data=True), key=lambda item: str(item[0])):
        H.add_node(ident(n), **dict(sorted(flatten_attrs(d, node_json, encode_lists, text)[0].items())))
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else (
        (u, v, None, d) for u, v, d in G.edges(data=True))
    for u, v, k, d in sorted(edges, key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        H.add_edge(ident(u), ident(v), key=ident(k),
                   **dict(sorted(flatten_attrs(d, edge_json, encode_lists, text)[0].items())))
    return H, node_json, edge_json


@contextmanager
def _open(path_or_file: PathOrFile, mode: str) -> Iterator[IO[bytes]]:
    """Open a path (gzip when it ends with .gz) or pass a file object through.

    A path opened for writing is replaced atomically (`kg.atomic.AtomicFile`): an error while
    writing leaves the previous file as it was.
    """
    if not isinstance(path_or_file, (str, Path)):
        yield path_or_file
        return
    path = Path(path_or_file)
    if mode == "wb":
        with AtomicFile(path, "wb") as f:
            yield f
        return
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, mode) as f:  # type: ignore[operator]
        yield f


def _gexf_name(name: str, json_names: set[str]) -> str:
    out = f"kg_{name}" if name in _GEXF_RESERVED else name
    return out + _GEXF_JSON_SUFFIX if name in json_names else out


def _to_gexf_layout(H: nx.MultiDiGraph, node_json: set, edge_json: set) -> nx.MultiDiGraph:
    """Rename reserved GEXF attributes, mark JSON ones, and set display labels for Gephi."""
    out = nx.MultiDiGraph()
    for n, d in H.nodes(data=True):
        attrs = {_gexf_name(k, node_json): v for k, v in d.items()}
        attrs["label"] = str(d.get("name") or d.get("title") or n)
        out.add_node(n, **attrs)
    for u, v, k, d in H.edges(keys=True, data=True):
        attrs = {_gexf_name(name, edge_json): val for name, val in d.items()}
        if "type" in d:
            attrs["label"] = str(d["type"])
        attrs[_GEXF_EDGE_KEY] = str(k)  # read_gexf keeps keys only for parallel edges
        out.add_edge(u, v, key=k, **attrs)
    return out


def write_graph(G: nx.Graph, path_or_file: PathOrFile, fmt: str | None = None) -> None:
    """Write G as GraphML, GEXF or node-link JSON (format from `fmt` or the file extension).

    Parameters
    ----------
    G : networkx graph
        Usually `backend.to_networkx()`; it is not modified.
    path_or_file : str, Path or binary file
        Destination; a path ending in `.gz` is gzip-compressed.
    fmt : {"graphml", "gexf", "json"}, optional
        Required when writing to a file object.

    Examples
    --------
    >>> import io, networkx as nx
    >>> G = nx.MultiDiGraph(); G.add_node("Method:bert", label="Method", aliases=["bert"])
    >>> buf = io.BytesIO(); write_graph(G, buf, "graphml"); _ = buf.seek(0)
    >>> read_graph(buf, "graphml").nodes["Method:bert"]["aliases"]
    ['bert']
    """
    fmt = _check_format(path_or_file, fmt)
    if fmt == "json":
        H, _, _ = _flat_graph(G, encode_lists=False)
        data = nx.node_link_data(H, **_NODE_LINK)
        text = utf8_text(json.dumps(data, ensure_ascii=False, indent=1))  # JSON escapes controls
        with _open(path_or_file, "wb") as f:
            if isinstance(f, io.TextIOBase):
                f.write(text)
            else:
                f.write(text.encode("utf-8"))
        return
    if fmt == "graphml":
        with _open(path_or_file, "wb") as f:
            _write_graphml(G, f)
        return
    H, node_json, edge_json = _flat_graph(G, text=xml_text)
    with _open(path_or_file, "wb") as f:
        nx.write_gexf(_to_gexf_layout(H, node_json, edge_json), f)


def _graphml_plan(G: nx.Graph) -> tuple[set[str], set[str], dict[tuple[str, str], str]]:
    """One pass over the raw attributes: JSON-encoded node/edge names and every key's GraphML type."""
    kinds: dict[tuple[str, str], set[type]] = {}
    json_names: dict[str, set[str]] = {"node": set(), "edge": set()}
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True)
    for scope, items in (("node", (d for _, d in G.nodes(data=True))), ("edge", (e[-1] for e in edges))):
        for attrs in items:
            for name, value in attrs.items():
                if value is None or name.startswith("__"):
                    continue
                if isinstance(value, _SCALARS):
                    kinds.setdefault((scope, name), set()).add(scalar_kind(value))
                else:
                    json_names[scope].add(name)
                    kinds.setdefault((scope, name), set())
    types = {key: "string" if key[1] in json_names[key[0]] else type_name(k) for key, k in kinds.items()}
    return json_names["node"], json_names["edge"], types


def _write_graphml(G: nx.Graph, f: IO[bytes]) -> None:
    """Stream G as GraphML (`kg.graphml.write_graphml`), lists as JSON strings named in graph attributes."""
    node_json, edge_json, types = _graphml_plan(G)
    graph_attrs, _ = flatten_attrs(G.graph, text=xml_text)
    graph_attrs = {k: v for k, v in graph_attrs.items() if k not in ("node_default", "edge_default")}
    if node_json:
        graph_attrs[_JSON_NODE_ATTRS] = ",".join(sorted(node_json))
    if edge_json:
        graph_attrs[_JSON_EDGE_ATTRS] = ",".join(sorted(edge_json))
    graph_attrs = dict(sorted(graph_attrs.items()))
    for name, value in graph_attrs.items():
        types[("graph", name)] = type_name({scalar_kind(value)})

    def flat_node(d: Mapping[str, Any]) -> dict[str, Any]:
        return dict(sorted(flatten_attrs(d, node_json, text=xml_text)[0].items()))

    def flat_edge(d: Mapping[str, Any]) -> dict[str, Any]:
        return dict(sorted(flatten_attrs(d, edge_json, text=xml_text)[0].items()))

    write_graphml(G, f, flat_node, flat_edge, graph_attrs, types)


def _check_format(path_or_file: PathOrFile, fmt: str | None) -> str:
    if fmt is None:
        if not isinstance(path_or_file, (str, Path)):
            raise ValueError("fmt is required when writing to or reading from a file object")
        fmt = format_of(path_or_file)
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r} (choose one of {', '.join(FORMATS)})")
    return fmt


def _decode(attrs: dict[str, Any], names: set[str]) -> None:
    for name in names & attrs.keys():
        if isinstance(attrs[name], str):
            attrs[name] = json.loads(attrs[name])


def _names(value: Any) -> set[str]:
    return {n for n in str(value or "").split(",") if n}


def _from_graphml(f: IO[bytes]) -> nx.MultiDiGraph:
    G = read_graphml(f)
    for artefact in ("node_default", "edge_default"):
        G.graph.pop(artefact, None)
    node_json = _names(G.graph.pop(_JSON_NODE_ATTRS, ""))
    edge_json = _names(G.graph.pop(_JSON_EDGE_ATTRS, ""))
    for _, d in G.nodes(data=True):
        _decode(d, node_json)
    for *_, d in G.edges(data=True):
        _decode(d, edge_json)
    return G


def _from_gexf_attrs(attrs: dict[str, Any], drop: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        if name in drop:
            continue
        if name.endswith(_GEXF_JSON_SUFFIX):
            name = name.removesuffix(_GEXF_JSON_SUFFIX)
            value = json.loads(value) if isinstance(value, str) else value
        if name.startswith("kg_") and name.removeprefix("kg_") in _GEXF_RESERVED:
            name = name.removeprefix("kg_")
        out[name] = value
    return out


def _from_gexf(f: IO[bytes]) -> nx.MultiDiGraph:
    raw = nx.read_gexf(f, node_type=str)
    G = nx.MultiDiGraph()
    for n, d in raw.nodes(data=True):
        G.add_node(n, **_from_gexf_attrs(d, drop=("label",)))
    edges = raw.edges(keys=True, data=True) if raw.is_multigraph() else (
        (u, v, None, d) for u, v, d in raw.edges(data=True))
    for u, v, k, d in edges:
        key = d.pop(_GEXF_EDGE_KEY, k)
        G.add_edge(u, v, key=key, **_from_gexf_attrs(d, drop=("label", "id")))
    return G


def read_graph(path_or_file: PathOrFile, fmt: str | None = None) -> nx.MultiDiGraph:
    """Read a graph written by `write_graph`, restoring lists and numbers.

    Parameters
    ----------
    path_or_file : str, Path or binary file
        A `.graphml`, `.gexf` or `.json` file (optionally `.gz`).
    fmt : {"graphml", "gexf", "json"}, optional
        Required when reading from a file object.

    Returns
    -------
    networkx.MultiDiGraph
        Node ids, edge keys and attributes as written (minus dunder and None attributes).
        grand-cypher's `__labels__` are not restored here; see `NetworkxBackend.load`.
    """
    fmt = _check_format(path_or_file, fmt)
    with _open(path_or_file, "rb") as f:
        if fmt == "graphml":
            return _from_graphml(f)
        if fmt == "gexf":
            return _from_gexf(f)
        data = json.load(f)
    G = nx.node_link_graph(data, directed=True, multigraph=True, **_NODE_LINK)
    G = G if isinstance(G, nx.MultiDiGraph) else nx.MultiDiGraph(G)
    if any(not isinstance(n, str) for n in G):  # another tool's JSON: ids are text, as in GraphML
        nx.relabel_nodes(G, str, copy=False)
    return G
