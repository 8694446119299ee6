"""Text cleaning and id helpers: whitespace, web-dump prefixes, years, authors, DOIs, hash ids."""

from __future__ import annotations

import pytest

from kg.ingest.clean import (
    SUBSCRIBE_PREFIX_RE,
    normalise_arxiv_id,
    normalise_doi,
    normalise_whitespace,
    parse_year,
    split_authors,
    strip_subscribe_prefix,
)
from kg.ingest.records import hash_id, paper_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dense  retrieval\nwith\tBERT", "Dense retrieval with BERT"),
        ("  leading and trailing \r\n", "leading and trailing"),
        ("non\u00a0breaking\u2009spaces", "non breaking spaces"),
        ("line\u2028separator", "line separator"),
        ("already normal text.", "already normal text."),
        ("", ""),
        (" \n\t ", ""),
    ],
)
def test_clean_normalise_whitespace_collapses_every_run(text: str, expected: str) -> None:
    assert normalise_whitespace(text) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("SubscribeDistilling Knowledge for Fast Retrieval-based Chat-bots",
         "Distilling Knowledge for Fast Retrieval-based Chat-bots"),
        ("Subscribers Matter: A Study", "Subscribers Matter: A Study"),
        ("Subscribe to Learn", "Subscribe to Learn"),
        ("A SubscribeNet Title", "A SubscribeNet Title"),
    ],
)
def test_clean_subscribe_prefix_stripped_only_when_glued_to_a_capital(title: str, expected: str) -> None:
    assert strip_subscribe_prefix(title) == expected


def test_clean_subscribe_regex_is_anchored_and_keeps_the_capital() -> None:
    assert SUBSCRIBE_PREFIX_RE.sub("", "SubscribeBERT") == "BERT"
    assert SUBSCRIBE_PREFIX_RE.search("Please SubscribeNow") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2021, 2021),
        (2021.0, 2021),
        ("2021", 2021),
        ("2021-05-03", 2021),
        ("3 May 2019", 2019),
        ("2019-05-03T10:00:00Z", 2019),
        ("n/a", None),
        ("123456", None),
        (99, None),
        (True, None),
        ([2020], None),
    ],
)
def test_clean_parse_year_from_ints_and_date_strings(value: object, expected: int | None) -> None:
    assert parse_year(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ann Author, Bo Writer and Cai Coder", ("Ann Author", "Bo Writer", "Cai Coder")),
        ("Ann Author and Bo Writer", ("Ann Author", "Bo Writer")),
        ("Ann Author; Bo  Writer", ("Ann Author", "Bo Writer")),
        ("Ann Author, Bo Writer, and Cai Coder", ("Ann Author", "Bo Writer", "Cai Coder")),
        ("Alexandra Andersen", ("Alexandra Andersen",)),
        (["Ann Author", {"name": "Bo Writer"}], ("Ann Author", "Bo Writer")),
        ("", ()),
        (None, ()),
        (42, None),
        (["Ann Author", 7], None),
    ],
)
def test_clean_split_authors_from_lists_and_strings(value: object, expected: tuple[str, ...] | None) -> None:
    assert split_authors(value) == expected


def test_clean_normalise_doi_and_arxiv_id_drop_prefixes() -> None:
    assert normalise_doi("https://doi.org/10.1000/ABC.1") == "10.1000/abc.1"
    assert normalise_doi(" doi:10.1000/x ") == "10.1000/x"
    assert normalise_arxiv_id("arXiv:2106.01234") == "2106.01234"


def test_records_hash_id_ignores_case_and_spacing() -> None:
    first = hash_id("Dense Passage Retrieval")
    assert first == hash_id("dense  passage\nretrieval")
    assert first != hash_id("Dense Passage Retrieval 2")
    assert first.startswith("p-") and len(first) == 14


@pytest.mark.parametrize(
    ("given", "arxiv_id", "doi", "expected"),
    [
        ("my-id", "2106.01234", "10.1/x", "my-id"),
        (17, None, None, "17"),
        ("", "arXiv:2106.01234", "10.1/x", "2106.01234"),
        (None, None, "https://doi.org/10.1/X", "10.1/x"),
        (None, " ", "", hash_id("A Title")),
    ],
)
def test_records_paper_id_prefers_given_then_arxiv_then_doi_then_hash(
    given: object, arxiv_id: object, doi: object, expected: str
) -> None:
    assert paper_id("A Title", given, arxiv_id, doi) == expected
