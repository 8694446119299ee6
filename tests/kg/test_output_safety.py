"""Every writer on fuzzed text: GraphML, GEXF, JSON, neo4j-csv, `kg extract` lines and the HTML pages
read back equal, modulo the documented replacement (kg/textsafe.py), whatever the text holds.

The graphs are built directly (not through the readers, which may clean text on their own), from
seeded random strings over every C0 control, DEL, C1, U+FFFE/U+FFFF, lone surrogates, quotes,
markup characters, line breaks, non-BMP characters, plus very long strings.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import networkx as nx
import pytest

from kg.backends.networkx_backend import NetworkxBackend, read_graph_file
from kg.build import extraction_line
from kg.export import read_graph, write_graph
from kg.neo4j_csv import write_neo4j_csv
from kg.report import write_report
from kg.textsafe import REPLACEMENT, deep, utf8_text, xml_text
from kg.viz import write_html
from schema import Entity, Extraction, Mention, ResultRecord

ALPHABET = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9b", "\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff", "\ufffd",
       '"', "'", "<", ">", "&", "&amp;", "]]>", "\r\n", ";", "|", ",", "[/b]", "[bold]", "\x1b[31m",
       "é", "漢", "\U0001f600", "\u202e", " ", "  "]
    + list("abcXYZ019-_.:")
)


def fuzz(rng: random.Random, longest: int = 30) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def fuzz_graph(seed: int, papers: int = 12) -> nx.MultiDiGraph:
    """A graph in our schema whose every text (ids, names, lists, evidence) is fuzzed."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    entities = []
    for i in range(papers):
        pid = f"p{i}{fuzz(rng, 6)}"
        paper = f"Paper:{pid}"
        abstract = fuzz(rng, 200) if i else fuzz(rng, 10) * 20_000  # one very long abstract
        G.add_node(paper, label="Paper", id=pid, title=fuzz(rng), abstract=abstract, year=2000 + i,
                   content_hash=f"h{i}", source=fuzz(rng, 8))
        for j in range(3):
            key = f"e{i}.{j}{fuzz(rng, 8)}"
            node = f"Method:{key}"
            G.add_node(node, label="Method", key=key, name=fuzz(rng),
                       aliases=[fuzz(rng, 12) for _ in range(rng.randint(0, 3))],
                       alias_evidence=[f"{fuzz(rng, 8)} @ {pid}"])
            entities.append(node)
            G.add_edge(paper, node, key="USES", type="USES", confidence=round(rng.random(), 3),
                       evidence=fuzz(rng, 80), extractor="rules", papers=[pid])
        if len(entities) > 3:
            u, v = rng.sample(entities, 2)
            G.add_edge(u, v, key="VARIANT_OF", type="VARIANT_OF", confidence=0.5, evidence=fuzz(rng),
                       papers=[pid, fuzz(rng, 5)])
    return G


