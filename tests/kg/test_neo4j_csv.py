"""kg.neo4j_csv: neo4j-admin import CSVs (headers, types, quoting, arrays, command) and a re-read."""

from __future__ import annotations

import csv
import doctest
import os
import re
import stat
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import kg.neo4j_csv
from kg.backends.networkx_backend import NetworkxBackend
from kg.build import SAMPLE_CORPUS, build_graph
from kg.neo4j_csv import write_neo4j_csv

TRICKY = 'A "quoted" title, with a comma\nand a second line'


def _graph() -> nx.MultiDiGraph:
    """A hand-made graph: one key in two ID spaces, VARIANT_OF on two label pairs, tricky text."""
    G = nx.MultiDiGraph()
    G.add_node("Paper:p1", label="Paper", id="p1", title=TRICKY, year=2020, open_access=True)
    G.add_node("Paper:p2", label="Paper", id="p2", title="Plain", year=None, open_access=False)
    G.add_node("Method:bert", label="Method", key="bert", name="BERT",
               aliases=["BERT-base", "bert"], __labels__={"Method"})
    G.add_node("Method:roberta", label="Method", key="roberta", name="RoBERTa", aliases=[])
    G.add_node("Dataset:bert", label="Dataset", key="bert", name="BERT corpus")
    G.add_node("Dataset:squad", label="Dataset", key="squad", name="SQuAD")
    G.add_node("Result:p1#1", label="Result", id="p1#1", value=93.2, unit="%", text="93.2%")
    G.add_node("Result:p2#1", label="Result", id="p2#1", value=1, text="1")
    edges = [
        ("Paper:p1", "Method:bert", "PROPOSES", {"confidence": 0.9, "role": "proposed"}),
        ("Paper:p1", "Dataset:squad", "PROPOSES", {"confidence": 0.5, "evidence": TRICKY}),
        ("Paper:p2", "Method:roberta", "USES", {"confidence": 1.0}),
        ("Method:roberta", "Method:bert", "VARIANT_OF", {"papers": ["p2"]}),
        ("Dataset:bert", "Dataset:squad", "VARIANT_OF", {"papers": ["p1", "p2"]}),
        ("Paper:p1", "Result:p1#1", "REPORTS", {}),
    ]
    for u, v, rel, props in edges:
        G.add_edge(u, v, key=rel, type=rel, __labels__={rel}, **props)
    return G


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


# --- an independent reader that applies neo4j-admin's rules ------------------------------------

_PARSE = {"int": int, "long": int, "double": float, "string": str,
          "boolean": lambda text: text == "true"}


def _field(spec: str) -> tuple[str, str, str | None]:
    """(name, role, argument) of one header field: role ID/START_ID/END_ID/LABEL/TYPE or prop."""
    name, _, rest = spec.partition(":")
    space = re.fullmatch(r"(ID|START_ID|END_ID)\((\w+)\)", rest)
    if space:
        return name, space.group(1), space.group(2)
    if rest in ("LABEL", "TYPE"):
        return name, rest, None
    return name, "prop", rest or "string"


def _value(text: str, neo4j_type: str, delimiter: str) -> Any:
    if text == "":
        return None  # an empty field is no property
    if neo4j_type.endswith("[]"):
        return [_PARSE[neo4j_type[:-2]](item) for item in text.split(delimiter)]
    return _PARSE[neo4j_type](text)


def _reread(directory: Path, delimiter: str = ";"):
    """Nodes {"<Label>:<id>": attrs} and edges {(start, end, type): attrs} from the CSV files."""
    nodes: dict[str, dict] = {}
    edges: dict[tuple[str, str, str], dict] = {}
    for path in sorted(directory.glob("*.csv")):
        header, *rows = _rows(path)
        fields = [_field(spec) for spec in header]
        for row in rows:
            assert len(row) == len(fields), path
            attrs: dict[str, Any] = {}
            ends: dict[str, str] = {}
            for (name, role, arg), text in zip(fields, row):
                if role == "prop":
                    value = _value(text, arg, delimiter)
                    if value is not None:
                        attrs[name] = value
                elif role == "ID":
                    attrs[name] = text
                    ends["id"] = f"{arg}:{text}"
                elif role in ("START_ID", "END_ID"):
                    ends[role] = f"{arg}:{text}"
                elif role == "LABEL":
                    attrs["label"] = text
                else:
                    attrs["type"] = text
            if "id" in ends:
                assert ends["id"].split(":", 1)[0] == attrs["label"]
                assert ends["id"] not in nodes, f"duplicate node {ends['id']}"
                nodes[ends["id"]] = attrs
            else:
                edge = (ends["START_ID"], ends["END_ID"], attrs["type"])
                assert edge not in edges, f"duplicate edge {edge}"
                edges[edge] = attrs
    return nodes, edges


