"""GraphML written and read as a stream, so a graph file costs little memory beyond the graph itself.

`networkx.write_graphml` builds the whole XML tree (and our export first built a flattened copy
of the graph) before writing a byte; `networkx.read_graphml` parses the whole document into a
tree before building the graph. At 147,000 papers that was several GB on top of the graph. Here:

- `write_graphml` gets the `<key>` declarations (names and types, planned by the caller in one
  pass over the attributes), then writes each node and edge as it goes, escaping as XML 1.0 requires: characters
  XML cannot hold become U+FFFD (`kg.textsafe.xml_text`), carriage returns and (in attributes)
  tabs and line feeds are written as character references so a reader gets them back.
  Nodes come out sorted by id and each node's edges by (target, key), so the same graph always
  gives the same bytes. The file is plain GraphML that networkx, Gephi and Cytoscape read.
- `read_graphml` parses with `iterparse` and drops each element once it is in the graph. It
  reads any GraphML, not only ours: node ids are always strings (`1` and `"1"` are one node),
  `<default>` values fill missing attributes, undirected edges become a pair of directed ones,
  nested graphs are flattened; hyperedges are refused. Strings that repeat (labels, types, node
  ids of edge ends) are shared between nodes and edges instead of stored once per element, and
  so are longer strings that repeat on neighbouring elements (a paper's evidence sentences) and
  numbers written the same way (confidences, years).

Attribute types follow networkx with `infer_numeric_types=True`: per (scope, name) bool ->
`boolean`, int -> `long`, float (or ints and floats) -> `double`, anything else -> `string`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import networkx as nx

from kg.textsafe import xml_text

__all__ = ["GraphMLError", "read_graphml", "scalar_kind", "type_name", "write_graphml"]

_NS = "http://graphml.graphdrawing.org/xmlns"
_HEADER = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    f'<graphml xmlns="{_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    f'xsi:schemaLocation="{_NS} {_NS}/1.0/graphml.xsd">\n'
)
_FLUSH = 1 << 16  # characters buffered before a write
#: strings up to this length are shared between elements on read (labels, types, short names)
_SHARE_MAX = 64
#: longer strings (evidence sentences, which repeat on a paper's or a result's edges, written next
#: to each other) are shared among the last this many distinct ones read
_RECENT_MAX = 4096

Flatten = Callable[[Mapping[str, Any]], dict[str, Any]]


class GraphMLError(ValueError):
    """A GraphML file this reader cannot turn into a graph (the message says why)."""


# ---------------------------------------------------------------- writing

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def _text(value: str) -> str:
    return xml_text(value).translate(_TEXT_ESCAPES)


def _attr(value: str) -> str:
    return xml_text(value).translate(_ATTR_ESCAPES)


def scalar_kind(value: Any) -> type:
    """The GraphML-relevant kind of a scalar: bool, int, float or str (subclasses included)."""
    for kind in (bool, int, float):
        if isinstance(value, kind):
            return kind
    return str


def type_name(kinds: set[type]) -> str:
    """The `attr.type` for the kinds of value one attribute takes (as networkx infers it)."""
    if kinds == {bool}:
        return "boolean"
    if kinds and kinds <= {int, float}:
        return "double" if float in kinds else "long"
    return "string"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(value if isinstance(value, str) else str(value))


def _sorted_nodes(G: nx.Graph) -> list[Any]:
    return sorted(G.nodes, key=str)


def _edges_of(G: nx.Graph, nodes: list[Any]) -> Iterator[tuple[Any, Any, Any, Mapping[str, Any]]]:
    """(u, v, key, data) sorted by (str(u), str(v), str(key)) without listing every edge at once."""
    if not G.is_directed():
        edges = G.edges(keys=True, data=True) if G.is_multigraph() else (
            (u, v, None, d) for u, v, d in G.edges(data=True))
        yield from sorted(edges, key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
        return
    for u in nodes:
        if G.is_multigraph():
            out = [(u, v, k, d) for v, keyed in G._adj[u].items() for k, d in keyed.items()]
        else:
            out = [(u, v, None, d) for v, d in G._adj[u].items()]
        if len(out) > 1:
            out.sort(key=lambda e: (str(e[1]), str(e[2])))
        yield from out


def write_graphml(G: nx.Graph, f: IO[bytes], flatten_node: Flatten, flatten_edge: Flatten,
                  graph_attrs: Mapping[str, Any], key_types: Mapping[tuple[str, str], str]) -> None:
    """Write G to the binary file `f` as GraphML, element by element.

    Parameters
    ----------
    G : networkx graph
        Not modified.
    f : binary file
        Receives UTF-8 XML.
    flatten_node, flatten_edge : callable
        Turn a node's or an edge's attribute dict into scalars (str, int, float, bool) to write.
    graph_attrs : mapping
        Graph-level attributes (scalars) to write.
    key_types : mapping
        ("graph" | "node" | "edge", attribute name) -> GraphML type (`type_name`), for every
        attribute the flatten functions give (planned by the caller in one pass before writing).
    """
    nodes = _sorted_nodes(G)
    key_ids: dict[tuple[str, str], str] = {}
    parts: list[str] = [_HEADER]
    for i, (scope, name) in enumerate(sorted(key_types)):
        key_ids[(scope, name)] = f"d{i}"
        parts.append(f'  <key id="d{i}" for="{scope}" attr.name="{_attr(name)}" '
                     f'attr.type="{key_types[(scope, name)]}" />\n')
    parts.append(f'  <graph edgedefault="{"directed" if G.is_directed() else "undirected"}">\n')
    size = 0

    def emit(text: str) -> None:
        nonlocal size, parts
        parts.append(text)
        size += len(text)
        if size >= _FLUSH:
            f.write("".join(parts).encode("utf-8"))
            parts, size = [], 0

    def data(scope: str, attrs: Mapping[str, Any], indent: str) -> None:
        for name, value in attrs.items():
            emit(f'{indent}<data key="{key_ids[(scope, name)]}">{_value_text(value)}</data>\n')

    data("graph", graph_attrs, "    ")
    for n in nodes:
        attrs = flatten_node(G._node[n])
        if attrs:
            emit(f'    <node id="{_attr(str(n))}">\n')
            data("node", attrs, "      ")
            emit("    </node>\n")
        else:
            emit(f'    <node id="{_attr(str(n))}" />\n')
    for u, v, k, d in _edges_of(G, nodes):
        head = f'    <edge source="{_attr(str(u))}" target="{_attr(str(v))}"'
        if k is not None:
            head += f' id="{_attr(str(k))}"'
        attrs = flatten_edge(d)
        if attrs:
            emit(head + ">\n")
            data("edge", attrs, "      ")
            emit("    </edge>\n")
        else:
            emit(head + " />\n")
    emit("  </graph>\n</graphml>\n")
    f.write("".join(parts).encode("utf-8"))


# ---------------------------------------------------------------- reading

def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


_CONVERT: dict[str, Callable[[str], Any]] = {
    "boolean": _boolean, "int": int, "long": int, "float": float, "double": float, "string": str,
}


class _Key:
    __slots__ = ("name", "convert", "type", "scope", "default")

    def __init__(self, name: str, type_: str, scope: str):
        self.name = name
        self.type = type_
        self.convert = _CONVERT.get(type_, str)
        self.scope = scope
        self.default: Any = None


def read_graphml(f: IO[bytes] | str) -> nx.MultiDiGraph:
    """Read GraphML (ours or foreign) into a MultiDiGraph with string node ids.

    Raises
    ------
    GraphMLError
        Not GraphML, a value that does not match its declared type, or hyperedges; the message
        names the element.
    xml.etree.ElementTree.ParseError
        The file is not well-formed XML.
    """
    G = nx.MultiDiGraph()
    keys: dict[str, _Key] = {}
    shared: dict[str, str] = {}
    directed = [True]  # edgedefault of the open graph elements
    stack: list[ET.Element] = []
    seen_root = False

    recent: dict[str, str] = {}  # longer strings of the last elements read
    numbers: dict[tuple[str, str], Any] = {}  # (type, text) -> value: one object per repeated number

    def share(text: str) -> str:
        if len(text) <= _SHARE_MAX:
            return shared.setdefault(text, text)
        if len(recent) >= _RECENT_MAX:
            recent.clear()
        return recent.setdefault(text, text)

    def decode(elem: ET.Element, what: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for child in elem:
            if _local(child.tag) != "data":
                continue
            key_id = child.get("key")
            key = keys.get(key_id or "")
            text = child.text or ""
            if key is None:  # undeclared key: keep the value under the key's id
                attrs[share(key_id or "data")] = share(text)
                continue
            if key.convert is str:
                attrs[key.name] = share(text)
                continue
            value = numbers.get((key.type, text))
            if value is None:
                try:
                    value = key.convert(text)
                except ValueError:
                    raise GraphMLError(f"{what}: value {text[:40]!r} of {key.name!r} is not a valid {key.type}") from None
                if len(numbers) >= _RECENT_MAX:
                    numbers.clear()
                numbers[(key.type, text)] = value
            attrs[key.name] = value
        return attrs

    def defaults(scope: str, attrs: dict[str, Any]) -> dict[str, Any]:
        for key in keys.values():
            if key.default is not None and key.scope in (scope, "all") and key.name not in attrs:
                attrs[key.name] = key.default
        return attrs

    for event, elem in ET.iterparse(f, events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if not seen_root:
                if tag != "graphml":
                    raise GraphMLError(f"not GraphML: the root element is <{tag}>")
                seen_root = True
            elif tag == "graph":
                directed.append(elem.get("edgedefault", "directed" if directed[-1] else "undirected") != "undirected")
            elif tag == "hyperedge":
                raise GraphMLError("hyperedges are not supported")
            stack.append(elem)
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if tag == "key":
            key_id = elem.get("id")
            if key_id is None:
                raise GraphMLError("a <key> without an id")
            key = _Key(elem.get("attr.name") or key_id, (elem.get("attr.type") or "string").lower(),
                       elem.get("for") or "all")
            for child in elem:
                if _local(child.tag) == "default" and child.text is not None:
                    try:
                        key.default = key.convert(child.text)
                    except ValueError:
                        raise GraphMLError(f"key {key.name!r}: default {child.text[:40]!r} "
                                           f"is not a valid {key.type}") from None
            keys[key_id] = key
        elif tag == "node":
            node = elem.get("id")
            if node is None:
                raise GraphMLError("a <node> without an id")
            node = share(node)
            attrs = defaults("node", decode(elem, f"node {node!r}"))
            if node in G:
                G._node[node].update(attrs)
            else:
                G.add_node(node, **attrs)
        elif tag == "edge":
            u, v = elem.get("source"), elem.get("target")
            if u is None or v is None:
                raise GraphMLError("an <edge> without source or target")
            u, v = share(u), share(v)
            attrs = defaults("edge", decode(elem, f"edge {u!r} -> {v!r}"))
            key = elem.get("id")
            is_directed = elem.get("directed", "true" if directed[-1] else "false").lower() != "false"
            G.add_edge(u, v, key=key, **attrs)
            if not is_directed and u != v:
                G.add_edge(v, u, key=key, **attrs)
        elif tag == "data" and parent is not None and _local(parent.tag) == "graph" and len(stack) == 2:
            G.graph.update(decode(_wrap(elem), "graph"))
        elif tag == "graph":
            directed.pop()
        else:
            continue  # children of an element are handled (and freed) with the element
        elem.clear()
        if parent is not None:
            parent.remove(elem)
    if not seen_root:
        raise GraphMLError("empty file")
    return G


def _wrap(data: ET.Element) -> Iterable[ET.Element]:
    """A graph-level <data> element as the child list `decode` expects."""
    holder = ET.Element("graph")
    holder.append(data)
    return holder
