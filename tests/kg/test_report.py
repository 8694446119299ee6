"""kg.report and `kg report`: one self-contained HTML page with the analyses, plots embedded."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from kg.backends.networkx_backend import NetworkxBackend
from kg.commands.report import register
from kg.report import MAX_TREND_SERIES, PLOTS, collect, plot_figure, render_report, save_plot, \
    summary_sentences, write_report

SECTIONS = ("summary", "methods", "datasets", "heatmap", "network", "pagerank", "trends", "leaderboards")
NASTY_TITLE = 'Attention <script>alert("x")</script> & "friends"'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _graph(years: bool = True) -> nx.MultiDiGraph:
    """Two papers on ImageNet using the same three methods (one named with '<', '&' and '$'),
    each reporting a top-1 accuracy; the first paper's title needs escaping."""
    G = nx.MultiDiGraph()
    G.add_node("Dataset:imagenet", label="Dataset", name="ImageNet", key="imagenet")
    G.add_node("Metric:top1", label="Metric", name="top-1 accuracy", key="top 1 accuracy")
    methods = {"resnet": "ResNet", "vit": "ViT", "odd": "A<B & $x$-Net"}
    for key, name in methods.items():
        G.add_node(f"Method:{key}", label="Method", name=name, key=key)
    for i, (title, value) in enumerate([(NASTY_TITLE, 81.5), ("A plain title", 79.0)]):
        paper = f"Paper:p{i}"
        G.add_node(paper, label="Paper", id=f"p{i}", title=title, **({"year": 2020 + i} if years else {}))
        for key in methods:
            G.add_edge(paper, f"Method:{key}", type="USES")
        G.add_edge(paper, "Dataset:imagenet", type="EVALUATES_ON")
        G.add_node(f"Result:r{i}", label="Result", value=value, unit="%", text=f"{value}%")
        G.add_edge(paper, f"Result:r{i}", type="REPORTS", evidence=f"It reaches {value}% top-1 accuracy.")
        G.add_edge(f"Result:r{i}", "Metric:top1", type="OF_METRIC")
        G.add_edge(f"Result:r{i}", "Dataset:imagenet", type="ON_DATASET")
        G.add_edge(f"Result:r{i}", "Method:vit", type="FOR_METHOD")
    return G