def _expected(G: nx.MultiDiGraph):
    """G as Neo4j stores it: no dunder, None, empty-string or empty-list values."""
    def clean(d):
        return {k: v for k, v in d.items()
                if not k.startswith("__") and v is not None and v != "" and v != []}

    nodes = {n: clean(d) for n, d in G.nodes(data=True)}
    edges = {(u, v, d["type"]): clean(d) for u, v, d in G.edges(data=True)}
    return nodes, edges


@pytest.fixture
def tiny_graph(tiny_backend) -> nx.MultiDiGraph:
    return tiny_backend.to_networkx()


@pytest.fixture(scope="module")
def sample_graph(tmp_path_factory) -> nx.MultiDiGraph:
    """The graph of the first 25 bundled sample papers, built by the real pipeline."""
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()
    papers = tmp_path_factory.mktemp("sample") / "papers.txt"
    papers.write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    backend = NetworkxBackend()
    build_graph([papers], backend)
    return backend.to_networkx()


# --- layout -----------------------------------------------------------------------------------


def test_neo4j_csv_headers_match_neo4j_admin_layout(tmp_path):
    files = write_neo4j_csv(_graph(), tmp_path)
    headers = {name: _rows(path)[0] for name, path in files.items() if name.endswith(".csv")}
    assert headers == {
        "nodes_Paper.csv": ["id:ID(Paper)", "open_access:boolean", "title:string", "year:int",
                            ":LABEL"],
        "nodes_Method.csv": ["key:ID(Method)", "aliases:string[]", "name:string", ":LABEL"],
        "nodes_Dataset.csv": ["key:ID(Dataset)", "name:string", ":LABEL"],
        "nodes_Result.csv": ["id:ID(Result)", "text:string", "unit:string", "value:double",
                             ":LABEL"],
        "rels_PROPOSES_Paper_Method.csv": [":START_ID(Paper)", ":END_ID(Method)", ":TYPE",
                                           "confidence:double", "role:string"],
        "rels_PROPOSES_Paper_Dataset.csv": [":START_ID(Paper)", ":END_ID(Dataset)", ":TYPE",
                                            "confidence:double", "evidence:string"],
        "rels_USES_Paper_Method.csv": [":START_ID(Paper)", ":END_ID(Method)", ":TYPE",
                                       "confidence:double"],
        "rels_VARIANT_OF_Method_Method.csv": [":START_ID(Method)", ":END_ID(Method)", ":TYPE",
                                              "papers:string[]"],
        "rels_VARIANT_OF_Dataset_Dataset.csv": [":START_ID(Dataset)", ":END_ID(Dataset)",
                                                ":TYPE", "papers:string[]"],
        "rels_REPORTS_Paper_Result.csv": [":START_ID(Paper)", ":END_ID(Result)", ":TYPE"],
    }


def test_neo4j_csv_rows_encode_values_the_importer_reads(tmp_path):
    files = write_neo4j_csv(_graph(), tmp_path)
    assert _rows(files["nodes_Paper.csv"])[1:] == [
        ["p1", "true", TRICKY, "2020", "Paper"],
        ["p2", "false", "Plain", "", "Paper"],
    ]
    assert _rows(files["nodes_Method.csv"])[1:] == [
        ["bert", "BERT-base;bert", "BERT", "Method"],
        ["roberta", "", "RoBERTa", "Method"],  # empty list: no property (as neo4j-admin does)
    ]
    assert _rows(files["nodes_Result.csv"])[1:] == [
        ["p1#1", "93.2%", "%", "93.2", "Result"],
        ["p2#1", "1", "", "1", "Result"],
    ]
    assert _rows(files["rels_VARIANT_OF_Dataset_Dataset.csv"])[1:] == [
        ["bert", "squad", "VARIANT_OF", "p1;p2"]]
    assert _rows(files["rels_PROPOSES_Paper_Dataset.csv"])[1:] == [
        ["p1", "squad", "PROPOSES", "0.5", TRICKY]]


