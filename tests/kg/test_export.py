"""kg.export: flattening and lossless GraphML / GEXF / JSON round trips."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest

from kg.backends.networkx_backend import NetworkxBackend
from kg.builder import build_batch
from kg.export import flatten_attrs, format_of, read_graph, write_graph
from schema import Entity, Extraction, Mention, Paper, ResultRecord


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    """A graph from one hand-made extraction: aliases list, float result, a None value."""
    text = "We apply BERT (bert-base) to SQuAD and reach 93.2 F1."
    paper = Paper(id="p9", title="A <BERT> & \"SQuAD\" study", abstract=text, year=2019)
    bert = Entity(label="METHOD", name="BERT", key="bert", text="bert-base",
                  aliases=["BERT-Base", "bert"], role="used", confidence=0.875,
                  mentions=[Mention(field="abstract", start=9, end=13, text="BERT", sentence=0)])
    squad = Entity(label="DATASET", name="SQuAD", key="squad", text="SQuAD",
                   role="evaluated_on", confidence=1.0)
    f1 = Entity(label="METRIC", name="F1", key="f1", text="F1", role="reported", confidence=0.5)
    result = ResultRecord(metric="f1", value=93.2, unit=None, dataset="squad", method="bert",
                          start=45, end=49, text="93.2")
    extraction = Extraction(id="p9", title=paper.title, entities=[bert, squad, f1],
                            results=[result], sentences=[text])
    backend = NetworkxBackend()
    backend.upsert(build_batch([(paper, extraction)]))
    G = backend.to_networkx()
    G.nodes["Dataset:squad"]["homepage"] = None  # a None value: dropped on export
    return G


def _expected(G: nx.MultiDiGraph):
    """What a reader must give back: G without dunder attributes and None values."""
    def clean(d):
        return {k: v for k, v in d.items() if not k.startswith("__") and v is not None}

    return (
        sorted((n, clean(d)) for n, d in G.nodes(data=True)),
        sorted(((u, v, k, clean(d)) for u, v, k, d in G.edges(keys=True, data=True)),
               key=lambda e: e[:3]),
    )


def _actual(G: nx.MultiDiGraph):
    return (
        sorted(G.nodes(data=True)),
        sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]),
    )


def test_export_flatten_attrs_drops_dunder_and_none_and_encodes_containers():
    flat, encoded = flatten_attrs({
        "name": "BERT", "aliases": ["b", "c"], "span": (1, 2), "meta": {"a": 1},
        "year": None, "__labels__": {"Method"}, "ok": True, "n": 3, "x": 1.5,
    })
    assert flat == {"name": "BERT", "aliases": '["b", "c"]', "span": "[1, 2]",
                    "meta": '{"a": 1}', "ok": True, "n": 3, "x": 1.5}
    assert encoded == {"aliases", "span", "meta"}


def test_export_flatten_attrs_encodes_every_value_of_a_json_attribute():
    flat, encoded = flatten_attrs({"aliases": "just text"}, json_keys={"aliases"})
    assert flat == {"aliases": '"just text"'} and encoded == {"aliases"}


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_export_round_trip_through_bytesio(graph, fmt):
    buffer = io.BytesIO()
    write_graph(graph, buffer, fmt)
    buffer.seek(0)
    back = read_graph(buffer, fmt)
    assert isinstance(back, nx.MultiDiGraph)
    assert _actual(back) == _expected(graph)
    result = back.nodes["Result:p9#abstract:45-49"]
    assert result["value"] == 93.2 and isinstance(result["value"], float)
    assert back.nodes["Method:bert"]["aliases"] == ["BERT-Base", "bert", "bert-base"]
    assert back.nodes["Paper:p9"]["year"] == 2019
    assert "homepage" not in back.nodes["Dataset:squad"]
    assert set(back["Paper:p9"]["Method:bert"]) == {"USES"}


def test_export_graphml_is_plain_graphml_with_scalar_types(graph):
    buffer = io.BytesIO()
    write_graph(graph, buffer, "graphml")
    xml = buffer.getvalue().decode("utf-8")
    types = {part.split('"')[0] for part in xml.split('attr.type="')[1:]}
    assert types <= {"string", "double", "long", "boolean", "int", "float"}
    assert "__labels__" not in xml and "None" not in xml
    buffer.seek(0)
    plain = nx.read_graphml(buffer)  # what Gephi / Cytoscape users would do
    assert plain.nodes["Method:bert"]["label"] == "Method"
    assert json.loads(plain.nodes["Method:bert"]["aliases"]) == ["BERT-Base", "bert", "bert-base"]
    assert plain.graph["kg_json_node_attrs"] == "alias_evidence,aliases"


def test_export_json_keeps_lists_as_lists(graph):
    buffer = io.BytesIO()
    write_graph(graph, buffer, "json")
    data = json.loads(buffer.getvalue())
    bert = next(n for n in data["nodes"] if n["node_id"] == "Method:bert")
    assert bert["aliases"] == ["BERT-Base", "bert", "bert-base"]
    paper = next(n for n in data["nodes"] if n["node_id"] == "Paper:p9")
    assert paper["id"] == "p9"  # our own `id` property survives


def test_export_gexf_labels_nodes_by_name_for_gephi(graph):
    buffer = io.BytesIO()
    write_graph(graph, buffer, "gexf")
    xml = buffer.getvalue().decode("utf-8")
    assert 'label="BERT"' in xml and 'title="aliases (json)"' in xml
    assert 'title="kg_label"' in xml


@pytest.mark.parametrize("name", ["g.graphml", "g.gexf", "g.json", "g.json.gz"])
def test_export_round_trip_through_files(graph, tmp_path, name):
    write_graph(graph, tmp_path / name)
    assert _actual(read_graph(tmp_path / name)) == _expected(graph)


def test_export_does_not_modify_the_graph(graph):
    before = _actual(graph)
    write_graph(graph, io.BytesIO(), "graphml")
    assert _actual(graph) == before


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("a.graphml", "graphml"), ("a.GEXF", "gexf"), ("dir/a.json.gz", "json"),
     ("a.graphml.gz", "graphml")],
)
def test_export_format_of_extension(path, fmt):
    assert format_of(path) == fmt


def test_export_unknown_format_is_clear(graph):
    with pytest.raises(ValueError, match="unknown graph format 'csv'"):
        write_graph(graph, io.BytesIO(), "csv")
    with pytest.raises(ValueError, match="fmt is required"):
        write_graph(graph, io.BytesIO())


def test_export_graphml_read_shares_repeated_strings(tmp_path):
    """Memory when reading a big graph: a long evidence sentence on several neighbouring edges,
    short names and repeated numbers are one object each (equal values either way)."""
    sentence = "We fine-tune BERT and RoBERTa on SQuAD and report F1 and exact match on the dev set. " * 2
    G = nx.MultiDiGraph()
    G.add_node("Paper:p1", label="Paper", id="p1", title="A study")
    for key in ("bert", "roberta", "squad"):
        G.add_node(f"Method:{key}", label="Method", key=key, name=key)
        G.add_edge("Paper:p1", f"Method:{key}", key="USES", type="USES", evidence=sentence, role="used",
                   confidence=0.875)
    write_graph(G, tmp_path / "g.graphml")
    back = read_graph(tmp_path / "g.graphml")
    edges = [d for *_, d in back.edges(data=True)]
    assert len(edges) == 3 and all(d["evidence"] == sentence for d in edges)
    assert edges[0]["evidence"] is edges[1]["evidence"] is edges[2]["evidence"]
    assert edges[0]["role"] is edges[2]["role"] and edges[0]["confidence"] is edges[2]["confidence"] == 0.875