class _Resources(HTMLParser):
    """Collects every tag and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.src: list[str] = []
        self.href: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "src":
                self.src.append(value or "")
            elif name == "href":
                self.href.append(value or "")


def _resources(page: str) -> _Resources:
    parser = _Resources()
    parser.feed(page)
    return parser


def test_report_has_every_section_and_five_embedded_pngs():
    page = render_report(_graph(), title="Two papers")
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    found = _resources(page)
    assert len(found.src) == 5  # methods, datasets, heat map, network, trends
    for src in found.src:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert page.count('<img src="data:image/png;base64,') == 5
    assert "<title>Two papers</title>" in page


def test_report_opens_no_external_resources():
    page = render_report(_graph())
    found = _resources(page)
    assert not found.tags & {"script", "link", "iframe", "object", "embed", "video", "audio"}
    assert all(h.startswith("#") for h in found.href) and len(found.href) == len(SECTIONS)
    assert all(s.startswith("data:") for s in found.src)
    assert "url(" not in page and "@import" not in page


def test_report_escapes_text_from_the_graph():
    page = render_report(_graph(), title="Report <b>&</b>")
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert "A&lt;B &amp; $x$-Net" in page and "A<B" not in page
    assert "<title>Report &lt;b&gt;&amp;&lt;/b&gt;</title>" in page


def test_report_tables_rank_methods_pagerank_and_leaderboard():
    page = render_report(_graph())
    assert "<td>ResNet</td>" in page and "<td>ViT</td>" in page
    board = page[page.index('<section id="leaderboards">'):]
    assert "ImageNet \u2014 top-1 accuracy (%): higher is better" in board
    assert board.index("81.5%") < board.index("79.0%")  # best first
    trends = page[page.index('<section id="trends">'):page.index('<section id="leaderboards">')]
    assert "<th>2020</th><th>2021</th>" in trends


def test_report_without_years_has_a_note_and_four_plots():
    page = render_report(_graph(years=False))
    assert page.count('<img src="data:image/png;base64,') == 4
    assert "no paper in this graph has one" in page
    assert "No paper has a publication year." in page


def test_report_of_an_empty_graph_has_notes_and_no_plots():
    page = render_report(nx.MultiDiGraph())
    assert "<img" not in page
    assert "No methods in this graph." in page and "No datasets in this graph." in page
    assert "No dataset has two or more comparable results" in page


def test_report_top_limits_rows():
    page = render_report(_graph(), top=2)
    methods = page[page.index('<section id="methods">'):page.index('<section id="datasets">')]
    assert methods.count("<tr>") == 3  # header and two methods


def test_report_save_plot_writes_pngs(tmp_path):
    G = _graph()
    for name in PLOTS:
        path = save_plot(name, G, tmp_path / f"{name}.png")
        assert path.read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="unknown plot 'pie'"):
        save_plot("pie", G, tmp_path / "pie.png")
    with pytest.raises(ValueError, match="nothing to draw for plot 'trends'"):
        save_plot("trends", _graph(years=False), tmp_path / "trends.png")
    assert plot_figure("network", nx.MultiDiGraph()) is None


def test_report_write_report(tmp_path):
    path = write_report(_graph(), tmp_path / "r.html", title="T")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def app(command_app) -> typer.Typer:
    return command_app(register)


@pytest.fixture
def graph_file(tmp_path):
    return NetworkxBackend(graph=_graph()).save(tmp_path / "g.graphml")


def test_report_cli_writes_the_page(app, graph_file, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--graph", str(graph_file), "--out", str(out), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "report written to" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "<title>Knowledge graph report: g.graphml</title>" in page
    assert page.count('<img src="data:image/png;base64,') == 5


def test_report_cli_missing_graph_is_not_found(app, tmp_path):
    result = CliRunner().invoke(app, ["report", "--graph", str(tmp_path / "none.graphml"),
                                      "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert "no such graph file" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_cli_unwritable_output_is_one_line(app, graph_file, tmp_path):
    result = CliRunner().invoke(app, ["report", "--graph", str(graph_file), "--out", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "cannot write" in result.stderr


@pytest.fixture(scope="module")
def sample_graph() -> nx.MultiDiGraph:
    from kg.build import SAMPLE_CORPUS, build_graph

    store = NetworkxBackend()
    build_graph([SAMPLE_CORPUS], store)
    return store.to_networkx()


def test_report_on_the_bundled_sample(sample_graph):
    page = render_report(sample_graph, title="Sample")
    assert page.count('<img src="data:image/png;base64,') == 4  # no years in the sample: no trends plot
    assert "<td>transformer</td>" in page
    assert "ImageNet \u2014 top-1 accuracy (%)" in page


def test_report_docstring_examples_run():
    import doctest

    import kg.report as module

    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0


# --- readability: summary, labels, trends ----------------------------------------------------


def test_report_opens_with_a_summary_of_the_graph():
    G = _graph()
    G.add_node("Task:cls", label="Task", name="image classification", key="image classification")
    G.add_edge("Paper:p1", "Task:cls", type="ADDRESSES")
    assert summary_sentences(collect(G)) == [
        "2 papers, from 2020 to 2021.",
        "Most used: method A<B & $x$-Net (2 papers); dataset ImageNet (2 papers); task image classification (1 paper).",
        "Biggest communities of methods used together: A<B & $x$-Net, ResNet, ViT (3 methods).",
    ]
    page = render_report(G)
    overview = page[page.index('<div id="overview">'):page.index("<nav>")]
    assert "<p>2 papers, from 2020 to 2021.</p>" in overview
    assert "method A&lt;B &amp; $x$-Net (2 papers)" in overview


def test_report_summary_without_years_or_entities():
    assert summary_sentences(collect(_graph(years=False)))[0] == "2 papers, no publication years."
    assert summary_sentences(collect(nx.MultiDiGraph())) == ["0 papers, no publication years.",
                                                             "No method, dataset or task found."]


def test_report_network_labels_do_not_overlap(sample_graph):
    fig = plot_figure("network", sample_graph)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    assert "transformer" in boxes and 8 <= len(boxes) <= 20
    names = list(boxes)
    assert not [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if boxes[a].overlaps(boxes[b])]


def _dated_graph(methods: int = 12) -> nx.MultiDiGraph:
    """Method m_i used by i + 1 papers, papers dated 2018 to 2022."""
    G = nx.MultiDiGraph()
    for i in range(methods):
        G.add_node(f"Method:m{i}", label="Method", name=f"M{i:02d}", key=f"m{i}")
        for j in range(i + 1):
            paper = f"Paper:p{j}"
            G.add_node(paper, label="Paper", id=f"p{j}", title=f"P{j}", year=2018 + j % 5)
            G.add_edge(paper, f"Method:m{i}", type="USES")
    return G


def test_report_trends_show_at_most_eight_methods_as_small_multiples():
    G = _dated_graph(12)
    data = collect(G)
    assert list(data.trends) == [f"M{i:02d}" for i in range(11, 3, -1)] and MAX_TREND_SERIES == 8
    fig = plot_figure("trends", G)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.lines]
    assert len(panels) == 8 and all(len(ax.lines) == 1 for ax in panels)
    assert [ax.get_title() for ax in panels] == list(data.trends)
    page = render_report(G)
    trends = page[page.index('<section id="trends">'):page.index('<section id="leaderboards">')]
    assert trends.count("<tr>") == 1 + 8 and "<td>M03</td>" not in trends