def test_neo4j_csv_quotes_per_rfc4180_in_utf8(tmp_path):
    G = _graph()
    G.nodes["Method:bert"]["name"] = "Bért «Ω»"
    files = write_neo4j_csv(G, tmp_path)
    raw = files["nodes_Paper.csv"].read_bytes()
    assert b'"A ""quoted"" title, with a comma\nand a second line"' in raw
    assert b"\r" not in raw
    assert "Bért «Ω»" in files["nodes_Method.csv"].read_text(encoding="utf-8")
    assert _rows(files["nodes_Paper.csv"])[1][2] == TRICKY


@pytest.mark.parametrize(
    "values, neo4j_type, cells",
    [
        ([1, 2], "int", ["1", "2"]),
        ([1, 2**40], "long", ["1", "1099511627776"]),
        ([1, 0.5], "double", ["1", "0.5"]),
        ([0.1, float("inf"), float("nan")], "double", ["0.1", "Infinity", "NaN"]),
        ([True, False], "boolean", ["true", "false"]),
        (["a", "b"], "string", ["a", "b"]),
        ([True, 1], "string", ["true", "1"]),
        (["a", 1.5], "string", ["a", "1.5"]),
        ([["a"], ("b", "c")], "string[]", ["a", "b;c"]),
        ([[1], [2, 3]], "int[]", ["1", "2;3"]),
        ([[1], [2.5]], "double[]", ["1", "2.5"]),
        ([[], []], "string[]", ["", ""]),
        ([{"b", "a"}, ["c"]], "string[]", ["a;b", "c"]),
        ([["a"], "b"], "string", ['["a"]', "b"]),
        ([{"k": 1}, "b"], "string", ['{"k": 1}', "b"]),
    ],
)
def test_neo4j_csv_infers_one_type_per_column(tmp_path, values, neo4j_type, cells):
    G = nx.MultiDiGraph()
    for i, value in enumerate(values):
        G.add_node(f"Task:t{i}", label="Task", key=f"t{i}", p=value)
    header, *rows = _rows(write_neo4j_csv(G, tmp_path)["nodes_Task.csv"])
    assert header == ["key:ID(Task)", f"p:{neo4j_type}", ":LABEL"]
    assert [row[1] for row in rows] == cells


