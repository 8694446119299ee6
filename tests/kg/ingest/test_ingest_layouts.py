"""Inputs in the layouts people have: OpenAlex arrays and API pages, the Kaggle arXiv snapshot
named .json, arXiv API Atom feeds, CSV/JSON with other column names, LaTeX in any reader, and
one-line reasons for the layouts no reader takes. Fixtures: tests/fixtures/ingest."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import EXIT_FAILED, EXIT_PARTIAL
from kg.cli import app
from kg.ingest import IngestError, ReadSummary, read_papers
from kg.ingest.clean import clean_markup, strip_abstract_label
from kg.ingest.filters import PaperFilter
from kg.ingest.records import hash_id
from schema.paper import Paper

SEGMENT_ANYTHING = Paper(
    id="openalex:W4385245566",
    title="Segment Anything",
    # the inverted index starts with the word "Abstract": dropped
    abstract="We introduce the Segment Anything (SA) project: a new task, model, and dataset for image "
    "segmentation. Our model is promptable and reaches 46.2 mIoU zero-shot.",
    year=2023,
    authors=("Alexander Kirillov", "Eric Mintun"),
    venue="arXiv (Cornell University)",
    url="https://doi.org/10.48550/arxiv.2304.02643",
    source="openalex",
)
FRECHET = Paper(
    id="openalex:W4321234567",
    title="Fréchet Inception Distance Revisited",
    # a plain "abstract" field (no inverted index): its "Abstract:" label dropped, LaTeX resolved
    abstract="We revisit the Fréchet Inception Distance (FID) and show it drops by 3.9% when images are "
    "resized with ×2 bilinear upsampling.",
    year=2024,
    authors=("Mara Holt",),
    venue=None,
    url="https://openalex.org/W4321234567",
    source="openalex",
)


def _read(paths: list[Path] | Path, fmt: str | None = None, **kwargs) -> tuple[list[Paper], ReadSummary]:
    summary = ReadSummary()
    papers = list(read_papers(paths if isinstance(paths, list) else [paths], fmt=fmt, summary=summary, **kwargs))
    return papers, summary


def _issues(summary: ReadSummary) -> list[str]:
    return [str(issue) for issue in summary.issues]


# --- OpenAlex ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [None, "openalex"])
def test_openalex_json_array_is_read_with_plain_and_inverted_abstracts(fixtures_dir: Path, fmt: str | None) -> None:
    path = fixtures_dir / "openalex_works.json"
    papers, summary = _read(path, fmt)
    assert papers[:2] == [SEGMENT_ANYTHING, FRECHET]
    third = papers[2]
    assert (third.title, third.abstract) == (
        "A survey of in vitro assays",  # <i> removed
        "This survey covers twelve in vitro assays used in toxicology.",  # "ABSTRACT\n" dropped
    )
    assert _issues(summary) == [f"{path}:4: record 4: no abstract"]


@pytest.mark.parametrize("fmt", [None, "openalex"])
def test_openalex_saved_api_page_reads_its_results(fixtures_dir: Path, fmt: str | None) -> None:
    papers, summary = _read(fixtures_dir / "openalex_page.json", fmt)
    assert papers == [SEGMENT_ANYTHING, FRECHET]
    assert summary.issues == []


def test_openalex_jsonl_is_recognised_without_a_format(fixtures_dir: Path) -> None:
    papers, _ = _read(fixtures_dir / "openalex.jsonl")
    assert [p.id for p in papers] == ["openalex:W3034999214", "openalex:W2963341956", "openalex:W4318000004"]
    assert {p.source for p in papers} == {"openalex"}


def test_openalex_api_pages_one_per_line_and_gzip(tmp_path: Path, fixtures_dir: Path) -> None:
    page = (fixtures_dir / "openalex_page.json").read_text(encoding="utf-8").strip()
    path = tmp_path / "pages.jsonl.gz"
    path.write_bytes(gzip.compress((page + "\n" + page + "\n").encode(), mtime=0))
    papers, summary = _read(path)
    assert papers == [SEGMENT_ANYTHING, FRECHET]
    assert [(i.line, i.reason.split(" openalex")[0]) for i in summary.issues] == [
        (2, "result 1: duplicate id"), (2, "result 2: duplicate id")
    ]


def test_openalex_category_filter_works_on_an_auto_detected_array(fixtures_dir: Path) -> None:
    papers, summary = _read(fixtures_dir / "openalex_works.json", filters=PaperFilter(categories=("Biology",)))
    assert [p.id for p in papers] == ["openalex:W4399999999"]
    assert summary.filtered == 3


def test_openalex_index_written_as_a_json_string_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "works.json"
    index = json.dumps({"We": [0], "study": [1], "X.": [2]})
    path.write_text(json.dumps([{"id": "https://openalex.org/W1", "title": "T", "abstract_inverted_index": index}]))
    papers, summary = _read(path)
    assert [(p.id, p.abstract) for p in papers] == [("openalex:W1", "We study X.")]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("openalex_authors.json", "OpenAlex authors records, not works: kg reads works "
                                  "(https://api.openalex.org/works?filter=..., or a snapshot's works/ files)"),
        ("openalex_export.csv", "an OpenAlex CSV export, which has no abstract text: download the works as JSON "
                                "(https://api.openalex.org/works?filter=..., or a snapshot's works/ files) and pass that file"),
        ("arxiv_oai.xml", "arXiv OAI-PMH XML, which kg does not read: use the Kaggle JSON snapshot "
                          "(arxiv-metadata-oai-snapshot.json) or an arXiv API Atom feed with --input-format arxiv"),
    ],
)
def test_layout_no_reader_takes_is_one_line_naming_it_and_what_reads_it(fixtures_dir: Path, name: str, reason: str) -> None:
    path = fixtures_dir / name
    papers, summary = _read([path, fixtures_dir / "openalex_page.json"])
    assert [p.id for p in papers] == [SEGMENT_ANYTHING.id, FRECHET.id]  # the next file is still read
    assert _issues(summary) == [f"{path}: {reason}"]
    assert summary.failed_files == [str(path)]


def test_zip_download_is_a_failed_file_saying_to_unzip(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "arxiv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(fixtures_dir / "arxiv-metadata-oai-snapshot.json", "arxiv-metadata-oai-snapshot.json")
    papers, summary = _read(path)
    assert papers == []
    assert _issues(summary) == [
        f"{path}: a zip archive (a Kaggle download?): unzip it and pass the file inside, "
        "e.g. arxiv-metadata-oai-snapshot.json"
    ]


def test_unreadable_layout_exits_like_any_failed_file(fixtures_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    oai = runner.invoke(app, ["extract", str(fixtures_dir / "arxiv_oai.xml"), "-o", str(tmp_path / "a.jsonl")])
    missing = runner.invoke(app, ["extract", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "b.jsonl")])
    assert oai.exit_code == missing.exit_code == EXIT_FAILED
    assert "arXiv OAI-PMH XML, which kg does not read" in oai.output and "Traceback" not in oai.output
    mixed = runner.invoke(app, ["extract", str(fixtures_dir / "arxiv_oai.xml"), str(fixtures_dir / "openalex_page.json"),
                                "-o", str(tmp_path / "c.jsonl")])
    assert mixed.exit_code == EXIT_PARTIAL
    assert len((tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()) == 2


# --- arXiv --------------------------------------------------------------------------------------


def test_kaggle_snapshot_named_json_is_read_as_arxiv(fixtures_dir: Path) -> None:
    papers, summary = _read(fixtures_dir / "arxiv-metadata-oai-snapshot.json")
    assert summary.issues == []
    assert [(p.id, p.year, p.source) for p in papers] == [("arXiv:2310.06825", 2023, "arxiv"), ("arXiv:0704.0002", 2007, "arxiv")]
    assert papers[0].abstract.endswith("with a 2× smaller cache.")
    assert papers[1].abstract.startswith("We describe a new algorithm, the (k,ℓ)-pebble game with colors")
    assert papers[1].authors == ("Ileana Streinu", "Louis Theran")


def test_kaggle_snapshot_gzipped_with_a_category_filter(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
    path.write_bytes(gzip.compress((fixtures_dir / "arxiv-metadata-oai-snapshot.json").read_bytes(), mtime=0))
    papers, summary = _read(path, filters=PaperFilter(categories=("math.CO",)))
    assert [p.id for p in papers] == ["arXiv:0704.0002"]
    assert summary.filtered == 1


def test_arxiv_records_as_a_json_array_are_recognised(tmp_path: Path, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / "arxiv-metadata-oai-snapshot.json").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "subset.json"
    path.write_text(json.dumps([json.loads(line) for line in lines], indent=2), encoding="utf-8")
    papers, _ = _read(path)
    assert [(p.id, p.source) for p in papers] == [("arXiv:2310.06825", "arxiv"), ("arXiv:0704.0002", "arxiv")]


def test_records_with_categories_not_recognised_as_arxiv_get_a_format_hint(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": "paper-1", "title": "T", "abstract": "A.", "categories": "cs.CL"}) + "\n")
    with pytest.raises(IngestError) as info:
        _read(path, filters=PaperFilter(categories=("cs.CL",)))
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith("'jsonl' has none (its records have categories: for arXiv records add --input-format arxiv)")


def test_arxiv_api_atom_feed(fixtures_dir: Path) -> None:
    papers, summary = _read(fixtures_dir / "arxiv_api.xml")
    assert summary.issues == []
    gan, dcgan = papers
    assert (gan.id, gan.title, gan.year, gan.authors, gan.venue, gan.url, gan.source) == (
        "arXiv:1406.2661", "Generative Adversarial Networks", 2014, ("Ian J. Goodfellow", "Jean Pouget-Abadie"),
        None, "https://arxiv.org/abs/1406.2661", "arxiv",
    )
    assert gan.abstract.endswith("reach a Parzen log-likelihood of 225 ± 2.")
    assert dcgan.title == "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks"
    assert (dcgan.year, dcgan.venue) == (2015, "ICLR 2016")  # published, not updated; journal_ref
    cv_only, _ = _read(fixtures_dir / "arxiv_api.xml", fmt="arxiv", filters=PaperFilter(categories=("cs.CV",)))
    assert [p.id for p in cv_only] == ["arXiv:1511.06434"]


def test_arxiv_atom_feed_cut_off_keeps_its_complete_entries(tmp_path: Path, fixtures_dir: Path) -> None:
    text = (fixtures_dir / "arxiv_api.xml").read_text(encoding="utf-8")
    path = tmp_path / "query.xml"
    path.write_text(text[: text.index("<title>Unsupervised")], encoding="utf-8")
    papers, summary = _read(path)
    assert [p.id for p in papers] == ["arXiv:1406.2661"]
    assert len(summary.issues) == 1 and summary.failed_files == [str(path)]
    assert summary.issues[0].reason.startswith("not valid XML (no element found: line ")
    assert summary.issues[0].reason.endswith("; after record 1)")


# --- field names, LaTeX and untitled records in CSV / JSON ----------------------------------------


def test_kaggle_arxiv_abstracts_csv_titles_summaries(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv_data.csv"
    papers, summary = _read(path)
    assert [p.title for p in papers] == [
        "Survey on Semantic Stereo Matching / Semantic Depth Estimation",
        "FUTURE-AI: Guiding Principles for Trustworthy AI in Medical Imaging",
        "",
    ]
    assert papers[0].abstract.endswith("We review semantic stereo matching.")  # \textit{} resolved
    assert papers[1].abstract == "We propose six principles, with an accuracy drop under 3.9% on our benchmark."
    untitled = papers[2]
    assert untitled.id == hash_id("Short abstract, its title lost in the export.")
    # kept, with a warning naming file and line, counted in the summary
    assert _issues(summary) == [
        f"{path}:5: missing title (kept: abstract 'Short abstract, its title lost in the ex', id {untitled.id})"
    ]
    assert (summary.read, summary.skipped, summary.warnings, summary.reasons["missing title"]) == (3, 0, 1, 1)


def test_json_field_synonyms_in_any_case_and_ordinary_text_untouched(fixtures_dir: Path) -> None:
    papers, summary = _read(fixtures_dir / "papers_synonyms.jsonl")
    assert summary.issues == []
    attention, resnet, pricing = papers
    assert (attention.id, attention.title, attention.year, attention.authors, attention.venue) == (
        "649def34f8be52c8b66281af98ae884c09aef38b", "Attention Is All You Need", 2017,
        ("Ashish Vaswani", "Noam Shazeer"), "Neural Information Processing Systems",
    )
    assert attention.abstract.startswith("The dominant sequence transduction models")
    assert resnet.title == "Deep Residual Learning for Image Recognition"
    assert resnet.abstract.endswith("win ILSVRC 2015 with 3.57% top-5 error.")
    assert (pricing.title, pricing.abstract) == (
        "Pricing GPU hours", "Spot GPUs cost $2 and reserved ones $3 per hour; C# and F# clients are provided."
    )


def test_json_lines_in_a_json_file_and_an_array_in_a_jsonl_file(tmp_path: Path) -> None:
    records = [{"title": "One", "abstract": "First."}, {"title": "Two", "abstract": "Second."}]
    lines = tmp_path / "papers.json"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n")
    array = tmp_path / "papers.jsonl"
    array.write_text(json.dumps(records, indent=2))
    papers, summary = _read([lines, array])
    assert [(p.title, p.source) for p in papers] == [("One", "jsonl"), ("Two", "jsonl")]
    # JSON Lines: one bad line is one issue, by line number; the array repeats the titles
    assert [(i.file, i.line, i.reason.split(" (")[0]) for i in summary.issues] == [
        (str(lines), 3, "malformed JSON"),
        (str(array), 1, "record 1: duplicate id p-" + hash_id("One")[2:]),
        (str(array), 2, "record 2: duplicate id p-" + hash_id("Two")[2:]),
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Fr\\'echet distance", "Fréchet distance"),
        ("improves by 3.9\\% over", "improves by 3.9% over"),
        ("a $\\times$ sign and $2\\times$", "a × sign and 2×"),
        ("see \\href{https://github.com/x/y}{our code}", "see our code"),
        ("\\textit{italic}, \\emph{stressed}, \\textbf{bold}", "italic, stressed, bold"),
        ("we test $n$ nodes", "we test n nodes"),
        # ordinary text is left alone
        ("tickets cost $5 and $10", "tickets cost $5 and $10"),
        ("prices of $5-$10 per seat", "prices of $5-$10 per seat"),
        ("written in C# and F#", "written in C# and F#"),
        ("the set {a, b} of ''quoted'' words", "the set {a, b} of ''quoted'' words"),
    ],
)
def test_clean_markup_resolves_latex_and_leaves_ordinary_text(raw: str, clean: str) -> None:
    assert clean_markup(raw) == clean


@pytest.mark.parametrize("fmt", ["txt", "csv", "jsonl"])
def test_every_reader_resolves_latex(tmp_path: Path, fmt: str) -> None:
    title, abstract = "Fr\\'echet Distances", "We cut FID by 3.9\\% with \\emph{ResNet}, $2\\times$ faster."
    path = tmp_path / f"papers.{fmt}"
    if fmt == "txt":
        path.write_text(f"{title}\n{abstract}\n", encoding="utf-8")
    elif fmt == "csv":
        path.write_text(f'Title,Abstract\n"{title}","{abstract}"\n', encoding="utf-8")
    else:
        path.write_text(json.dumps({"title": title, "abstract": abstract}) + "\n", encoding="utf-8")
    papers, summary = _read(path)
    assert summary.issues == []
    assert [(p.title, p.abstract) for p in papers] == [("Fréchet Distances", "We cut FID by 3.9% with ResNet, 2× faster.")]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Abstract We propose X.", "We propose X."),
        ("Abstract: We propose X.", "We propose X."),
        ("Abstract. In this paper, X.", "In this paper, X."),
        ("ABSTRACT We propose X.", "We propose X."),
        ("Abstract\u2014We propose X.", "We propose X."),
        # the first word of the text, not a label
        ("Abstract Meaning Representation (AMR) is a graph.", "Abstract Meaning Representation (AMR) is a graph."),
        ("Abstract interpretation is sound.", "Abstract interpretation is sound."),
        ("Abstractive summarisation is hard.", "Abstractive summarisation is hard."),
    ],
)
def test_leading_abstract_label_is_dropped(raw: str, clean: str) -> None:
    assert strip_abstract_label(raw) == clean


def test_abstract_label_dropped_in_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "T", "abstract": "ABSTRACT\nWe propose X."}) + "\n")
    papers, _ = _read(path)
    assert papers[0].abstract == "We propose X."


# --- txt: the short abstracts JSON takes ----------------------------------------------------------


def test_txt_reads_the_short_abstracts_jsonl_reads(tmp_path: Path) -> None:
    pairs = [
        ("Dense Retrieval", "We propose a dense retriever for QA."),
        ("A Randomized Trial of Early Mobilisation in Intensive Care", "We report a randomized trial of 120 patients."),
        ("Segment Anything", "We release SAM. It segments anything."),
    ]
    txt = tmp_path / "papers.txt"
    txt.write_text("".join(f"{title}\n{abstract}\n" for title, abstract in pairs), encoding="utf-8")
    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text("".join(json.dumps({"title": t, "abstract": a}) + "\n" for t, a in pairs), encoding="utf-8")
    from_txt, txt_summary = _read(txt)
    from_jsonl, _ = _read(jsonl)
    assert txt_summary.issues == []
    assert [(p.id, p.title, p.abstract) for p in from_txt] == [(p.id, p.title, p.abstract) for p in from_jsonl]
    assert len(from_txt) == 3


def test_txt_boilerplate_pair_is_still_not_a_paper(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    # two short lines ending a sentence, the second shorter: boilerplate, not a title and its abstract
    path.write_text("Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\n"
                    "Dense Retrieval\nWe propose a dense retriever for QA.\n", encoding="utf-8")
    papers, summary = _read(path)
    assert [p.title for p in papers] == ["Dense Retrieval"]
    assert [i.line for i in summary.issues] == [1, 2]


def test_openalex_snapshot_part_without_an_extension_is_recognised(tmp_path: Path, fixtures_dir: Path) -> None:
    part = tmp_path / "updated_date=2024-05-01" / "part_000.gz"
    part.parent.mkdir()
    part.write_bytes(gzip.compress((fixtures_dir / "openalex.jsonl").read_bytes(), mtime=0))
    papers, summary = _read(part)
    assert [p.id for p in papers] == ["openalex:W3034999214", "openalex:W2963341956", "openalex:W4318000004"]
    assert [i.reason for i in summary.issues] == ["no abstract"]