def _no_csv_delimiter_clash(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """neo4j-admin arrays need one delimiter no item holds (documented ValueError otherwise)."""
    for _, d in G.nodes(data=True):
        for name in ("aliases", "alias_evidence"):
            if name in d:
                d[name] = [s.replace("\x1f", "") for s in d[name]]
    for *_, d in G.edges(data=True):
        d["papers"] = [s.replace("\x1f", "") for s in d["papers"]]
    return G


def expected(G: nx.MultiDiGraph, text) -> tuple[list, list]:
    """G as a reader must give it back: `text` applied to ids, keys, names and values."""
    nodes = sorted((text(n), deep(dict(d), text)) for n, d in G.nodes(data=True))
    edges = sorted(((text(u), text(v), text(k), deep(dict(d), text))
                    for u, v, k, d in G.edges(keys=True, data=True)), key=lambda e: e[:3])
    return nodes, edges


def actual(G: nx.MultiDiGraph) -> tuple[list, list]:
    nodes = sorted((n, {k: v for k, v in d.items() if not k.startswith("__")}) for n, d in G.nodes(data=True))
    edges = sorted(((u, v, k, {a: b for a, b in d.items() if not a.startswith("__")})
                    for u, v, k, d in G.edges(keys=True, data=True)), key=lambda e: e[:3])
    return nodes, edges


SEEDS = [1, 2, 3]


@pytest.mark.parametrize("seed", SEEDS)
def test_output_fuzz_graph_really_holds_what_xml_cannot(seed):
    G = fuzz_graph(seed)
    pieces: list[str] = []
    for _, d in G.nodes(data=True):
        deep(dict(d), lambda t: pieces.append(t) or t)
    text = "".join(pieces)
    assert {"\x00", "\x1b", "\uffff"} <= set(text) and any("\ud800" <= c <= "\udfff" for c in text)


@pytest.mark.parametrize("seed", SEEDS)
def test_output_graphml_save_reads_back_with_our_reader_and_networkx(seed, tmp_path):
    G = fuzz_graph(seed)
    path = tmp_path / "g.graphml"
    NetworkxBackend(graph=G.copy()).save(path)
    raw = path.read_bytes().decode("utf-8")  # valid UTF-8: no lone surrogate reached the file
    assert xml_text(raw) == raw  # nothing XML 1.0 forbids, not even as text
    assert actual(read_graph_file(path)) == expected(G, xml_text)
    plain = nx.read_graphml(path)  # what Gephi / Cytoscape users do
    assert sorted(plain.nodes) == sorted(xml_text(n) for n in G.nodes)
    paper = next(n for n in G if n.startswith("Paper:p0"))
    assert plain.nodes[xml_text(paper)]["title"] == xml_text(G.nodes[paper]["title"])


@pytest.mark.parametrize("seed", SEEDS)
def test_output_gexf_reads_back(seed, tmp_path):
    G = fuzz_graph(seed)
    write_graph(G, tmp_path / "g.gexf")
    assert actual(read_graph(tmp_path / "g.gexf")) == expected(G, xml_text)


@pytest.mark.parametrize("seed", SEEDS)
def test_output_json_reads_back_with_only_surrogates_replaced(seed, tmp_path):
    G = fuzz_graph(seed)
    write_graph(G, tmp_path / "g.json")
    back = read_graph(tmp_path / "g.json")
    assert actual(back) == expected(G, utf8_text)
    for paper, d in G.nodes(data=True):  # NUL, ESC, U+FFFF kept
        assert back.nodes[utf8_text(paper)].get("title") == utf8_text(d["title"]) if "title" in d else True


def _read_neo4j_csv(path: Path, delimiter: str) -> list[dict]:
    """Rows of one import file with values typed by the header, as neo4j-admin reads them."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, out = rows[0], []
    for row in rows[1:]:
        assert len(row) == len(header), row
        record = {}
        for column, cell in zip(header, row):
            name, _, type_ = column.partition(":")
            if cell == "":
                continue
            if type_.endswith("[]"):
                record[name] = cell.split(delimiter)
            elif type_ == "double":
                record[name] = float(cell)
            elif type_ in ("int", "long"):
                record[name] = int(cell)
            else:
                record[name or column] = cell
        out.append(record)
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_output_neo4j_csv_reads_back(seed, tmp_path):
    G = _no_csv_delimiter_clash(fuzz_graph(seed))
    files = write_neo4j_csv(G, tmp_path)
    script = files["import.sh"].read_text(encoding="utf-8")
    delimiter = "\x1f" if "U+001F" in script else ("|" if '"|"' in script else ";")
    methods = {r["key"]: r for r in _read_neo4j_csv(files["nodes_Method.csv"], delimiter)}
    for n, d in G.nodes(data=True):
        if d["label"] != "Method":
            continue
        row = methods.pop(utf8_text(d["key"]))
        assert row.get("name", "") == utf8_text(d["name"])
        kept = [utf8_text(a) for a in d["aliases"]]
        assert row.get("aliases", []) == (kept if any(kept) else [])  # empty lists are no property
    assert not methods
    uses = _read_neo4j_csv(files["rels_USES_Paper_Method.csv"], delimiter)
    want = sorted((utf8_text(G.nodes[u]["id"]), utf8_text(G.nodes[v]["key"]), utf8_text(d["evidence"]))
                  for u, v, k, d in G.edges(keys=True, data=True) if k == "USES")
    assert sorted((r[":START_ID(Paper)"], r[":END_ID(Method)"], r.get("evidence", "")) for r in uses) == want


def test_output_neo4j_csv_quotes_a_lone_carriage_return(tmp_path):
    """The csv module leaves "a\\rb" unquoted with \\n line ends: the row broke for every reader."""
    G = nx.MultiDiGraph()
    G.add_node("Method:m", label="Method", key="m", name="a\rb")
    files = write_neo4j_csv(G, tmp_path)
    assert _read_neo4j_csv(files["nodes_Method.csv"], ";") == [{"key": "m", "name": "a\rb", ":LABEL": "Method"}]


@pytest.mark.parametrize("seed", SEEDS)
def test_output_extract_lines_read_back(seed):
    rng = random.Random(seed)
    for _ in range(20):
        title, abstract, name = fuzz(rng), fuzz(rng, 100), fuzz(rng, 10) or "x"
        entity = Entity(label="METHOD", name=name, key=fuzz(rng, 10), text=name, aliases=[fuzz(rng)],
                        role="used", confidence=0.5,
                        mentions=[Mention(field="abstract", start=0, end=1, text=fuzz(rng, 5), sentence=0)])
        result = ResultRecord(metric=fuzz(rng, 5), value=1.5, unit=fuzz(rng, 3), dataset=None, method=None,
                              start=0, end=1, text=fuzz(rng, 5))
        extraction = Extraction(id=fuzz(rng, 8), title=title, entities=[entity], results=[result],
                                sentences=[abstract])
        line = extraction_line(extraction)
        assert "\n" not in line and line.encode("utf-8")  # one line, valid UTF-8
        want = deep(extraction.model_dump(mode="json", exclude={"sentences"}), utf8_text)
        assert json.loads(line) == want


@pytest.mark.parametrize("seed", SEEDS)
def test_output_html_pages_hold_only_what_xml_holds(seed, tmp_path):
    G = fuzz_graph(seed, papers=4)
    NetworkxBackend(graph=G)  # gives the graph its __labels__, as commands see it
    write_html(G, tmp_path / "v.html")
    write_report(G, tmp_path / "r.html")
    for name in ("v.html", "r.html"):
        page = (tmp_path / name).read_bytes().decode("utf-8")
        assert xml_text(page) == page


def test_output_replacement_is_documented_character():
    assert xml_text("a\x00\ud800\uffff\x1b\r\n\t") == f"a{REPLACEMENT * 4}\r\n\t"
    assert utf8_text("a\x00\ud800\uffff") == f"a\x00{REPLACEMENT}\uffff"


def test_output_graphml_keeps_tabs_and_line_breaks_exactly(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("Paper:a\tb\r\nc", label="Paper", id="a\tb\r\nc", title=" \r\n\t lead and trail \r ")
    buffer = io.BytesIO()
    write_graph(G, buffer, "graphml")
    buffer.seek(0)
    back = read_graph(buffer, "graphml")
    assert dict(back.nodes(data=True)) == {"Paper:a\tb\r\nc": {"label": "Paper", "id": "a\tb\r\nc",
                                                                "title": " \r\n\t lead and trail \r "}}