def test_neo4j_csv_types_are_per_file_not_per_property_name(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("Task:t", label="Task", key="t", score=1)
    G.add_node("Metric:m", label="Metric", key="m", score="high")
    files = write_neo4j_csv(G, tmp_path)
    assert _rows(files["nodes_Task.csv"])[0][1] == "score:int"
    assert _rows(files["nodes_Metric.csv"])[0][1] == "score:string"


# --- arrays and the delimiter -----------------------------------------------------------------


def test_neo4j_csv_array_delimiter_falls_back_when_an_item_holds_a_semicolon(tmp_path):
    G = _graph()
    G.nodes["Method:bert"]["aliases"] = ["BERT; base", "bert"]
    files = write_neo4j_csv(G, tmp_path)
    assert _rows(files["nodes_Method.csv"])[1][1] == "BERT; base|bert"
    assert _rows(files["rels_VARIANT_OF_Dataset_Dataset.csv"])[1][3] == "p1|p2"
    assert '--array-delimiter="|"' in files["import.sh"].read_text()
    nodes, _ = _reread(tmp_path, delimiter="|")
    assert nodes["Method:bert"]["aliases"] == ["BERT; base", "bert"]


def test_neo4j_csv_array_delimiter_uses_a_control_character_as_last_resort(tmp_path):
    G = _graph()
    G.nodes["Method:bert"]["aliases"] = ["a;b", "c|d"]
    files = write_neo4j_csv(G, tmp_path)
    assert _rows(files["nodes_Method.csv"])[1][1] == "a;b\x1fc|d"
    assert '--array-delimiter="U+001F"' in files["import.sh"].read_text()


def test_neo4j_csv_rejects_items_holding_every_delimiter_before_writing(tmp_path):
    G = _graph()
    G.nodes["Method:bert"]["aliases"] = ["a;b|c\x1fd"]
    with pytest.raises(ValueError, match="array delimiter"):
        write_neo4j_csv(G, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- the import command -----------------------------------------------------------------------


def test_neo4j_csv_import_script_has_the_exact_command(tmp_path):
    files = write_neo4j_csv(_graph(), tmp_path, database="papers")
    script = files["import.sh"].read_text()
    command = script[script.index('"${NEO4J_ADMIN'):]
    assert command == "\n".join([
        '"${NEO4J_ADMIN:-neo4j-admin}" database import full papers \\',
        '  --nodes=Dataset="$DIR/nodes_Dataset.csv" \\',
        '  --nodes=Method="$DIR/nodes_Method.csv" \\',
        '  --nodes=Paper="$DIR/nodes_Paper.csv" \\',
        '  --nodes=Result="$DIR/nodes_Result.csv" \\',
        '  --relationships=PROPOSES="$DIR/rels_PROPOSES_Paper_Dataset.csv" \\',
        '  --relationships=PROPOSES="$DIR/rels_PROPOSES_Paper_Method.csv" \\',
        '  --relationships=REPORTS="$DIR/rels_REPORTS_Paper_Result.csv" \\',
        '  --relationships=USES="$DIR/rels_USES_Paper_Method.csv" \\',
        '  --relationships=VARIANT_OF="$DIR/rels_VARIANT_OF_Dataset_Dataset.csv" \\',
        '  --relationships=VARIANT_OF="$DIR/rels_VARIANT_OF_Method_Method.csv" \\',
        '  --array-delimiter=";" \\',
        "  --multiline-fields=true \\",  # TRICKY holds a line break
        "  --overwrite-destination \\",
        '  "$@"',
        "",
    ])
    assert os.stat(files["import.sh"]).st_mode & stat.S_IXUSR


def test_neo4j_csv_import_script_runs_neo4j_admin_on_every_file(tmp_path):
    """Run import.sh from elsewhere with a stand-in neo4j-admin that prints its arguments."""
    G = _graph()
    G.nodes["Paper:p1"]["title"] = "one line"
    G.edges["Paper:p1", "Dataset:squad", "PROPOSES"]["evidence"] = "one line"
    out = tmp_path / "my export"  # a space in the path
    files = write_neo4j_csv(G, out)
    fake = tmp_path / "neo4j-admin"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    run = subprocess.run(["sh", str(files["import.sh"]), "--verbose"], cwd="/",
                         env={**os.environ, "NEO4J_ADMIN": str(fake)},
                         capture_output=True, text=True, check=True)
    args = run.stdout.splitlines()
    assert args[:4] == ["database", "import", "full", "neo4j"]
    assert args[-3:] == ['--array-delimiter=;', "--overwrite-destination", "--verbose"]
    assert "--multiline-fields=true" not in args
    listed = {}
    for arg in args:
        if arg.startswith(("--nodes=", "--relationships=")):
            name, path = arg.split("=", 2)[1:]
            listed[Path(path)] = name
    csvs = {path.resolve() for name, path in files.items() if name.endswith(".csv")}
    assert set(listed) == csvs
    for path, name in listed.items():  # the label / type given matches the file's own column
        assert name in path.name.split("_", 1)[1]


def test_neo4j_csv_writes_key_constraints(tmp_path):
    files = write_neo4j_csv(_graph(), tmp_path)
    assert files["constraints.cypher"].read_text().splitlines() == [
        "CREATE CONSTRAINT dataset_key_unique IF NOT EXISTS FOR (n:Dataset) REQUIRE n.key IS UNIQUE;",
        "CREATE CONSTRAINT method_key_unique IF NOT EXISTS FOR (n:Method) REQUIRE n.key IS UNIQUE;",
        "CREATE CONSTRAINT paper_id_unique IF NOT EXISTS FOR (n:Paper) REQUIRE n.id IS UNIQUE;",
        "CREATE CONSTRAINT result_id_unique IF NOT EXISTS FOR (n:Result) REQUIRE n.id IS UNIQUE;",
    ]


# --- whole graphs: counts and a full re-read --------------------------------------------------


@pytest.mark.parametrize("which", ["tiny_graph", "sample_graph"])
def test_neo4j_csv_row_counts_equal_graph_counts(tmp_path, request, which):
    G = request.getfixturevalue(which)
    files = write_neo4j_csv(G, tmp_path)
    labels = Counter(d["label"] for _, d in G.nodes(data=True))
    rels = Counter((d["type"], G.nodes[u]["label"], G.nodes[v]["label"])
                   for u, v, d in G.edges(data=True))
    expected = {f"nodes_{label}.csv": n for label, n in labels.items()}
    expected |= {f"rels_{t}_{s}_{e}.csv": n for (t, s, e), n in rels.items()}
    counts = {name: len(_rows(path)) - 1 for name, path in files.items() if name.endswith(".csv")}
    assert counts == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*expected, "constraints.cypher", "import.sh"])


