"""The arXiv snapshot reader: fields of real-layout records, LaTeX cleaning, bad input at scale."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

from kg.ingest import ReadSummary, read_papers
from kg.ingest import snapshot as snapshot_module
from kg.ingest.arxiv import read_arxiv, record_authors, record_categories, record_year
from kg.ingest.clean import arxiv_id_year, clean_latex, clean_math, strip_affiliations
from schema.paper import Paper, ReadIssue

EXPECTED = [
    Paper(
        id="arXiv:2106.01234",
        title="Sparse ℓ1-Regularized Retrievers for Open-Domain Question Answering",
        abstract="We propose SparseQA, a retriever trained with an ℓ1 penalty. On Natural Questions it improves "
        "top-20 accuracy by 4.1% over BM25 and reaches an F1 of 52.3 with a k-NN reader.",
        year=2021,  # first version, not the 2022 update
        authors=("Ana Sousa", "José M. Pérez", "Li Wei"),
        url="https://arxiv.org/abs/2106.01234",
        source="arxiv",
    ),
    Paper(
        id="arXiv:hep-th/9901001",
        title="Schrödinger operators on non-commutative tori",
        abstract="We study Schrödinger operators with a θ-deformed Laplacian and show that their spectra are "
        "stable under perturbations of size O(ε^2). The bound is sharp for θ ∈ Q.",
        year=1999,
        authors=("H. Müller", "P. Erdős"),
        venue="Phys.Lett. B450 (1999) 1-10",
        url="https://arxiv.org/abs/hep-th/9901001",
        source="arxiv",
    ),
    Paper(
        id="arXiv:0801.0002",
        title="Counting k-colourings of sparse graphs",
        abstract='We count proper k-colourings of graphs with maximum degree Δ and show that the "greedy" bound '
        "holds for k ≥ 2Δ; code at https://example.org/code.",
        year=2009,  # no versions: the update date
        authors=("Jan Nowak", "John Smith Jr"),
        url="https://arxiv.org/abs/0801.0002",
        source="arxiv",
    ),
    Paper(
        id="arXiv:1501.00003",
        title="Deep Residual Networks for Image Classification on ImageNet",
        abstract="We train residual networks with 152 layers on ImageNet and reach a top-5 error of 3.57% on the "
        "test set, a new state of the art for image classification.",
        year=2015,  # neither versions nor update date: the id
        authors=("A. One", "B. Two", "C. Thrée"),  # from the author string, affiliations removed
        url="https://arxiv.org/abs/1501.00003",
        source="arxiv",
    ),
    Paper(
        id="arXiv:2301.00004",
        title="Knowledge Distillation for BERT Rankers",
        abstract="We distil a BERT cross-encoder into a bi-encoder ranker, keeping 97% of its MRR@10 on MS MARCO "
        "at a tenth of the latency.",
        year=2023,
        authors=("Mei Chen",),
        url="https://arxiv.org/abs/2301.00004",
        source="arxiv",
    ),
]


def _read(path: Path) -> tuple[list[Paper], list[ReadIssue]]:
    issues: list[ReadIssue] = []
    return list(read_arxiv(path, issues.append)), issues


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def test_arxiv_fixture_records_field_by_field(fixtures_dir: Path) -> None:
    papers, issues = _read(fixtures_dir / "arxiv.jsonl")
    assert issues == []
    assert papers == EXPECTED


def test_arxiv_snapshot_file_name_needs_the_format(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    path.write_bytes((fixtures_dir / "arxiv.jsonl").read_bytes())
    summary = ReadSummary()
    assert list(read_papers([path], fmt="arxiv", summary=summary)) == EXPECTED
    assert (summary.read, summary.skipped, summary.failed_files) == (5, 0, [])


def test_arxiv_gzip_is_read_transparently(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(_gzip((fixtures_dir / "arxiv.jsonl").read_bytes()))
    assert _read(path) == (EXPECTED, [])


def test_arxiv_bad_records_are_skipped_with_file_and_line(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv_bad.jsonl"
    papers, issues = _read(path)
    assert [(p.id, p.title, p.year, p.authors) for p in papers] == [
        ("arXiv:2201.00001", "A good first paper", 2022, ("Ann Good",)),
        ("arXiv:2201.00003", "A good last paper", 2022, ("Zed Last",)),
    ]
    assert [str(issue) for issue in issues] == [
        f"{path}:2: malformed JSON (Unterminated string starting at at column 70)",
        f"{path}:3: missing id",
        f"{path}:4: empty abstract",
        f"{path}:5: invalid UTF-8 (byte 0xe9 at column 32)",
        f"{path}:6: duplicate id arXiv:2201.00001",
        f"{path}:7: not a JSON object (list)",
    ]
    assert all(issue.skipped for issue in issues)


def test_arxiv_truncated_gzip_keeps_every_complete_record(tmp_path: Path, fixtures_dir: Path) -> None:
    data = _gzip((fixtures_dir / "arxiv.jsonl").read_bytes())
    cut = data[: len(data) * 2 // 3]
    complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")  # lines the cut bytes still hold
    assert 0 < complete < len(EXPECTED)
    path = tmp_path / "arxiv.jsonl.gz"
    path.write_bytes(cut)
    summary = ReadSummary()
    papers = list(read_papers([path], fmt="arxiv", summary=summary))
    assert papers == EXPECTED[:complete]
    assert [str(issue) for issue in summary.issues] == [
        f"{path}: truncated gzip: data ends after line {complete}, the rest of the file is lost"
    ]
    assert summary.failed_files == [str(path)] and summary.reasons == {"truncated gzip": 1}


def _big_snapshot(n: int) -> list[bytes]:
    """n snapshot lines in the real layout (ids 2001.00000 ...)."""
    lines = []
    for i in range(n):
        record = {
            "id": f"2001.{i:05d}", "submitter": "S", "authors": "A. Author", "title": f"Paper {i}\n  on things",
            "comments": None, "journal-ref": None, "doi": None, "report-no": None, "categories": "cs.LG",
            "license": None, "abstract": f"  Abstract number {i} with $x_{{i}}$.\n",
            "versions": [{"version": "v1", "created": "Wed, 1 Jan 2020 00:00:00 GMT"}],
            "update_date": "2020-01-02", "authors_parsed": [["Author", "A.", ""]],
        }
        lines.append(json.dumps(record, separators=(",", ":")).encode())
    return lines


def test_arxiv_corrupt_line_in_the_middle_of_a_big_gzip_costs_only_that_line(tmp_path: Path) -> None:
    lines = _big_snapshot(3000)
    lines[1499] = lines[1499][:40] + b"\x00\x00\x00" + lines[1499][40:]  # line 1500: bytes damaged
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(_gzip(b"\n".join(lines) + b"\n"))
    papers, issues = _read(path)
    assert len(papers) == 2999
    assert "arXiv:2001.01499" not in {p.id for p in papers}
    assert (papers[0].title, papers[0].abstract) == ("Paper 0 on things", "Abstract number 0 with x_i.")
    assert [(issue.line, issue.reason.split(" (")[0]) for issue in issues] == [(1500, "malformed JSON")]


def test_arxiv_over_long_line_is_skipped_without_holding_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "MAX_LINE_BYTES", 1000)
    lines = _big_snapshot(3)
    path = tmp_path / "nul.jsonl"
    path.write_bytes(lines[0] + b"\n" + b"\x00" * 5000 + b"\n" + lines[1] + b"\n" + lines[2])  # no final newline
    papers, issues = _read(path)
    assert [p.id for p in papers] == ["arXiv:2001.00000", "arXiv:2001.00001", "arXiv:2001.00002"]
    assert [str(issue) for issue in issues] == [f"{path}:2: line too long (over 1,000 bytes)"]


def test_arxiv_keep_sees_year_and_categories_before_the_record_is_read(fixtures_dir: Path) -> None:
    calls: list[tuple[int | None, tuple[str, ...]]] = []

    def keep(year: int | None, categories: tuple[str, ...]) -> bool:
        calls.append((year, tuple(categories)))
        return "cs.LG" in categories

    issues: list[ReadIssue] = []
    papers = list(read_arxiv(fixtures_dir / "arxiv.jsonl", issues.append, keep=keep))
    assert [p.id for p in papers] == ["arXiv:2106.01234", "arXiv:2301.00004"]
    assert calls == [
        (2021, ("cs.CL", "cs.IR", "cs.LG")),
        (1999, ("hep-th", "math-ph", "math.MP")),
        (2009, ("math.CO", "cs.DM")),
        (2015, ("cs.CV",)),
        (2023, ("cs.LG", "stat.ML")),
    ]
    assert issues == []


def test_arxiv_rejected_record_is_not_an_issue_even_when_broken(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "2101.00001", "title": "T", "abstract": "", "categories": "math.CO"}) + "\n")
    issues: list[ReadIssue] = []
    assert list(read_arxiv(path, issues.append, keep=lambda year, cats: False)) == []
    assert issues == []


@pytest.mark.parametrize(
    ("record", "year"),
    [
        ({"versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": "2008-11-13"}, 2007),
        ({"versions": [], "update_date": "2008-11-13"}, 2008),
        ({"versions": [{"version": "v1", "created": "garbled"}], "update_date": None}, 2007),
        ({"versions": "not a list"}, 2007),
        ({}, 2007),
    ],
)
def test_arxiv_year_from_first_version_then_update_date_then_id(record: dict, year: int) -> None:
    assert record_year(record, "0704.0001") == year


@pytest.mark.parametrize(
    ("arxiv_id", "year"),
    [
        ("0704.0001", 2007),
        ("2106.01234", 2021),
        ("2106.01234v3", 2021),
        ("1412.6980", 2014),
        ("hep-th/9901001", 1999),
        ("math.GT/0309136", 2003),
        ("cond-mat/0703470", 2007),
        ("2113.00001", None),  # no month 13
        ("not-an-id", None),
    ],
)
def test_clean_arxiv_id_year(arxiv_id: str, year: int | None) -> None:
    assert arxiv_id_year(arxiv_id) == year


def test_arxiv_authors_prefer_parsed_names_and_fall_back_to_the_string() -> None:
    parsed = {"authors": "C. Bal\\'azs and C.-P. Yuan", "authors_parsed": [["Balázs", "C.", ""], ["Yuan", "C. -P.", ""]]}
    assert record_authors(parsed) == ("C. Balázs", "C. -P. Yuan")
    broken = {**parsed, "authors_parsed": [["Balázs", 3]]}
    assert record_authors(broken) == ("C. Balázs", "C.-P. Yuan")
    assert record_authors({"authors": "  "}) == ()
    assert record_authors({}) == ()


def test_arxiv_categories_split_on_whitespace() -> None:
    assert record_categories({"categories": "cs.CL  cs.LG\tstat.ML"}) == ("cs.CL", "cs.LG", "stat.ML")
    assert record_categories({"categories": None}) == ()


def test_arxiv_non_string_id_is_reported_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": 704.0001, "title": "T", "abstract": "Some abstract."}) + "\n")
    papers, issues = _read(path)
    assert papers == [] and [(i.line, i.reason) for i in issues] == [(1, "missing id")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
         "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"),
        ("$\\ell_1$-regularized", "ℓ1-regularized"),
        ("an F$_1$ of 91.2", "an F1 of 91.2"),
        ("$k$-means and $\\alpha$-divergence", "k-means and α-divergence"),
        ("$\\sim$10\\% faster", "~10% faster"),
        ("$O(n \\log n)$ time", "O(n log n) time"),
        ("a rate of $10^{-3}$", "a rate of 10^-3"),
        ("$x_{ij}$ and $\\ell_{2,1}$", "x_ij and ℓ2,1"),
        ("$\\mathcal{O}(\\frac{1}{\\epsilon^2})$", "O(1/ε^2)"),
        ("$$E = mc^2$$ display", "E = mc^2 display"),
        ("$\\hat{x}$ and \\cite{ref}", "\\hat{x} and \\cite{ref}"),  # unknown commands stay as written
        ("Poincar{\\'e} and Poincar\\'e", "Poincaré and Poincaré"),
        ('Schr\\"odinger, G{\\"o}del, Erd\\H{o}s', "Schrödinger, Gödel, Erdős"),
        ("Fran\\c{c}ois, \\v{S}ar\\'{\\i}k, {\\ss}, \\o ystein", "François, Šarík, ß, øystein"),
        ("\\emph{very} \\textbf{\\textit{large}} {\\em models}", "very large models"),
        ("{BERT} and {\\bf GPT}", "BERT and GPT"),
        ("``quoted'' text", '"quoted" text'),
        ("costs \\$5 and \\$6, 5\\% \\& more", "costs $5 and $6, 5% & more"),
        ("a lone $ sign", "a lone $ sign"),
        ("line\\\\break \\href{https://x.org}{here}, \\url{https://y.org}", "line break here, https://y.org"),
        ("\\LaTeX\\ and Bayes\\' rule", "LaTeX and Bayes\\' rule"),
        ("plain text stays plain", "plain text stays plain"),
    ],
)
def test_clean_latex_reads_like_the_rendered_text(text: str, expected: str) -> None:
    assert clean_latex(text) == expected


def test_clean_math_symbols_scripts_and_unknown_commands() -> None:
    assert clean_math("\\times 10^{6}") == "× 10^6"
    assert clean_math("\\mathbb{R}^d") == "R^d"
    assert clean_math("\\nabla f \\cdot \\partial x") == "∇ f · ∂ x"
    assert clean_math("\\foo") == "\\foo"


def test_clean_strip_affiliations_nested() -> None:
    assert strip_affiliations("A. One (MIT), B. Two (1 and 2) and C. Three ((1) CMU, (2) ETH)") == (
        "A. One, B. Two and C. Three"
    )
    assert strip_affiliations("No affiliations") == "No affiliations"
    assert strip_affiliations("Unbalanced (paren") == "Unbalanced (paren"


def test_arxiv_other_format_read_as_arxiv_is_reported_per_line(fixtures_dir: Path) -> None:
    path = fixtures_dir / "openalex.jsonl"
    papers, issues = _read(path)
    assert papers == []
    assert [str(issue) for issue in issues[:1]] == [f"{path}:1: not an arXiv id ('https://openalex.org/W3034999214')"]
    assert [issue.line for issue in issues] == [1, 2, 3, 4]