def test_neo4j_csv_tiny_graph_has_the_fixture_files(tmp_path, tiny_graph):
    files = write_neo4j_csv(tiny_graph, tmp_path)
    assert {name for name in files if name.startswith("rels_VARIANT_OF")} == {
        "rels_VARIANT_OF_Method_Method.csv"}
    assert {name for name in files if name.startswith("rels_PROPOSES")} == {
        "rels_PROPOSES_Paper_Method.csv", "rels_PROPOSES_Paper_Dataset.csv"}
    assert _rows(files["nodes_Dataset.csv"])[1][:1] == ["ms marco"]
    header = _rows(files["nodes_Dataset.csv"])[0]
    assert header[0] == "key:ID(Dataset)" and header[-1] == ":LABEL"
    assert "aliases:string[]" in header and "name:string" in header


@pytest.mark.parametrize("which", ["tiny_graph", "sample_graph", "handmade"])
def test_neo4j_csv_reread_rebuilds_the_graph(tmp_path, request, which):
    G = _graph() if which == "handmade" else request.getfixturevalue(which)
    write_neo4j_csv(G, tmp_path)
    nodes, edges = _reread(tmp_path)
    expected_nodes, expected_edges = _expected(G)
    assert nodes == expected_nodes
    assert edges == expected_edges
    assert len(edges) == G.number_of_edges()


def test_neo4j_csv_sample_graph_lists_are_semicolon_joined(tmp_path, sample_graph):
    files = write_neo4j_csv(sample_graph, tmp_path)
    with_aliases = {d["key"]: d["aliases"] for _, d in sample_graph.nodes(data=True)
                    if d["label"] == "Method" and len(d.get("aliases") or ()) > 1}
    assert with_aliases, "the sample should hold a method with several aliases"
    header, *rows = _rows(files["nodes_Method.csv"])
    column = header.index("aliases:string[]")
    cells = {row[0]: row[column] for row in rows}
    for key, aliases in with_aliases.items():
        assert cells[key] == ";".join(aliases)


# --- errors -----------------------------------------------------------------------------------


def test_neo4j_csv_key_falls_back_to_the_node_id(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("Method:bert", label="Method", name="BERT")
    assert _rows(write_neo4j_csv(G, tmp_path)["nodes_Method.csv"])[1] == ["bert", "BERT", "Method"]


@pytest.mark.parametrize(
    "node, attrs, message",
    [
        ("Gene:x", {"label": "Gene", "key": "x"}, "not in the graph schema"),
        ("x", {"key": "x"}, "label None"),
        ("Method:a b", {"label": "Method", "key": "a", "bad:name": 1}, "property name"),
        ("x", {"label": "Method"}, "no 'key' property"),
    ],
)
def test_neo4j_csv_rejects_what_neo4j_cannot_take(tmp_path, node, attrs, message):
    G = nx.MultiDiGraph()
    G.add_node(node, **attrs)
    with pytest.raises(ValueError, match=message):
        write_neo4j_csv(G, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_neo4j_csv_rejects_a_bad_relationship_type_or_database(tmp_path):
    G = _graph()
    G.add_edge("Paper:p1", "Method:bert", key="uses it", type="uses it")
    with pytest.raises(ValueError, match="relationship type 'uses it'"):
        write_neo4j_csv(G, tmp_path)
    with pytest.raises(ValueError, match="database name"):
        write_neo4j_csv(_graph(), tmp_path, database="x; rm -rf /")


def test_neo4j_csv_docstring_examples_run():
    failures, tried = doctest.testmod(kg.neo4j_csv, verbose=False)
    assert tried > 0 and failures == 0
